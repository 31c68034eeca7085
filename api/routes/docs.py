"""OpenAPI pieces the REST and named-query routes share: parameters, schemas, errors.

Parameters come from the named queries' headers (``Param.openapi``), so the
documentation and the checks are one and the same. Every route documents its
error responses (404, 406, 422) with the service's one error body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from mipex_kg.api.errors import PROBLEM_JSON, PROBLEM_TYPES
from mipex_kg.api.query_registry import MAX_PAGE, Column, NamedQuery
from mipex_kg.api.routes.facade import MAX_OFFSET, TABLE_FORMATS


class ErrorBody(BaseModel):
    """The body of every error response: an RFC 9457 problem (application/problem+json)."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "type": f"{PROBLEM_TYPES}invalid_parameters", "title": "Unprocessable Entity",
        "status": 422, "detail": "parameter 'year': not a year: '20x9'",
        "instance": "/api/scores", "error": "invalid_parameters",
        "problems": ["query.year: not a year: '20x9'"],
        "invalid-params": [{"name": "year", "in": "query", "reason": "not a year: '20x9'"}]}})

    type: str = Field(description=f"The kind of problem: {PROBLEM_TYPES}<error>.")
    title: str = Field(description="The status phrase.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong, in plain words, naming the parameter.")
    instance: str = Field(description="The path that was asked for.")
    error: str = Field(
        description="A short machine-readable code (not_found, invalid_parameters ...).")
    problems: list[str] | None = Field(
        default=None, description="One entry per problem: '<query|path>.<parameter>: <problem>'.")
    invalid_params: list[dict[str, str]] | None = Field(
        default=None, alias="invalid-params",
        description="Each parameter that does not fit (RFC 9457 section 3): its name, "
                    "where it was sent ('in': query or path) and the reason.")


def _problem(description: str) -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(by_alias=True)
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


ERRORS: dict[int, dict[str, Any]] = {
    404: _problem("No such resource (unknown identifier or IRI)."),
    406: _problem("None of the formats in Accept is offered."),
    422: _problem("A parameter is invalid (the body names it): wrong type or syntax, an "
                  "unknown code, an unknown or repeated parameter."),
}


#: SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/).
SPARQL_JSON: dict[str, Any] = {
    "type": "object",
    "properties": {
        "head": {"type": "object", "properties": {"vars": {"type": "array",
                                                           "items": {"type": "string"}}},
                 "required": ["vars"]},
        "results": {"type": "object", "properties": {"bindings": {"type": "array", "items": {
            "type": "object", "additionalProperties": {
                "type": "object", "properties": {
                    "type": {"enum": ["uri", "literal", "bnode"]}, "value": {"type": "string"},
                    "datatype": {"type": "string"}, "xml:lang": {"type": "string"}},
                "required": ["type", "value"]}}}}, "required": ["bindings"]},
    },
    "required": ["head", "results"],
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: ERRORS[code] for code in codes}


def query_params(query: NamedQuery, *, skip: Iterable[str] = (),
                 rename: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The OpenAPI parameters of a named query's header parameters."""
    specs = []
    for name, param in query.params.items():
        if name in skip:
            continue
        spec = param.openapi()
        if rename and name in rename:
            spec["name"] = rename[name]
        specs.append(spec)
    return specs


def page_params(default: int) -> list[dict[str, Any]]:
    return [
        {"name": "limit", "in": "query", "required": False,
         "description": f"Rows per page (default {default}, at most {MAX_PAGE}).",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": default},
         "example": min(default, 10)},
        {"name": "offset", "in": "query", "required": False,
         "description": "Rows to skip; follow links.next rather than counting.",
         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
         "example": 0},
    ]


def format_param(offered: Sequence[str]) -> dict[str, Any]:
    names = ", ".join(f"{f} ({TABLE_FORMATS[f]})" for f in offered)
    return {"name": "format", "in": "query", "required": False,
            "description": f"The response format, instead of an Accept header: {names}.",
            "schema": {"type": "string", "enum": list(offered)}, "example": offered[0]}


def row_schema(columns: Mapping[str, Column]) -> dict[str, Any]:
    return {"type": "object", "properties": {n: c.json_schema() for n, c in columns.items()},
            "required": list(columns)}


def links_schema() -> dict[str, Any]:
    return {"type": "object", "description": "Absolute URLs of this page (self) and of the "
            "first, previous and next pages (next only when more rows follow).",
            "properties": {k: {"type": "string", "format": "uri"}
                           for k in ("self", "first", "prev", "next")},
            "required": ["self"]}


def list_schema(columns: Mapping[str, Column], paginated: bool,
                extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON list envelope: items, columns, count, page and links."""
    properties: dict[str, Any] = dict(extra or {})
    properties.update({
        "columns": {"type": "array", "items": {"type": "string"}},
        "count": {"type": "integer", "description": "Rows on this page."},
        "items": {"type": "array", "items": row_schema(columns)},
        "links": links_schema(),
    })
    required = ["columns", "count", "items", "links", *(extra or {})]
    if paginated:
        properties["limit"] = {"type": "integer"}
        properties["offset"] = {"type": "integer"}
        required += ["limit", "offset"]
    return {"type": "object", "properties": properties, "required": required}


def ok(json_schema: dict[str, Any], offered: Sequence[str], description: str) -> dict[str, Any]:
    """The 200 response: the JSON schema and the other offered media types."""
    content: dict[str, Any] = {"application/json": {"schema": json_schema}}
    for fmt in offered:
        if fmt == "srj":
            content[TABLE_FORMATS[fmt]] = {"schema": SPARQL_JSON}
        elif fmt != "json":
            content[TABLE_FORMATS[fmt]] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def operation(parameters: list[dict[str, Any]], response: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a route: its parameters and its 200 response."""
    return {"parameters": parameters, "responses": {"200": response}}


def add_get(router: APIRouter, path: str, endpoint: Callable[..., Response], *, summary: str,
            description: str, parameters: list[dict[str, Any]], schema: dict[str, Any],
            offered: Sequence[str], codes: Sequence[int] = (406, 422)) -> None:
    """Add one documented GET route whose parameters are read by the endpoint itself."""
    router.add_api_route(
        path, endpoint, methods=["GET"], summary=summary, description=description,
        response_class=Response, responses=errors(*codes),
        openapi_extra=operation(parameters, ok(schema, offered, summary)),
    )
