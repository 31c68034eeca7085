"""The lexical analysis of SPARQL text the endpoint does before pyoxigraph parses it."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from mipex_kg.api.errors import ProtocolError
from mipex_kg.api.sparql_text import (
    apply_update_dataset,
    has_dataset_clause,
    keyword_count,
    query_form,
)


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * {}", "SELECT"),
    ("  # a comment with ASK\n  ask {}", "ASK"),
    ("BASE <http://x/> PREFIX : <http://y/> PREFIX ex: <z> CONSTRUCT WHERE {}", "CONSTRUCT"),
    ("PREFIX select: <http://x/> DESCRIBE select:y", "DESCRIBE"),
    ("INSERT DATA {}", None),
    ("", None),
    ("PREFIX : <http://x/>", None),
])
def test_query_form(text: str, form: str | None) -> None:
    assert query_form(text) == form


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT * FROM <http://g> {}", True),
    ("SELECT * FROM NAMED <http://g> { GRAPH ?g {} }", True),
    ("SELECT * { ?s ?p 'FROM' } ", False),
    ("SELECT * { ?s <http://x/from> ?o }", False),
    ("SELECT * { ?s ex:from ?o } # FROM <http://g>", False),
    ("SELECT * { { SELECT ?s { ?s ?p ?o } } }", False),
])
def test_has_dataset_clause(text: str, expected: bool) -> None:
    assert has_dataset_clause(text) is expected


def _run(update: str) -> set[str]:
    """Apply ``update`` to a small dataset; the triples of graph <r> afterwards."""
    store = ox.Store()
    store.update(
        "INSERT DATA { GRAPH <http://g1> { <http://a> <http://p> 1 } "
        "GRAPH <http://g2> { <http://b> <http://p> 2 } }"
    )
    store.update(update)
    return {str(q.triple) for q in store.quads_for_pattern(None, None, None, ox.NamedNode("http://r"))}


def test_using_graphs_apply_to_every_where_clause() -> None:
    update = (
        "INSERT { GRAPH <http://r> { ?s <http://q> ?o } } WHERE { ?s <http://p> ?o } ;"
        "DELETE { GRAPH <http://r> { ?s <http://q> 1 } } WHERE { ?s ?p 1 }"
    )
    assert _run(update) == set()  # the real default graph is empty
    rewritten = apply_update_dataset(update, ["http://g1", "http://g2"])
    assert _run(rewritten) == {'<http://b> <http://q> "2"^^<http://www.w3.org/2001/XMLSchema#integer>'}


def test_delete_where_is_spelled_out_to_take_using() -> None:
    update = ("INSERT DATA { GRAPH <http://r> { <http://a> <http://p> 1 } } ; "
              "DELETE WHERE { GRAPH <http://r> { ?s ?p 1 } . ?s ?p ?o }")
    assert len(_run(update)) == 1  # ?s ?p ?o finds nothing in the (empty) real default graph
    only_default = apply_update_dataset(update, ["http://g1"])
    assert "USING <http://g1> WHERE" in only_default
    assert len(_run(only_default)) == 1  # no named graphs in the dataset: GRAPH <r> is empty
    rewritten = apply_update_dataset(update, ["http://g1"], ["http://r"])
    assert _run(rewritten) == set()


def test_using_named_alone_leaves_an_empty_default_graph() -> None:
    update = ("INSERT { GRAPH <http://r> { ?s <http://q> ?o } } "
              "WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?o = 2) }")
    assert len(_run(apply_update_dataset(update, [], ["http://g2"]))) == 1
    assert _run(apply_update_dataset(update, [], ["http://g1"])) == set()


def test_keywords_in_strings_iris_and_comments_are_not_clauses() -> None:
    update = ("# WHERE USING WITH\nINSERT { GRAPH <http://r> { ?s <http://where> 'WHERE { }' } } "
              "WHERE { ?s ?p ?o }")
    rewritten = apply_update_dataset(update, ["http://g1"])
    assert rewritten.count("USING <http://g1>") == 1
    assert len(_run(rewritten)) == 1


@pytest.mark.parametrize("update", [
    "WITH <http://g1> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <http://g1> WHERE { ?s ?p ?o }",
])
def test_own_using_or_with_conflicts_with_protocol_graphs(update: str) -> None:
    assert apply_update_dataset(update) == update
    with pytest.raises(ProtocolError):
        apply_update_dataset(update, ["http://g2"])


def test_updates_without_where_are_unchanged() -> None:
    update = "CLEAR ALL ; INSERT DATA { <http://a> <http://b> 'WHERE' }"
    assert apply_update_dataset(update, ["http://g1"]) == update


def test_keywords_are_counted_as_the_grammar_reads_names() -> None:
    text = "SELECT * { { SELECT * { SERVICE SILENT <http://x> {} } } SERVICE ex:y {} }"
    assert keyword_count(text, "SERVICE") == 2
    assert keyword_count("SELECT * { ?s ?p \"\"\"SERVICE <http://x> {}\"\"\" }", "SERVICE") == 0
    # a dot ends a keyword or a literal, but not a prefixed name or blank node label
    assert keyword_count("SELECT * { ?s ?p true.SERVICE <x> {} }", "SERVICE") == 1
    assert keyword_count("SELECT * { ?s ?p 1.SERVICE <x> {} }", "SERVICE") == 1
    assert keyword_count("SELECT * { ?s ?p ex:a.SERVICE }", "SERVICE") == 0
    assert keyword_count("SELECT * { ?s ?p _:b.SERVICE }", "SERVICE") == 0
    assert keyword_count("SELECT * { ?s ?p ?service }", "SERVICE") == 0
