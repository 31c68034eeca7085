"""``/api/queries``: every named query as its own documented endpoint.

``GET /api/queries`` lists the named queries with their parameters, columns and
SPARQL text; ``GET /api/queries/{name}`` runs one, its parameters typed and
documented in the OpenAPI from the query's header, the result in JSON rows, CSV,
or a SPARQL result format (JSON, XML, TSV) by ``Accept`` or ``format=``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mipex_kg.api.query_registry import NamedQuery
from mipex_kg.api.routes import docs
from mipex_kg.api.routes.facade import (
    TABLE_FORMATS,
    Facade,
    choose_format,
    json_response,
    read_page,
    request_params,
    table_response,
)
from mipex_kg.api.urls import service_base

TAG = "named queries"


def describe(query: NamedQuery, base: str, engine: str) -> dict[str, Any]:
    """One named query as the listing shows it; its SPARQL is the text the service runs
    on its store's ``engine``, and ``engineTexts`` names the engines with a text of
    their own (docs/backends.md)."""
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "url": f"{base}/api/queries/{query.name}",
        "pagination": query.pagination,
        "federated": query.federated,
        "parameters": [
            {"name": p.name, "type": p.type.name, "description": p.description,
             "required": p.required, "multiple": p.multiple, "default": p.default,
             "example": p.example}
            for p in query.params.values()
        ],
        "columns": [{"name": c.name, "type": c.type, "description": c.description}
                    for c in query.columns.values()],
        "sparql": query.sparql_for(engine),
        "engineTexts": sorted(query.engine_texts),
    }


def build_router(facade: Facade) -> APIRouter:
    """The router of /api/queries, one route per named query."""
    router = APIRouter(prefix="/api/queries", tags=[TAG])

    def list_queries(request: Request) -> Response:
        request_params(request, ())
        base = service_base(request)
        items = [describe(q, base, facade.store.engine_name)
                 for q in facade.registry.queries.values()]
        return json_response({"count": len(items), "items": items})

    router.add_api_route(
        "", list_queries, methods=["GET"], summary="List the named queries",
        description="Every named query: summary, description, parameters (typed), result "
        "columns, the SPARQL text it runs on this service's store (an engine-specific "
        "text where the query has one for the store's engine: engineTexts lists those "
        "engines). Each is served at /api/queries/{name}.",
        responses=docs.errors(422), response_class=Response,
        openapi_extra={"responses": {"200": {"description": "The named queries.", "content": {
            "application/json": {"schema": {"type": "object", "properties": {
                "count": {"type": "integer"}, "items": {"type": "array",
                                                        "items": {"type": "object"}}},
                "required": ["count", "items"]}}}}}},
    )
    for query in facade.registry.queries.values():
        _add_query_route(router, facade, query)
    return router


def _add_query_route(router: APIRouter, facade: Facade, query: NamedQuery) -> None:
    offered = tuple(TABLE_FORMATS)
    allowed = [*query.params, "format"]
    if query.pagination is not None:
        allowed += ["limit", "offset"]

    def run(request: Request) -> Response:
        values = request_params(request, allowed)
        fmt = choose_format(request, values, offered)
        page = read_page(values, query.pagination) if query.pagination is not None else None
        rows = facade.run(query.name, values, limit=page.limit if page else None,
                          offset=page.offset if page else 0)
        return table_response(request, fmt, rows, page=page, extra={"query": query.name})

    parameters = docs.query_params(query) + [docs.format_param(offered)]
    if query.pagination is not None:
        parameters += docs.page_params(query.pagination)
    schema = docs.list_schema(query.columns, query.pagination is not None,
                              {"query": {"type": "string"}})
    note = ("\n\nCalls other SPARQL endpoints (SERVICE): answers depend on them."
            if query.federated else "")
    router.add_api_route(
        f"/{query.name}", run, methods=["GET"], summary=query.summary,
        description=f"{query.description}{note}\n\nSPARQL: see /api/queries.",
        operation_id=f"query_{query.name.replace('-', '_')}",
        tags=[TAG], response_class=Response,
        responses=docs.errors(406, 422),
        openapi_extra=docs.operation(parameters, docs.ok(schema, offered, query.summary)),
    )
