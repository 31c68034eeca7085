"""The pages a researcher opens first: the landing page, the comparison, the API docs.

    GET /            what the graph holds (counted live), example questions, how to cite;
                     RDF clients get the VoID description instead (content negotiation)
    GET /compare     2-6 jurisdictions side by side, by policy area, in a chosen year
    GET /docs        Swagger UI of the OpenAPI document, served from the package
    GET /redoc       ReDoc of the same document
    /static/...      the pages' style sheet and scripts, and the vendored libraries

Everything a page needs comes from this service (``mount_static``); the charts fetch
their data from the REST routes in the browser, so the pages stay thin.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

from mipex_kg.api.cache import CachedResponse
from mipex_kg.api.conditional import respond
from mipex_kg.api.deps import bounded
from mipex_kg.api.formats import RDF_FORMATS
from mipex_kg.api.html import Links
from mipex_kg.api.overview import MISSING_DATA_HINT, Overview
from mipex_kg.api.routes import void as void_route
from mipex_kg.api.routes.linked_data import (
    HTML,
    add_read_route,
    choose_representation,
)
from mipex_kg.api.templating import STATIC_PATH, render
from mipex_kg.api.urls import service_base

router = APIRouter(tags=["Web pages"])

HTML_CONTENT_TYPE = "text/html; charset=utf-8"
#: Jurisdictions the compare page opens with, and the most it takes.
DEFAULT_COMPARISON = ("DEU", "FRA", "ITA", "SWE")
MAX_COMPARED = 6


def _questions(links: Links) -> list[tuple[str, str, str]]:
    """(question, where its answer is, what kind of answer) for the landing page."""
    editions_query = ("SELECT ?edition (COUNT(?o) AS ?scores) WHERE { ?o qb:dataSet ?edition ; "
                      "mkg:score ?s } GROUP BY ?edition ORDER BY DESC(?scores)")
    return [
        ("Which countries had the most inclusive integration policies in 2019?",
         links.url("/id/indicator/mipex/overall-with-health"), "a ranking chart and a map"),
        ("How have Sweden's policies changed since 2007?",
         links.url("/id/country/SWE"), "a line chart per policy area"),
        ("How do Germany, France, Italy and Sweden compare by policy area?",
         links.url("/compare?" + urlencode({"jurisdictions": ",".join(DEFAULT_COMPARISON),
                                            "year": "2019"})), "bars side by side"),
        ("How many scores does each edition hold?",
         links.url("/sparql#" + urlencode({"query": editions_query})), "a SPARQL query"),
    ]


async def landing(request: Request) -> Response:
    """The landing page (HTML), or the VoID description for RDF clients."""
    representation = choose_representation(request.headers.get("accept"),
                                           request.query_params.getlist("format"))
    if representation.media_type != HTML:
        return await void_route.void(request)
    return await _landing(request)


async def _landing(request: Request) -> Response:
    state = request.app.state
    base = service_base(request)

    def build() -> CachedResponse:
        links = Links(base)
        overview = Overview.of(state.reads)
        body = render("landing.html", title="Migrant-integration policy as linked data",
                      links=links, overview=overview, questions=_questions(links),
                      hint=MISSING_DATA_HINT)
        return CachedResponse(body.encode("utf-8"), HTML_CONTENT_TYPE)

    return await respond(request, state.store, state.response_cache, ("landing", base),
                         bounded(request, build))


def compare(request: Request) -> Response:
    """2-6 jurisdictions side by side; the chart reads /api/compare in the browser."""
    base = service_base(request)
    chosen = [c.strip().upper() for c in
              request.query_params.get("jurisdictions", ",".join(DEFAULT_COMPARISON)).split(",")
              if c.strip()][:MAX_COMPARED]
    year = request.query_params.get("year", "2019")
    year = year if year.isdigit() and len(year) == 4 else "2019"
    links = Links(base)
    body = render("compare.html", title="Compare jurisdictions", links=links,
                  chosen=chosen, year=year, max_compared=MAX_COMPARED,
                  jurisdictions=links.url("/api/jurisdictions?limit=500"),
                  compare=links.url("/api/compare"))
    return Response(body, media_type=HTML_CONTENT_TYPE)


def swagger_ui(request: Request) -> Response:
    """Swagger UI for /openapi.json, from the vendored swagger-ui-dist."""
    return _docs_page(request, "swagger.html", "API (Swagger UI)")


def redoc(request: Request) -> Response:
    """ReDoc for /openapi.json, from the vendored redoc bundle."""
    return _docs_page(request, "redoc.html", "API (ReDoc)")


def _docs_page(request: Request, template: str, title: str) -> Response:
    base = service_base(request)
    body = render(template, title=title, links=Links(base), openapi=base + "/openapi.json")
    return Response(body, media_type=HTML_CONTENT_TYPE)


add_read_route(router, "/", landing, summary="The landing page (HTML), or VoID for RDF clients",
               responses={200: {"content": {HTML: {}, **{f.media_type: {} for f in RDF_FORMATS}}}})
add_read_route(router, "/compare", compare, summary="Jurisdictions side by side (HTML)",
               responses={200: {"content": {HTML: {}}}})
for _path, _page in (("/docs", swagger_ui), ("/redoc", redoc)):  # not API operations
    router.add_api_route(_path, _page, methods=["GET", "HEAD"], include_in_schema=False)


class StaticAssets(StaticFiles):
    """The static files, with how long a browser may keep them: the vendored ones a
    week (their folder names carry the version), the service's own until it changes."""

    def file_response(self, full_path: Any, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        vendored = f"{os.sep}vendor{os.sep}" in str(full_path)
        response.headers["Cache-Control"] = "public, max-age=604800, immutable" if vendored \
            else "no-cache"
        return response


def mount_static(app: FastAPI) -> None:
    """Serve ``api/static`` (own files and vendored libraries) at ``/static``, compressed
    for browsers that accept gzip (the libraries shrink to about a third)."""
    folder = resources.files("mipex_kg.api").joinpath("static")
    files = StaticAssets(directory=str(folder))
    app.mount(STATIC_PATH, GZipMiddleware(files, minimum_size=1024, compresslevel=6),
              name="static")
