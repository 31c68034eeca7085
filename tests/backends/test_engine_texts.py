"""Every engine-specific text of a named query gives the rows of its shared text.

A named query may carry a text of its own for an engine that evaluates the shared
one differently (``queries/engines/<engine>/<name>.rq``; docs/backends.md, "Engine
texts"). For each such text, on the same data:

* on the embedded store (Oxigraph) it gives the same rows as the shared text: both
  run there, since an engine text must stay standard SPARQL;
* on the engine itself, started by the tests, it gives the rows the shared text gives
  on the embedded store; an engine text for an engine the tests cannot start fails
  (``ENGINE_STORES``), so none goes untested.

Each query runs unbound and with its parameters' examples. The data is the fixture
graph plus regional scores that reach every branch of ``region-vs-country``: a year
stated and matched, a year stated without a national score that year, no year stated
(the latest national year), a regional concept matched to itself; plus a recomputed
national score that must not appear (it makes the service name its dataset), and
creators of two systems named in two languages and with no language (``systems``).
Rows are compared as sets, terms by value (Virtuoso keeps literals by value), the
parts a GROUP_CONCAT joined in any order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
import pytest

from mipex_kg.api.query_params import Vocabulary
from mipex_kg.api.query_registry import QueryRegistry, Term
from mipex_kg.graph.iris import RECOMPUTED_GRAPH
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.remote_config import RemoteEndpoints
from mipex_kg.graph.remote_store import RemoteStore
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.backends.oxigraph_server import emptied
from tests.queries.fixture_graph import build_fixture_store

pytestmark = [pytest.mark.engines, pytest.mark.virtuoso]

ID = "https://w3id.org/mipex-kg/id/"
REGIONAL_GRAPH = ox.NamedNode("https://w3id.org/mipex-kg/graph/test/regional-scores")
XSD_DATE_TIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
#: The separators the named queries' GROUP_CONCATs join with.
JOINED = re.compile("; |, |\n---\n")

#: Regional scores beside the fixture's one (ES21, no year stated).
REGIONAL_SCORES = f"""
@prefix mkg: <https://w3id.org/mipex-kg/def#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ID}score/test/ES21/2014> a qb:Observation ; mkg:jurisdiction <{ID}region/ES21> ;
    mkg:indicator <{ID}indicator/mipex-r/overall> ; mkg:score "71.5"^^xsd:decimal ;
    mkg:refPeriod <{ID}period/2014> ; sdmx-attribute:obsStatus <{ID}status/reported> .
<{ID}score/test/AT13/2010> a qb:Observation ; mkg:jurisdiction <{ID}region/AT13> ;
    mkg:indicator <{ID}indicator/mipex-r/overall> ; mkg:score "40"^^xsd:decimal ;
    mkg:refPeriod <{ID}period/2010> .
<{ID}period/2010> mkg:year 2010 .
<{ID}score/test/SE224/aa1> a qb:Observation ; mkg:jurisdiction <{ID}region/SE224> ;
    mkg:indicator <{ID}indicator/mipex/aa1> ; mkg:score "75"^^xsd:decimal ;
    mkg:refPeriod <{ID}period/not-stated> .
<{ID}score/test/PT20/2019> a qb:Observation ; mkg:jurisdiction <{ID}region/PT20> ;
    mkg:indicator <{ID}indicator/mipex-r/overall> ; mkg:score "66"^^xsd:decimal ;
    mkg:refPeriod <{ID}period/2019> .
"""

#: A recomputed national score (graph/recomputed): the queries tested here must not
#: read it (their default graph leaves that graph out).
RECOMPUTED_SCORE = f"""
@prefix mkg: <https://w3id.org/mipex-kg/def#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ID}score/test/recomputed/ESP/2019> mkg:jurisdiction <{ID}country/ESP> ;
    mkg:indicator <{ID}indicator/mipex/overall-with-health> ; mkg:score "99"^^xsd:decimal ;
    mkg:refPeriod <{ID}period/2019> .
"""


#: Creators of two systems: names in two languages (``systems`` then joins them as
#: plain text), and a name with no language.
CREATORS = f"""
@prefix dct: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{ID}system/mipex-l> dct:creator <{ID}organisation/test/a>, <{ID}organisation/test/b> .
<{ID}organisation/test/a> skos:prefLabel "Test Institute"@en .
<{ID}organisation/test/b> skos:prefLabel "Instituto de prueba"@es .
<{ID}system/child-centred-integration-indicators> dct:creator <{ID}organisation/test/c> .
<{ID}organisation/test/c> skos:prefLabel "Plain name" .
"""

@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory,
             reference_dump: bytes) -> KnowledgeStore:
    """The fixture graph with the regional and recomputed scores and the creators above."""
    store = build_fixture_store(tmp_path_factory.mktemp("engine-texts"), reference_dump)
    for graph, turtle in ((REGIONAL_GRAPH, REGIONAL_SCORES + CREATORS),
                          (RECOMPUTED_GRAPH, RECOMPUTED_SCORE)):
        store.replace_graph(graph, ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE))
    return store


@pytest.fixture(scope="module")
def registry() -> QueryRegistry:
    return QueryRegistry.load()


def virtuoso_store(request: pytest.FixtureRequest) -> RemoteStore:
    """A remote store on the session's Virtuoso, the engine told by its answers."""
    server = request.getfixturevalue("virtuoso_server")
    values = server.settings_values()
    return RemoteStore(RemoteEndpoints.from_settings(Settings(**values)))


