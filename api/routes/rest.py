"""Building blocks of the REST resources: list routes and detail routes over named queries.

A list route (``/api/scores``) is one named query with the same parameters, plus
``limit``/``offset`` (passed to the query when it pages itself, else applied to its
rows) and ``format`` (json or csv). A detail route (``/api/jurisdictions/{id}``)
runs several named queries with the identifier of its path and composes one JSON
object; in CSV it gives its main table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.convertors import Convertor, register_url_convertor

from mipex_kg.api.errors import NotFound
from mipex_kg.api.query_params import UnknownValue
from mipex_kg.api.query_registry import Rows
from mipex_kg.api.routes import docs
from mipex_kg.api.routes.facade import (
    REST_FORMATS,
    Facade,
    InvalidParameter,
    Page,
    Row,
    choose_format,
    csv_response,
    envelope,
    json_response,
    page_links,
    read_page,
    request_params,
    rows_of,
    table_response,
)
from mipex_kg.api.urls import public_url

DEFAULT_PAGE = 100


class AnyText(Convertor[str]):
    """A path parameter that takes any text, slashes and line breaks included.

    Identifiers in paths are checked by the routes (404 unknown, 422 malformed);
    with Starlette's default converter, a value with an encoded slash or a line
    break would not even reach them and would end as the router's bare 404.
    """

    regex = "(?s:.+)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anytext", AnyText())


def run_page(facade: Facade, name: str, values: Mapping[str, str], page: Page) -> Rows:
    """One page of a named query's rows, whether or not the query pages itself."""
    query = facade.registry[name]
    if query.pagination is not None:
        return facade.run(name, values, limit=page.limit, offset=page.offset)
    rows = facade.run(name, values)
    end = page.offset + page.limit
    return Rows(rows.columns, rows.solutions[page.offset:end], len(rows.solutions) > end,
                page.limit, page.offset)


def add_list_route(router: APIRouter, facade: Facade, path: str, name: str, *, summary: str,
                   description: str) -> None:
    """A paginated list resource that is exactly one named query."""
    query = facade.registry[name]
    default = query.pagination or DEFAULT_PAGE
    allowed = [*query.params, "limit", "offset", "format"]

    def endpoint(request: Request) -> Response:
        values = request_params(request, allowed)
        fmt = choose_format(request, values, REST_FORMATS)
        page = read_page(values, default)
        return table_response(request, fmt, run_page(facade, name, values, page), page=page)

    docs.add_get(
        router, path, endpoint, summary=summary,
        description=f"{description}\n\nNamed query: {name} (/api/queries/{name}).",
        parameters=docs.query_params(query) + docs.page_params(default)
        + [docs.format_param(REST_FORMATS)],
        schema=docs.list_schema(query.columns, True), offered=REST_FORMATS)


def one_row(rows: Rows, what: str, key: str) -> Row:
    """The single row of a detail query, or 404."""
    items = rows_of(rows)
    if not items:
        raise NotFound(f"no {what} {key!r}")
    return items[0]


def resolve_path(facade: Facade, name: str, param: str, value: str, what: str,
                 path_name: str) -> None:
    """Check an identifier in a path: 404 when it names nothing, 422 when malformed.

    Raises:
        NotFound: well formed, but the store knows no such resource.
        InvalidParameter: not even the syntax of such an identifier (an injection
            attempt, for example).
    """
    try:
        facade.registry[name].params[param].parse(value, facade.vocabulary.get())
    except UnknownValue as exc:
        raise NotFound(f"no {what} {value!r} ({exc})") from None
    except ValueError as exc:
        raise InvalidParameter.of([(f"path.{path_name}", str(exc))]) from None


def detail_response(request: Request, fmt: str, body: dict[str, Any],
                    table: tuple[Sequence[str], list[Row]]) -> Response:
    """A detail resource: the JSON object, or its main table in CSV."""
    if fmt == "csv":
        return csv_response(table[0], table[1])
    body["links"] = {"self": public_url(request)}
    return json_response(body)


def composed_list(request: Request, fmt: str, columns: Sequence[str], items: list[Row],
                  page: Page, has_more: bool, extra: Mapping[str, Any]) -> Response:
    """A list computed by the route (pivot, ranking) in JSON or CSV."""
    links = page_links(request, page, has_more)
    if fmt == "csv":
        return csv_response(columns, items, links)
    return json_response(envelope(items, columns, page, links, extra), links)
