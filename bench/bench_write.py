"""What one small write over HTTP costs, against the size of the store (1x and 3x data).

    python bench/bench_write.py [--data ../shared/data/mipex] [--scales 1,3] [--writes 5]
                                [--against /path/to/other/venv/bin/python]

For each scale a store folder is built once (bench_scale.build_store: the real data
and synthetic copies of its country-years, gate and recomputation included). Then
``mipex-kg serve`` runs on it with writes enabled and the project's write gate, and
``--writes`` times each (after one warm-up):

* a Graph Store PUT of a new 100-triple graph;
* a SPARQL Update ``INSERT DATA`` of 100 triples into a new graph.

The figure is the median latency of the request (gate, write in memory, write back
to disk). With ``--against``, the same is measured with that interpreter's mipex-kg
(e.g. a venv holding main) on a copy of the same folder, turn about, so the two
compare side by side in one run. Servers listen on 127.0.0.1 and stop at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import build_store

TOKEN = "bench-write-token"
STARTED = re.compile(rb"Uvicorn running on (http://127\.0\.0\.1:\d+)")
ID = "https://w3id.org/mipex-kg/id/"


def triples(number: int) -> str:
    return "".join(f'<{ID}bench/w{number}/s{i}> <{ID}bench/p> "value {i}" .\n' for i in range(100))


@contextlib.contextmanager
def serve(python: str, store: Path, log: Path) -> Iterator[str]:
    """``mipex-kg serve`` with ``python`` on ``store``, writes enabled; yields its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIPEX_KG_")}
    env.update(MIPEX_KG_UPDATE_TOKEN=TOKEN, TMPDIR=str(log.parent))
    with log.open("wb") as stderr:
        process = subprocess.Popen([python, "-m", "mipex_kg.cli", "serve", "--store", str(store),
                                    "--port", "0"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    try:
        deadline = time.monotonic() + 900
        while not (found := STARTED.search(log.read_bytes())):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield found.group(1).decode()
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def time_writes(url: str, writes: int) -> dict[str, float]:
    """Median seconds of a 100-triple PUT and a 100-triple INSERT DATA (after a warm-up)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    put, update = [], []
    with httpx.Client(timeout=600, headers=headers) as http:
        for number in range(writes + 1):
            graph = f"https://w3id.org/mipex-kg/graph/bench-put-{number}"
            mark = time.perf_counter()
            http.put(f"{url}/rdf-graphs/service", params={"graph": graph},
                     content=triples(number).encode(),
                     headers={"Content-Type": "application/n-triples"}).raise_for_status()
            put.append(time.perf_counter() - mark)
            graph = f"https://w3id.org/mipex-kg/graph/bench-update-{number}"
            text = f"INSERT DATA {{ GRAPH <{graph}> {{ {triples(1000 + number)} }} }}"
            mark = time.perf_counter()
            http.post(f"{url}/sparql", content=text.encode(),
                      headers={"Content-Type": "application/sparql-update"}).raise_for_status()
            update.append(time.perf_counter() - mark)
    return {"put": statistics.median(put[1:]), "update": statistics.median(update[1:])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mipex"))
    parser.add_argument("--scales", default="1,3")
    parser.add_argument("--writes", type=int, default=5)
    parser.add_argument("--against", help="another interpreter whose mipex-kg to compare")
    args = parser.parse_args()
    pythons = {"this": sys.executable, **({"against": args.against} if args.against else {})}
    lines = ["| store | quads | server | PUT 100 triples s | SPARQL INSERT DATA 100 triples s |",
             "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for scale in (int(s) for s in args.scales.split(",")):
            built = Path(folder) / f"built-{scale}" / "store"
            store = build_store(args.data, built, scale)
            quads = len(store)
            store.close()
            for name, python in pythons.items():
                run = Path(folder) / f"{name}-{scale}"
                shutil.copytree(built, run / "store")
                with serve(python, run / "store", run / "serve.log") as url:
                    seconds = time_writes(url, args.writes)
                lines.append(f"| {scale}x | {quads:,} | {name} ({python}) | {seconds['put']:.2f} | "
                             f"{seconds['update']:.2f} |")
                print(lines[-1], file=sys.stderr)
                shutil.rmtree(run)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
