"""``/sparql``: the SPARQL 1.1 Protocol endpoint.

* Queries (GET, form POST, direct POST) run in the query pool (hard time limit) and
  are answered in the negotiated format by pyoxigraph's own writers. SELECT and ASK:
  SPARQL JSON (default), XML, CSV, TSV. CONSTRUCT and DESCRIBE: Turtle (default),
  N-Triples, JSON-LD, RDF/XML, TriG, N-Quads, N3.
* The default graph is the union of all graphs, unless the request names a dataset
  (``default-graph-uri`` / ``named-graph-uri``, which then is the whole dataset) or
  the query does (``FROM`` / ``FROM NAMED``). Relative IRIs resolve against the
  endpoint's URL. The prefixes of ``graph.namespaces.PREFIXES`` are predeclared.
* Result cap: a SELECT with more than ``max_result_rows`` rows (a CONSTRUCT or
  DESCRIBE with more triples) is answered with the first ``max_result_rows`` and the
  headers ``X-Result-Truncated: true`` and ``X-Result-Row-Limit: N``; ORDER BY decides
  which rows those are. Nothing is truncated without those headers.
* Federated queries (``SERVICE``) may call only the endpoints named in the settings
  (the EU country table, NUTS and CORDIS endpoints); any other ``SERVICE`` is refused
  with 400, so the endpoint cannot be made to fetch arbitrary URLs. Remote calls run
  inside the query's time limit.
* Updates (form or direct POST) need the bearer token and pass the write gate;
  success is ``204 No Content``.
* A GET without a query returns the service description (Turtle unless asked otherwise).
* A browser asking for it without a query (``Accept`` naming ``text/html`` first) gets
  the query editor instead of the service description (``routes.editor``).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from mipex_kg.api.cache import CachedResponse
from mipex_kg.api.conditional import respond, respond_async
from mipex_kg.api.deps import check_write_token, endpoint_url
from mipex_kg.api.errors import ApiError, NotAcceptable, ProtocolError, error_response
from mipex_kg.api.formats import RDF_FORMATS, RESULT_FORMATS, Choice, Family, choose, write_triples
from mipex_kg.api.query_worker import QueryTask
from mipex_kg.api.routes.editor import editor_page, wants_editor
from mipex_kg.api.service_description import service_description
from mipex_kg.api.sparql_request import SparqlOperation, query_facts, read_operation
from mipex_kg.api.sparql_text import apply_update_dataset
from mipex_kg.api.writes import GraphWriter
from mipex_kg.graph.namespaces import PREFIXES, SD, VOID, XSD
from mipex_kg.settings import Settings

router = APIRouter(tags=["SPARQL"])


def _parameter(name: str, description: str, *, many: bool = False) -> dict[str, object]:
    schema: dict[str, object] = {"type": "string"}
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


#: What the OpenAPI page shows for /sparql (the route reads the raw request itself).
OPENAPI = {
    "parameters": [
        _parameter("query", "a SPARQL 1.1 query (none: the service description)"),
        _parameter("default-graph-uri", "a graph of the default graph", many=True),
        _parameter("named-graph-uri", "a named graph of the dataset", many=True),
        _parameter("format", "json, xml, csv, tsv, turtle, ntriples, jsonld, rdfxml, trig, "
                             "nquads or n3 (instead of Accept)"),
    ],
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                "query": {"type": "string"}, "update": {"type": "string"}}}},
            "application/sparql-query": {"schema": {"type": "string"}},
            "application/sparql-update": {"schema": {"type": "string"}},
        },
    },
    "responses": {"200": {"description": "the results, in the negotiated format"},
                  "204": {"description": "the update was applied"}},
}

_DESCRIPTION_PREFIXES = {
    "sd": str(SD), "void": str(VOID), "xsd": str(XSD), "formats": "http://www.w3.org/ns/formats/",
}


async def sparql(request: Request) -> Response:
    """Answer one SPARQL Protocol request (GET, HEAD or POST); a browser gets the editor."""
    if wants_editor(request):
        return await run_in_threadpool(editor_page, request)
    operation = await read_operation(request)
    if operation.kind == "query":
        # on the event loop: a cached answer costs no thread, a query no thread either
        return await _query(request, operation)
    if operation.kind == "update":
        return await run_in_threadpool(_update, request, operation)
    return await run_in_threadpool(_describe, request, operation)


for _method in ("GET", "HEAD", "POST"):
    router.add_api_route(
        "/sparql",
        sparql,
        methods=[_method],
        response_class=Response,
        summary="SPARQL 1.1 query and update endpoint",
        description=__doc__,
        operation_id=f"sparql_{_method.lower()}",
        include_in_schema=_method != "HEAD",
        openapi_extra=OPENAPI,
    )


class SparqlFastPath:
    """ASGI middleware: ``/sparql`` GET, HEAD and POST go straight to ``sparql``.

    The same handler as the route above, without FastAPI's routing, dependency
    solving and exception middleware (0.05 ms per request, measured: as much as the
    rest of answering from the cache). Added
    inside the CORS middleware, so CORS, the app's body limit and the handler of
    unexpected errors (500) still apply; ``ApiError`` is answered here with the same
    JSON body as the app's handler. Everything else goes on to the app.
    """

    def __init__(self, app: ASGIApp, path: str = "/sparql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD", "POST")
                or _route_path(scope) != self.path):
            await self.app(scope, receive, send)
            return
        try:
            response = await sparql(Request(scope, receive))
        except ApiError as error:
            response = error_response(error)
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path the router matches (without the root path), as Starlette computes it."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and path != root and path[len(root)] == "/":
        return path[len(root):]
    return path


_ENDPOINTS: dict[tuple[object, ...], str] = {}


def _endpoint_url(request: Request, settings: Settings) -> str:
    """``deps.endpoint_url``, remembered: it builds and re-parses a URL (10 us)."""
    scope = request.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    key = (settings.base_url, scope.get("scheme"), scope.get("server"), scope["path"], host)
    url = _ENDPOINTS.get(key)
    if url is None:
        url = endpoint_url(request, settings)
        if len(_ENDPOINTS) >= 256:  # the Host header is the client's: keep this small
            _ENDPOINTS.clear()
        _ENDPOINTS[key] = url
    return url


async def _query(request: Request, operation: SparqlOperation) -> Response:
    state = request.app.state
    settings = state.settings
    text = operation.text
    facts = query_facts(text)
    federated = _check_federation(facts.service_targets, settings)
    results = _choose("results", request, operation, strict=facts.form in ("SELECT", "ASK"))
    rdf = _choose("rdf", request, operation, strict=facts.form in ("CONSTRUCT", "DESCRIBE"))
    base_iri = _endpoint_url(request, settings)
    dataset = operation.has_dataset
    default_graphs = operation.default_graphs if dataset else None
    named_graphs = operation.named_graphs if dataset else None
    row_limit = settings.max_result_rows

    async def build() -> CachedResponse:
        task = QueryTask(
            query=text,
            results_format=results.format.media_type,
            rdf_format=rdf.format.media_type,
            row_limit=row_limit,
            base_iri=base_iri,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            union_default_graph=not facts.has_dataset_clause,
            prefixes=PREFIXES,
        )
        # on the event loop, the pool answers with an awaitable (no thread involved)
        outcome = state.query_pool.run(task)
        if inspect.isawaitable(outcome):
            outcome = await outcome
        choice = results if outcome.family == "results" else rdf
        headers = {}
        if outcome.truncated:
            headers = {"X-Result-Truncated": "true", "X-Result-Row-Limit": str(row_limit)}
        return CachedResponse(outcome.body, choice.content_type, headers)

    key = ("query", text, default_graphs, named_graphs, base_iri,
           results.media_type, rdf.media_type, row_limit)
    # the answer of a federated query also depends on other servers' data
    return await respond_async(request, state.store, state.response_cache, key, build,
                               cacheable=not federated)


def federation_endpoints(settings: Settings) -> list[str]:
    """The remote endpoints a query may call with SERVICE (from the settings)."""
    names = ("eu_country_endpoint", "eu_nuts_endpoint", "cordis_endpoint")
    return [value for name in names if (value := getattr(settings, name, None))]


def _check_federation(targets: Sequence[str | None], settings: Settings) -> bool:
    """Whether the query calls other endpoints; refuses the ones not allowed."""
    if not targets:
        return False
    allowed = federation_endpoints(settings)
    for target in targets:
        if target not in allowed:
            shown = f"<{target}>" if target else "an endpoint that is not a full <IRI>"
            raise ProtocolError(
                f"SERVICE {shown} is not allowed: federated queries may only call "
                + (", ".join(f"<{e}>" for e in allowed) or "no endpoint on this service")
            )
    return bool(targets)


def _choose(
    family: Family, request: Request, operation: SparqlOperation, *, strict: bool
) -> Choice:
    """The negotiated format; when the query form is unknown, a default instead of a 406."""
    try:
        return choose(family, request.headers.get("accept"), operation.format_values)
    except NotAcceptable:
        if strict:
            raise
        default = RESULT_FORMATS[0] if family == "results" else RDF_FORMATS[0]
        return Choice(default, default.media_type)


def _describe(request: Request, operation: SparqlOperation) -> Response:
    state = request.app.state
    endpoint = endpoint_url(request, state.settings)
    choice = choose("rdf", request.headers.get("accept"), operation.format_values)
    updates = bool(state.settings.update_token)
    federated = bool(federation_endpoints(state.settings))

    def build() -> CachedResponse:
        triples = service_description(state.store, endpoint, updates=updates, federated=federated)
        body = write_triples(triples, choice.format, _DESCRIPTION_PREFIXES)
        return CachedResponse(body, choice.content_type)

    key = ("service-description", endpoint, choice.media_type, updates, federated)
    return respond(request, state.store, state.response_cache, key, build)


def _update(request: Request, operation: SparqlOperation) -> Response:
    state = request.app.state
    check_write_token(state.settings, request.headers.get("authorization"))
    text = apply_update_dataset(
        operation.text, operation.using_graphs, operation.using_named_graphs
    )
    writer = GraphWriter(state.store, state.write_gate, state.write_lock)
    writer.update(text, base_iri=endpoint_url(request, state.settings))
    # the query workers load the new data after the response is sent
    return Response(status_code=204, background=BackgroundTask(state.query_pool.warm))
