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
* Every query runs in the bounded engine (``mipex_kg.engine``): federated queries
  (``SERVICE``) may call only the endpoints named in the settings (the EU country
  table, NUTS and CORDIS endpoints), decided from a SPARQL parse; any other is refused
  with 400, and the workers cannot open network connections anyway. The time limit
  is the ``timeout`` parameter (seconds), at most the server's; a client past its
  limit of queries gets 429, a full queue 503, both with ``Retry-After``; a query
  whose client disconnects is stopped. Texts over ``max_query_bytes`` get 413.
* Updates (form or direct POST) need the bearer token, may not call SERVICE, may LOAD
  only from the allowed sources, and pass the write gate; success is ``204 No Content``.
  Oxigraph parses them in this process, on a thread with a deep stack
  (``engine.deep_stack``); a query or update nested deeper than
  ``engine.nesting.MAX_NESTING`` is refused with 400 before anything parses it.
* A GET without a query returns the service description (Turtle unless asked otherwise).
* A browser asking for it without a query (``Accept`` naming ``text/html`` first) gets
  the query editor instead of the service description (``routes.editor``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mipex_kg.api.cache import CachedResponse
from mipex_kg.api.conditional import respond
from mipex_kg.api.deps import bounded, check_write_token, read_bounded
from mipex_kg.api.disconnect import until_disconnected
from mipex_kg.api.errors import ApiError, NotAcceptable, error_response
from mipex_kg.api.formats import RDF_FORMATS, RESULT_FORMATS, Choice, Family, choose, write_triples
from mipex_kg.api.routes.editor import editor_page, wants_editor
from mipex_kg.api.service_description import service_description
from mipex_kg.api.sparql_request import SparqlOperation, query_facts, read_operation
from mipex_kg.api.sparql_text import apply_update_dataset
from mipex_kg.api.urls import endpoint_url
from mipex_kg.api.writes import GraphWriter
from mipex_kg.engine.deep_stack import run_on_deep_thread
from mipex_kg.engine.nesting import check_nesting
from mipex_kg.engine.network_words import may_connect
from mipex_kg.engine.worker import QueryTask
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
        _parameter("timeout", "seconds the query may run (at most the server's limit)"),
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
        return await read_bounded(request, editor_page, request)
    return await answer(request)


async def answer(request: Request) -> Response:
    """Answer a SPARQL Protocol request that is not for the editor page."""
    operation = await read_operation(request, request.app.state.settings.max_query_bytes)
    if operation.kind == "query":
        # on the event loop: a cached answer costs no thread, a query no thread either
        return await _query(request, operation)
    if operation.kind == "update":  # Oxigraph parses it in this process: on a deep stack
        return await run_on_deep_thread(_update, request, operation)
    return await _describe(request, operation)


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
    """The lean way in for ``/sparql`` queries: in front of the app's middleware.

    ``ServiceApp`` (``api.app``) asks ``takes`` for every request; a GET, HEAD or
    POST to ``/sparql`` without an ``Origin`` header goes to ``answer`` directly,
    without FastAPI's routing and the five middleware layers around it (0.05 ms per
    request, measured in process). Nothing of theirs applies to such a request: CORS
    acts only on requests with an ``Origin`` (browsers: they take the full way),
    apart from adding ``Origin`` to ``Vary``, done here too; the
    Content-Security-Policy is for HTML pages, and a browser asking for the editor
    page is handed to the app; the app has no body limit of its own (the handler's
    is ``max_query_bytes``). Every protection of the handler itself (size limits,
    client limits, the network check, time limits, the lanes) is the same on both
    ways. Errors are answered as the app answers them: ``ApiError`` with its
    problem body, anything else by the app's handler for unexpected errors (500),
    then raised again for the server to log, as Starlette's error middleware does.
    """

    def __init__(self, app: ASGIApp, path: str = "/sparql") -> None:
        self.app = app
        self.path = path

    def takes(self, scope: Scope) -> bool:
        """Whether ``scope`` is a request this path answers (else: the full app)."""
        return (scope["type"] == "http" and scope["method"] in ("GET", "HEAD", "POST")
                and _route_path(scope) == self.path
                and not any(name == b"origin" for name, _ in scope["headers"]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if wants_editor(request):  # an HTML page: the app adds its security policy
            await self.app(scope, receive, send)
            return

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), _VARY_ORIGIN]
            await send(message)

        try:
            response = await answer(request)
        except ApiError as error:
            response = error_response(error, scope["path"])
        except Exception as error:
            handler = request.app.exception_handlers[Exception]
            await (await handler(request, error))(scope, receive, send_varying)
            raise
        await response(scope, receive, send_varying)


#: What CORS adds to every response of a request without ``Origin``.
_VARY_ORIGIN = (b"vary", b"Origin")


def _route_path(scope: Scope) -> str:
    """The path the router matches (without the root path), as Starlette computes it."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root) and path != root and path[len(root)] == "/":
        return path[len(root):]
    return path


_ENDPOINTS: dict[tuple[object, ...], str] = {}


def _endpoint_url(request: Request, settings: Settings) -> str:
    """``urls.endpoint_url``, remembered: it builds and re-parses a URL (10 us)."""
    scope = request.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    key = (settings.base_url, scope.get("scheme"), scope.get("server"), scope["path"], host)
    url = _ENDPOINTS.get(key)
    if url is None:
        url = endpoint_url(request)
        if len(_ENDPOINTS) >= 256:  # the Host header is the client's: keep this small
            _ENDPOINTS.clear()
        _ENDPOINTS[key] = url
    return url


async def _query(request: Request, operation: SparqlOperation) -> Response:
    state = request.app.state
    settings = state.settings
    engine = state.engine
    text = operation.text
    facts = query_facts(text)
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
        client = engine.clients.of(request.scope)
        outcome = await until_disconnected(
            request, engine.run(task, client=client, timeout=operation.timeout))
        choice = results if outcome.family == "results" else rdf
        headers = {}
        if outcome.truncated:
            headers = {"X-Result-Truncated": "true", "X-Result-Row-Limit": str(row_limit)}
        return CachedResponse(outcome.body, choice.content_type, headers)

    key = ("query", text, default_graphs, named_graphs, base_iri,
           results.media_type, rdf.media_type, row_limit)
    # the answer of a federated query also depends on other servers' data
    return await respond(request, state.store, state.response_cache, key, build,
                         cacheable=not may_connect(text))


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


async def _describe(request: Request, operation: SparqlOperation) -> Response:
    state = request.app.state
    endpoint = endpoint_url(request)
    choice = choose("rdf", request.headers.get("accept"), operation.format_values)
    updates = bool(state.settings.update_token)
    federated = bool(state.engine.policy.endpoints)

    def build() -> CachedResponse:
        triples = service_description(state.reads, endpoint, updates=updates, federated=federated)
        body = write_triples(triples, choice.format, _DESCRIPTION_PREFIXES)
        return CachedResponse(body, choice.content_type)

    key = ("service-description", endpoint, choice.media_type, updates, federated)
    return await respond(request, state.store, state.response_cache, key, bounded(request, build))


def _update(request: Request, operation: SparqlOperation) -> Response:
    state = request.app.state
    check_write_token(state.settings, request.headers.get("authorization"))
    text = apply_update_dataset(
        operation.text, operation.using_graphs, operation.using_named_graphs
    )
    base_iri = endpoint_url(request)
    check_nesting(text)
    state.engine.policy.check_update(text, base_iri=base_iri, prefixes=PREFIXES)
    writer = GraphWriter(state.store, state.write_gate, state.write_lock)
    writer.update(text, base_iri=base_iri)
    # the query workers load the new data after the response is sent
    return Response(status_code=204, background=BackgroundTask(state.engine.warm))
