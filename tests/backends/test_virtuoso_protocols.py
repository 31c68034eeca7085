"""What Virtuoso open source (Debian 7.2) really does over the SPARQL 1.1 protocols.

Plain httpx against a private server (``virtuoso_server``): no code of the service is
involved. Each test pins one behaviour the remote store has to handle; docs/backends.md
("Virtuoso") says how. Should a Virtuoso release change one of them, its test fails and
the note (and the handling) must be revisited. Every test writes its own graphs
(``urn:test:<test>:...``), so the order of the tests does not matter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest

from tests.backends.virtuoso_server import VirtuosoServer

pytestmark = pytest.mark.virtuoso

XSD = "http://www.w3.org/2001/XMLSchema#"
#: Triples of the graph the slow query joins with itself (~29 million pairs to compare).
SLOW_TRIPLES = 20_000
JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as client:
        yield client


def update(http: httpx.Client, server: VirtuosoServer, text: str) -> httpx.Response:
    """One SPARQL Update request, as dba, through the digest-protected endpoint."""
    return http.post(server.update_url, data={"update": text}, auth=server.auth())


def ask(http: httpx.Client, server: VirtuosoServer, query: str, accept: str,
        **params: str | list[str]) -> httpx.Response:
    """One query through the anonymous endpoint, with the protocol's own parameters."""
    return http.post(server.query_url, data={"query": query, **params},
                     headers={"Accept": accept})


def rows(http: httpx.Client, server: VirtuosoServer, query: str,
         **params: str | list[str]) -> list[dict[str, str]]:
    """A SELECT's solutions, each as {variable: term in N-Triples syntax}."""
    answer = ask(http, server, query, XML, **params)
    assert answer.status_code == 200, answer.text
    solutions = ox.parse_query_results(answer.content, format=ox.QueryResultsFormat.XML)
    names = [v.value for v in solutions.variables]
    return [{name: str(s[name]) for name in names if s[name] is not None} for s in solutions]


def graph(http: httpx.Client, server: VirtuosoServer, name: str) -> set[str]:
    """The triples of one graph, as N-Triples lines (through a CONSTRUCT)."""
    answer = ask(http, server, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}",
                 "application/n-triples")
    assert answer.status_code == 200, answer.text
    return {str(t) + " ." for t in ox.parse(answer.content, format=ox.RdfFormat.N_TRIPLES)}


def count(http: httpx.Client, server: VirtuosoServer, name: str) -> int:
    """How many triples one graph holds."""
    answer = ask(http, server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}",
                 XML)
    [solution] = ox.parse_query_results(answer.content, format=ox.QueryResultsFormat.XML)
    return int(solution["n"].value)


def n_triples(graph_tag: str, n: int, start: int = 0) -> str:
    """``n`` distinct triples (string objects with a language tag) as N-Triples."""
    return "\n".join(f'<urn:test:{graph_tag}:s{i}> <urn:test:p{i % 7}> "value {i}"@en .'
                     for i in range(start, start + n))


# --- authentication ------------------------------------------------------------------


def test_writes_need_digest_authentication(http: httpx.Client,
                                           virtuoso_server: VirtuosoServer) -> None:
    text = "INSERT DATA { GRAPH <urn:test:auth> { <urn:s> <urn:p> 1 } }"
    anonymous = http.post(virtuoso_server.update_url, data={"update": text})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Digest")
    basic = http.post(virtuoso_server.update_url, data={"update": text},
                      auth=httpx.BasicAuth(virtuoso_server.user, virtuoso_server.password))
    assert basic.status_code == 401  # Virtuoso asks for digest only: MIPEX_KG_STORE_AUTH=digest
    # the anonymous /sparql reads, but its SPARQL user may not write
    refused = http.post(virtuoso_server.query_url, data={"update": text})
    assert refused.status_code == 500 and "SR186" in refused.text
    assert update(http, virtuoso_server, text).status_code == 200
    # one client with the credentials for all three endpoints: reads pass on /sparql too
    read = http.post(virtuoso_server.query_url, data={"query": "ASK { ?s ?p ?o }"},
                     auth=virtuoso_server.auth(), headers={"Accept": JSON})
    assert read.status_code == 200 and read.json()["boolean"] is True


