"""Parameter types: what each accepts, and that everything else is refused."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from mipex_kg.api.query_params import TYPES, Vocabulary, split_list
from mipex_kg.graph.store import KnowledgeStore

ID = "https://w3id.org/mipex-kg/id/"


@pytest.fixture(scope="module")
def vocab(fixture_store: KnowledgeStore) -> Vocabulary:
    return Vocabulary.of(fixture_store)


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("year", "2019", ox.Literal(2019)),
    ("decimal", "0.01", ox.Literal("0.01", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#decimal"))),
    ("jurisdiction", "SWE", ox.NamedNode(ID + "country/SWE")),
    ("jurisdiction", "swe", ox.NamedNode(ID + "country/SWE")),
    ("jurisdiction", "ES21", ox.NamedNode(ID + "region/ES21")),
    ("jurisdiction", ID + "country/FIN", ox.NamedNode(ID + "country/FIN")),
    ("country", "ESP", ox.NamedNode(ID + "country/ESP")),
    ("indicator", "aa1", ox.NamedNode(ID + "indicator/mipex/aa1")),
    ("indicator", "mipex-r/overall", ox.NamedNode(ID + "indicator/mipex-r/overall")),
    ("indicator", "mipex-r:overall", ox.NamedNode(ID + "indicator/mipex-r/overall")),
    ("indicator", "overall-with-health", ox.NamedNode(ID + "indicator/mipex/overall-with-health")),
    ("area", "a", ox.NamedNode(ID + "indicator/mipex/a")),
    ("system", "mipex-r", ox.NamedNode(ID + "system/mipex-r")),
    ("edition", "mipex-2020", ox.NamedNode(ID + "edition/mipex-2020")),
    ("iri", "https://example.org/a?b=c", ox.NamedNode("https://example.org/a?b=c")),
    ("text", "Côte d'Ivoire", ox.Literal("Côte d'Ivoire")),
    ("indicator-level", "sub-indicator", ox.NamedNode(
        "https://w3id.org/mipex-kg/def#SubIndicator")),
])
def test_accepted_values_become_terms(kind: str, raw: str, expected: object,
                                      vocab: Vocabulary) -> None:
    assert TYPES[kind].parse(raw, vocab) == expected


@pytest.mark.parametrize(("kind", "raw", "message"), [
    ("year", "19", "not a year"), ("year", "2019 ", "not a year"), ("year", "3000", "not a year"),
    ("decimal", "1e5", "not a decimal"),
    ("jurisdiction", "XYZ", "unknown jurisdiction"),
    ("jurisdiction", 'SWE"} ; DROP ALL', "not a jurisdiction code"),
    ("country", "ES21", "not a country"),
    ("indicator", "zz99", "unknown indicator"),
    ("indicator", "aa1> } INSERT DATA { <a> <b> <c>", "not an indicator code"),
    ("area", "aa1", "unknown policy area"),
    ("system", "mipex-x", "unknown system"),
    ("edition", "<x>", "not an edition identifier"),
    ("iri", "javascript:alert(1)", "not an http(s) IRI"),
    ("iri", "https://example.org/a>b", "not an http(s) IRI"),
    ("iri", "https://exa mple.org/", "not an http(s) IRI"),
    ("text", 'a" } UNION { ?s ?p ?o', "not a search text"),
    ("text", "x" * 101, "not a search text"),
    ("indicator-level", "overall } #", "is not one of"),
])
def test_everything_else_is_refused(kind: str, raw: str, message: str,
                                    vocab: Vocabulary) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        TYPES[kind].parse(raw, vocab)


def test_lists_are_split_deduplicated_and_bounded() -> None:
    assert split_list("SWE, ESP,SWE,") == ["SWE", "ESP"]
    with pytest.raises(ValueError, match="empty"):
        split_list(" , ")
    with pytest.raises(ValueError, match="at most"):
        split_list(",".join(str(i) for i in range(100)))


def test_the_vocabulary_follows_the_store(reference_store: KnowledgeStore) -> None:
    from mipex_kg.api.query_params import VocabularyCache

    cache = VocabularyCache(reference_store)
    assert "ZZZ" not in cache.get().jurisdictions
    reference_store.update(
        "INSERT DATA { <https://w3id.org/mipex-kg/id/country/ZZZ> a mkg:Country ; "
        "skos:notation 'ZZZ' }")
    assert "ZZZ" in cache.get().jurisdictions
