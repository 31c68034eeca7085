"""Do real Virtuoso deadlocks get retried, and does every update apply exactly once?

    python bench/virtuoso_deadlocks.py [--writers 4] [--rows 2000] [--seconds 240]

Starts a private Virtuoso (``tests/backends/virtuoso_server.py``, REPEATABLE READ as
the service needs), fills two graphs with ``--rows`` numbered values, then lets
``--writers`` threads, each with a ``RemoteStore`` of its own, add 1 to every value of
both graphs in one ``DELETE``/``INSERT``, half of them reading the first graph first,
half the second, until the server has chosen a deadlock victim and every writer has
applied two updates (or ``--seconds`` have passed). Prints the updates applied, the
deadlocks ``RemoteStore`` retried, and whether every value went up by exactly the
updates applied (a retry that applied twice, or a lost one, shows there).

This is an experiment, not a test: how soon Virtuoso picks a victim depends on the
machine (10 to 110 s with 4 writers on the shared 2-core machine; 2 deadlocks in 52
updates in 60 s). The retry itself is tested deterministically, with Virtuoso's own
answer injected by a proxy, in tests/backends/test_deadlock_retry.py. Results:
docs/backends.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mipex_kg.graph.remote_config import RemoteEndpoints  # noqa: E402
from mipex_kg.graph.remote_store import RemoteStore  # noqa: E402
from mipex_kg.settings import Settings  # noqa: E402

from tests.backends.processes import stop  # noqa: E402
from tests.backends.virtuoso_server import VirtuosoServer, start_virtuoso  # noqa: E402

GRAPHS = (ox.NamedNode("urn:bench:deadlock:one"), ox.NamedNode("urn:bench:deadlock:two"))
VALUE = ox.NamedNode("urn:bench:deadlock:value")


def numbered(rows: int) -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"urn:bench:deadlock:s{i}"), VALUE, ox.Literal(i))
            for i in range(rows)]


def bump(first: ox.NamedNode, second: ox.NamedNode) -> str:
    """One update adding 1 to every value of both graphs, reading ``first`` first."""
    return (f"DELETE {{ GRAPH {first} {{ ?s {VALUE} ?a }} GRAPH {second} {{ ?s {VALUE} ?b }} }}\n"
            f"INSERT {{ GRAPH {first} {{ ?s {VALUE} ?a1 }} GRAPH {second} {{ ?s {VALUE} ?b1 }} }}\n"
            f"WHERE {{ GRAPH {first} {{ ?s {VALUE} ?a }} GRAPH {second} {{ ?s {VALUE} ?b }}\n"
            f"        BIND(?a + 1 AS ?a1) BIND(?b + 1 AS ?b1) }}")


def store_on(server: VirtuosoServer) -> RemoteStore:
    return RemoteStore(RemoteEndpoints.from_settings(Settings(**server.settings_values())))


def run(server: VirtuosoServer, writers: int, rows: int, seconds: float) -> bool:
    """The experiment on ``server``; whether every value is its start plus the updates."""
    direct = store_on(server)
    for graph in GRAPHS:
        direct.replace_graph(graph, numbered(rows))
    stores = [store_on(server) for _ in range(writers)]
    applied = [0] * writers
    failures: list[BaseException] = []
    deadline = time.monotonic() + seconds

    def retried() -> int:
        return sum(store.deadlock_retries for store in stores)

    def write(k: int) -> None:
        order = GRAPHS if k % 2 else GRAPHS[::-1]
        try:
            while (time.monotonic() < deadline and not failures
                   and (retried() < 1 or applied[k] < 2)):
                stores[k].update(bump(*order))
                applied[k] += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    began = time.monotonic()
    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"{sum(applied)} updates applied in {time.monotonic() - began:.0f} s, "
          f"{retried()} deadlocks retried, failures: {failures or 'none'}")
    exact = True
    for graph in GRAPHS:
        values = {t.subject.value: int(t.object.value) for t in direct.triples(graph)}
        wanted = {f"urn:bench:deadlock:s{i}": i + sum(applied) for i in range(rows)}
        print(f"{graph.value}: every value up by exactly {sum(applied)}: {values == wanted}")
        exact = exact and values == wanted
    for store in (*stores, direct):
        store.close()
    return exact and not failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=240.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process, server = start_virtuoso(Path(folder))
        try:
            exact = run(server, args.writers, args.rows, args.seconds)
        finally:
            stop(process)
    sys.exit(0 if exact else 1)


if __name__ == "__main__":
    main()