# --- result formats and content negotiation ------------------------------------------


def test_select_result_formats(http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    assert update(http, virtuoso_server,
                  "INSERT DATA { GRAPH <urn:test:formats> { <urn:a> <urn:p> <urn:b> } }"
                  ).status_code == 200
    query = "SELECT ?s ?o WHERE { GRAPH <urn:test:formats> { ?s <urn:p> ?o } }"
    served = {accept: ask(http, virtuoso_server, query, accept).headers["Content-Type"]
              for accept in (JSON, XML, "text/csv", "text/tab-separated-values",
                             "application/json", "*/*")}
    assert served == {
        JSON: JSON,
        XML: XML + "; charset=UTF-8",
        "text/csv": "text/csv; charset=UTF-8",
        "text/tab-separated-values": "text/tab-separated-values; charset=UTF-8",
        "application/json": "application/json",
        "*/*": XML + "; charset=UTF-8",  # XML, not JSON, when anything goes
    }
    # its TSV writes IRIs as quoted strings, not as <IRI>: not the SPARQL 1.1 TSV format
    tsv = ask(http, virtuoso_server, query, "text/tab-separated-values").text
    assert tsv.splitlines()[1] == '"urn:a"\t"urn:b"'
    # no Accept header at all: 406
    assert http.post(virtuoso_server.query_url, data={"query": query},
                     headers={"Accept": ""}).status_code == 406


def test_json_results_say_typed_literal_and_write_true_as_1(
        http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    assert update(http, virtuoso_server, "INSERT DATA { GRAPH <urn:test:json> { "
                  f'<urn:s> <urn:p> "true"^^<{XSD}boolean> }} }}').status_code == 200
    query = "SELECT ?o WHERE { GRAPH <urn:test:json> { ?s ?p ?o } }"
    binding = ask(http, virtuoso_server, query, JSON).json()["results"]["bindings"][0]["o"]
    assert binding == {"type": "typed-literal", "datatype": f"{XSD}boolean", "value": "1"}
    # the XML results keep the lexical form
    assert rows(http, virtuoso_server, query) == [{"o": f'"true"^^<{XSD}boolean>'}]


def test_ask_formats(http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    query = "ASK { FILTER(true) }"
    json_answer = ask(http, virtuoso_server, query, JSON)
    assert json_answer.json()["boolean"] is True
    assert ox.parse_query_results(json_answer.content, format=ox.QueryResultsFormat.JSON)
    assert "<boolean>true</boolean>" in ask(http, virtuoso_server, query, XML).text
    plain = ask(http, virtuoso_server, query, "text/plain")
    assert (plain.text, plain.headers["Content-Type"]) == ("true", "text/html; charset=UTF-8")
    assert ask(http, virtuoso_server, query, "text/csv").text.splitlines() == ['"bool"', "1"]


def test_graph_result_formats(http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    query = "CONSTRUCT { <urn:s> <urn:p> 1 } WHERE {}"
    statuses = {accept: ask(http, virtuoso_server, query, accept).status_code
                for accept in ("application/n-triples", "text/turtle", "application/rdf+xml",
                               "application/ld+json", "application/n-quads",
                               "application/trig")}
    assert statuses == {"application/n-triples": 200, "text/turtle": 200,
                        "application/rdf+xml": 200, "application/ld+json": 200,
                        "application/n-quads": 406, "application/trig": 406}
    assert ask(http, virtuoso_server, query, "*/*").headers["Content-Type"].startswith(
        "text/turtle")


# --- terms ---------------------------------------------------------------------------


def test_literals_are_stored_by_value(http: httpx.Client,
                                      virtuoso_server: VirtuosoServer) -> None:
    assert update(http, virtuoso_server, "INSERT DATA { GRAPH <urn:test:literals> { "
                  f'<urn:s> <urn:decimal> "1.50"^^<{XSD}decimal> . '
                  f'<urn:s> <urn:year> "2015"^^<{XSD}gYear> . '
                  '<urn:s> <urn:label> "Migrant integration"@en-GB . '
                  f'<urn:s> <urn:string> "x"^^<{XSD}string> , "x" . '
                  f'<urn:s> <urn:custom> "abc"^^<urn:type> . '
                  f'<urn:s> <urn:number> 1 , "1.0"^^<{XSD}decimal> , "1"^^<{XSD}double> . '
                  f'<urn:s> <urn:when> "2015"^^<{XSD}gYear> , "2015-01-01"^^<{XSD}date> '
                  "} }").status_code == 200
    stored = graph(http, virtuoso_server, "urn:test:literals")
    assert {t for t in stored if "<urn:number>" not in t and "<urn:when>" not in t} == {
        f'<urn:s> <urn:decimal> "1.5"^^<{XSD}decimal> .',  # canonical form, not as written
        f'<urn:s> <urn:year> "2015"^^<{XSD}gYear> .',
        '<urn:s> <urn:label> "Migrant integration"@en-gb .',  # language tag lower-cased
        '<urn:s> <urn:string> "x" .',  # "x" and "x"^^xsd:string: two terms in Virtuoso
        '<urn:s> <urn:custom> "abc"^^<urn:type> .',
    }
    assert count(http, virtuoso_server, "urn:test:literals") == 8  # ... "x" twice here
    # numbers equal by value are one term, and so are a year and a date in it: one of
    # the values written stays (which one is not said), the others are gone
    assert sum("<urn:number>" in t for t in stored) == 1
    assert sum("<urn:when>" in t for t in stored) == 1


def test_integer_subtypes_are_not_kept(http: httpx.Client,
                                       virtuoso_server: VirtuosoServer) -> None:
    """A derived integer type may come back as xsd:integer, or as the type another
    triple anywhere in the store gave the same number."""
    assert update(http, virtuoso_server, "INSERT DATA { GRAPH <urn:test:subtypes> { "
                  f'<urn:a> <urn:p> "4321"^^<{XSD}nonNegativeInteger> . '
                  f'<urn:b> <urn:q> "4321"^^<{XSD}unsignedShort> . '
                  f'<urn:c> <urn:r> "4320"^^<{XSD}unsignedLong> '
                  "} }").status_code == 200
    assert graph(http, virtuoso_server, "urn:test:subtypes") == {
        f'<urn:a> <urn:p> "4321"^^<{XSD}nonNegativeInteger> .',
        f'<urn:b> <urn:q> "4321"^^<{XSD}nonNegativeInteger> .',  # not unsignedShort
        f'<urn:c> <urn:r> "4320"^^<{XSD}integer> .',  # not unsignedLong
    }


def test_blank_nodes(http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    refused = update(http, virtuoso_server,
                     "INSERT DATA { GRAPH <urn:test:bnodes> { <urn:s> <urn:p> _:b } }")
    assert refused.status_code == 400 and "Blank node '_:b' is not allowed" in refused.text
    assert update(http, virtuoso_server, "INSERT { GRAPH <urn:test:bnodes> { "
                  '<urn:s> <urn:p> _:b . _:b <urn:q> "v" } } WHERE {}').status_code == 200
    query = ("SELECT ?b WHERE { GRAPH <urn:test:bnodes> "
             "{ <urn:s> <urn:p> ?b . ?b <urn:q> ?v } }")
    json_answer = ask(http, virtuoso_server, query, JSON)
    assert json_answer.json()["results"]["bindings"][0]["b"] == {
        "type": "bnode", "value": "nodeID://b10000"}
    # a blank node label with "://" in it is no label for a SPARQL results parser
    xml_answer = ask(http, virtuoso_server, query, XML)
    assert "<bnode>nodeID://b10000</bnode>" in xml_answer.text
    for answer, results_format in ((json_answer, ox.QueryResultsFormat.JSON),
                                   (xml_answer, ox.QueryResultsFormat.XML)):
        with pytest.raises(SyntaxError, match="blank node identifier is invalid"):
            list(ox.parse_query_results(answer.content, format=results_format))
    # the RDF syntaxes write it as a proper label
    triples = ask(http, virtuoso_server, "CONSTRUCT WHERE { GRAPH <urn:test:bnodes> "
                  "{ ?s ?p ?o } }", "application/n-triples")
    assert "_:b10000 <urn:q>" in triples.text.replace("\t", " ")


# --- datasets: default graph, named graphs -------------------------------------------


def test_the_default_graph_is_the_union_of_every_graph(
        http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    assert update(http, virtuoso_server, "INSERT DATA { "
                  "GRAPH <urn:test:union:a> { <urn:test:union:x> <urn:p> 1 } "
                  "GRAPH <urn:test:union:b> { <urn:test:union:y> <urn:p> 2 } }").status_code == 200
    both = "SELECT ?s WHERE { ?s <urn:p> ?o FILTER(STRSTARTS(STR(?s), 'urn:test:union')) }"
    assert {r["s"] for r in rows(http, virtuoso_server, both)} == {
        "<urn:test:union:x>", "<urn:test:union:y>"}
    # ... Virtuoso's own graphs included: they show in GRAPH ?g and in the default graph
    graphs = {r["g"] for r in rows(http, virtuoso_server,
                                   "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert "<http://www.openlinksw.com/schemas/virtrdf#>" in graphs
    assert rows(http, virtuoso_server, "SELECT ?s WHERE { ?s a "
                "<http://www.openlinksw.com/schemas/virtrdf#QuadMapFormat> } LIMIT 1")
    # the protocol's dataset parameters are honoured: several default graphs merge
    only_a = rows(http, virtuoso_server, "SELECT ?s WHERE { ?s <urn:p> ?o }",
                  **{"default-graph-uri": "urn:test:union:a"})
    assert only_a == [{"s": "<urn:test:union:x>"}]
    merged = rows(http, virtuoso_server, "SELECT ?s WHERE { ?s <urn:p> ?o }",
                  **{"default-graph-uri": ["urn:test:union:a", "urn:test:union:b"]})
    assert {r["s"] for r in merged} == {"<urn:test:union:x>", "<urn:test:union:y>"}
    named = rows(http, virtuoso_server, "SELECT ?g WHERE { GRAPH ?g { ?s <urn:p> ?o } }",
                 **{"named-graph-uri": "urn:test:union:b"})
    assert named == [{"g": "<urn:test:union:b>"}]


def test_there_is_no_plain_default_graph_to_write(
        http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    refused = update(http, virtuoso_server, "INSERT DATA { <urn:s> <urn:p> 1 }")
    assert refused.status_code == 400 and "No plain default graph" in refused.text
    assert update(http, virtuoso_server, "CLEAR DEFAULT").status_code == 400
    gsp = http.get(virtuoso_server.graph_store_url, params={"default": ""},
                   auth=virtuoso_server.auth())
    assert gsp.status_code == 500


# --- SPARQL Update -------------------------------------------------------------------


def test_graph_management_in_one_request(http: httpx.Client,
                                         virtuoso_server: VirtuosoServer) -> None:
    g = "urn:test:manage:"
    assert update(http, virtuoso_server, f"INSERT DATA {{ GRAPH <{g}a> {{ <urn:x> <urn:p> 1 }} "
                  f"GRAPH <{g}b> {{ <urn:y> <urn:p> 2 }} }}").status_code == 200
    assert update(http, virtuoso_server, f"MOVE <{g}a> TO <{g}b> ; COPY <{g}b> TO <{g}c> ; "
                  f"ADD <{g}c> TO <{g}d>").status_code == 200
    moved = {f'<urn:x> <urn:p> "1"^^<{XSD}integer> .'}
    assert graph(http, virtuoso_server, f"{g}a") == set()
    assert graph(http, virtuoso_server, f"{g}b") == moved
    assert graph(http, virtuoso_server, f"{g}c") == moved
    assert graph(http, virtuoso_server, f"{g}d") == moved
    # a graph filled by INSERT was never "created": DROP without SILENT fails on it
    refused = update(http, virtuoso_server, f"DROP GRAPH <{g}c>")
    assert refused.status_code == 500 and "has not been explicitly created" in refused.text
    assert update(http, virtuoso_server, f"DROP SILENT GRAPH <{g}c>").status_code == 200
    assert graph(http, virtuoso_server, f"{g}c") == set()
    # MOVE from a graph that does not exist is not an error (SPARQL 1.1 says it is)
    assert update(http, virtuoso_server, f"MOVE <{g}absent> TO <{g}d>").status_code == 200
    assert graph(http, virtuoso_server, f"{g}d") == set()


def test_a_failing_update_request_keeps_its_earlier_operations(
        http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    """Not one transaction: the first operation stays although the request fails."""
    answer = update(http, virtuoso_server,
                    "INSERT DATA { GRAPH <urn:test:partial> { <urn:x> <urn:p> 1 } } ; "
                    "DROP GRAPH <urn:test:partial:absent>")
    assert answer.status_code == 500
    assert count(http, virtuoso_server, "urn:test:partial") == 1


def test_insert_data_has_a_size_limit(http: httpx.Client,
                                      virtuoso_server: VirtuosoServer) -> None:
    fits = update(http, virtuoso_server,
                  f"INSERT DATA {{ GRAPH <urn:test:size:a> {{ {n_triples('size', 1000)} }} }}")
    assert fits.status_code == 200
    one_predicate = "\n".join(f"<http://example.org/s{i}> <http://example.org/p> {i} ."
                              for i in range(1500))
    too_big = update(http, virtuoso_server,
                     f"INSERT DATA {{ GRAPH <urn:test:size:b> {{ {one_predicate} }} }}")
    assert too_big.status_code == 400
    assert "generated SQL text has exceeded 10000 lines" in too_big.text
    assert count(http, virtuoso_server, "urn:test:size:b") == 0
    # the parser gives up near 5000 triples, whatever their shape
    parser = update(http, virtuoso_server,
                    f"INSERT DATA {{ GRAPH <urn:test:size:c> {{ {n_triples('size', 6000)} }} }}")
    assert parser.status_code == 400 and "memory exhausted" in parser.text
    # the limit is per operation, not per request: the same triples as two INSERT DATA
    # in one request go in
    lines = one_predicate.splitlines()
    two = update(http, virtuoso_server, " ; ".join(
        f"INSERT DATA {{ GRAPH <urn:test:size:d> {{ {' '.join(half)} }} }}"
        for half in (lines[:750], lines[750:])))
    assert two.status_code == 200
    assert count(http, virtuoso_server, "urn:test:size:d") == 1500


# --- Graph Store HTTP Protocol -------------------------------------------------------


def test_graph_store_protocol(http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    url, auth, g = virtuoso_server.graph_store_url, virtuoso_server.auth(), "urn:test:gsp"
    nt = (b'<urn:s> <urn:p> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
          b'<urn:s> <urn:q> _:b0 .\n_:b0 <urn:r> "bn"@en .\n')
    ttl = b'<urn:s> <urn:p> 2 ; <urn:q> [ <urn:r> "t" ] .\n'

    def put(body: bytes, media_type: str) -> int:
        return http.put(url, params={"graph": g}, content=body, auth=auth,
                        headers={"Content-Type": media_type}).status_code

    def get(accept: str, where: str = virtuoso_server.anonymous_graph_store_url
            ) -> httpx.Response:
        return http.get(where, params={"graph": g}, headers={"Accept": accept})

    assert put(nt, "application/n-triples") == 201  # created
    stored = list(ox.parse(get("application/n-triples").content, format=ox.RdfFormat.N_TRIPLES))
    assert len(stored) == 3 and any(isinstance(t.object, ox.BlankNode) for t in stored)
    assert put(ttl, "text/turtle") == 200  # replaced
    assert get("application/n-triples", url).status_code == 401  # this one needs the login
    got = list(ox.parse(get("text/turtle").content, format=ox.RdfFormat.TURTLE))
    assert len(got) == 3
    assert http.post(url, params={"graph": g}, content=nt, auth=auth,
                     headers={"Content-Type": "application/n-triples"}).status_code == 200
    assert count(http, virtuoso_server, g) == 6  # POST adds (blank nodes stay apart)
    assert get("application/n-quads").status_code == 406
    assert http.head(url, params={"graph": g}, auth=auth).status_code == 501
    # a body that does not parse: 500, not 400
    assert put(b"<broken", "application/n-triples") == 500
    # the anonymous variant may read but not write
    assert http.put(virtuoso_server.anonymous_graph_store_url, params={"graph": g}, content=nt,
                    headers={"Content-Type": "application/n-triples"}).status_code == 403
    assert http.delete(url, params={"graph": g}, auth=auth).status_code == 200
    assert get("application/n-triples").status_code == 404
    assert http.delete(url, params={"graph": g}, auth=auth).status_code == 404


def test_graph_store_put_takes_large_graphs(http: httpx.Client,
                                            virtuoso_server: VirtuosoServer) -> None:
    body = n_triples("large", 20_000).encode()
    answer = http.put(virtuoso_server.graph_store_url, params={"graph": "urn:test:large"},
                      content=body, auth=virtuoso_server.auth(),
                      headers={"Content-Type": "application/n-triples"})
    assert answer.status_code == 201, answer.text
    assert count(http, virtuoso_server, "urn:test:large") == 20_000


# --- replacing a graph while others read it ------------------------------------------


def test_readers_never_see_a_graph_half_replaced_by_move(
        http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    """Staging graph filled by the Graph Store protocol, then one MOVE, six times over,
    while another client counts the live graph: it only ever sees a whole version."""
    live, staging, sizes = "urn:test:swap", "urn:test:swap:staging", (4000, 2500)
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        with httpx.Client(timeout=120) as own:
            while not stop.is_set():
                seen.add(count(own, virtuoso_server, live))

    for size in sizes:  # two versions told apart by their size
        assert http.put(virtuoso_server.graph_store_url, params={"graph": live},
                        content=n_triples(f"swap{size}", size).encode(),
                        auth=virtuoso_server.auth(),
                        headers={"Content-Type": "application/n-triples"}).status_code in (200, 201)
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round_ in range(6):
            size = sizes[round_ % 2]
            assert http.put(virtuoso_server.graph_store_url, params={"graph": staging},
                            content=n_triples(f"swap{size}", size).encode(),
                            auth=virtuoso_server.auth(),
                            headers={"Content-Type": "application/n-triples"}
                            ).status_code in (200, 201)
            assert update(http, virtuoso_server, f"MOVE <{staging}> TO <{live}>").status_code == 200
    finally:
        stop.set()
        thread.join()
    assert seen and seen <= set(sizes), f"a reader saw {sorted(seen)}"


# --- time limits ---------------------------------------------------------------------


def test_the_timeout_parameter_cuts_answers_short_and_says_so_only_in_a_header(
        http: httpx.Client, virtuoso_server: VirtuosoServer) -> None:
    """Virtuoso's ``timeout`` (ms) is an "anytime query": 200 with what it has so far."""
    assert http.put(virtuoso_server.graph_store_url, params={"graph": "urn:test:slow"},
                    content=n_triples("slow", SLOW_TRIPLES).encode(), auth=virtuoso_server.auth(),
                    headers={"Content-Type": "application/n-triples"}).status_code == 201
    slow = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:test:slow> "
            "{ ?s ?p ?o . ?t ?p ?v FILTER(STR(?o) < STR(?v)) } }")
    answer = ask(http, virtuoso_server, slow, JSON, timeout="1000")
    assert answer.status_code == 200
    assert answer.headers["X-SQL-State"] == "S1TAT"
    # per predicate, k distinct values make k * (k - 1) / 2 ordered pairs
    per_predicate = [len(range(p, SLOW_TRIPLES, 7)) for p in range(7)]
    true_count = sum(k * (k - 1) // 2 for k in per_predicate)
    counted = [int(b["n"]["value"]) for b in answer.json()["results"]["bindings"]]
    assert counted in ([], [c for c in counted if c < true_count])  # none, or too few
