"""``/rdf-graphs/service``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect
graph identification).

    GET|HEAD  ?graph=IRI | ?default     the graph, in the negotiated RDF format (404 if absent)
    PUT       ?graph=IRI | ?default     replace it with the body        -> 201 new / 204
    POST      ?graph=IRI | ?default     add the body to it (RDF merge)  -> 201 new / 204
    POST      (no graph)                a new graph under .../graph/gsp/ -> 201 + Location
    DELETE    ?graph=IRI | ?default     drop it                          -> 204 / 404

Reads are public like the SPARQL endpoint; writes need the bearer token and pass the
write gate. Bodies: Turtle, N-Triples, RDF/XML, JSON-LD, N3, or multipart/form-data
whose parts are any of those; blank nodes in a body are always new blank nodes.
"""

from __future__ import annotations

import uuid
from email import policy
from email.parser import BytesParser

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask

from mipex_kg.api.bodies import read_body
from mipex_kg.api.cache import CachedResponse
from mipex_kg.api.conditional import respond
from mipex_kg.api.deps import bounded, check_write_token, in_thread
from mipex_kg.api.errors import NotFound, ProtocolError, RdfSyntaxError, UnsupportedMediaType
from mipex_kg.api.formats import GRAPH_INPUT_FORMATS, choose
from mipex_kg.api.urls import endpoint_url
from mipex_kg.api.writes import GraphName, GraphWriter
from mipex_kg.engine.nesting import check_json_nesting
from mipex_kg.graph.iris import GSP_PREFIX
from mipex_kg.graph.namespaces import PREFIXES

PATH = "/rdf-graphs/service"

router = APIRouter(tags=["Graph Store"])

#: What the OpenAPI document shows (the routes read the raw request themselves), so
#: that clients and fuzzers know the graph is named in the query string.
_TARGET = {"parameters": [
    {"name": "graph", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "the graph's IRI (absolute); or give ?default"},
    {"name": "default", "in": "query", "required": False, "allowEmptyValue": True,
     "schema": {"type": "string"}, "description": "the default graph (no value needed)"},
]}
_BODY = {"requestBody": {"required": True, "content": {
    media_type: {"schema": {"type": "string"}}
    for media_type in [*GRAPH_INPUT_FORMATS, "multipart/form-data"]}}}


@router.get(PATH, response_class=Response, summary="Read one graph (Graph Store Protocol)",
            openapi_extra=_TARGET)
@router.head(PATH, response_class=Response, include_in_schema=False)
async def read_graph(request: Request) -> Response:
    graph = _target(request)
    if graph is None:
        raise ProtocolError("name the graph with ?graph=<IRI> or ?default")
    return await _read(request, graph)


@router.put(PATH, response_class=Response, summary="Replace one graph (Graph Store Protocol)",
            openapi_extra=_TARGET | _BODY)
async def put_graph(request: Request) -> Response:
    check_write_token(request.app.state.settings, request.headers.get("authorization"))
    graph = _target(request)
    if graph is None:
        raise ProtocolError("name the graph to replace with ?graph=<IRI> or ?default")
    triples = await _body_triples(request, graph)
    created = await in_thread(_writer(request).put, graph, triples)
    return _written(request, 201 if created else 204)


@router.post(PATH, response_class=Response,
             summary="Add to one graph, or create a new graph (Graph Store Protocol)",
             openapi_extra=_TARGET | _BODY)
async def post_graph(request: Request) -> Response:
    check_write_token(request.app.state.settings, request.headers.get("authorization"))
    graph = _target(request)
    if graph is None:  # the graph store itself: a new graph
        fresh = ox.NamedNode(GSP_PREFIX + uuid.uuid4().hex)
        triples = await _body_triples(request, fresh)
        await in_thread(_writer(request).post, fresh, triples)
        return _written(request, 201, {"Location": fresh.value})
    triples = await _body_triples(request, graph)
    created = await in_thread(_writer(request).post, graph, triples)
    return _written(request, 201 if created else 204)


@router.delete(PATH, response_class=Response, summary="Drop one graph (Graph Store Protocol)",
               openapi_extra=_TARGET)
