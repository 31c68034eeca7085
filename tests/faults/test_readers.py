"""Readers during a replacement see the old graph or the new one, never a mix.

A real ``mipex-kg serve`` holds a graph of N triples ``<s_i> <p> i``; a Graph Store
PUT replaces it with ``<s_i> <p> N + i`` (the same subjects, other values). While the
PUT is in flight, reader threads ask over and over:

* ``/sparql``, the graph by name: its triple count and the sum of its values;
* ``/sparql``, the union default graph (where a half-visible copy would add up);
* ``/id/...`` of the subjects in turn, as N-Triples (these pages are built from the
  service's store itself, not from the query workers' copies): the values of ``<p>``.

Every answer must be exactly the old one or exactly the new one. The test also
checks that readers were answered while the write was under way: without that it
could not fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from mipex_kg.graph.store import KnowledgeStore

from tests.api.live import TOKEN, live_server, settings_for_tests
from tests.faults.processes import copy_store, service, wait_for

pytestmark = pytest.mark.faults

N = 20_000
ID = "https://w3id.org/mipex-kg/id/faults-readers/"
GRAPH = "https://w3id.org/mipex-kg/graph/faults-readers"
P = ID + "p"
INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
BY_NAME = f"SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?sum) WHERE {{ GRAPH <{GRAPH}> {{ ?s <{P}> ?v }} }}"
UNION = f"SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?sum) WHERE {{ ?s <{P}> ?v }}"


def graph(offset: int) -> bytes:
    return "".join(f'<{ID}s{i}> <{P}> "{offset + i}"^^<{INTEGER}> .\n' for i in range(N)).encode()


def totals(offset: int) -> tuple[str, str]:
    return str(N), str(N * offset + N * (N - 1) // 2)


@dataclass
class Reader:
    """A thread that asks one question until stopped, keeping the answers it got."""

    ask: Callable[[httpx.Client, int], object]  # (a client of its own, the turn) -> answer
    answers: list[tuple[float, float, object]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=60) as http:
            turn = 0
            while not self.stop.is_set():
                began = time.monotonic()
                try:
                    answer = self.ask(http, turn)
                except BaseException as error:  # noqa: BLE001 - reported by the test
                    self.errors.append(error)
                    return
                self.answers.append((began, time.monotonic(), answer))
                turn += 1

    def during(self, start: float, end: float) -> list[object]:
        """The answers to questions asked and answered within ``start`` .. ``end``."""
        return [answer for began, ended, answer in self.answers if start <= began and ended <= end]


def sparql_reader(url: str, query: str) -> Reader:
    def ask(http: httpx.Client, turn: int) -> object:
        answer = http.post(f"{url}/sparql", data={"query": query},
                           headers={"Accept": "application/sparql-results+json"})
        answer.raise_for_status()
        row = answer.json()["results"]["bindings"][0]
        return row["n"]["value"], row["sum"]["value"]
    return Reader(ask)


def resource_reader(url: str) -> Reader:
    def ask(http: httpx.Client, turn: int) -> object:
        i = (turn * 7919) % N  # a different subject each time: no cached page
        answer = http.get(f"{url}/id/faults-readers/s{i}",
                          headers={"Accept": "application/n-triples"})
        answer.raise_for_status()
        values = sorted(int(line.split()[2].split('"')[1]) - i
                        for line in answer.text.splitlines() if f"<{P}>" in line)
        return tuple(values)  # (0,) old, (N,) new
    return Reader(ask)


def test_readers_see_the_old_or_the_new_graph_never_a_mix(loaded_store: Path,
                                                            tmp_path: Path) -> None:
    store = copy_store(loaded_store, tmp_path)
    with service(store, tmp_path / "serve.log") as running:
        assert running.put_graph(GRAPH, graph(0)).status_code == 201
        old_new: dict[str, tuple[object, object]] = {
            "by name": (totals(0), totals(N)), "union": (totals(0), totals(N)),
            "resource": ((0,), (N,))}
        readers = {"by name": sparql_reader(running.url, BY_NAME),
                   "union": sparql_reader(running.url, UNION),
                   "resource": resource_reader(running.url)}
        threads = [threading.Thread(target=r.run, name=f"reader {k}") for k, r in readers.items()]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: all(r.answers or r.errors for r in readers.values()),
                     "every reader to be answered once")
            start = time.monotonic()
            assert running.put_graph(GRAPH, graph(N)).status_code == 204
            end = time.monotonic()
            wait_for(lambda: all(r.errors or r.answers[-1][0] > end for r in readers.values()),
                     "every reader to be answered after the write")
        finally:
            for reader in readers.values():
                reader.stop.set()
            for thread in threads:
                thread.join(timeout=60)
        for kind, reader in readers.items():
            assert not reader.errors, f"{kind}: {reader.errors[0]!r}"
            mixed = [a for _, _, a in reader.answers if a not in old_new[kind]]
            assert not mixed, f"{kind}: {len(mixed)} answers neither old nor new, e.g. {mixed[0]}"
            assert reader.during(start, end), f"{kind}: no answer while the graph was replaced"
            assert reader.answers[-1][2] == old_new[kind][1], f"{kind}: the last answer is old"


def test_readers_of_the_store_itself_see_no_staged_copy() -> None:
    """The same through ``KnowledgeStore.query`` in threads of one process.

    The service's pages, REST facade, VoID and service description query the store
    this way, over the union of all graphs; a replacement must not show them the
    new content beside the old one.
    """
    store = KnowledgeStore()
    name = ox.NamedNode(GRAPH)
    store.replace_graph(name, _triples(0))
    old_new = (totals(0), totals(N))

    def ask(_: object, turn: int) -> object:
        row = next(iter(store.query(UNION)))
        return row["n"].value, row["sum"].value

    reader = Reader(ask)
    thread = threading.Thread(target=reader.run, name="store reader")
    thread.start()
    try:
        wait_for(lambda: reader.answers or reader.errors, "the reader to be answered once")
        start = time.monotonic()
        store.replace_graph(name, _triples(N))
        end = time.monotonic()
        wait_for(lambda: reader.errors or reader.answers[-1][0] > end,
                 "the reader to be answered after the write")
    finally:
        reader.stop.set()
        thread.join(timeout=60)
    assert not reader.errors, repr(reader.errors[0])
    mixed = [a for _, _, a in reader.answers if a not in old_new]
    assert not mixed, f"{len(mixed)} answers neither old nor new, e.g. {mixed[0]}"
    assert reader.during(start, end), "no answer while the graph was replaced"


def _triples(offset: int) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(graph(offset), format=ox.RdfFormat.N_TRIPLES)]


def test_queries_while_graphs_are_written_get_no_server_error() -> None:
    """Small writes one after the other while three readers query: never a 5xx.

    (The query pool before the engine failed this: a query took the current snapshot,
    a write made a newer one and deleted the file before the worker loaded it: 503.)
    """
    with live_server(settings_for_tests()) as server:
        readers = [sparql_reader(server.url, UNION) for _ in range(3)]
        threads = [threading.Thread(target=r.run, name="reader") for r in readers]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: all(r.answers or r.errors for r in readers), "the readers to start")
            for value in range(40):
                if any(r.errors for r in readers):
                    break
                answer = server.http.put(
                    server.graph_store, params={"graph": GRAPH},
                    content=f'<{ID}s0> <{P}> "{value}"^^<{INTEGER}> .'.encode(),
                    headers={"Authorization": f"Bearer {TOKEN}",
                             "Content-Type": "application/n-triples"})
                assert answer.status_code in (201, 204), answer.text
        finally:
            for reader in readers:
                reader.stop.set()
            for thread in threads:
                thread.join(timeout=60)
    errors = [error for r in readers for error in r.errors]
    assert not errors, f"{len(errors)} readers got an error, e.g. {errors[0]!r}: " + (
        errors[0].response.text if isinstance(errors[0], httpx.HTTPStatusError) else "")
