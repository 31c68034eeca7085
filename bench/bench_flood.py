"""Fair sharing under a flood: a polite client's latency while heavy clients hammer.

    python bench/bench_flood.py [--data ../shared/data/mipex] [--seconds 40]
                                [--attackers 4] [--in-flight 2] [--polite 60]

Starts ``mipex-kg serve`` (default settings) on the fully loaded store and sends,
each client from its own loopback address (127.0.0.x, so the service tells them
apart as it would on the internet):

  * a polite client: one cheap query at a time (a small SELECT, its text varied so
    that no cache answers it), ``--polite`` queries with no load, then as many again
    while the flood runs;
  * ``--attackers`` heavy clients, each keeping ``--in-flight`` heavy queries (a
    three-way cartesian COUNT over the whole store, which runs until the time limit)
    in flight for ``--seconds``, sending the next as soon as one is answered.

Reports the polite client's p50/p95 latency without and under the flood, the
attackers' answers by status, and the service's peak memory (resident and
proportional set size of its process tree, sampled every 0.5 s). Loopback only;
every loop is bounded in count and time and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from bench_sparql import _children, free_port, process  # noqa: I001 - a sibling script

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.bootstrap import ensure_loaded

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
         "SELECT ?c ?label WHERE {{ ?c skos:notation ?code ; skos:prefLabel ?label }} "
         "ORDER BY ?code LIMIT {limit}")


def memory_kib(pid: int) -> tuple[int, int]:
    """Resident and proportional set size (KiB) of ``pid`` and its descendants."""
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        stack += _children(current)
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=120)


def polite_run(endpoint: str, count: int, start: int) -> list[float]:
    latencies = []
    with client("127.0.0.2") as http:
        for i in range(count):
            begun = time.perf_counter()
            response = http.get(endpoint, params={"query": CHEAP.format(limit=start + i + 1)})
            latencies.append(time.perf_counter() - begun)
            if response.status_code != 200:
                print(f"polite query answered {response.status_code}: {response.text[:200]}",
                      file=sys.stderr)
    return latencies


def attacker(endpoint: str, address: str, until: float, statuses: Counter[int]) -> None:
    with client(address) as http:
        while time.monotonic() < until:
            try:
                statuses[http.post(endpoint, content=HEAVY, headers={
                    "Content-Type": "application/sparql-query"}).status_code] += 1
            except httpx.HTTPError:
                statuses[0] += 1


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=20)
    return (f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {cuts[18] * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms ({len(values)} queries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mipex"))
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--in-flight", type=int, default=2)
    parser.add_argument("--polite", type=int, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mipex-kg-flood-"))
    try:
        store_dir = work / "store"
        store = KnowledgeStore(store_dir)
        ensure_loaded(store, args.data)
        store.close()
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}/sparql"
        with process([sys.executable, "-m", "mipex_kg.cli", "serve", "--store", str(store_dir),
                      "--port", str(port)], endpoint) as pid:
            peak = [0, 0]
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.wait(0.5):
                    rss, pss = memory_kib(pid)
                    peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

            sampler = threading.Thread(target=sample)
            sampler.start()
            quiet = polite_run(endpoint, args.polite, 0)
            statuses: Counter[int] = Counter()
            until = time.monotonic() + args.seconds
            flood = [threading.Thread(target=attacker, args=(endpoint, f"127.0.0.{11 + a}",
                                                             until, statuses))
                     for a in range(args.attackers) for _ in range(args.in_flight)]
            for thread in flood:
                thread.start()
            time.sleep(min(3.0, args.seconds / 4))  # the flood is under way
            loaded = polite_run(endpoint, args.polite, args.polite)
            for thread in flood:
                thread.join()
            sampling.set()
            sampler.join()
        print(f"polite client, no load:   {percentiles(quiet)}")
        print(f"polite client, flooded:   {percentiles(loaded)} "
              f"({args.attackers} clients x {args.in_flight} heavy queries in flight)")
        print("attackers' answers:       " + ", ".join(
            f"{code or 'connection error'}: {n}" for code, n in sorted(statuses.items())))
        print(f"service peak memory:      RSS {peak[0] / 1024:.0f} MiB, "
              f"PSS {peak[1] / 1024:.0f} MiB (server and workers)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
