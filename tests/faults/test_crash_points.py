"""SIGKILL at every named crash point of a write: the store is the old dataset or the new.

Each test copies a store that holds an older version of the data, starts a real
process on it with ``MIPEX_KG_CRASH_AT`` naming one crash point
(``mipex_kg.graph.crash_points``), makes it write, and checks that it died at that
point (SIGKILL) and that the folder then holds exactly the old dataset or exactly the
new one, opens, and validates (``atomicity.state_after_crash``). Which of the two it
holds is asserted too: a load is committed by the second rename of the snapshot
swap, a small write over HTTP by the transaction that writes it in place, and by
nothing earlier.

* the loader: ``mipex-kg load`` of a newer version of a tiny workbook (its new
  dataset is compared with a clean run's, the moments of loading blanked out);
* the service: ``mipex-kg serve`` killed inside a Graph Store PUT, and inside a
  SPARQL Update, on a store that already holds the graph they replace.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from mipex_kg.graph.crash_points import POINTS
from mipex_kg.graph.store import KnowledgeStore

from tests.faults.atomicity import Candidate, state_after_crash
from tests.faults.processes import SIGKILLED, copy_store, mipex_kg, nquads, service

pytestmark = pytest.mark.faults

SNAPSHOT_POINTS = ["snapshot.fresh-created", "snapshot.fresh-written",
                   "snapshot.after-first-rename", "snapshot.after-second-rename"]
#: A small write is written into the folder in place, one transaction (graph/delta.py).
DELTA_POINTS = ["delta.opened", "delta.written"]
LOADER_POINTS = ["load.validated", "store.replaced", *SNAPSHOT_POINTS]
PUT_POINTS = ["store.replaced", *DELTA_POINTS]
UPDATE_POINTS = ["store.updated", *DELTA_POINTS]
#: The points from which on a write survives a crash: the new folder is in place, or
#: the transaction that writes a small change in place has committed.
COMMITTED = {"snapshot.after-second-rename", "delta.written"}

GRAPH = "https://w3id.org/mipex-kg/graph/faults-test"
P = "https://w3id.org/mipex-kg/id/faults-test/p"

_STAMP = re.compile(rb"\d{8}[tT]\d{12}")
_DATETIME = re.compile(rb'"[0-9T:.+-]+Z?"\^\^<http://www\.w3\.org/2001/XMLSchema#dateTime>')


def without_times(data: bytes) -> bytes:
    """N-Quads with the moments of loading blanked out (they differ on every load)."""
    data = _STAMP.sub(b"STAMP", data)
    return _DATETIME.sub(b'"2000-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>',
                         data)


def expected(point: str) -> str:
    return "new" if point in COMMITTED else "old"


def ntriples(value: str, count: int = 50) -> bytes:
    return "".join(f'<https://w3id.org/mipex-kg/id/faults-test/s{i}> <{P}> "{value}{i}" .\n'
                   for i in range(count)).encode()


def with_graph(data: bytes, content: bytes) -> bytes:
    """``data`` (N-Quads) with the test graph replaced by ``content`` (N-Triples)."""
    graph = ox.NamedNode(GRAPH)
    quads = [q for q in ox.parse(data, format=ox.RdfFormat.N_QUADS) if q.graph_name != graph]
    quads += [ox.Quad(*q.triple, graph) for q in ox.parse(content, format=ox.RdfFormat.N_TRIPLES)]
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


# -- the loader ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def loader_case(loaded_store: Path, workbooks: tuple[Path, Path],
                tmp_path_factory: pytest.TempPathFactory) -> tuple[Candidate, Candidate]:
    """The datasets before and after loading version 2 of ``tiny.xlsx`` (a clean run)."""
    reference = copy_store(loaded_store, tmp_path_factory.mktemp("new"))
    assert mipex_kg("load", "--store", reference, "--quiet", workbooks[1]).returncode == 0
    old, new = nquads(loaded_store), nquads(reference)
    assert old != new
    return Candidate.of(old), Candidate.of(new, without_times)


def test_every_crash_point_is_tested() -> None:
    assert {*LOADER_POINTS, *PUT_POINTS, *UPDATE_POINTS} == set(POINTS)


def test_a_misspelt_crash_point_is_refused() -> None:
    result = mipex_kg("graphs", "--memory", crash_at="snapshot.after-the-first-rename")
    assert result.returncode == 2 and "names no crash point" in result.stderr  # an error


@pytest.mark.parametrize("point", LOADER_POINTS)
def test_the_loader_killed_at_a_crash_point(
        loaded_store: Path, workbooks: tuple[Path, Path],
        loader_case: tuple[Candidate, Candidate], tmp_path: Path, point: str) -> None:
    old, new = loader_case
    store = copy_store(loaded_store, tmp_path)
    result = mipex_kg("load", "--store", store, "--quiet", workbooks[1], crash_at=point)
    assert result.returncode == SIGKILLED, result.stdout + result.stderr
    assert state_after_crash(store, {"old": old, "new": new}) == expected(point)


# -- the service ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def service_case(loaded_store: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, Candidate, Candidate]:
    """A store holding the test graph in its old version, and the datasets before and after."""
    store = copy_store(loaded_store, tmp_path_factory.mktemp("service"))
    writer = KnowledgeStore(store)
    writer.replace_graph(ox.NamedNode(GRAPH), [
        q.triple for q in ox.parse(ntriples("old"), format=ox.RdfFormat.N_TRIPLES)])
    writer.close()
    old = nquads(store)
    return store, Candidate.of(old), Candidate.of(with_graph(old, ntriples("new")))


def _write_until_killed(store: Path, log: Path, point: str, write: str) -> None:
    """Start the service with ``point`` armed, make the write, see the service die."""
    with service(store, log, crash_at=point) as running:
        with pytest.raises(httpx.TransportError):  # the connection dies with the service
            if write == "put":
                running.put_graph(GRAPH, ntriples("new"))
            else:
                running.update(f"DROP GRAPH <{GRAPH}> ; INSERT DATA {{ GRAPH <{GRAPH}> {{ "
                               f"{ntriples('new').decode()} }} }}")
        running.process.wait(timeout=30)
        assert running.process.returncode == SIGKILLED, log.read_text()


@pytest.mark.parametrize(("write", "point"), [
    *[("put", p) for p in PUT_POINTS], *[("update", p) for p in UPDATE_POINTS]])
def test_the_service_killed_at_a_crash_point(
        service_case: tuple[Path, Candidate, Candidate], tmp_path: Path,
        write: str, point: str) -> None:
    source, old, new = service_case
    store = copy_store(source, tmp_path)
    _write_until_killed(store, tmp_path / "serve.log", point, write)
    assert state_after_crash(store, {"old": old, "new": new}) == expected(point)
