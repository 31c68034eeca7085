"""The predeclared prefixes a worker passes with a query (``worker.needed_prefixes``),
and that queries answer the same with or without the ones left out."""

from __future__ import annotations

import pyoxigraph as ox

from mipex_kg.engine.worker import QueryTask, needed_prefixes, run_query

EX = "http://example.org/"
PREFIXES = {"ex": EX, "other": "http://other.example/"}


def test_only_prefixes_the_text_uses_and_does_not_declare_are_passed() -> None:
    assert needed_prefixes("SELECT * { ?s ex:p ?o }", PREFIXES) == {"ex": EX}
    declared = "PREFIX ex: <http://mine.example/>\nSELECT * { ?s ex:p ?o }"
    assert needed_prefixes(declared, PREFIXES) is None
    empty = {"": "http://empty.example/"}
    assert needed_prefixes("SELECT * { ?s :p ?o }", empty) == empty
    assert needed_prefixes("PREFIX : <http://mine.example/> SELECT * { ?s :p ?o }", empty) is None
    assert needed_prefixes("ASK {}", PREFIXES) is None


def test_a_declaration_in_a_comment_or_after_the_prologue_keeps_the_prefix() -> None:
    commented = "# PREFIX ex: <http://mine.example/>\nSELECT * { ?s ex:p ?o }"
    assert needed_prefixes(commented, PREFIXES) == {"ex": EX}
    in_string = 'SELECT * { ?s ex:p "PREFIX other: <x>" . ?s other:q ?o }'
    assert needed_prefixes(in_string, PREFIXES) == {"ex": EX, "other": "http://other.example/"}


def test_the_query_reads_its_own_declaration_and_the_predeclared_ones() -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal("ex")))
    store.add(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode("http://mine.example/p"),
                      ox.Literal("mine")))

    def values(query: str) -> bytes:
        task = QueryTask(query, "text/tab-separated-values", "text/turtle", 10, prefixes=PREFIXES)
        return run_query(store, task).body

    assert b'"ex"' in values("SELECT ?o { ?s ex:p ?o }")
    own = values("PREFIX ex: <http://mine.example/>\nSELECT ?o { ?s ex:p ?o }")
    assert b'"mine"' in own and b'"ex"' not in own
