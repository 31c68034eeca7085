"""``/.well-known/void``: the VoID description of the knowledge graph (VoID §7.2).

    GET|HEAD /.well-known/void      Turtle unless asked otherwise (Accept or format=)

Every RDF format the service writes is offered. The statistics are counted when
the store has changed since the last request (a few seconds on the full data),
then served from the response cache with an ETag until the next write.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mipex_kg.api.cache import CachedResponse
from mipex_kg.api.conditional import respond
from mipex_kg.api.deps import bounded
from mipex_kg.api.formats import RDF_FORMATS, choose, write_triples
from mipex_kg.api.routes.linked_data import add_read_route, prefixes_for
from mipex_kg.api.urls import service_base
from mipex_kg.publish.void import void_description

PATH = "/.well-known/void"

router = APIRouter(tags=["Linked data"])


async def void(request: Request) -> Response:
    """The VoID description, in the RDF format asked for (Turtle by default)."""
    return await _void(request)


add_read_route(router, PATH, void,
               summary="VoID description: statistics, partitions, subsets and downloads",
               responses={200: {"content": {f.media_type: {} for f in RDF_FORMATS}}})


async def _void(request: Request) -> Response:
    state = request.app.state
    choice = choose("rdf", request.headers.get("accept"),
                    tuple(request.query_params.getlist("format")))
    base = service_base(request)

    def build() -> CachedResponse:
        triples = void_description(state.reads, base)
        body = write_triples(triples, choice.format, prefixes_for(triples))
        return CachedResponse(body, choice.content_type)

    key = ("void", base, choice.media_type)
    return await respond(request, state.store, state.response_cache, key, bounded(request, build))
