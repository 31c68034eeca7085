"""The remote store on a real Oxigraph server: what only it has (the version across
service copies, credentials, atomic replacement seen from another client, the
command line on a URL), and the whole service on it answering as on the embedded
store (REST facade, pages, catalogue, endpoint limits)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.remote_config import RemoteEndpoints, open_store
from mipex_kg.graph.remote_store import RemoteStore, RemoteStoreError
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.api.live import LiveServer, live_server, settings_for_tests
from tests.backends.oxigraph_server import OxigraphServer, emptied, free_port
from tests.queries.conftest import fixture_store  # noqa: F401  (a shared fixture)

pytestmark = pytest.mark.engines

G = ox.NamedNode("https://w3id.org/mipex-kg/graph/test")
P = ox.NamedNode("http://example.org/p")
SECRET = "s3cret-Password"


def triples(n: int, value: str = "v") -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), P, ox.Literal(f"{value}{i}"))
            for i in range(n)]


# -- the store ----------------------------------------------------------------------------


def test_a_write_by_another_copy_changes_the_version(oxigraph_server: OxigraphServer,
                                                    remote_store: RemoteStore) -> None:
    copy = oxigraph_server.store(store_version_ttl=0.0)
    try:
        before = copy.version
        remote_store.replace_graph(G, triples(2))
        seen = changed_version(copy, before)
        remote_store.update("INSERT DATA { GRAPH <http://example.org/g2> { <http://a> <http://b> 1 } }")
        changed_version(copy, seen)
        assert copy.named_graphs() == [ox.NamedNode("http://example.org/g2"), G]
    finally:
        copy.close()


def changed_version(store: RemoteStore, old: str) -> str:
    """The store's version once it differs from ``old`` (it is read again in a thread);
    fails after 30 s."""
    deadline = time.monotonic() + 30
    while (version := store.version) == old:
        assert time.monotonic() < deadline, "the version never changed"
        time.sleep(0.01)
    return version


def test_reading_the_version_never_waits_for_the_store(oxigraph_server: OxigraphServer) -> None:
    """Past its TTL the version is read again in a thread: a caller (the event loop) gets
    the known version even while the store does not answer at all."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does) and never answers
    store = oxigraph_server.store(store_version_ttl=0.0)
    try:
        known = store.version
        store.endpoints = dataclasses.replace(
            store.endpoints, query_url=f"http://127.0.0.1:{silent.getsockname()[1]}/query")
        store._client.timeout = httpx.Timeout(60.0)
        answers: list[str] = []
        reader = threading.Thread(target=lambda: answers.extend(store.version for _ in range(3)))
        reader.start()
        reader.join(timeout=20)
        assert not reader.is_alive() and answers == [known] * 3
    finally:
        store.close()
        silent.close()


def test_the_version_graph_shows_in_no_answer(remote_store: RemoteStore) -> None:
    remote_store.replace_graph(G, triples(1))
    rows = list(remote_store.query("SELECT * WHERE { ?s ?p ?o }"))
    assert [r["o"].value for r in rows] == ["v0"]
    assert remote_store.graph_sizes() == {G.value: 1} and len(remote_store) == 1


@pytest.mark.parametrize("replace", ["update", "move"])
def test_readers_never_see_a_graph_half_replaced(oxigraph_server: OxigraphServer,
                                                 remote_store: RemoteStore, replace: str) -> None:
    """Another client counts the graph while it is replaced over and over."""
    writer = oxigraph_server.store(store_replace=replace)
    writer.replace_graph(G, triples(2000, "a"))
    try:
        counts = sizes_seen(remote_store, lambda: [
            writer.replace_graph(G, triples(3000 if round_ % 2 == 0 else 2000, str(round_)))
            for round_ in range(4)])
    finally:
        writer.close()
    assert counts <= {2000, 3000} and counts
    assert remote_store.named_graphs() == [G]  # no staging graph left behind


def sizes_seen(reader: RemoteStore, write: Callable[[], object]) -> set[int]:
    """The sizes of graph ``G`` that ``reader`` counts, again and again, while ``write`` runs."""
    counts: set[int] = set()
    failures: list[BaseException] = []
    done, counting = threading.Event(), threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                rows = reader.query(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {G} {{ ?s ?p ?o }} }}")
                counts.add(int(next(iter(rows))["n"].value))
                counting.set()
        except BaseException as error:  # shown by the test, not lost with the thread
            failures.append(error)
            counting.set()

    watcher = threading.Thread(target=read)
    watcher.start()
    try:
        # the writes start once the reader counts (else it may see none), however
        # slow a loaded machine makes the first count
        assert counting.wait(300), "the reader never counted"
        write()
    finally:
        done.set()
        watcher.join()
    if failures:
        raise failures[0]
    return counts


