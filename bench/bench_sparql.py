"""SPARQL endpoint benchmark: this service next to its peers, all in one run.

    python bench/bench_sparql.py [--data ../shared/data/mipex] [--requests 60] [--clients 4]
                                 [--rounds 3] [--skip-rdflib] [--output notes.md]

On the fully loaded store (both official workbooks, reference data), the same five
queries are sent to:

  (a) this service (``mipex-kg serve``, uvicorn, query workers with the data in memory),
  (b) ``oxigraph serve`` (PyPI package oxigraph), in memory, union default graph,
  (c) rdflib-endpoint over an rdflib Dataset with the Oxigraph backend (oxrdflib),
  (d) pyoxigraph in this process (query + JSON serialisation, no HTTP).

``--clients`` concurrent clients (threads, one HTTP connection each) send
``--requests`` requests per server, query, mode and round. "first" requests vary the
query's parameters so that no cache can answer them; "repeat" requests send one
query again and again. Each query is sent from its own loopback address (``SOURCE``).
The machine may be shared and busy, so the servers run side by side and take turns:
each round measures every server on the same query and mode before the next, in a
rotating order, so that a change in the load affects all of them alike (rdflib, being
slow, gets one round and ``--rdflib-requests``).

The report, a Markdown table (also written to ``--output``), has per server, query
and mode: the median latency, the throughput and its ratio to ``oxigraph serve``,
the latency over pyoxigraph in process, and the CPU time the server used per
request (its process and worker processes, from /proc; the least noisy figure on a
shared machine). All servers listen on 127.0.0.1 and are stopped at the end.
Requires the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import httpx
import pyoxigraph as ox

from mipex_kg.graph.namespaces import sparql_prologue
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.bootstrap import ensure_loaded

ID = "https://w3id.org/mipex-kg/id/"
COUNTRIES = ["SWE", "FIN", "PRT", "CAN", "NZL", "ESP", "DEU", "FRA", "ITA", "NLD", "BEL", "AUT",
             "DNK", "NOR", "IRL", "GBR", "USA", "AUS", "CHE", "POL", "CZE", "GRC", "HUN", "JPN"]
YEARS = list(range(2014, 2020))
INDICATORS = ["aa1", "ab6", "ba21", "bb28", "ca49", "cb50", "db70", "dd75", "ea80", "eb85", "fa98",
              "ga117", "gd136", "a", "b", "c", "d", "e", "f", "g", "overall-with-health"]

QUERIES: dict[str, str] = {
    "country-areas": """SELECT ?area ?label ?score WHERE {{
  ?o mkg:jurisdiction <{id}country/{country}> ; mkg:refPeriod <{id}period/{year}> ;
     mkg:indicator ?area ; mkg:score ?score . ?area a mkg:PolicyArea ; skos:prefLabel ?label }}
ORDER BY ?area""",
    "ranking": """SELECT ?country ?score WHERE {{
  ?o mkg:indicator <{id}indicator/mipex/{indicator}> ; mkg:refPeriod <{id}period/{year}> ;
     mkg:jurisdiction ?country ; mkg:score ?score }} ORDER BY DESC(?score) ?country""",
    "area-averages": """SELECT ?area (AVG(?score) AS ?mean) (COUNT(?o) AS ?n) WHERE {{
  ?o mkg:indicator ?area ; mkg:score ?score ; mkg:refPeriod/mkg:year ?y .
  ?area a mkg:PolicyArea . FILTER(?y >= {year}) }} GROUP BY ?area ORDER BY ?area""",
    "time-series": """SELECT ?year ?score WHERE {{
  ?o mkg:jurisdiction <{id}country/{country}> ; mkg:indicator <{id}indicator/mipex/{indicator}> ;
     mkg:refPeriod/mkg:year ?year ; mkg:score ?score }} ORDER BY ?year""",
    "provenance": """SELECT ?file ?sha ?sheet ?cell ?publisher WHERE {{
  <{id}score/mipex-2020/{country}/{year}/{indicator}> prov:wasDerivedFrom ?file ;
     mkg:sourceSheet ?sheet ; mkg:sourceCell ?cell ; qb:dataSet ?edition .
  ?file mkg:sha256 ?sha . ?edition prov:wasAttributedTo ?publisher }}""",
}

MODES = ("first", "repeat")
SERVERS = ("ours", "other", "oxigraph", "rdflib", "pyoxigraph")
LABELS = {"ours": "mipex-kg", "other": "mipex-kg (--other checkout)",
          "oxigraph": "oxigraph serve", "rdflib": "rdflib-endpoint",
          "pyoxigraph": "pyoxigraph in process"}


def variants(name: str, start: int = 0) -> Iterator[str]:
    """Endless distinct instances of one query (for the 'first' mode), from number ``start``."""
    for number in itertools.count(start):
        country = COUNTRIES[number % len(COUNTRIES)]
        year = YEARS[number % len(YEARS)]
        indicator = INDICATORS[number % len(INDICATORS)]
        # the parameters vary, and the numbered comment makes every text unique, so that
        # no cache keyed on the query (ours, or any in front of a peer) can answer it
        yield f"# variant {number}\n" + sparql_prologue() + QUERIES[name].format(
            id=ID, country=country, year=year, indicator=indicator)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=5.0)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(args: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """Run a server until the block ends; yields its process id."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_until_up(url, proc)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve_both(servers: ExitStack, store_dir: Path, nquads: Path,
               ports: dict[str, int]) -> tuple[int, int]:
    """Start this service on ``store_dir`` and ``oxigraph serve`` in memory with the same
    quads (``nquads``), on ``ports["ours"]`` / ``ports["oxigraph"]``, until ``servers``
    closes; their process ids."""
    oxigraph_bin = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    ours = servers.enter_context(process(
        [sys.executable, "-m", "mipex_kg.cli", "serve", "--store", str(store_dir),
         "--port", str(ports["ours"])], f"http://127.0.0.1:{ports['ours']}/sparql"))
    oxigraph = servers.enter_context(process(
        [oxigraph_bin, "serve", "--bind", f"127.0.0.1:{ports['oxigraph']}",
         "--union-default-graph"], f"http://127.0.0.1:{ports['oxigraph']}/"))
    with nquads.open("rb") as body:
        httpx.post(f"http://127.0.0.1:{ports['oxigraph']}/store", content=body,
                   headers={"Content-Type": "application/n-quads"},
                   timeout=600.0).raise_for_status()
    return ours, oxigraph


