"""``/api/jurisdictions``: countries and regions, their identifiers, links and scores.

Thin routes over the named queries ``jurisdictions``, ``jurisdiction``,
``latest-scores`` and ``jurisdiction-time-series``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from mipex_kg.api.routes import docs
from mipex_kg.api.routes.facade import (
    REST_FORMATS,
    Facade,
    Row,
    choose_format,
    request_params,
    rows_of,
)
from mipex_kg.api.routes.rest import add_list_route, detail_response, one_row, resolve_path

JurisdictionId = Annotated[str, Path(
    description="The jurisdiction: ISO 3166 alpha-3 code for a country, NUTS code for a region.",
    examples=["SWE"])]


def by_area(series: list[Row]) -> list[dict[str, Any]]:
    """The time series grouped by overall score and policy area, in the source's order."""
    groups: dict[str, dict[str, Any]] = {}
    for row in series:
        group = groups.setdefault(row["indicator"], {
            "indicator": row["indicator"], "code": row["code"], "label": row["label"],
            "level": row["level"], "points": []})
        group["points"].append({k: row[k] for k in ("year", "score", "edition", "observation")})
    return list(groups.values())


def build_router(facade: Facade) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["jurisdictions"])
    add_list_route(
        router, facade, "/jurisdictions", "jurisdictions",
        summary="Jurisdictions, filtered by level, country and name",
        description="Countries, regions and municipalities with their codes and links to "
        "the EU country table, NUTS and Wikidata.")

    def jurisdiction(request: Request, id: JurisdictionId) -> Response:
        values = request_params(request, ["format"])
        fmt = choose_format(request, values, REST_FORMATS)
        resolve_path(facade, "jurisdiction", "jurisdiction", id, "jurisdiction", "id")
        path = {"jurisdiction": id}
        body: dict[str, Any] = one_row(facade.run("jurisdiction", path, location="path"),
                                       "jurisdiction", id)
        parts = []
        if body["level"] == "country":
            parts = rows_of(facade.run("jurisdictions", {"country": id, "level": "region"},
                                       location="path"))
        body["regions"] = parts
        body["latestScores"] = rows_of(facade.run("latest-scores", path, location="path"))
        series = facade.run("jurisdiction-time-series", path, location="path")
        body["timeSeries"] = by_area(rows_of(series))
        return detail_response(request, fmt, body, (series.columns, rows_of(series)))

    queries = facade.registry
    point = {k: queries["jurisdiction-time-series"].columns[k].json_schema()
             for k in ("year", "score", "edition", "observation")}
    schema = docs.row_schema(queries["jurisdiction"].columns)
    schema["properties"].update({
        "regions": {"type": "array", "items": docs.row_schema(queries["jurisdictions"].columns)},
        "latestScores": {"type": "array",
                         "items": docs.row_schema(queries["latest-scores"].columns)},
        "timeSeries": {"type": "array", "items": {"type": "object", "properties": {
            "indicator": {"type": "string"}, "code": {"type": "string"},
            "label": {"type": ["string", "null"]}, "level": {"type": "string"},
            "points": {"type": "array", "items": {"type": "object", "properties": point}}}}},
        "links": docs.links_schema(),
    })
    docs.add_get(
        router, "/jurisdictions/{id:anytext}", jurisdiction,
        summary="One jurisdiction: identifiers, links, latest scores and time series",
        description="Its codes and names, its links (EU authority table, NUTS, Wikidata), its "
        "regions (for a country), its latest overall and policy-area scores, and the time "
        "series of those scores by area. In CSV: the time series.\n\nNamed queries: "
        "jurisdiction, jurisdictions, latest-scores, jurisdiction-time-series.",
        parameters=[docs.format_param(REST_FORMATS)], schema=schema, offered=REST_FORMATS,
        codes=(404, 406, 422))
    return router