def test_substitutions_and_datasets_mean_what_they_mean_embedded(remote_store: RemoteStore) -> None:
    embedded = KnowledgeStore()
    other = ox.NamedNode("http://example.org/other")
    for store in (embedded, remote_store):
        store.replace_graph(G, triples(3))
        store.replace_graph(other, triples(2, "w"))

    def answers(store: QuadStore) -> list[object]:
        bound = store.query("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?o",
                            substitutions={ox.Variable("s"): ox.NamedNode("http://example.org/s1")})
        named = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g "
                            "ORDER BY ?g", default_graph=[G])
        only_g = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=[G])
        return [[r["o"].value for r in bound], [(r["g"].value, r["n"].value) for r in named],
                [r["n"].value for r in only_g],
                sorted(str(t) for t in store.query("CONSTRUCT WHERE { ?s ?p 'w1' }")),
                bool(store.query("ASK { ?s ?p ?o }", substitutions={ox.Variable("o"): ox.Literal("v2")}))]

    assert answers(remote_store) == answers(embedded)


# -- settings and credentials -----------------------------------------------------------


def test_credentials_show_in_no_repr_and_no_error() -> None:
    port = free_port()  # nothing listens there
    settings = Settings(store=f"http://127.0.0.1:{port}", store_user="kg",
                        store_password=SECRET, store_auth="digest")
    endpoints = RemoteEndpoints.from_settings(settings)
    assert isinstance(endpoints.auth(), httpx.DigestAuth)
    assert SECRET not in repr(endpoints) and SECRET not in repr(settings)
    with pytest.raises(OSError) as failure:
        open_store(settings)
    assert f"127.0.0.1:{port}/query" in str(failure.value) and SECRET not in str(failure.value)
    with pytest.raises(ValueError) as refused:
        RemoteEndpoints.from_settings(Settings(store=f"http://kg:{SECRET}@127.0.0.1:{port}"))
    assert SECRET not in str(refused.value)


def test_each_endpoint_url_can_be_set_on_its_own(oxigraph_server: OxigraphServer) -> None:
    settings = Settings(store="http://127.0.0.1:1/ignored",
                        store_query_url=oxigraph_server.url + "/query",
                        store_update_url=oxigraph_server.url + "/update",
                        store_graph_store_url=oxigraph_server.url + "/store")
    store = open_store(settings)
    try:
        assert isinstance(store, RemoteStore)
        emptied(store).replace_graph(G, triples(2))
        assert store.graph_sizes() == {G.value: 2}
    finally:
        store.close()


def test_basic_credentials_are_sent(oxigraph_server: OxigraphServer) -> None:
    """A real proxy on 127.0.0.1 that lets through only requests with the credentials."""
    from tests.backends.http_proxy import basic_auth_proxy

    with basic_auth_proxy(oxigraph_server.url, "kg", SECRET) as url:
        with pytest.raises(RemoteStoreError, match="refused the credentials") as refused:
            open_store(Settings(store=url, store_user="kg", store_password="wrong"))
        assert "wrong" not in str(refused.value)
        store = open_store(Settings(store=url, store_user="kg", store_password=SECRET))
        try:
            emptied(store).replace_graph(G, triples(1))
            assert store.graph_sizes() == {G.value: 1}
        finally:
            store.close()


# -- the command line on a URL ----------------------------------------------------------


