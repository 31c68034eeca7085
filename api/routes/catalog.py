"""``/catalog``: the DCAT-AP catalogue of the knowledge graph, generated from the store.

    GET|HEAD /catalog                  DCAT-AP 3.0.1, in the RDF format the client asks for
    GET|HEAD /catalog?profile=2.1.1    the DCAT-AP 2.1.1 view (what the EU data portal harvests)

Every RDF format the service writes is offered by content negotiation (``Accept``) or
by ``format=`` (turtle, ntriples, jsonld, rdfxml, trig, nquads, n3). Downloads and the
SPARQL endpoint in the catalogue are absolute URLs under ``MIPEX_KG_BASE_URL`` when it
is set, else under the base URL the request came to. The answer is cached until the
store changes (ETag, 304), like every other read.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Query, Request, Response

from mipex_kg.api.cache import CachedResponse
from mipex_kg.api.conditional import respond
from mipex_kg.api.deps import bounded
from mipex_kg.api.errors import BadRequest
from mipex_kg.api.formats import choose
from mipex_kg.api.routes.linked_data import add_read_route
from mipex_kg.api.urls import service_base
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.publish.catalog import PROFILES, CatalogBuild, build_catalog

PATH = "/catalog"

router = APIRouter(tags=["Catalogue"])


async def catalog(
    request: Request,
    profile: str = Query("3.0.1", description="DCAT-AP version: 3.0.1 or 2.1.1"),
) -> Response:
    return await _catalog(request, profile)


add_read_route(router, PATH, catalog,
               summary="The DCAT-AP catalogue of every dataset, download and service",
               responses={200: {"content": {"text/turtle": {}, "application/ld+json": {},
                                            "application/rdf+xml": {},
                                            "application/n-triples": {}}}})


_BUILT: dict[tuple[int, str, str, str], CatalogBuild] = {}
_BUILT_LOCK = threading.Lock()


def _build(store: QuadStore, base: str, profile: str) -> CatalogBuild:
    """The catalogue of this store version (built once for all formats asking for it)."""
    key = (id(store), store.version, profile, base)
    with _BUILT_LOCK:
        if key in _BUILT:
            return _BUILT[key]
    built = build_catalog(store, base, profile)
    with _BUILT_LOCK:
        for old in [k for k in _BUILT if k[:2] != key[:2] or len(_BUILT) > 8]:
            del _BUILT[old]
        _BUILT[key] = built
    return built


async def _catalog(request: Request, profile: str) -> Response:
    if profile not in PROFILES:
        raise BadRequest(f"unknown DCAT-AP profile {profile!r}; use one of {', '.join(PROFILES)}")
    state = request.app.state
    choice = choose("rdf", request.headers.get("accept"),
                    tuple(request.query_params.getlist("format")))
    base = service_base(request)

    def build() -> CachedResponse:
        built = _build(state.reads, base, profile)
        body = built.serialize(choice.format.oxigraph)  # type: ignore[arg-type]
        return CachedResponse(body, choice.content_type, {"X-DCAT-AP-Version": profile})

    key = ("catalog", profile, base, choice.media_type)
    return await respond(request, state.store, state.response_cache, key, bounded(request, build))
