"""The W3C SPARQL 1.1 result-format tests (json-res, csv-tsv-res) over HTTP.

Each test loads its data, sends its query to the live endpoint asking for the format
under test, and compares the answer with the expected file: same variables, same
rows in the same order (every query has ORDER BY), blank nodes matched by a
consistent renaming, literals compared as RDF terms, and numbers by value where
the format allows another spelling (TSV may write 1.0E6 as 1.0e6).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace, URIRef

from tests.api.live import SPARQL11_TESTS, LiveServer, live_server, settings_for_tests
from tests.backends.oxigraph_server import BACKENDS, store_for

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + n for n in ("integer", "decimal", "double", "float", "negativeInteger")}
MISSING = f"the W3C SPARQL 1.1 test suite is not in {SPARQL11_TESTS} (../shared/conformance)"
#: Tests whose expectation the store itself cannot meet, and why.
STORE_LIMITS = {
    "tsv03": "Oxigraph stores \"-3\"^^xsd:negativeInteger as \"-3\"^^xsd:integer (same value, "
    "the derived datatype IRI is not kept), so the TSV shows -3",
}
ACCEPT = {".srj": "application/sparql-results+json", ".csv": "text/csv",
          ".tsv": "text/tab-separated-values"}


def _tests() -> list[Any]:
    params = []
    for folder in ("json-res", "csv-tsv-res"):
        manifest = SPARQL11_TESTS / folder / "manifest.ttl"
        if not manifest.is_file():
            return [pytest.param(None, id="result-formats", marks=pytest.mark.skip(reason=MISSING))]
        graph = Graph().parse(manifest, format="turtle")
        for test in sorted(graph.subjects(MF.result, None), key=str):
            action = graph.value(test, MF.action)
            paths = [Path(str(graph.value(action, p)).removeprefix("file://"))
                     for p in (QT.query, QT.data)]
            result = Path(str(graph.value(test, MF.result)).removeprefix("file://"))
            name = str(test).rsplit("#", 1)[-1]
            marks = ([pytest.mark.xfail(reason=STORE_LIMITS[name], strict=True)]
                     if name in STORE_LIMITS else [])
            params.append(pytest.param((*paths, result), id=name, marks=marks))
    return params


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with live_server(settings_for_tests(), store_for(request)) as running:
        yield running


@pytest.mark.parametrize("case", _tests())
def test_result_format(case: tuple[Path, Path, Path], server: LiveServer) -> None:
    query, data, expected = case
    graph = URIRef("http://example.org/data")
    turtle = Graph().parse(data, format="turtle")
    server.fill(graphs={str(graph): turtle.serialize(format="nt", encoding="utf-8")})
    response = server.http.get(server.endpoint, params={"query": query.read_text()},
                         headers={"Accept": ACCEPT[expected.suffix]}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == ACCEPT[expected.suffix]
    read = {".srj": _json_rows, ".csv": _csv_rows, ".tsv": _tsv_rows}[expected.suffix]
    actual_vars, actual_rows = read(response.content)
    expected_vars, expected_rows = read(expected.read_bytes())
    assert sorted(actual_vars) == sorted(expected_vars)
    assert _canonical(actual_rows) == _canonical(expected_rows)


Row = dict[str, object]


def _json_rows(data: bytes) -> tuple[list[str], list[Row] | bool]:
    document = json.loads(data)
    if "boolean" in document:
        return [], document["boolean"]
    rows = []
    for binding in document["results"]["bindings"]:
        row: Row = {}
        for name, term in binding.items():
            if term["type"] == "bnode":
                row[name] = ("bnode", term["value"])
            elif term["type"] == "uri":
                row[name] = ("uri", term["value"])
            else:
                datatype = term.get("datatype", XSD + "string")
                row[name] = _literal(term["value"], datatype, term.get("xml:lang"))
        rows.append(row)
    return document["head"]["vars"], rows


def _tsv_rows(data: bytes) -> tuple[list[str], list[Row]]:
    results = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV)
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    rows = []
    for solution in results:
        row: Row = {}
        for name in names:
            term = solution[name]
            if isinstance(term, ox.BlankNode):
                row[name] = ("bnode", term.value)
            elif isinstance(term, ox.NamedNode):
                row[name] = ("uri", term.value)
            elif isinstance(term, ox.Literal):
                row[name] = _literal(term.value, term.datatype.value, term.language)
        rows.append(row)
    return names, rows


def _csv_rows(data: bytes) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    names, *lines = list(reader)
    rows = []
    for line in lines:
        row: Row = {}
        for name, value in zip(names, line, strict=True):
            if value.startswith("_:"):
                row[name] = ("bnode", value)
            elif value:
                row[name] = ("text", Decimal(value).normalize() if _is_number(value) else value)
        rows.append(row)
    return names, rows


def _literal(value: str, datatype: str, language: str | None) -> tuple[object, ...]:
    if datatype in NUMERIC:
        return ("number", datatype, Decimal(value).normalize())
    return ("literal", value, datatype, language)


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _canonical(rows: list[Row] | bool) -> object:
    """Rows with blank nodes renamed in order of appearance."""
    if isinstance(rows, bool):
        return rows
    names: dict[object, str] = {}
    out = []
    for row in rows:
        canonical = {}
        for name, term in row.items():
            if isinstance(term, tuple) and term[0] == "bnode":
                term = ("bnode", names.setdefault(term[1], f"b{len(names)}"))
            canonical[name] = term
        out.append(canonical)
    return out
