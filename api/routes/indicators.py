"""``/api/indicators``: the indicator hierarchies, and one indicator with its scores.

Thin routes over the named queries ``indicators``, ``indicator``,
``sub-indicators``, ``indicator-years`` and ``indicator-scores``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from mipex_kg.api.routes import docs
from mipex_kg.api.routes.facade import (
    REST_FORMATS,
    Facade,
    choose_format,
    request_params,
    rows_of,
)
from mipex_kg.api.routes.rest import add_list_route, detail_response, one_row, resolve_path

Code = Annotated[str, Path(
    description="The indicator's code as the source spells it (aa1, a, overall-with-health), "
    "optionally with its system (mipex-r:overall).", examples=["aa1"])]


def build_router(facade: Facade) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["indicators"])
    add_list_route(
        router, facade, "/indicators", "indicators",
        summary="Indicators, filtered by system, policy area and level",
        description="The concepts of the indicator hierarchies (overall scores, policy "
        "areas, indicators, sub-indicators) in the source's order.")
    scores_query = facade.registry["indicator-scores"]

    def indicator(request: Request, code: Code) -> Response:
        values = request_params(request, ["year", "edition", "format"])
        fmt = choose_format(request, values, REST_FORMATS)
        resolve_path(facade, "indicator", "indicator", code, "indicator", "code")
        path = {"indicator": code}
        body: dict[str, Any] = one_row(facade.run("indicator", path, location="path"),
                                       "indicator", code)
        body["subIndicators"] = rows_of(facade.run("sub-indicators", path, location="path"))
        body["years"] = rows_of(facade.run("indicator-years", path, location="path"))
        year = values.get("year") or _latest(body["years"])
        scores = facade.run("indicator-scores", {**values, **path, "year": year})
        body["year"] = int(year) if year else None
        body["scores"] = rows_of(scores)
        return detail_response(request, fmt, body, (scores.columns, body["scores"]))

    queries = facade.registry
    schema = docs.row_schema(queries["indicator"].columns)
    schema["properties"].update({
        "subIndicators": {"type": "array",
                          "items": docs.row_schema(queries["sub-indicators"].columns)},
        "years": {"type": "array", "items": docs.row_schema(queries["indicator-years"].columns)},
        "year": {"type": ["integer", "null"], "description": "The year of the scores below."},
        "scores": {"type": "array", "items": docs.row_schema(scores_query.columns)},
        "links": docs.links_schema(),
    })
    docs.add_get(
        router, "/indicators/{code:anytext}", indicator,
        summary="One indicator: question, answer options, sub-indicators and scores",
        description="The indicator's question and answer options as written, its place in "
        "the hierarchy, its sub-indicators (or, for a policy area, its indicators), the years "
        "with scores, and every jurisdiction's score in one year (the latest unless year= is "
        "given). In CSV: the scores.\n\nNamed queries: indicator, sub-indicators, "
        "indicator-years, indicator-scores.",
        parameters=docs.query_params(scores_query, skip=("indicator",))
        + [docs.format_param(REST_FORMATS)],
        schema=schema, offered=REST_FORMATS, codes=(404, 406, 422))
    return router


def _latest(years: list[dict[str, Any]]) -> str | None:
    known = [row["year"] for row in years if row.get("year") is not None]
    return str(max(known)) if known else None
