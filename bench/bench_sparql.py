"""SPARQL endpoint benchmark: this service next to its peers, all in one run.

    python bench/bench_sparql.py [--data ../shared/data/mipex] [--requests 60] [--clients 4]

On the fully loaded store (both official workbooks, reference data), the same five
queries are sent to:

  (a) this service (``mipex-kg serve``, uvicorn, store in memory),
  (b) ``oxigraph serve`` (PyPI package oxigraph), in memory, union default graph,
  (c) rdflib-endpoint over an rdflib Dataset with the Oxigraph backend (oxrdflib),
  (d) pyoxigraph in this process (query + JSON serialisation, no HTTP).

Each server gets ``--requests`` requests per query and mode from ``--clients``
concurrent clients (threads, one HTTP connection each). "first" requests vary the
query's parameters so that no cache can answer them; "repeat" requests send one
query again and again. Results: median latency and throughput per server, query and
mode, and the ratios to ``oxigraph serve`` (throughput) and to pyoxigraph in process
(latency overhead). All servers listen on 127.0.0.1 and are stopped at the end.
Requires the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
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


def variants(name: str) -> Iterator[str]:
    """Endless distinct instances of one query (for the 'first' mode)."""
    combos = zip(itertools.cycle(COUNTRIES), itertools.cycle(YEARS), itertools.cycle(INDICATORS))
    for number, (country, year, indicator) in enumerate(combos):
        # the parameters vary, and the numbered comment makes every text unique, so that
        # no cache keyed on the query (ours, or any in front of a peer) can answer it
        yield f"# variant {number}\n" + sparql_prologue() + QUERIES[name].format(
            id=ID, country=country, year=year, indicator=indicator)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=5.0)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(args: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[None]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})})
    try:
        wait_until_up(url)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Figures:
    median_ms: float
    throughput: float
    errors: int


def measure(send: Callable[[str], None], queries: list[str], clients: int) -> Figures:
    latencies: list[float] = []
    errors = 0

    def one(query: str) -> None:
        nonlocal errors
        start = time.perf_counter()
        try:
            send(query)
        except Exception:  # noqa: BLE001 - counted, reported
            errors += 1
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, queries))
    wall = time.perf_counter() - start
    return Figures(statistics.median(latencies) * 1000, len(queries) / wall, errors)


def http_sender(endpoint: str) -> Callable[[str], None]:
    clients: dict[int, httpx.Client] = {}

    def send(query: str) -> None:
        import threading

        ident = threading.get_ident()
        if ident not in clients:  # creating a client (TLS context) costs ~0.1 s: once per thread
            clients[ident] = httpx.Client(timeout=120.0)
        client = clients[ident]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mipex"))
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rdflib-requests", type=int, default=6)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--skip-rdflib", action="store_true")
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
        print(f"store: {len(memory)} quads")

        ports = {name: free_port() for name in ("ours", "oxigraph", "rdflib")}
        endpoints = {
            "ours": f"http://127.0.0.1:{ports['ours']}/sparql",
            "oxigraph": f"http://127.0.0.1:{ports['oxigraph']}/query",
            "rdflib": f"http://127.0.0.1:{ports['rdflib']}/",
        }
        oxigraph_bin = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        results: dict[tuple[str, str, str], Figures] = {}

        def run_all(server: str, send: Callable[[str], None], count: int) -> None:
            # warm-up: every client thread opens its connection before anything is timed
            measure(send, [next(variants("provenance"))] * args.clients * 2, args.clients)
            for name in QUERIES:
                fresh = list(itertools.islice(variants(name), count))
                results[(server, name, "first")] = measure(send, fresh, args.clients)
                repeated = [fresh[0]] * count
                results[(server, name, "repeat")] = measure(send, repeated, args.clients)
                print(f"  {server:9} {name:14} first {results[(server, name, 'first')].median_ms:8.1f} ms"
                      f"  repeat {results[(server, name, 'repeat')].median_ms:8.1f} ms", flush=True)

        run_all("pyoxigraph", in_process_sender(memory), args.requests)
        with process([sys.executable, "-m", "mipex_kg.cli", "serve", "--store", str(store_dir),
                      "--port", str(ports["ours"])], endpoints["ours"]):
            run_all("ours", http_sender(endpoints["ours"]), args.requests)
        with process([oxigraph_bin, "serve", "--bind", f"127.0.0.1:{ports['oxigraph']}",
                      "--union-default-graph"], f"http://127.0.0.1:{ports['oxigraph']}/"):
            httpx.post(f"http://127.0.0.1:{ports['oxigraph']}/store", content=nquads.read_bytes(),
                       headers={"Content-Type": "application/n-quads"}, timeout=600.0).raise_for_status()
            run_all("oxigraph", http_sender(endpoints["oxigraph"]), args.requests)
        if not args.skip_rdflib:
            with process([sys.executable, str(Path(__file__).with_name("rdflib_endpoint_server.py")),
                          str(nquads), str(ports["rdflib"])], endpoints["rdflib"]):
                run_all("rdflib", http_sender(endpoints["rdflib"]), args.rdflib_requests)
        report(results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(results: dict[tuple[str, str, str], Figures]) -> None:
    print("\nquery          mode    server      median ms   req/s  x oxigraph-serve  +ms vs in-process  errors")
    for name in QUERIES:
        for mode in ("first", "repeat"):
            base = results.get(("oxigraph", name, mode))
            local = results.get(("pyoxigraph", name, mode))
            for server in ("ours", "oxigraph", "rdflib", "pyoxigraph"):
                figures = results.get((server, name, mode))
                if figures is None:
                    continue
                ratio = figures.throughput / base.throughput if base else float("nan")
                overhead = figures.median_ms - local.median_ms if local else float("nan")
                print(f"{name:14} {mode:7} {server:10} {figures.median_ms:10.1f} {figures.throughput:7.1f}"
                      f" {ratio:16.2f} {overhead:18.1f} {figures.errors:7}")


if __name__ == "__main__":
    main()