def serve_other(servers: ExitStack, checkout: Path, other_store: Path, work: Path,
                port: int) -> int:
    """Start another checkout of mipex-kg (by its import names) on ``other_store`` (a
    copy of the store folder made before any server opened it: each server owns its
    folder), on ``port``, until ``servers`` closes; its process id."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
    from typecheck import link_tree

    tree = link_tree(checkout.resolve(), work / "other").parent
    return servers.enter_context(process(
        [sys.executable, "-m", "mipex_kg.cli", "serve", "--store", str(other_store),
         "--port", str(port)], f"http://127.0.0.1:{port}/sparql",
        env={**os.environ, "PYTHONPATH": str(tree)}))


# -- CPU time of a server and its worker processes (Linux /proc) ------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return found


class CpuMeter:
    """CPU seconds used so far by a server: its threads and its worker processes' threads.

    Each reading sums the threads' schedstat (nanoseconds; clock ticks would be too
    coarse for 0.1 ms requests). A thread that has ended since the last reading counts
    with the time it had then, so the total never goes down. NaN without /proc.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.last: dict[str, int] = {}  # /proc/PID/task/TID -> nanoseconds at the last reading
        self.ended = 0

    def __call__(self) -> float:
        if not Path(f"/proc/{self.pid}/task").is_dir():
            return float("nan")
        now: dict[str, int] = {}
        for pid in self._tree(self.pid):
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    now[str(task)] = int((task / "schedstat").read_text().split()[0])
                except (OSError, IndexError, ValueError):
                    pass
        self.ended += sum(ns for task, ns in self.last.items() if task not in now)
        self.last = now
        return (sum(now.values()) + self.ended) / 1e9

    def _tree(self, pid: int) -> list[int]:
        return [pid] + [p for child in _children(pid) for p in self._tree(child)]


def own_cpu() -> float:
    return time.process_time()


# -- measuring ------------------------------------------------------------------------


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    errors: int = 0

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.requests += other.requests
        self.wall += other.wall
        self.cpu += other.cpu
        self.errors += other.errors

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def throughput(self) -> float:
        return self.requests / self.wall if self.wall else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.requests * 1000 if self.requests else float("nan")


def measure(send: Callable[[str], None], queries: list[str], pool: ThreadPoolExecutor,
            cpu: Callable[[], float]) -> Sample:
    """Send ``queries`` from the client threads of ``pool``; latencies, wall and CPU time."""
    sample = Sample(requests=len(queries))
    lock = threading.Lock()

    def one(query: str) -> None:
        start = time.perf_counter()
        failed = 0
        try:
            send(query)
        except Exception:  # noqa: BLE001 - counted, reported
            failed = 1
        elapsed = time.perf_counter() - start
        with lock:
            sample.latencies.append(elapsed)
            sample.errors += failed

    cpu_before = cpu()
    start = time.perf_counter()
    list(pool.map(one, queries))
    sample.wall = time.perf_counter() - start
    sample.cpu = cpu() - cpu_before
    return sample


