"""Do readers see a graph half-replaced on Virtuoso? Per isolation level and method.

    python bench/virtuoso_replace_isolation.py [--isolation 2 4] [--rounds 8]

For each ``DefaultIsolation`` asked for (2: READ COMMITTED, Virtuoso's default; 4:
REPEATABLE READ), starts a private Virtuoso (``tests/backends/virtuoso_server.py``),
then replaces a live graph ``--rounds`` times, alternately with 6 000 and 4 000
triples, in three ways: Graph Store ``PUT`` of a staging graph then ``MOVE`` into the
live one; the same with ``COPY`` and ``DROP SILENT``; Graph Store ``PUT`` straight onto
the live graph. Meanwhile another client counts the live graph as fast as it can.
Prints the sizes that reader saw: anything but 4000 and 6000 is a torn read.
Needs ``virtuoso-t`` (Debian ``virtuoso-opensource``). Results: docs/backends.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.backends import virtuoso_server
from tests.backends.processes import stop
from tests.backends.test_virtuoso_protocols import count, n_triples, update

LIVE, STAGING, SIZES = "urn:bench:live", "urn:bench:staging", (6000, 4000)


def measure(server: virtuoso_server.VirtuosoServer, rounds: int) -> None:
    http = httpx.Client(timeout=300)

    def put(graph: str, size: int) -> None:
        answer = http.put(server.graph_store_url, params={"graph": graph},
                          content=n_triples(f"v{size}", size).encode(), auth=server.auth(),
                          headers={"Content-Type": "application/n-triples"})
        answer.raise_for_status()

    def by_move(size: int) -> None:
        put(STAGING, size)
        update(http, server, f"MOVE <{STAGING}> TO <{LIVE}>").raise_for_status()

    def by_copy(size: int) -> None:
        put(STAGING, size)
        update(http, server, f"COPY <{STAGING}> TO <{LIVE}> ; "
                             f"DROP SILENT GRAPH <{STAGING}>").raise_for_status()

    def by_put(size: int) -> None:
        put(LIVE, size)

    methods: list[tuple[str, Callable[[int], None]]] = [
        ("PUT staging + MOVE", by_move), ("PUT staging + COPY", by_copy),
        ("PUT onto the live graph", by_put)]
    for label, replace in methods:
        put(LIVE, SIZES[1])
        seen: set[int] = set()
        done = threading.Event()

        def reader(seen: set[int] = seen, done: threading.Event = done) -> None:
            with httpx.Client(timeout=300) as own:
                while not done.is_set():
                    seen.add(count(own, server, LIVE))

        thread = threading.Thread(target=reader)
        thread.start()
        began = time.monotonic()
        try:
            for round_ in range(rounds):
                replace(SIZES[round_ % 2])
        finally:
            done.set()
            thread.join()
        each = (time.monotonic() - began) / rounds
        torn = sorted(seen - set(SIZES))
        print(f"  {label:26} reader saw {sorted(seen)}  torn: {torn or 'none'}  "
              f"({each:.2f} s per replacement)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isolation", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--rounds", type=int, default=8)
    options = parser.parse_args()
    template = virtuoso_server.virtuoso_ini
    for level in options.isolation:
        virtuoso_server.virtuoso_ini = lambda folder, sql, web, level=level: template(  # type: ignore[misc]
            folder, sql, web).replace("DefaultIsolation = 4", f"DefaultIsolation = {level}")
        folder = Path(tempfile.mkdtemp(prefix="virtuoso-isolation-"))
        process, server = virtuoso_server.start_virtuoso(folder)
        print(f"DefaultIsolation = {level} (server answered after {server.started_in:.1f} s)")
        try:
            measure(server, options.rounds)
        finally:
            stop(process)
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
