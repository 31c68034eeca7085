"""``/api/systems`` and ``/api/policy-areas``: indicator systems, editions and areas.

Thin routes over the named queries ``systems``, ``system-editions``,
``policy-areas`` and ``classification-axes``.
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

SystemId = Annotated[str, Path(description="The system: the last segment of its IRI.",
                               examples=["mipex"])]


def build_router(facade: Facade) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["systems"])
    add_list_route(
        router, facade, "/systems", "systems", summary="Indicator systems and their coverage",
        description="Every indicator system (MIPEX, MIPEX-R, MIPEX-L and systems adapted "
        "from them) with its level, makers, and coverage: editions, jurisdictions, years, "
        "scores and concepts.")
    add_list_route(
        router, facade, "/policy-areas", "policy-areas", summary="Policy areas",
        description="The policy areas of the systems, with the number of indicators in each.")

    def system(request: Request, id: SystemId) -> Response:
        values = request_params(request, ["format"])
        fmt = choose_format(request, values, REST_FORMATS)
        resolve_path(facade, "systems", "system", id, "indicator system", "id")
        body: dict[str, Any] = one_row(facade.run("systems", {"system": id}, location="path"),
                                       "indicator system", id)
        editions = facade.run("system-editions", {"system": id}, location="path")
        body["editions"] = rows_of(editions)
        body["policyAreas"] = rows_of(facade.run("policy-areas", {"system": id}, location="path"))
        body["axes"] = rows_of(facade.run("classification-axes", {"system": id},
                                          location="path"))
        return detail_response(request, fmt, body, (editions.columns, body["editions"]))

    queries = facade.registry
    schema = docs.row_schema(queries["systems"].columns)
    schema["properties"].update({
        "editions": {"type": "array", "items": docs.row_schema(queries["system-editions"].columns)},
        "policyAreas": {"type": "array", "items": docs.row_schema(queries["policy-areas"].columns)},
        "axes": {"type": "array", "items": docs.row_schema(queries["classification-axes"].columns)},
        "links": docs.links_schema(),
    })
    docs.add_get(
        router, "/systems/{id:anytext}", system,
        summary="One indicator system, its editions and coverage",
        description="The system (as in /api/systems), its editions with publisher, licence "
        "statement and coverage, its policy areas and its classification axes. In CSV: the "
        "editions.\n\nNamed queries: systems, system-editions, policy-areas, "
        "classification-axes.",
        parameters=[docs.format_param(REST_FORMATS)], schema=schema, offered=REST_FORMATS,
        codes=(404, 406, 422))
    return router
