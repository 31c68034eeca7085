"""The validation gate validates in staging graphs of the store itself, and cleans up."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from mipex_kg.graph import iris
from mipex_kg.graph.store import STAGING_PREFIX, KnowledgeStore
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.gate import ValidationGate
from mipex_kg.loaders.pipeline import Loader

MKG = "https://w3id.org/mipex-kg/def#"
ISO3 = ox.NamedNode(MKG + "isoAlpha3")
GRAPH = iris.named_graph("curated/extra-test")


@pytest.fixture
def store(reference_store: KnowledgeStore) -> KnowledgeStore:
    return reference_store


def staging_graphs(store: KnowledgeStore) -> list[ox.NamedNode]:
    return [g for g in store.oxigraph.named_graphs() if g.value.startswith(STAGING_PREFIX)]


def a_country(store: KnowledgeStore, iso3: str) -> list[ox.Triple]:
    """Sweden's description, under another IRI and with the ISO code ``iso3``."""
    sweden = ox.NamedNode("https://w3id.org/mipex-kg/id/country/SWE")
    node = ox.NamedNode("https://w3id.org/mipex-kg/id/country/TST")
    return [ox.Triple(node, t.predicate, ox.Literal(iso3) if t.predicate == ISO3 else t.object)
            for t in {q.triple for q in store.oxigraph.quads_for_pattern(sweden, None, None)}]


def test_a_violation_is_found_in_the_staged_graph_and_nothing_stays(store: KnowledgeStore) -> None:
    version, sizes = store.version, store.graph_sizes()
    with ValidationGate(store).staged({GRAPH: a_country(store, "not-an-iso-code")}) as staged:
        assert staged.violations()  # the isoAlpha3 pattern, seen on the staged content
        assert len(staging_graphs(store)) == 2  # the new graph and the packaged ontology
        assert store.graph_sizes() == sizes  # readers do not see staging graphs
    assert staging_graphs(store) == [] and store.version == version
    assert store.graph_sizes() == sizes


def test_a_committed_graph_replaces_the_target(store: KnowledgeStore) -> None:
    with ValidationGate(store).staged({GRAPH: a_country(store, "ABC")}) as staged:
        assert staged.violations() == []
        staged.commit()
    assert store.graph_sizes()[GRAPH.value] > 2 and staging_graphs(store) == []


def test_the_loader_refuses_through_the_same_gate(store: KnowledgeStore) -> None:
    sizes = store.graph_sizes()
    with pytest.raises(LoadError) as refused:
        Loader(store).check({GRAPH: a_country(store, "x")}, "test.ttl", commit=True)
    assert any("alpha-3" in str(p) for p in refused.value.problems)
    assert store.graph_sizes() == sizes and staging_graphs(store) == []
    assert Loader(store).check_write({ox.DefaultGraph(): a_country(store, "x")})
    assert Loader(store).check_write({GRAPH: a_country(store, "ABC")}) == []
    assert staging_graphs(store) == [] and store.graph_sizes() == sizes
