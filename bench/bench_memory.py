"""Serving memory: this service's whole process tree next to ``oxigraph serve``, one run.

    python bench/bench_memory.py [--data ../shared/data/mipex] [--queries 60] [--clients 4]
                                 [--other /path/to/another/checkout] [--settle 10]
                                 [--fast-lane-timeout 0.3]

Both servers hold the same quads (the fully loaded store: the workbooks in ``--data``,
reference data, recomputed scores) in memory. Each is sent the same mix of the
benchmark's queries (``bench_sparql.variants``: every query, ``--queries`` parameter
variants each) by ``--clients`` concurrent clients, so that every worker of ours has
answered; then the proportional set size (PSS: shared pages split between the
processes that share them) of each server's process tree is read from
``/proc/PID/smaps_rollup``, and so is the largest PSS seen while the queries ran
(sampled every 0.2 s). Once every server has been exercised, and then ``--settle``
seconds more have passed with no queries, the PSS is read once more ("idle"): the
long lane replaces a process that ran queries by a fresh fork after 5 s idle
(``engine.query_engine.REFRESH_AFTER``). The report gives all three, per process
and in total, and the ratio. With ``--other``, another checkout of mipex-kg is measured the same way in the
same run (before and after a change). Requires the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).parent))
from bench_sparql import (  # noqa: E402
    QUERIES,
    _children,
    free_port,
    serve_both,
    serve_other,
    variants,
)

from mipex_kg.graph.store import KnowledgeStore  # noqa: E402
from mipex_kg.loaders.bootstrap import ensure_loaded  # noqa: E402


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found = [pid]
    for child in _children(pid):
        found += tree(child)
    return found


def pss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            words = cmdline.read().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(w.decode(errors="replace") for w in words if w)
    return "query process / zygote" if "mipex_kg.engine.worker" in text else text[:40]


def exercise(endpoint: str, queries: list[str], clients: int, root: int
             ) -> tuple[float, collections.Counter[int]]:
    """Send every query (``clients`` at a time); the largest tree PSS seen meanwhile,
    and how many answers had each status (a 503 is possible with a short
    ``--fast-lane-timeout``: the long lane was full)."""
    peak = 0.0
    statuses: collections.Counter[int] = collections.Counter()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, sum(pss_mib(p) for p in tree(root)))

    sampler = threading.Thread(target=sample)
    sampler.start()
    def one(query: str) -> int:
        return http.post(endpoint, data={"query": query},
                         headers={"Accept": "application/sparql-results+json"}).status_code

    try:
        with httpx.Client(timeout=600) as http, ThreadPoolExecutor(clients) as pool:
            statuses.update(pool.map(one, queries))
    finally:
        done.set()
        sampler.join()
    return max(peak, sum(pss_mib(p) for p in tree(root))), statuses


def listed(parts: list[tuple[str, float]]) -> str:
    return "; ".join(f"{label} {mib:.0f}" for label, mib in parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mipex"))
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--other", type=Path,
                        help="another checkout of mipex-kg, measured in the same run")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds with no queries before the last reading")
    parser.add_argument("--fast-lane-timeout", type=float,
                        help="MIPEX_KG_FAST_LANE_TIMEOUT for our servers: a small one "
                             "(0.3) sends most of the mix to the long lane")
    args = parser.parse_args()
    if args.fast_lane_timeout is not None:  # our servers inherit the environment
        os.environ["MIPEX_KG_FAST_LANE_TIMEOUT"] = str(args.fast_lane_timeout)
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        store_dir, nquads = work / "store", work / "all.nq"
        store = KnowledgeStore(store_dir)
        ensure_loaded(store, args.data)
        store.close()
        ox.Store.read_only(str(store_dir)).dump(str(nquads), ox.RdfFormat.N_QUADS)
        queries = [text for name in QUERIES
                   for _, text in zip(range(args.queries), variants(name), strict=False)]
        if args.other:
            shutil.copytree(store_dir, work / "store-other")
        ports = {"ours": free_port(), "oxigraph": free_port(), "other": free_port()}
        rows = []
        with ExitStack() as servers:
            ours, theirs = serve_both(servers, store_dir, nquads, ports)
            measured = [("mipex-kg", ours, f"http://127.0.0.1:{ports['ours']}/sparql")]
            if args.other:
                other = serve_other(servers, args.other, work / "store-other", work,
                                    ports["other"])
                measured.append(("mipex-kg (--other checkout)", other,
                                 f"http://127.0.0.1:{ports['other']}/sparql"))
            measured.append(("oxigraph serve", theirs,
                             f"http://127.0.0.1:{ports['oxigraph']}/query"))
            for name, pid, endpoint in measured:
                peak, statuses = exercise(endpoint, queries, args.clients, pid)
                parts = [(command_line(p), pss_mib(p)) for p in tree(pid)]
                rows.append((name, sum(mib for _, mib in parts), peak, parts))
                print(f"{name}: answers by status {dict(sorted(statuses.items()))}")
            time.sleep(args.settle)
            idle = [[(command_line(p), pss_mib(p)) for p in tree(pid)]
                    for _, pid, _ in measured]
        quads = sum(1 for _ in ox.Store.read_only(str(store_dir)).quads_for_pattern(
            None, None, None, None))
        print(f"Serving memory, {quads} quads, {len(queries)} queries, {args.clients} clients")
        print(f"| server | PSS after, MiB | peak PSS, MiB | ratio (after) | processes (PSS MiB) "
              f"| PSS idle {args.settle:g} s, MiB | ratio (idle) | processes, idle |")
        print("|---|---:|---:|---:|---|---:|---:|---|")
        anchor, idle_anchor = rows[-1][1], sum(mib for _, mib in idle[-1])
        for (name, total, peak, parts), later in zip(rows, idle, strict=True):
            idle_total = sum(mib for _, mib in later)
            print(f"| {name} | {total:.0f} | {peak:.0f} | {total / anchor:.2f} | {listed(parts)} "
                  f"| {idle_total:.0f} | {idle_total / idle_anchor:.2f} | {listed(later)} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