#: The loopback address the HTTP clients send from: ``run`` gives each query its own, so
#: that the service's fair sharing counts each query's requests as a client of their own
#: (a client whose query ran over a second is served in the long-query lane for the next
#: 60 s: area-averages would otherwise slow the queries measured after it). A client
#: mixing heavy and cheap queries is what bench_flood.py measures.
SOURCE = {"address": "127.0.0.1"}


def http_sender(endpoint: str) -> Callable[[str], None]:
    """Sends one query; each client thread has its own HTTP client (one kept-alive
    connection) per source address."""
    local = threading.local()

    def send(query: str) -> None:
        clients: dict[str, httpx.Client] = local.__dict__.setdefault("clients", {})
        address = SOURCE["address"]
        client = clients.get(address)
        if client is None:  # creating a client (TLS context) costs ~0.1 s: once per thread
            client = clients[address] = httpx.Client(
                timeout=300.0, transport=httpx.HTTPTransport(local_address=address))
        response = client.post(endpoint, data={"query": query},
                                headers={"Accept": "application/sparql-results+json"})
        response.raise_for_status()
        response.read()

    return send


def in_process_sender(store: ox.Store) -> Callable[[str], None]:
    def send(query: str) -> None:
        store.query(query, use_default_graph_as_union=True).serialize(
            format=ox.QueryResultsFormat.JSON)

    return send


@dataclass
class Target:
    name: str
    send: Callable[[str], None]
    cpu: Callable[[], float]
    requests: int
    rounds: int


def run(targets: list[Target], clients: int, rounds: int) -> dict[tuple[str, str, str], Sample]:
    results: dict[tuple[str, str, str], Sample] = {}
    # every target keeps its client threads (and so their connections) for the whole run
    pools = {target.name: ThreadPoolExecutor(clients) for target in targets}

    def connect_every_client(number: int) -> None:
        """Each client thread of each target connects (from ``SOURCE``) before timing."""
        for target in targets:
            together = threading.Barrier(clients)
            warm_up = next(variants("provenance", 10**6 + number))

            def connect(send: Callable[[str], None] = target.send,
                        together: threading.Barrier = together, warm_up: str = warm_up) -> None:
                together.wait(timeout=600)
                send(warm_up)

            for future in [pools[target.name].submit(connect) for _ in range(clients)]:
                future.result()

    try:
        offset = 0
        for number, name in enumerate(QUERIES):
            SOURCE["address"] = f"127.0.0.{number + 2}"
            connect_every_client(number)
            for round_number in range(rounds):
                turn = round_number % len(targets)
                for target in targets[turn:] + targets[:turn]:
                    if round_number >= target.rounds:
                        continue
                    fresh = list(itertools.islice(variants(name, offset), target.requests))
                    for mode, texts in (("first", fresh), ("repeat", [fresh[0]] * target.requests)):
                        sample = measure(target.send, texts, pools[target.name], target.cpu)
                        results.setdefault((target.name, name, mode), Sample()).add(sample)
                offset += max(t.requests for t in targets)  # new texts for every round
            for target in targets:
                figures = [results.get((target.name, name, mode)) for mode in MODES]
                shown = "  ".join(f"{mode} {f.median_ms:8.1f} ms {f.throughput:7.1f}/s"
                                  for mode, f in zip(MODES, figures, strict=True) if f is not None)
                print(f"  {target.name:10} {name:14} {shown}", file=sys.stderr, flush=True)
    finally:
        for pool in pools.values():
            pool.shutdown()
    return results