#: How the tests reach each engine that a named query has a text for.
ENGINE_STORES: dict[str, Callable[[pytest.FixtureRequest], RemoteStore]] = {
    "virtuoso": virtuoso_store,
}


def engine_texts() -> list[tuple[str, str]]:
    """(query, engine) for every engine-specific text of the registry."""
    registry = QueryRegistry.load()
    return [(name, engine) for name, query in sorted(registry.queries.items())
            for engine in sorted(query.engine_texts)]


@pytest.fixture(scope="module")
def engine_store(request: pytest.FixtureRequest,
                 embedded: KnowledgeStore) -> Iterator[Callable[[str], QuadStore]]:
    """The engine's store, holding what ``embedded`` holds (filled on first use)."""
    opened: dict[str, RemoteStore] = {}

    def store_of(engine: str) -> QuadStore:
        if engine not in opened:
            store = emptied(ENGINE_STORES[engine](request))
            for graph in embedded.named_graphs():
                store.replace_graph(graph, embedded.triples(graph))
            opened[engine] = store
        return opened[engine]

    yield store_of
    for store in opened.values():  # the engines are the session's: leave them empty
        emptied(store).close()


def bindings(registry: QueryRegistry, name: str,
             vocabulary: Vocabulary) -> list[dict[str, list[Term] | None]]:
    """Each query unbound, then with every parameter's example."""
    examples = {param: spec.parse(spec.example, vocabulary)
                for param, spec in registry[name].params.items() if spec.example is not None}
    return [{}, examples] if examples else [{}]


def by_value(term: object) -> object:
    """A term as compared across engines: numbers and date-times by value (Virtuoso
    writes ``51.79Z`` back as ``51.790Z``), other literals by their language and their
    text's parts (``parts``), IRIs and unbound as they are."""
    if isinstance(term, ox.Literal) and term.datatype == XSD_DATE_TIME:
        return ("time", datetime.fromisoformat(term.value))
    if isinstance(term, ox.Literal) and term.language is None:
        try:
            return ("number", Decimal(term.value))
        except InvalidOperation:
            return ("text", parts(term.value))
    if isinstance(term, ox.Literal):
        return ("text", parts(term.value), term.language)
    return None if term is None else str(term)


def parts(text: str) -> tuple[str, ...]:
    """The pieces of a text split at the named queries' GROUP_CONCAT separators, sorted:
    each engine joins a group's values in its own order (SPARQL leaves it open)."""
    return tuple(sorted(JOINED.split(text)))


def row_set(registry: QueryRegistry, store: QuadStore, name: str,
            bound: dict[str, list[Term] | None], engine: str) -> set[tuple[object, ...]]:
    """The rows of ``name`` on ``store`` with the text for ``engine``."""
    rows = registry.run(store, name, bound, engine=engine)
    return {tuple(by_value(solution[c]) for c in rows.columns) for solution in rows.solutions}


def test_the_engine_is_told_by_its_answers(request: pytest.FixtureRequest) -> None:
    store = virtuoso_store(request)
    try:
        assert store.engine_name == "virtuoso"
    finally:
        store.close()


def test_a_configured_engine_wins_over_its_answers(request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue("virtuoso_server")
    settings = Settings(**server.settings_values(), store_engine="Other")
    store = RemoteStore(RemoteEndpoints.from_settings(settings))
    try:
        assert store.engine_name == "other"
    finally:
        store.close()


@pytest.mark.parametrize(("name", "engine"), engine_texts())
def test_an_engine_text_gives_the_rows_of_the_shared_text(
        name: str, engine: str, registry: QueryRegistry, embedded: KnowledgeStore,
        engine_store: Callable[[str], QuadStore]) -> None:
    assert engine in ENGINE_STORES, f"no test server for engine {engine!r}: add one"
    remote = engine_store(engine)
    assert remote.engine_name == engine
    for bound in bindings(registry, name, Vocabulary.of(embedded)):
        shared = row_set(registry, embedded, name, bound, "")
        assert shared, (name, bound, "the data must give rows")
        assert row_set(registry, embedded, name, bound, engine) == shared, (name, bound)
        assert row_set(registry, remote, name, bound, engine) == shared, (name, bound)


def test_every_branch_of_region_vs_country_is_reached(registry: QueryRegistry,
                                                      embedded: KnowledgeStore) -> None:
    """The data above reaches each case of the year (else the comparison proves little)."""
    rows = registry.run(embedded, "region-vs-country", {})
    seen = {(str(r["region"].value).rsplit("/", 1)[1], r["yearBasis"].value,
             r["nationalYear"].value) for r in rows.solutions}
    assert ("ES21", "same year", "2014") in seen
    assert ("PT20", "same year", "2019") in seen
    assert ("SE224", "latest national (the regional score states no year)", "2019") in seen
    assert not any(region == "AT13" for region, _, _ in seen)
    assert all(r["nationalScore"].value != "99" for r in rows.solutions)
