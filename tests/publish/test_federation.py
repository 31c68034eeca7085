"""Federated named queries against a stand-in EU endpoint: a real ``oxigraph serve``.

The stand-in is started on 127.0.0.1 (a free port) for this module and stopped after
it; it holds the EU country authority table (../shared/data/reference) and two small
files written for the tests (NUTS units, one CORDIS project). The queries are the
named queries of queries/, written for the real EU endpoints; the settings point them
at the stand-in.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from mipex_kg.api.query_registry import NamedQuery, parse_query
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.engine.worker import QueryTask
from mipex_kg.graph.namespaces import PREFIXES
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.federation import (
    FederationError,
    find_services,
    retarget,
    run_federated,
)
from mipex_kg.settings import Settings

from tests.conftest import ROOT, SHARED

DATA = Path(__file__).parent / "data"
COUNTRY_TABLE = SHARED / "data" / "reference" / "eu-country-authority-table.rdf"
OXIGRAPH = shutil.which("oxigraph") or str(Path(__import__("sys").executable).parent / "oxigraph")
ID = "https://w3id.org/mipex-kg/id/"
CEMCAP = "http://data.europa.eu/s66/resource/projects/91b4e591-b2dd-357a-9556-45feba981888"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def standin() -> Iterator[str]:
    """The query URL of a running ``oxigraph serve`` loaded with the EU data."""
    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server (PyPI package oxigraph) is not installed")
    if not COUNTRY_TABLE.is_file():
        pytest.skip(f"no EU country table at {COUNTRY_TABLE}")
    port = _free_port()
    server = subprocess.Popen([OXIGRAPH, "serve", "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("oxigraph serve did not start") from None
                time.sleep(0.05)
        for path, media in ((COUNTRY_TABLE, "application/rdf+xml"),
                            (DATA / "nuts-standin.ttl", "text/turtle"),
                            (DATA / "cordis-standin.ttl", "text/turtle")):
            response = httpx.post(f"{base}/store?default", content=path.read_bytes(),
                                  headers={"Content-Type": media}, timeout=60)
            response.raise_for_status()
        yield f"{base}/query"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def settings(standin: str) -> Settings:
    return Settings(store=None, eu_country_endpoint=standin, eu_nuts_endpoint=standin,
                    cordis_endpoint=standin, federation_timeout=10)


def named(name: str) -> NamedQuery:
    path = ROOT / "queries" / f"{name}.rq"
    return parse_query(path.name, path.read_text(encoding="utf-8"))


def rows(results: object) -> list[dict[str, str | None]]:
    variables = [v.value for v in results.variables]  # type: ignore[attr-defined]
    return [{v: (None if s[v] is None else s[v].value) for v in variables}
            for s in results]  # type: ignore[attr-defined]


def test_the_named_queries_are_written_for_the_real_eu_endpoints() -> None:
    services = {name: [b.iri for b in find_services(named(name).sparql)]
                for name in ("federated-country-scores", "federated-region-nuts",
                             "federated-project-cordis")}
    assert services == {
        "federated-country-scores": ["https://publications.europa.eu/webapi/rdf/sparql"],
        "federated-region-nuts": ["https://data.europa.eu/sparql"],
        "federated-project-cordis": ["https://cordis.europa.eu/datalab/sparql"],
    }


def test_country_scores_join_the_eu_country_table(real_store: KnowledgeStore,
                                                  settings: Settings) -> None:
    query = named("federated-country-scores")
    bound = {"indicator": [ox.NamedNode(f"{ID}indicator/mipex/overall-with-health")],
             "year": [ox.Literal(2019)]}
    mark = time.perf_counter()
    results, run = run_federated(real_store, query.bind(bound), settings)
    found = rows(results)
    print(f"\nfederated country scores: {len(found)} rows in {time.perf_counter() - mark:.2f} s")
    assert run.calls and run.calls[0]["endpoint"] == settings.eu_country_endpoint
    assert len(found) == 56
    top = [(r["euCode"], r["euName"], round(float(r["score"] or 0), 1)) for r in found[:6]]
    assert top == [("SWE", "Sweden", 86.4), ("FIN", "Finland", 84.6), ("PRT", "Portugal", 81.4),
                   ("CAN", "Canada", 79.6), ("NZL", "New Zealand", 77.4),
                   ("USA", "United States", 72.5)]
    assert all(r["euCountry"] == f"http://publications.europa.eu/resource/authority/country/"
               f"{r['euCode']}" for r in found)


def test_regions_get_their_nuts_hierarchy(reference_store: KnowledgeStore,
                                          settings: Settings) -> None:
    results, _ = run_federated(reference_store, named("federated-region-nuts").bind({}),
                               settings)
    found = rows(results)
    chains: dict[str, list[tuple[str, int]]] = {}
    for r in found:
        chains.setdefault(str(r["code"]), []).append((str(r["broaderCode"]),
                                                       int(str(r["broaderLevel"]))))
    assert chains["ES21"] == [("ES2", 1), ("ES", 0)]
    assert chains["SE224"] == [("SE22", 2), ("SE2", 1), ("SE", 0)]
    assert set(chains) == {"AT13", "ES21", "ES51", "ES62", "ITF3", "ITF4", "PT20", "SE224"}


def test_a_country_parameter_limits_the_regions(reference_store: KnowledgeStore,
                                                settings: Settings) -> None:
    query = named("federated-region-nuts")
    sparql = query.bind({"country": [ox.NamedNode(f"{ID}country/ITA")]})
    results, _ = run_federated(reference_store, sparql, settings)
    assert {r["code"] for r in rows(results)} == {"ITF3", "ITF4"}


def test_projects_match_cordis_by_grant_number_only(reference_store: KnowledgeStore,
                                                    settings: Settings) -> None:
    query = named("federated-project-cordis").sparql
    results, run = run_federated(reference_store, query, settings)
    assert rows(results) == [] and run.calls[0]["rows"] == 0  # no grant numbers cited yet
    store = KnowledgeStore()
    project = ox.NamedNode(f"{ID}project/test")
    store.oxigraph.extend([
        ox.Quad(project, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode("https://w3id.org/mipex-kg/def#ResearchProject")),
        ox.Quad(project, ox.NamedNode("http://data.europa.eu/s66#identifier"),
                ox.Literal("641185")),
    ])
    results, run = run_federated(store, query, settings)
    assert rows(results) == [{"project": project.value, "grant": "641185",
                              "cordisProject": CEMCAP, "cordisTitle": None}]


def test_an_endpoint_that_is_down_is_a_clear_error(reference_store: KnowledgeStore) -> None:
    down = f"http://127.0.0.1:{_free_port()}/sparql"
    settings = Settings(store=None, eu_nuts_endpoint=down)
    with pytest.raises(FederationError) as error:
        run_federated(reference_store, named("federated-region-nuts").bind({}), settings)
    message = str(error.value)
    assert down in message and "cannot be reached" in message
    assert "https://data.europa.eu/sparql" in message


def test_service_silent_tolerates_an_endpoint_that_is_down(
        reference_store: KnowledgeStore) -> None:
    down = f"http://127.0.0.1:{_free_port()}/sparql"
    sparql = named("federated-region-nuts").bind({}).replace("SERVICE <", "SERVICE SILENT <")
    results, _ = run_federated(reference_store, sparql, Settings(store=None,
                                                                 eu_nuts_endpoint=down))
    found = rows(results)  # SILENT: the failed service is one empty solution (SPARQL 1.1)
    assert len(found) == 8 and all(r["broader"] is None for r in found)


def test_an_endpoint_that_never_answers_hits_the_time_limit(
        reference_store: KnowledgeStore) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        silent = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        settings = Settings(store=None, eu_nuts_endpoint=silent, federation_timeout=0.5)
        mark = time.perf_counter()
        with pytest.raises(FederationError, match="did not answer within 0.5 s"):
            run_federated(reference_store, named("federated-region-nuts").bind({}), settings)
        assert time.perf_counter() - mark < 5
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in accepted:
            conn.close()
        listener.close()


def test_pyoxigraph_can_call_service_itself(standin: str) -> None:
    """The check behind the design: pyoxigraph's wheels do run SERVICE over HTTP."""
    store = ox.Store()
    results = store.query(
        f"SELECT ?label WHERE {{ SERVICE <{standin}> {{ "
        "<http://publications.europa.eu/resource/authority/country/SWE> "
        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label FILTER(LANG(?label) = 'en') "
        "} }")
    assert [s["label"].value for s in results] == ["Sweden"]