async def delete_graph(request: Request) -> Response:
    check_write_token(request.app.state.settings, request.headers.get("authorization"))
    graph = _target(request)
    if graph is None:
        raise ProtocolError("name the graph to drop with ?graph=<IRI> or ?default")
    await in_thread(_writer(request).delete, graph)
    return _written(request, 204)


def _target(request: Request) -> GraphName | None:
    """The graph a request names, or None when it names the graph store itself."""
    params = request.query_params
    graphs = params.getlist("graph")
    if graphs and "default" in params:
        raise ProtocolError("give either ?graph=<IRI> or ?default, not both")
    if len(graphs) > 1:
        raise ProtocolError("give one ?graph=<IRI>")
    if "default" in params:
        return ox.DefaultGraph()
    if not graphs:
        return None
    try:
        return ox.NamedNode(graphs[0])
    except ValueError as error:
        raise ProtocolError(f"graph is not an absolute IRI: {graphs[0]!r}") from error


def _written(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    """The answer to a write; the query workers load the new data after it is sent."""
    engine = request.app.state.engine
    return Response(status_code=status, headers=headers, background=BackgroundTask(engine.warm))


def _writer(request: Request) -> GraphWriter:
    state = request.app.state
    return GraphWriter(state.store, state.write_gate, state.write_lock)


async def _read(request: Request, graph: GraphName) -> Response:
    state = request.app.state
    store = state.store
    if isinstance(graph, ox.NamedNode) and not store.has_graph(graph):
        raise NotFound(f"no graph named <{graph.value}>")
    format_values = tuple(request.query_params.getlist("format"))
    choice = choose("rdf", request.headers.get("accept"), format_values)

    def build() -> CachedResponse:
        rdf_format = choice.format.oxigraph
        body = store.dump(None, rdf_format, graph, prefixes=PREFIXES)
        return CachedResponse(body or b"", choice.content_type)

    key = ("graph", str(graph), choice.media_type)
    return await respond(request, store, state.response_cache, key, bounded(request, build))


async def _body_triples(request: Request, graph: GraphName) -> list[ox.Triple]:
    """The triples of a request body (one RDF document, or a multipart form of them)."""
    header = request.headers.get("content-type") or ""
    body = await read_body(request, request.app.state.settings.max_write_bytes, "a graph",
                           "MIPEX_KG_MAX_WRITE_BYTES")
    base = graph.value if isinstance(graph, ox.NamedNode) else endpoint_url(request)
    media_type = header.split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        triples: list[ox.Triple] = []
        for part_type, data in _form_parts(header, body):
            triples += await in_thread(_parse, part_type, data, base)
        return triples
    return await in_thread(_parse, header, body, base)


def _form_parts(header: str, body: bytes) -> list[tuple[str, bytes]]:
    """The (Content-Type, bytes) of each part of a multipart/form-data body.

    Raises:
        ProtocolError: the header has no boundary, or the body holds no part with it
            (which would otherwise read as an empty graph and empty the target).
    """
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {header}\r\n\r\n".encode("latin-1") + body)
    if not message.get_boundary():
        raise ProtocolError("a multipart/form-data body needs a boundary parameter in its "
                            "Content-Type header")
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if not parts or message.defects:
        raise ProtocolError("the multipart/form-data body holds no part delimited by its "
                            "boundary (or a part is not closed)")
    found = []
    for part in parts:
        content = part.get_payload(decode=True)
        found.append((part.get("content-type", ""),
                      content if isinstance(content, bytes) else b""))
    return found


def _parse(content_type: str, body: bytes, base: str) -> list[ox.Triple]:
    media_type, *params = (p.strip().lower() for p in content_type.split(";"))
    rdf_format = GRAPH_INPUT_FORMATS.get(media_type)
    if rdf_format is None:
        raise UnsupportedMediaType(
            "a graph must be sent as one of: " + ", ".join(GRAPH_INPUT_FORMATS)
            + (f" (not {media_type})" if media_type else " (the Content-Type is missing)")
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"the body must be UTF-8, not {value.strip()}")
    if rdf_format == ox.RdfFormat.JSON_LD:
        check_json_nesting(body)
    try:
        quads = ox.parse(body, format=rdf_format, base_iri=base,
                         rename_blank_nodes=True, without_named_graphs=True)
        return [quad.triple for quad in quads]
    except SyntaxError as error:
        raise RdfSyntaxError(f"the body is not valid {rdf_format.name}: {error}") from error
