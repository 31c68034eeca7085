"""Federated named queries against a stand-in EU endpoint: a real ``oxigraph serve``.

The stand-in is started on 127.0.0.1 (a free port) for this module and stopped after
it; it holds the EU country authority table (../shared/data/reference) and two small
files written for the tests (NUTS units, one CORDIS project). The queries are the
named queries of queries/, written for the real EU endpoints; ``retarget`` moves them
to the stand-in, and the engine runs them as the service does: in its one networked
worker, through pyoxigraph's own SERVICE, within the query time limit.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from mipex_kg.api.errors import ApiError
from mipex_kg.api.query_registry import NamedQuery, parse_query
from mipex_kg.engine.federation import ENDPOINTS, retarget
from mipex_kg.engine.guard import network_use
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.engine.worker import QueryTask
from mipex_kg.graph.namespaces import PREFIXES
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.conftest import ROOT, SHARED

DATA = Path(__file__).parent / "data"
COUNTRY_TABLE = SHARED / "data" / "reference" / "eu-country-authority-table.rdf"
OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
ID = "https://w3id.org/mipex-kg/id/"
CEMCAP = "http://data.europa.eu/s66/resource/projects/91b4e591-b2dd-357a-9556-45feba981888"
#: The regions of the curated reference data that have a NUTS code.
REGIONS = {"AT13", "ES21", "ES51", "ES62", "ITF3", "ITF4", "PT20", "SE224"}
FEDERATED = ("federated-country-scores", "federated-region-nuts", "federated-project-cordis")


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
                    cordis_endpoint=standin)


def named(name: str) -> NamedQuery:
    path = ROOT / "queries" / f"{name}.rq"
    return parse_query(path.name, path.read_text(encoding="utf-8"))


def run(store: KnowledgeStore, sparql: str, settings: Settings,
        timeout: float | None = None) -> list[dict[str, str | None]]:
    """The rows of a federated query as the service answers it (retargeted, in the engine)."""
    engine = QueryEngine(store, settings)
    task = QueryTask(retarget(sparql, settings), "application/sparql-results+json",
                     "text/turtle", 0, prefixes=PREFIXES)
    try:
        outcome = asyncio.run(engine.run(task, client="test", timeout=timeout))
    finally:
        engine.close()
    results = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(results, ox.QuerySolutions)
    variables = [v.value for v in results.variables]
    return [{v: (None if s[v] is None else s[v].value) for v in variables} for s in results]


def test_the_named_queries_are_written_for_the_real_eu_endpoints() -> None:
    """Read by the guard's SPARQL parser: each names one EU endpoint that the settings move."""
    services = {name: network_use(named(name).sparql, update=False, prefixes=PREFIXES).services
                for name in FEDERATED}
    assert services == {
        "federated-country-scores": ("https://publications.europa.eu/webapi/rdf/sparql",),
        "federated-region-nuts": ("https://data.europa.eu/sparql",),
        "federated-project-cordis": ("https://cordis.europa.eu/datalab/sparql",),
    }
    assert all(service in ENDPOINTS for found in services.values() for service in found)


def test_retarget_moves_only_service_endpoints() -> None:
    moved = Settings(store=None, eu_nuts_endpoint="http://127.0.0.1:9/nuts")
    sparql = """PREFIX eu: <https://data.europa.eu/>
SELECT * WHERE {
  ?a <https://data.europa.eu/sparql> ?b . # SERVICE <https://data.europa.eu/sparql> { }
  ?x <http://example.org/q> "SERVICE <https://data.europa.eu/sparql> {" .
  SERVICE SILENT <https://data.europa.eu/sparql> { ?b <http://example.org/r> ?c .
                             SERVICE <http://nested.example> { ?c ?f ?g } }
  service <https://data.europa.eu/sparql> { ?x ?y ?z }
}"""
    expected = (sparql.replace("SILENT <https://data.europa.eu/sparql>",
                               "SILENT <http://127.0.0.1:9/nuts>")
                .replace("service <https://data.europa.eu/sparql>",
                         "service <http://127.0.0.1:9/nuts>"))
    assert retarget(sparql, moved) == expected
    with pytest.raises(ValueError, match="not an IRI"):
        retarget(sparql, Settings(store=None, eu_nuts_endpoint="http://x/ y"))