def mipex_kg(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mipex_kg.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_the_command_line_loads_validates_and_exports_on_a_url(
        oxigraph_server: OxigraphServer, remote_store: RemoteStore, tmp_path: Path) -> None:
    from tests.workbook_builder import sheet, write_workbook

    url = oxigraph_server.url
    assert mipex_kg("load", "--reference", "--quiet", "--store", url).returncode == 0
    workbook = write_workbook(tmp_path / "tiny_2014-2019.xlsx", {"SE": sheet()})
    loaded = mipex_kg("load", workbook, "--quiet", "--no-recompute", "--store", url)
    assert loaded.returncode == 0, loaded.stderr
    graphs = mipex_kg("graphs", "--store", url)
    assert "tiny-2014-2019" in graphs.stdout and "service/version" not in graphs.stdout
    checked = mipex_kg("validate", "--cube", "--store", url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    exported = mipex_kg("export", "--store", url, "--format", "nquads")
    dumped = set(exported.stdout.splitlines())
    assert len(dumped) == len(remote_store) and not any("service/version" in q for q in dumped)
    refused = mipex_kg("graphs", "--store", f"http://127.0.0.1:{free_port()}")
    assert refused.returncode == 2 and "cannot be reached" in refused.stderr


# -- the service on a remote store ------------------------------------------------------


@pytest.fixture(scope="module")
def twins(fixture_store: KnowledgeStore, oxigraph_server: OxigraphServer,  # noqa: F811
          ) -> Iterator[tuple[LiveServer, LiveServer]]:
    """The service over the fixture graph twice: embedded, and on the Oxigraph server."""
    remote = emptied(oxigraph_server.store())
    for graph in fixture_store.named_graphs():
        remote.replace_graph(graph, fixture_store.triples(graph))
    settings = settings_for_tests(update_token=None, max_result_rows=3, query_timeout=5.0)
    with live_server(settings, fixture_store) as embedded, live_server(settings, remote) as served:
        yield embedded, served
    remote.close()


@pytest.mark.parametrize("path", [
    "/api/rankings?indicator=aa1&year=2019",
    "/api/scores?jurisdiction=SWE&indicator=aa1",
    "/api/jurisdictions/SWE",
    "/api/queries/indicator-scores?indicator=aa1",
    "/id/country/SWE?format=ntriples",
    "/catalog?format=ntriples",
    "/sparql?query=SELECT ?s WHERE { ?s a mkg:Country } ORDER BY ?s",
    "/sparql?query=SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "/.well-known/void?format=ntriples",
])
def test_the_service_answers_alike_on_both_stores(twins: tuple[LiveServer, LiveServer],
                                                  path: str) -> None:
    embedded, remote = (server.http.get(server.url + path) for server in twins)
    assert remote.status_code == embedded.status_code == 200, remote.text
    assert remote.headers.get("x-result-truncated") == embedded.headers.get("x-result-truncated")
    texts = [r.text.replace(server.url, "http://service") for r, server in
             zip((embedded, remote), twins, strict=True)]
    if "ntriples" in path:  # the same graph, blank nodes aside
        graphs = [Graph().parse(data=text, format="nt") for text in texts]
        assert isomorphic(*graphs)
    else:
        assert texts[0] == texts[1]


def test_a_query_past_its_time_is_cut(twins: tuple[LiveServer, LiveServer]) -> None:
    remote = twins[1]
    slow = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
    response = remote.http.get(remote.endpoint, params={"query": slow, "timeout": "0.5"})
    assert response.status_code == 503 and response.json()["error"] == "query_timeout"
    assert remote.app.state.engine.pool is None  # no worker processes for a remote store


@pytest.mark.virtuoso
def test_a_workbook_and_a_csv_load_and_validate_on_virtuoso(virtuoso_server: Any,
                                                             tmp_path: Path) -> None:
    """The gate, a replacement by staging graph and MOVE, and whole-store validation on
    Virtuoso (its settings: tests/backends/virtuoso_server.py, docs/backends.md); a
    CSV of reported scores too, and one with a bad row is refused, naming the row, with
    the store left as it was."""
    from mipex_kg.loaders.errors import LoadError
    from mipex_kg.loaders.pipeline import Loader, reported_graph, workbook_graph
    from mipex_kg.loaders.validation import validate_store

    from tests.workbook_builder import sheet, write_workbook

    store = emptied(RemoteStore(RemoteEndpoints.from_settings(
        Settings(**virtuoso_server.settings_values()))))
    try:
        loader = Loader(store)
        loader.load_reference_data()
        path = write_workbook(tmp_path / "tiny_2014-2019.xlsx", {"SE": sheet()})
        assert loader.load_workbook(path).status == "loaded"
        assert store.has_graph(workbook_graph(path))
        assert loader.load_workbook(path).status == "unchanged"
        evidence = "https://w3id.org/mipex-kg/id/publication/" \
                   "production-of-evidence-migrant-integration-policy-eu"
        header = "jurisdiction,system,indicator,year,score,comment,source"
        scores = tmp_path / "Reported_2024.csv"
        scores.write_text(f"{header}\nPT20,mipex-r,overall,,61,,{evidence}\n", encoding="utf-8")
        assert loader.load_scores_csv(scores).observations == 1
        before = sorted(map(str, store.triples(reported_graph(scores))))
        scores.write_text(f"{header}\nPT20,mipex-r,overall,,611,,{evidence}\n",
                          encoding="utf-8")
        with pytest.raises(LoadError, match="row 2"):
            loader.load_scores_csv(scores)
        assert sorted(map(str, store.triples(reported_graph(scores)))) == before
        text, conforms = validate_store(store, cube=True)
        assert conforms, text
    finally:  # the server is the session's: the Virtuoso tests must find it empty
        emptied(store).close()


def virtuoso_store(server: Any) -> RemoteStore:
    return emptied(RemoteStore(RemoteEndpoints.from_settings(
        Settings(**server.settings_values()))))


@pytest.mark.virtuoso
def test_large_graphs_reach_virtuoso_in_parts_whole_for_readers(virtuoso_server: Any) -> None:
    """Over 1 400 triples in one update, or 10 MB in one body, Virtuoso refuses: a graph
    goes to a staging graph in several Graph Store requests, then one MOVE (or ADD).
    A reader never sees a part; blank nodes stay one node each."""
    store = virtuoso_store(virtuoso_server)
    store.upload_bytes = 40_000  # about 500 triples a part
    reader = virtuoso_store(virtuoso_server)
    blank = ox.BlankNode()
    linked = [ox.Triple(ox.NamedNode("http://example.org/s0"), P, blank),
              ox.Triple(blank, P, ox.Literal("inside"))]
    try:
        store.replace_graph(G, triples(3000, "a"))
        counts = sizes_seen(reader, lambda: [
            store.replace_graph(G, triples(4000 if round_ % 2 == 0 else 3000, str(round_)))
            for round_ in range(3)])
        assert counts <= {3000, 4000} and counts
        store.add_triples(G, [*triples(2500, "more"), *linked])
        assert store.graph_sizes() == {G.value: 4000 + 2500 + 2}
        rows = list(store.query(f"SELECT ?x WHERE {{ GRAPH {G} {{ <http://example.org/s0> {P} "
                                f"?b . ?b {P} ?x }} }}"))
        assert [r["x"].value for r in rows] == ["inside"]
        assert store.named_graphs() == [G]  # no staging graph left
    finally:
        emptied(store).close()
        reader.close()


@pytest.mark.virtuoso
def test_the_graph_store_route_adds_thousands_of_triples_on_virtuoso(
        virtuoso_server: Any) -> None:
    """POST through the service's Graph Store protocol (was one INSERT DATA, refused)."""
    from tests.api.live import TOKEN

    store = virtuoso_store(virtuoso_server)
    body = "".join(f"<http://example.org/s{i}> <http://example.org/p> \"{i}\" .\n"
                   for i in range(5000))
    try:
        with live_server(settings_for_tests(), store) as server:
            for method in ("PUT", "POST"):
                answer = server.http.request(
                    method, server.graph_store, params={"graph": G.value}, content=body,
                    headers={"Content-Type": "application/n-triples",
                             "Authorization": f"Bearer {TOKEN}"})
                assert answer.status_code in (201, 204), answer.text
        assert store.graph_sizes() == {G.value: 5000}
    finally:
        emptied(store).close()


class CopyCounting(RemoteStore):
    """A remote store that records which graphs are read whole (to see what a gated
    update copies into its scratch store)."""

    def __init__(self, endpoints: RemoteEndpoints) -> None:
        super().__init__(endpoints)
        self.read_whole: list[object] = []

    def quads(self, subject: Any = None, predicate: Any = None, obj: Any = None,
              graph: Any = None) -> Iterator[ox.Quad]:
        if subject is None and predicate is None and obj is None:
            self.read_whole.append(graph)
        return super().quads(subject, predicate, obj, graph)

    def dump(self, output: Any, fmt: ox.RdfFormat, graph: Any = None, **options: Any) -> Any:
        if graph is None:
            self.read_whole.append("the whole store")
        return super().dump(output, fmt, graph, **options)


def test_a_gated_update_copies_only_the_graphs_it_can_touch(
        oxigraph_server: OxigraphServer) -> None:
    from mipex_kg.api.writes import GraphWriter

    store = CopyCounting(RemoteEndpoints.from_settings(oxigraph_server.settings()))
    other = ox.NamedNode("http://example.org/other")
    seen: list[object] = []
    try:
        emptied(store).replace_graph(G, triples(5))
        store.replace_graph(other, triples(50))
        writer = GraphWriter(store, lambda changes: seen.extend(changes) or [], threading.Lock())
        writer.update(f"INSERT DATA {{ GRAPH {G} {{ <http://example.org/n> {P} 'new' }} }}",
                      base_iri=None)
        assert seen == [G] and store.graph_sizes()[G.value] == 6
        assert other not in store.read_whole and "the whole store" not in store.read_whole
        assert G in store.read_whole
    finally:
        emptied(store).close()