def test_the_scanner_finds_service_blocks_but_not_in_comments_strings_or_iris() -> None:
    sparql = """PREFIX eu: <https://data.europa.eu/>
SELECT * WHERE {
  ?a <http://example.org/p> ?b . FILTER(?b < 3) # SERVICE <http://no.example> { }
  ?x <http://example.org/q> "SERVICE <http://no.example> {" .
  SERVICE SILENT eu:sparql { ?b <http://example.org/r> ?c . { ?c ?d ?e }
                             SERVICE <http://nested.example> { ?e ?f ?g } }
  SERVICE ?endpoint { ?x ?y ?z }
}"""
    blocks = find_services(sparql)
    assert [(b.iri, b.silent) for b in blocks] == [("https://data.europa.eu/sparql", True),
                                                    (None, False)]
    assert "SERVICE <http://nested.example>" in blocks[0].body


def test_retargeted_queries_also_run_in_the_engines_federation_worker(
        reference_store: KnowledgeStore, settings: Settings) -> None:
    """How the service runs them (the REST facade): retargeted to the configured
    endpoints, by the one worker that may call out, through pyoxigraph's own SERVICE.
    Same rows as the bind join."""
    sparql = named("federated-region-nuts").bind({})
    engine = QueryEngine(reference_store, settings)
    task = QueryTask(retarget(sparql, settings), "application/sparql-results+json",
                     "text/turtle", 0, prefixes=PREFIXES)
    try:
        outcome = asyncio.run(engine.run(task, client="test"))
    finally:
        engine.close()
    native = rows(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))
    ours, _ = run_federated(reference_store, sparql, settings)
    key = lambda r: (r["code"], r["broaderCode"])
    assert sorted(native, key=key) == sorted(rows(ours), key=key) and len(native) == 17