def test_country_scores_join_the_eu_country_table(real_store: KnowledgeStore,
                                                  settings: Settings) -> None:
    indicator, year = f"{ID}indicator/mipex/overall-with-health", 2019
    found = run(real_store, named("federated-country-scores").bind(
        {"indicator": [ox.NamedNode(indicator)], "year": [ox.Literal(year)]}), settings)
    # the same scores read from the store alone, without the remote part
    local = real_store.query(f"""
        SELECT ?code ?score WHERE {{
          ?o mkg:indicator <{indicator}> ; mkg:refPeriod <{ID}period/{year}> ;
             mkg:jurisdiction ?j ; mkg:score ?score ; qb:dataSet <{ID}edition/mipex-2020> .
          ?j skos:notation ?code }} ORDER BY DESC(?score) ?code""")
    expected = [(s["code"].value, round(float(s["score"].value), 1)) for s in local]
    assert len(found) == len(expected) > 40
    assert [(r["euCode"], round(float(r["score"] or 0), 1)) for r in found[:6]] == expected[:6]
    assert next(r for r in found if r["euCode"] == "SWE")["euName"] == "Sweden"
    assert all(r["euCountry"] == f"http://publications.europa.eu/resource/authority/country/"
               f"{r['euCode']}" for r in found)


def test_regions_get_their_nuts_hierarchy(reference_store: KnowledgeStore,
                                          settings: Settings) -> None:
    found = run(reference_store, named("federated-region-nuts").bind({}), settings)
    chains: dict[str, list[tuple[str, int]]] = {}
    for r in found:
        chains.setdefault(str(r["code"]), []).append((str(r["broaderCode"]),
                                                       int(str(r["broaderLevel"]))))
    assert sorted(chains["ES21"]) == [("ES", 0), ("ES2", 1)]
    assert sorted(chains["SE224"]) == [("SE", 0), ("SE2", 1), ("SE22", 2)]
    assert set(chains) == REGIONS


def test_a_country_parameter_limits_the_regions(reference_store: KnowledgeStore,
                                                settings: Settings) -> None:
    sparql = named("federated-region-nuts").bind({"country": [ox.NamedNode(f"{ID}country/ITA")]})
    assert {r["code"] for r in run(reference_store, sparql, settings)} == {"ITF3", "ITF4"}


def test_projects_match_cordis_by_grant_number_only(reference_store: KnowledgeStore,
                                                    settings: Settings) -> None:
    query = named("federated-project-cordis").sparql
    assert run(reference_store, query, settings) == []  # no grant numbers cited yet
    store = KnowledgeStore()
    project = ox.NamedNode(f"{ID}project/test")
    store.oxigraph.extend([
        ox.Quad(project, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode("https://w3id.org/mipex-kg/def#ResearchProject")),
        ox.Quad(project, ox.NamedNode("http://data.europa.eu/s66#identifier"),
                ox.Literal("641185")),
    ])
    assert run(store, query, settings) == [{"project": project.value, "grant": "641185",
                                            "cordisProject": CEMCAP, "cordisTitle": None}]


def test_an_endpoint_that_is_down_is_an_error_naming_it(reference_store: KnowledgeStore) -> None:
    down = f"http://127.0.0.1:{_free_port()}/sparql"
    with pytest.raises(ApiError) as error:
        run(reference_store, named("federated-region-nuts").bind({}),
            Settings(store=None, eu_nuts_endpoint=down))
    assert error.value.status == 503 and f"SERVICE <{down}>" in error.value.detail


def test_service_silent_tolerates_an_endpoint_that_is_down(
        reference_store: KnowledgeStore) -> None:
    down = f"http://127.0.0.1:{_free_port()}/sparql"
    sparql = named("federated-region-nuts").bind({}).replace("SERVICE <", "SERVICE SILENT <")
    found = run(reference_store, sparql, Settings(store=None, eu_nuts_endpoint=down))
    # SILENT: the failed service is one empty solution (SPARQL 1.1): each region, unlinked
    assert all(r["broader"] is None for r in found)
    assert sorted(r["code"] for r in found) == sorted(REGIONS)


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
        with pytest.raises(ApiError) as error:
            run(reference_store, named("federated-region-nuts").bind({}),
                Settings(store=None, eu_nuts_endpoint=silent), timeout=1.0)
        assert error.value.status == 503 and error.value.code == "query_timeout"
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
