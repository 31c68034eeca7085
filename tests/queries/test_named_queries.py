"""Every named query, run with its documented examples against the fixture graph."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from mipex_kg.api.query_params import Vocabulary
from mipex_kg.api.query_registry import UNTYPED, NamedQuery, QueryRegistry
from mipex_kg.graph.store import KnowledgeStore

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "nonNegativeInteger")}
RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
KINDS = {
    "iri": lambda t: isinstance(t, ox.NamedNode),
    "string": lambda t: isinstance(t, ox.Literal) and t.datatype.value in (XSD + "string",
                                                                         RDF_LANG),
    "integer": lambda t: isinstance(t, ox.Literal) and t.datatype.value in NUMERIC
    and "." not in t.value,
    "decimal": lambda t: isinstance(t, ox.Literal) and t.datatype.value in NUMERIC,
    "boolean": lambda t: isinstance(t, ox.Literal) and t.datatype.value == XSD + "boolean",
    "datetime": lambda t: isinstance(t, ox.Literal) and t.datatype.value == XSD + "dateTime",
    "date": lambda t: isinstance(t, ox.Literal) and t.datatype.value == XSD + "date",
}
NAMES = sorted(q.name for q in QueryRegistry.load().queries.values())


def documented(query: NamedQuery) -> bool:
    """A query of the facade: typed columns (other queries may leave them out)."""
    return all(c.type != UNTYPED for c in query.columns.values())


@pytest.mark.parametrize("name", NAMES)
def test_named_query_runs_with_its_examples_and_returns_its_columns(
        name: str, registry: QueryRegistry, fixture_store: KnowledgeStore) -> None:
    query = registry[name]
    if query.federated:
        pytest.skip("calls other SPARQL endpoints (SERVICE): not run offline")
    missing = [p.name for p in query.params.values() if p.required and p.example is None]
    if missing:
        pytest.skip(f"required parameters without an example: {missing}")
    values = {n: p.example for n, p in query.params.items() if p.example is not None}
    bound = query.parse_params(values, Vocabulary.of(fixture_store))
    rows = registry.run(fixture_store, name, bound)
    assert rows.columns == list(query.columns)
    if not documented(query):
        return
    assert rows.solutions, f"{name} returns nothing on the fixture graph with its examples"
    for solution in rows.solutions:
        for column in query.columns.values():
            term = solution[column.name]
            assert term is None or KINDS[column.type](term), (name, column.name, term)


@pytest.mark.parametrize("name", NAMES)
def test_the_facade_queries_document_every_parameter_with_an_example(
        name: str, registry: QueryRegistry) -> None:
    query = registry[name]
    if not documented(query):
        pytest.skip("not a query of the facade (columns not declared)")
    assert query.summary and query.description
    for param in query.params.values():
        assert param.example is not None and param.description, (name, param.name)


def test_pages_follow_each_other_without_gaps_or_repeats(
        registry: QueryRegistry, fixture_store: KnowledgeStore) -> None:
    everything = registry.run(fixture_store, "scores", {}, limit=1000)
    assert not everything.has_more
    seen = []
    offset = 0
    while True:
        page = registry.run(fixture_store, "scores", {}, limit=7, offset=offset)
        seen += [s["observation"] for s in page.solutions]
        if not page.has_more:
            break
        offset += 7
    assert seen == [s["observation"] for s in everything.solutions]
    assert len(seen) == len(set(seen)) > 100


def test_ties_share_a_rank(registry: QueryRegistry, fixture_store: KnowledgeStore) -> None:
    vocab = Vocabulary.of(fixture_store)
    query = registry["ranking"]
    rows = registry.run(fixture_store, "ranking", query.parse_params(
        {"indicator": "overall-with-health", "year": "2019"}, vocab))
    ranks = [(s["jurisdictionCode"].value, int(s["rank"].value), s["tied"].value)
             for s in rows.solutions]
    assert ranks == [("SWE", 1, "false"), ("FIN", 2, "false"), ("PRT", 3, "false"),
                     ("AUT", 4, "true"), ("ESP", 4, "true")]


def test_changes_are_the_scores_that_differ(registry: QueryRegistry,
                                            fixture_store: KnowledgeStore) -> None:
    query = registry["changes"]
    bound = query.parse_params({"jurisdiction": "SWE", "from": "2014", "to": "2019"},
                               Vocabulary.of(fixture_store))
    rows = {s["code"].value: (s["change"].value, s["direction"].value,
                              s["toComment"].value if s["toComment"] else None)
            for s in registry.run(fixture_store, "changes", bound).solutions}
    assert rows["aa1"] == ("50", "positive", "Reform of 2016: all residents.")
    assert rows["ba21"] == ("-50", "negative", "New rules from 2016.")
    assert set(rows) == {"overall-with-health", "overall-without-health",
                         "overall-without-health-education", "a", "aa1", "b", "ba21"}