# -- the report -----------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def report(results: dict[tuple[str, str, str], Sample], args: argparse.Namespace,
           quads: int, load_before: str) -> str:
    """The results as Markdown: a summary (this service against oxigraph serve), details."""
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    rounds = f"{args.rounds} rounds, servers taking turns"
    if not args.skip_rdflib:
        rounds += f" (rdflib-endpoint: 1 round of {args.rdflib_requests})"
    lines = [
        f"SPARQL endpoint benchmark, {now}: `python bench/bench_sparql.py {' '.join(sys.argv[1:])}`",
        "",
        (f"- {quads} quads; {args.clients} concurrent clients; {args.requests} requests per "
         f"server, query, mode and round; {rounds}"),
        (f"- {os.cpu_count()} CPUs, {platform.python_implementation()} "
         f"{platform.python_version()}, load average {load_before} before, {_loadavg()} after"),
        (f"- pyoxigraph {_version('pyoxigraph')}, oxigraph {_version('oxigraph')}, uvicorn "
         f"{_version('uvicorn')}, httptools {_version('httptools')}, "
         f"uvloop {_version('uvloop')}"),
        ("- ratio: requests/s over oxigraph serve's; +ms: median latency over pyoxigraph in "
         "process; CPU: the server's CPU time per request, its worker processes included"),
        "",
        ("| query | mode | mipex-kg req/s | oxigraph serve req/s | ratio | mipex-kg ms | "
         "in process ms | +ms | CPU ms/req mipex-kg / oxigraph |"),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    worst: tuple[float, str, str] | None = None
    for name in QUERIES:
        for mode in MODES:
            ours, base, local = (results.get((s, name, mode)) for s in
                                 ("ours", "oxigraph", "pyoxigraph"))
            if ours is None or base is None or local is None:
                continue
            ratio = ours.throughput / base.throughput
            lines.append(
                f"| {name} | {mode} | {ours.throughput:.0f} | {base.throughput:.0f} | "
                f"{ratio:.2f} | {ours.median_ms:.1f} | {local.median_ms:.1f} | "
                f"{ours.median_ms - local.median_ms:+.1f} | "
                f"{ours.cpu_ms:.2f} / {base.cpu_ms:.2f} |")
            if worst is None or ratio < worst[0]:
                worst = (ratio, name, mode)
    if worst is not None:
        lines += ["", f"Lowest ratio: {worst[0]:.2f} ({worst[1]}, {worst[2]})."]
    lines += [
        "",
        "| query | mode | server | median ms | req/s | ratio | +ms | CPU ms/req | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in QUERIES:
        for mode in MODES:
            base = results.get(("oxigraph", name, mode))
            local = results.get(("pyoxigraph", name, mode))
            for server in SERVERS:
                sample = results.get((server, name, mode))
                if sample is None:
                    continue
                ratio = sample.throughput / base.throughput if base else float("nan")
                overhead = sample.median_ms - local.median_ms if local else float("nan")
                lines.append(
                    f"| {name} | {mode} | {LABELS[server]} | {sample.median_ms:.1f} | "
                    f"{sample.throughput:.1f} | {ratio:.2f} | {overhead:+.1f} | "
                    f"{sample.cpu_ms:.2f} | {sample.errors} |")
    return "\n".join(lines) + "\n"


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mipex"))
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rdflib-requests", type=int, default=6)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-rdflib", action="store_true")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    parser.add_argument("--other", type=Path,
                        help="another checkout of mipex-kg, served beside this one (A/B of a "
                             "change: its rows are 'mipex-kg (--other checkout)')")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-sparql-"))
    try:
        store_dir = work / "store"
        store = KnowledgeStore(store_dir)
        ensure_loaded(store, args.data)
        store.close()
        nquads = work / "all.nq"
        memory = ox.Store()
        disk = ox.Store.read_only(str(store_dir))
        disk.dump(str(nquads), ox.RdfFormat.N_QUADS)
        memory.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        quads = len(memory)
        print(f"store: {quads} quads", file=sys.stderr)

        if args.other:
            shutil.copytree(store_dir, work / "store-other")
        ports = {name: free_port() for name in ("ours", "other", "oxigraph", "rdflib")}
        with ExitStack() as servers:
            ours, oxigraph = serve_both(servers, store_dir, nquads, ports)
            targets = [
                Target("ours", http_sender(f"http://127.0.0.1:{ports['ours']}/sparql"),
                       CpuMeter(ours), args.requests, args.rounds),
                Target("oxigraph", http_sender(f"http://127.0.0.1:{ports['oxigraph']}/query"),
                       CpuMeter(oxigraph), args.requests, args.rounds),
                Target("pyoxigraph", in_process_sender(memory), own_cpu, args.requests,
                       args.rounds),
            ]
            if args.other:
                other = serve_other(servers, args.other, work / "store-other", work,
                                    ports["other"])
                targets.insert(1, Target(
                    "other", http_sender(f"http://127.0.0.1:{ports['other']}/sparql"),
                    CpuMeter(other), args.requests, args.rounds))
            if not args.skip_rdflib:
                rdflib = servers.enter_context(process(
                    [sys.executable, str(Path(__file__).with_name("rdflib_endpoint_server.py")),
                     str(nquads), str(ports["rdflib"])], f"http://127.0.0.1:{ports['rdflib']}/"))
                targets.append(Target("rdflib", http_sender(f"http://127.0.0.1:{ports['rdflib']}/"),
                                      CpuMeter(rdflib), args.rdflib_requests, 1))
            load_before = _loadavg()
            results = run(targets, args.clients, args.rounds)
        text = report(results, args, quads, load_before)
        print(text)
        if args.output:
            args.output.write_text(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
