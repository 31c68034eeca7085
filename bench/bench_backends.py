"""The service on each backend, side by side in one run: embedded Oxigraph,
Oxigraph server (``oxigraph serve``) and Virtuoso open source (``virtuoso-t``, a
private server as the tests start it), both reached over the SPARQL 1.1 protocols.

    python bench/bench_backends.py [--data ../shared/data/mipex] [--requests 40]
                                   [--clients 4] [--rounds 2] [--output notes.md]

1. **load**: the reference data and both 2020 workbooks (2007-2019 and 2020-2024),
   through the SHACL gate, into each backend (seconds, and the gate's share);
2. **throughput** of the five queries of ``bench_sparql.py`` through the service on
   each backend, and through the engine's own endpoint asked directly (``oxigraph
   serve``, Virtuoso's ``/sparql``): the ratio is the service's overhead;
3. **memory** (PSS of the process and its children, and RSS) of each service;
4. **service copies**: throughput with one and with two ``mipex-kg serve`` processes
   over the one Oxigraph server (the client threads alternate between the two).

Everything listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sparql as bs  # noqa: E402  (the queries, the timing and the servers)

from mipex_kg.graph.quad_store import QuadStore  # noqa: E402
from mipex_kg.graph.remote_config import RemoteEndpoints  # noqa: E402
from mipex_kg.graph.remote_store import RemoteStore  # noqa: E402
from mipex_kg.graph.store import KnowledgeStore  # noqa: E402
from mipex_kg.loaders.pipeline import Loader  # noqa: E402
from mipex_kg.settings import Settings  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.backends.processes import stop  # noqa: E402
from tests.backends.virtuoso_server import start_virtuoso  # noqa: E402

WORKBOOKS = ("mipex_core_2007-2019.xlsx", "mipex_EU_2020-2024.xlsx")
ROOT = Path(__file__).resolve().parents[1]


def load(store: QuadStore, data: Path) -> dict[str, float]:
    """Reference data and both workbooks through the gate: seconds in all and by step."""
    mark = time.perf_counter()
    loader = Loader(store)
    with store.batch():
        reports = loader.load_reference_data(force=True)
        reports += [loader.load_workbook(data / name, force=True) for name in WORKBOOKS]
        steps: dict[str, float] = {}
        for report in reports:
            for step, seconds in report.seconds.items():
                steps[step] = steps.get(step, 0.0) + seconds
    return {"total": time.perf_counter() - mark, **steps}


def memory(pid: int) -> tuple[float, float]:
    """(PSS, RSS) in MB of a process and all its descendants."""
    pss = rss = 0
    for each in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
        except OSError:
            pass
    return pss / 1024, rss / 1024


def _descendants(pid: int) -> list[int]:
    return [c for child in bs._children(pid) for c in [child, *_descendants(child)]]


@contextmanager
def service(store: str, port: int, data: Path, workers: int,
            settings: dict[str, object] | None = None) -> Iterator[int]:
    """``mipex-kg serve`` on ``store`` (``settings``: more ``Settings`` fields, as
    ``MIPEX_KG_*`` variables)."""
    extra = {f"MIPEX_KG_{k.upper()}": str(v) for k, v in (settings or {}).items()}
    env = {**os.environ, **extra, "MIPEX_KG_STORE": store, "MIPEX_KG_DATA_DIR": str(data),
           "MIPEX_KG_QUERY_WORKERS": str(workers), "MIPEX_KG_CLIENT_MAX_IN_FLIGHT": "64",
           "MIPEX_KG_QUEUE_LIMIT": "256"}
    args = [sys.executable, "-m", "mipex_kg.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        bs.wait_until_up(f"http://127.0.0.1:{port}/sparql", proc)
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def alternating(senders: list[Callable[[str], None]]) -> Callable[[str], None]:
    """A sender that sends each query to the next of ``senders`` in turn.

    The copies are the one-copy target's server and another: a text the first one has
    answered before would come from its response cache, so each text gets a mark of
    its own (a comment; "repeat" texts stay repeats within this target).
    """
    turn = itertools.count()
    lock = threading.Lock()

    def send(query: str) -> None:
        with lock:
            index = next(turn) % len(senders)
        senders[index]("# two copies\n" + query)

    return send


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row)
              + " |" for row in rows]
    return "\n".join(lines)


def throughput_rows(results: dict[tuple[str, str, str], bs.Sample], names: list[str],
                    peer: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for query in bs.QUERIES:
        for mode in bs.MODES:
            base = results[(peer, query, mode)].throughput
            row: list[object] = [query, mode]
            for name in names:
                sample = results[(name, query, mode)]
                row += [sample.throughput, sample.throughput / base, sample.errors]
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mipex")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="query workers per service")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds per query, each server's turn rotating (bench_sparql.run)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    out: list[str] = [f"# Backends ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
                      f"load average {bs._loadavg()})"]

    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        tmp = Path(folder)
        ox_port = bs.free_port()
        url = f"http://127.0.0.1:{ox_port}"
        ox_pid = stack.enter_context(bs.process(
            [str(Path(sys.executable).with_name("oxigraph")), "serve", "--location",
             str(tmp / "oxigraph"), "--bind", f"127.0.0.1:{ox_port}", "--union-default-graph"],
            url + "/query?query=ASK%7B%7D"))
        (tmp / "virtuoso").mkdir()
        virtuoso_process, virtuoso = start_virtuoso(tmp / "virtuoso")
        stack.callback(stop, virtuoso_process)
        virtuoso_settings = virtuoso.settings_values()
        # 1. load
        embedded = KnowledgeStore(tmp / "embedded")
        remote = RemoteStore(RemoteEndpoints.from_settings(Settings(store=url)))
        on_virtuoso = RemoteStore(RemoteEndpoints.from_settings(Settings(**virtuoso_settings)))
        loads = {}
        for name, store in (("embedded", embedded), ("Oxigraph server", remote),
                            ("Virtuoso", on_virtuoso)):
            loads[name] = load(store, args.data)
            print(f"load {name}: {loads[name]}", file=sys.stderr, flush=True)
        embedded.close()
        on_virtuoso.close()
        steps = ["total", "parse", "build", "validate", "commit"]
        out += ["", "## Load: reference data + both 2020 workbooks, with the gate (s)", "",
                table(["backend", *steps], [[n, *(f.get(s, 0.0) for s in steps)]
                                            for n, f in loads.items()])]
        remote.close()
        # 2.-4. the services, on a data folder of the two workbooks loaded (so that their
        # first start finds everything loaded and loads nothing)
        served = tmp / "data"
        served.mkdir()
        for name in WORKBOOKS:
            (served / name).symlink_to((args.data / name).resolve())
        ports = [bs.free_port() for _ in range(4)]
        pids = {
            "service, embedded": stack.enter_context(
                service(str(tmp / "embedded"), ports[0], served, args.workers)),
            "service, Oxigraph server": stack.enter_context(
                service(url, ports[1], served, args.workers)),
            "second copy, Oxigraph server": stack.enter_context(
                service(url, ports[2], served, args.workers)),
            "service, Virtuoso": stack.enter_context(
                service(virtuoso.base_url, ports[3], served, args.workers, {
                    k: v for k, v in virtuoso_settings.items() if k != "store"})),
        }
        senders = {name: bs.http_sender(f"http://127.0.0.1:{port}/sparql")
                   for name, port in zip(pids, ports, strict=True)}
        meters = {name: bs.CpuMeter(pid) for name, pid in pids.items()}
        both = [meters["service, Oxigraph server"], meters["second copy, Oxigraph server"]]
        targets = [
            bs.Target("oxigraph serve", bs.http_sender(url + "/query"), bs.CpuMeter(ox_pid),
                      args.requests, args.rounds),
            bs.Target("service, embedded", senders["service, embedded"],
                      meters["service, embedded"], args.requests, args.rounds),
            bs.Target("service, Oxigraph server", senders["service, Oxigraph server"],
                      meters["service, Oxigraph server"], args.requests, args.rounds),
            bs.Target("two copies, Oxigraph server",
                      alternating([senders["service, Oxigraph server"],
                                   senders["second copy, Oxigraph server"]]),
                      lambda: sum(m() for m in both), args.requests, args.rounds),
            bs.Target("Virtuoso /sparql", bs.http_sender(virtuoso.query_url),
                      bs.CpuMeter(virtuoso_process.pid), args.requests, args.rounds),
            bs.Target("service, Virtuoso", senders["service, Virtuoso"],
                      meters["service, Virtuoso"], args.requests, args.rounds),
        ]
        results = bs.run(targets, args.clients, args.rounds)
        names = [t.name for t in targets[1:4]]
        header = ["query", "mode"]
        for name in names:
            header += [f"{name} /s", "x direct", "errors"]
        out += ["", f"## Throughput ({args.clients} clients, {args.rounds} x {args.requests} requests per "
                    "query and mode; 'x direct': over oxigraph serve asked directly)", "",
                table(header, throughput_rows(results, names, "oxigraph serve")), "",
                "On Virtuoso ('x direct': over Virtuoso's /sparql asked directly):", "",
                table(["query", "mode", "service, Virtuoso /s", "x direct", "errors"],
                      throughput_rows(results, ["service, Virtuoso"], "Virtuoso /sparql"))]
        mem_rows = [[name, *memory(pid)] for name, pid in pids.items()]
        mem_rows.append(["oxigraph serve", *memory(ox_pid)])
        mem_rows.append(["virtuoso-t", *memory(virtuoso_process.pid)])
        out += ["", "## Memory after the run (MB, process and children)", "",
                table(["process", "PSS", "RSS"], mem_rows)]
    text = "\n".join(out) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
