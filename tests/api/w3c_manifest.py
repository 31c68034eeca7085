"""Reading the W3C SPARQL 1.1 HTTP test manifests and replaying them against a server.

The protocol and Graph Store Protocol manifests describe literal HTTP exchanges
(``ht:Request`` with method, path, headers and body; ``ht:Response`` with expected
status, result kind, headers, body and Location). ``read_http_tests`` turns a
manifest into ``HttpTest`` values; ``replay`` sends each request to a live server
and checks each response, failing with the exchange that went wrong.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

RESULT_TYPES = {
    "application/sparql-results+json", "application/sparql-results+xml",
    "text/csv", "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
    "application/ld+json": "json-ld", "application/trig": "trig", "application/n-quads": "nquads",
    "text/n3": "n3",
}
STATUS_CLASSES = {
    "StatusCode2xx": range(200, 300), "StatusCode3xx": range(300, 400),
    "StatusCode4xx": range(400, 500), "OK": (200,), "Created": (201,), "NoContent": (204,),
    "NotFound": (404,),
}


@dataclass
class Exchange:
    """One request of a test and what its response must be."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    statuses: list[str]
    boolean: bool | None = None
    result_kind: str | None = None
    location_variable: str | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: str | None = None


@dataclass
class HttpTest:
    name: str
    title: str
    requires: list[str]
    graph_data: list[tuple[Path, str]]
    exchanges: list[Exchange]


def read_http_tests(manifest: Path) -> list[HttpTest]:
    """The tests of a manifest and of the manifests it includes, in manifest order."""
    graph = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
    tests: list[HttpTest] = []
    root = URIRef(manifest.as_uri())
    for included in _list(graph, graph.value(root, MF.include)):
        tests += read_http_tests(Path(str(included).removeprefix("file://")))
    for entry in _list(graph, graph.value(root, MF.entries)):
        tests.append(_test(graph, entry))
    return tests


def _list(graph: Graph, head: Any) -> list[Any]:
    return list(Collection(graph, head)) if head is not None else []


def _local(term: Any) -> str:
    text = str(term)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _test(graph: Graph, entry: Any) -> HttpTest:
    action = graph.value(entry, MF.action)
    data = [
        (Path(str(graph.value(d, UT.graph)).removeprefix("file://")),
         str(graph.value(d, RDFS.label)))
        for d in graph.objects(entry, UT.graphData)
    ]
    return HttpTest(
        name=_local(entry),
        title=str(graph.value(entry, MF.name)),
        requires=sorted(_local(r) for r in graph.objects(entry, MF.requires)),
        graph_data=data,
        exchanges=[_exchange(graph, r) for r in _list(graph, graph.value(action, HT.requests))],
    )


def _headers(graph: Graph, node: Any) -> list[tuple[str, str]]:
    return [
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in _list(graph, graph.value(node, HT.headers))
    ]


def _exchange(graph: Graph, request: Any) -> Exchange:
    body_node = graph.value(request, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(request, HT.resp)
    boolean = graph.value(response, MF.expectedBoolean)
    kind = graph.value(response, MF.expectedFormat)
    location = graph.value(response, MF.expectedLocation)
    response_body = graph.value(response, HT.body)
    return Exchange(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=_headers(graph, request),
        body=body,
        statuses=sorted(_local(s) for s in graph.objects(response, MF.expectedStatus)),
        boolean=None if boolean is None else bool(boolean.toPython()),
        result_kind=None if kind is None else str(kind),
        location_variable=None if location is None else str(location),
        response_headers=_headers(graph, response),
        response_body=None if response_body is None else str(graph.value(response_body, CNT.chars)),
    )


def media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def replay(
    test: HttpTest,
    client: httpx.Client,
    base_url: str,
    prefixes: dict[str, str],
    headers: dict[str, str] | None = None,
    exact_status: int | None = None,
) -> list[httpx.Response]:
    """Send every request of ``test`` and check every response.

    Args:
        prefixes: path prefixes of the manifest -> this server's paths (longest first).
        headers: sent with every request (an Authorization header, say).
        exact_status: when given, the status every response must have (stricter than
            the manifest's classes, to prove a 4xx is refused for the right reason).
    """
    variables: dict[str, str] = {}
    responses = []
    for number, step in enumerate(test.exchanges, 1):
        path, body = step.path, step.body
        for name, value in variables.items():
            path = path.replace(name, value)
            body = body.replace(name.encode(), value.encode()) if body is not None else None
        for old, new in prefixes.items():
            if path.startswith(old):
                path = new + path[len(old):]
                break
        request_headers = dict(headers or {})
        request_headers.update(step.headers)
        response = client.request(step.method, base_url + path, headers=request_headers,
                                  content=body)
        where = f"{test.name}, request {number}: {step.method} {path} -> {response.status_code}"
        _check(step, response, where, exact_status)
        if step.location_variable:
            assert "location" in response.headers, f"{where}: no Location header"
            variables[step.location_variable] = response.headers["location"]
        responses.append(response)
    return responses


def _check(step: Exchange, response: httpx.Response, where: str, exact: int | None) -> None:
    allowed = [code for name in step.statuses for code in STATUS_CLASSES[name]]
    detail = f"{where}\n{response.text[:500]}"
    assert response.status_code in allowed, f"{detail}\nexpected one of {step.statuses}"
    if exact is not None:
        assert response.status_code == exact, f"{detail}\nexpected exactly {exact}"
    kind = media_type(response.headers.get("content-type"))
    if 400 <= response.status_code < 500 and step.method != "HEAD":
        assert kind == "application/problem+json" and "detail" in response.json(), detail
    if step.result_kind == "boolean":
        assert kind in ("application/sparql-results+json", "application/sparql-results+xml"), detail
    elif step.result_kind == "tabular":
        assert kind in RESULT_TYPES, detail
    elif step.result_kind == "RDF":
        assert kind in RDF_TYPES, detail
        Graph().parse(data=response.content, format=RDF_TYPES[kind])
    if step.boolean is not None:
        assert boolean_result(response) is step.boolean, detail
    for name, value in step.response_headers:
        assert _same_header(response.headers.get(name), value), (
            f"{detail}\n{name}: {response.headers.get(name)!r}, expected {value!r}")
    if step.response_body is not None:
        expected = Graph().parse(data=step.response_body, format="turtle")
        actual = Graph().parse(data=response.content, format=RDF_TYPES[kind])
        assert isomorphic(expected, actual), f"{detail}\nthe graph differs from the expected one"


def _same_header(actual: str | None, expected: str) -> bool:
    def norm(value: str) -> list[str]:
        return [part.strip().lower().replace('"', "") for part in value.split(";")]

    return actual is not None and norm(actual) == norm(expected)


def boolean_result(response: httpx.Response) -> bool:
    """The value of an ASK answer in SPARQL JSON or XML."""
    if media_type(response.headers.get("content-type")) == "application/sparql-results+json":
        value = json.loads(response.content)["boolean"]
        assert isinstance(value, bool)
        return value
    root = ET.fromstring(response.content)
    node = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None and node.text in ("true", "false")
    return node.text == "true"
