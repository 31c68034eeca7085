"""How a query's dataset goes on the wire: listed graphs, or an engine's exclusions."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from mipex_kg.graph.remote_protocol import dataset_request

G = "https://example.org/graph/"
EVERY = [ox.NamedNode(f"{G}{name}") for name in ("a", "b", "c", "recomputed")]
ALL_BUT_RECOMPUTED = EVERY[:3]
#: A graph the engine keeps for itself (not one of the store's, but in its union).
ENGINES_OWN = ox.NamedNode("http://www.openlinksw.com/schemas/virtrdf#")


def request(defaults: list[ox.NamedNode] | None, engine: str,
            named: list[ox.NamedNode] | None = None) -> tuple[str, list[tuple[str, str]]]:
    return dataset_request(defaults, named, union=True, union_parameter="union-default-graph",
                           engine=engine, every_graph=lambda: list(EVERY),
                           engine_graphs=lambda: [*EVERY, ENGINES_OWN])


def test_virtuoso_gets_every_graph_but_one_as_that_graph_excluded_and_its_own() -> None:
    pragmas, params = request(ALL_BUT_RECOMPUTED, "virtuoso")
    assert pragmas == (f"define input:default-graph-exclude <{G}recomputed>\n"
                       f"define input:default-graph-exclude <{ENGINES_OWN.value}>\n")
    assert params == []  # its union default graph, and every graph for GRAPH


@pytest.mark.parametrize("engine", ["oxigraph", "", "fuseki"])
def test_other_engines_get_the_graphs_listed(engine: str) -> None:
    pragmas, params = request(ALL_BUT_RECOMPUTED, engine)
    assert pragmas == ""
    assert [v for k, v in params if k == "default-graph-uri"] == [g.value for g in ALL_BUT_RECOMPUTED]
    assert [v for k, v in params if k == "named-graph-uri"] == [g.value for g in EVERY]


def test_virtuoso_gets_a_few_graphs_listed_rather_than_many_excluded() -> None:
    pragmas, params = request(EVERY[:1], "virtuoso")
    assert pragmas == ""
    assert ("default-graph-uri", EVERY[0].value) in params


def test_a_graph_the_store_does_not_have_is_never_turned_into_exclusions() -> None:
    """A listed graph the store does not hold cannot be said by exclusions: listed."""
    unknown = ox.NamedNode(f"{G}unknown")
    pragmas, params = request([*ALL_BUT_RECOMPUTED, unknown], "virtuoso")
    assert pragmas == ""
    assert ("default-graph-uri", unknown.value) in params


def test_named_graphs_given_keep_the_protocol_parameters() -> None:
    pragmas, params = request(ALL_BUT_RECOMPUTED, "virtuoso", named=EVERY[:1])
    assert pragmas == ""
    assert params[-1] == ("named-graph-uri", EVERY[0].value)


def test_no_dataset_asks_for_the_union() -> None:
    assert request(None, "virtuoso") == ("", [("union-default-graph", "true")])
