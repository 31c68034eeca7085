"""The network policy's decisions, read from the SPARQL parse (no server needed)."""

from __future__ import annotations

import pytest

from mipex_kg.engine.guard import NetworkAccessRefused, NetworkPolicy
from mipex_kg.engine.network_words import decode_escapes, may_connect
from mipex_kg.graph.namespaces import PREFIXES

ALLOWED = "http://127.0.0.1:5555/query"
POLICY = NetworkPolicy.of([ALLOWED], ["http://127.0.0.1:5556/data/"])
EVIL = "http://10.0.0.5:8080/admin"


@pytest.mark.parametrize("query", [
    f"SELECT * {{ ?s ?p true.SERVICE SILENT <{EVIL}> {{ ?a ?b ?c }} }}",
    f"SELECT * {{ ?s ?p 1.SERVICE <{EVIL}> {{ }} }}",
    f"SELECT * {{ ?s ?p 1.5e0.SERVICE <{EVIL}> {{ }} }}",
    f'SELECT * {{ ?s ?p "x"@en.SERVICE <{EVIL}> {{ }} }}',
    f"SELECT * {{ ?s ?p (1 2).SERVICE <{EVIL}> {{ }} }}",
    f"SELECT * {{ \\u0053ERVICE <{EVIL}> {{ }} }}",
    f"SELECT * {{ \\U00000053ervice <{EVIL}> {{ }} }}",
    "BASE <http://10.0.0.5:8080/> SELECT * { SERVICE <admin> { } }",
    "PREFIX e: <http://10.0.0.5:8080/> SELECT * { sErViCe e:admin { } }",
    f"SELECT * {{ VALUES ?v {{ <{EVIL}> }} SERVICE ?v {{ }} }}",
    f"SELECT * {{ BIND(<{EVIL}> AS ?v) SERVICE ?v {{ }} }}",
    f"SELECT * {{ FILTER NOT EXISTS {{ SERVICE <{EVIL}> {{ }} }} }}",
    f"SELECT * {{ ?s ?p ?o MINUS {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }} }}",
    f"SELECT * {{ {{ SELECT * {{ SERVICE <{EVIL}> {{}} }} }} }}",
    f"ASK {{ GRAPH ?g {{ OPTIONAL {{ SERVICE <{EVIL}> {{ }} }} }} }}",
    f"SELECT * {{ SERVICE <{ALLOWED}> {{ SERVICE <{EVIL}> {{ }} }} }}",
])
def test_disguised_services_are_refused(query: str) -> None:
    if "SERVICE" not in decode_escapes(query).upper():
        assert not POLICY.check_query(query, prefixes=PREFIXES)
        return
    with pytest.raises(NetworkAccessRefused):
        POLICY.check_query(query, prefixes=PREFIXES)


@pytest.mark.parametrize("query", [
    f"SELECT * {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}",
    f"SELECT * {{ SERVICE SILENT <{ALLOWED}> {{ ?s ?p ?o }} }}",
    "BASE <http://127.0.0.1:5555/> SELECT * { SERVICE <query> { ?s ?p ?o } }",
    "PREFIX e: <http://127.0.0.1:5555/> SELECT * { service e:query { ?s ?p ?o } }",
    "SELECT * { OPTIONAL { \\u0053ERVICE <http://127.0.0.1:5555/query> { ?s ?p ?o } } }",
])
def test_allowed_endpoints_make_a_federated_query(query: str) -> None:
    assert POLICY.check_query(query, prefixes=PREFIXES) is True


@pytest.mark.parametrize("query", [
    "SELECT * { ?s <http://example.org/service> 'SERVICE <http://x/> {}' }",
    "SELECT ?service { ?service a <http://example.org/Service> }",
    "SELECT * FROM <http://10.0.0.5/graph> { ?s ?p ?o }",  # names a graph of the store
])
def test_texts_that_only_mention_the_word_are_local(query: str) -> None:
    assert POLICY.check_query(query, prefixes=PREFIXES) is False


def test_a_text_the_parser_cannot_check_is_refused() -> None:
    with pytest.raises(NetworkAccessRefused, match="could not be checked"):
        POLICY.check_query(f"SELECT * {{ SERVICE <{EVIL}> {{ ?s ?p ", prefixes=PREFIXES)


@pytest.mark.parametrize("update", [
    f"LOAD <{EVIL}>",
    f"LOAD SILENT <{EVIL}> INTO GRAPH <http://g>",
    "LOAD <http://127.0.0.1:5556/other/x.ttl>",
    f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}",
    f"DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . \\u0053ERVICE <{EVIL}> {{ }} }}",
    f"INSERT {{ ?s ?p ?o }} USING <{EVIL}> WHERE {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
    f"\\u004cOAD <{EVIL}>",
])
def test_updates_cannot_call_out_and_load_only_from_allowed_sources(update: str) -> None:
    with pytest.raises(NetworkAccessRefused):
        POLICY.check_update(update, prefixes=PREFIXES)


def test_allowed_loads_and_plain_updates_pass() -> None:
    POLICY.check_update("LOAD <http://127.0.0.1:5556/data/x.ttl>", prefixes=PREFIXES)
    POLICY.check_update("INSERT DATA { <http://a> <http://b> 'load the service' }",
                        prefixes=PREFIXES)


def test_may_connect_is_false_only_without_the_words() -> None:
    assert not may_connect("SELECT * { ?s ?p ?o }")
    assert may_connect("SELECT * { \\u0073ervice }")
    assert not may_connect("LOAD <x>") and may_connect("LOAD <x>", update=True)


def test_in_process_queries_and_updates_never_reach_the_network() -> None:
    from mipex_kg.graph.store import KnowledgeStore

    store = KnowledgeStore()
    with pytest.raises(NetworkAccessRefused, match="not allowed here"):
        store.query(f"SELECT * {{ ?s ?p true.\\u0053ERVICE <{EVIL}> {{ }} }}")
    with pytest.raises(NetworkAccessRefused):
        store.update(f"LOAD <{EVIL}>")
    assert list(store.query("SELECT * { ?s <http://example.org/service> ?o }")) == []


def test_in_process_updates_with_escapes_but_no_keyword_are_not_parsed_twice() -> None:
    """Data with string escapes (``\\n`` in an expert's comment) needs no parse to be
    known offline; an escape that spells a keyword is still refused."""
    from mipex_kg.graph.store import KnowledgeStore

    store = KnowledgeStore()
    data = "\n".join(f'<http://example.org/s{i}> <http://example.org/note> "a\\nb {i}" .'
                     for i in range(3))
    store.update(f"INSERT DATA {{ GRAPH <http://example.org/g> {{ {data} }} }}")
    assert len(store) == 3
    with pytest.raises(NetworkAccessRefused):
        store.update(f"INSERT DATA {{ {data} }} ; \\u004cOAD <{EVIL}>")
    with pytest.raises(NetworkAccessRefused):
        store.update(f"INSERT DATA {{ {data} }} ; INSERT {{ ?s ?p ?o }} WHERE "
                     f"{{ \\u0053ERVICE <{EVIL}> {{ ?s ?p ?o }} }}")
    assert len(store) == 3
