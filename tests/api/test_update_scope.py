"""Which graphs a SPARQL Update can touch: a superset of the named ones, or None (any)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from mipex_kg.api.update_scope import touched_graphs

DEFAULT = ox.DefaultGraph()


def named(*iris: str) -> set[ox.NamedNode | ox.DefaultGraph]:
    return {DEFAULT, *(ox.NamedNode(f"http://example.org/{i}") for i in iris)}


@pytest.mark.parametrize(("update", "graphs"), [
    (("DROP GRAPH <http://example.org/g> ; INSERT DATA { GRAPH <http://example.org/g> { "
      "<http://example.org/a> <http://example.org/b> 1 } }"), named("g")),
    (("DELETE { GRAPH <http://example.org/h> { ?s ?p ?o } } "
      "WHERE { GRAPH <http://example.org/i> { ?s ?p ?o } }"), named("h", "i")),
    ("WITH <http://example.org/w> INSERT { ?s ?p 1 } USING <http://example.org/u> WHERE { ?s ?p ?o }",
     named("w", "u")),
    (("INSERT { ?s ?p 1 } WHERE { { GRAPH <http://example.org/q> { ?s ?p ?o } } "
      "UNION { FILTER EXISTS { GRAPH <http://example.org/r> { ?s ?p ?o } } } }"), named("q", "r")),
    ("ADD DEFAULT TO <http://example.org/x> ; MOVE <http://example.org/a> TO DEFAULT",
     named("x", "a")),
    ("PREFIX ex: <http://example.org/> INSERT DATA { GRAPH ex:p { ex:a ex:b ex:c } }", named("p")),
    ("DELETE WHERE { ?s ?p ?o }", named()),
])
def test_the_graphs_an_update_names(update: str, graphs: set) -> None:
    found = touched_graphs(update)
    assert found is not None and graphs <= found


def test_names_that_cannot_be_graphs_are_left_out() -> None:
    found = touched_graphs('PREFIX ex: <http://example.org/> INSERT DATA { GRAPH ex:g { '
                           '_:b ex:p "ex:notagraph", "<http://example.org/no>" } }')
    assert found == named("g", "p")


@pytest.mark.parametrize("update", [
    "INSERT { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "INSERT { ?s ?p 1 } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "CLEAR ALL",
    "DROP NAMED",
    "LOAD <http://example.org/data>",
    "INSERT { ?s ?p 1 } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "INSERT DATA { GRAPH <g> { <http://example.org/a> <http://example.org/b> 1 } }",
    "INSERT DATA { GRAPH <http://example.org/\\u0067> { <http://example.org/a> <http://example.org/b> 1 } }",
    "INSERT DATA { GRAPH undeclared:g { <http://example.org/a> <http://example.org/b> 1 } }",
    "INSERT { GRAPH $g { ?s ?p 1 } } WHERE { ?s ?p ?g }",
])
def test_an_update_that_can_reach_any_graph(update: str) -> None:
    assert touched_graphs(update) is None
