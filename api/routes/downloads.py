"""``/downloads``: every named graph and the whole store, as files.

    GET|HEAD /downloads                         an HTML list of the files
    GET|HEAD /downloads/{graph-slug}.{ext}      one graph: ttl, nt, nq, trig, rdf, jsonld
    GET|HEAD /downloads/all.{nq,trig}           the whole store, every graph named

The slug of ``https://w3id.org/mipex-kg/graph/curated/countries`` is
``curated-countries`` (see ``publish.dumps``). Files are streamed while pyoxigraph
writes them, so a download of the whole store never sits in memory; they carry
``Content-Disposition: attachment`` and an ETag (the store's version and the file
name), and ``If-None-Match`` gives a 304. HEAD answers with the headers alone,
without writing anything.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from mipex_kg.api.cache import CachedResponse, cache_key, etag_for, etag_matches
from mipex_kg.api.conditional import respond
from mipex_kg.api.deps import bounded, read_bounded
from mipex_kg.api.errors import NotFound
from mipex_kg.api.html import Links
from mipex_kg.api.routes.linked_data import add_read_route
from mipex_kg.api.templating import render
from mipex_kg.api.urls import service_base
from mipex_kg.graph.namespaces import GRAPH
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.publish.dumps import (
    FORMAT_NAMES,
    GRAPH_FORMATS,
    Download,
    find,
    graph_downloads,
    store_downloads,
    stream,
    writer,
)

router = APIRouter(tags=["Downloads"])


async def downloads(request: Request) -> Response:
    """The list of files, as an HTML page."""
    return await _index(request)


async def download(request: Request, name: str) -> Response:
    """One file, streamed while it is written."""
    return await read_bounded(request, _download, request, name)


add_read_route(router, "/downloads", downloads, summary="The list of downloadable files",
               responses={200: {"content": {"text/html": {}}}})
add_read_route(router, "/downloads/{name:path}", download,
               summary="One graph (.ttl .nt .nq .trig .rdf .jsonld), or the whole store "
                       "(all.nq, all.trig), as a file",
               responses={200: {"content": {f.content_type(): {} for f in GRAPH_FORMATS.values()}},
                          404: {"description": "no such file"}})


def _download(request: Request, name: str) -> Response:
    store = request.app.state.store
    version = store.version
    found = find(store, name)
    if found is None:
        raise NotFound(f"no download called {name!r}; the list is at /downloads")
    etag = etag_for(cache_key(version, "download", found.graph and found.graph.value,
                              found.extension))
    headers = {
        "ETag": etag,
        "Cache-Control": "no-cache",
        "Content-Disposition": f'attachment; filename="{found.name}"',
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    media_type = found.format.content_type()
    if request.method == "HEAD":
        response = Response(media_type=media_type, headers=headers)
        del response.headers["content-length"]  # unknown until written; not 0
        return response
    return StreamingResponse(stream(writer(store, found)), media_type=media_type, headers=headers)


async def _index(request: Request) -> Response:
    state = request.app.state
    base = service_base(request)

    def build() -> CachedResponse:
        return CachedResponse(_index_page(state.store, Links(base)).encode("utf-8"),
                              "text/html; charset=utf-8")

    return await respond(request, state.store, state.response_cache, ("downloads", base),
                         bounded(request, build))


def _index_page(store: KnowledgeStore, links: Links) -> str:
    graphs = store.named_graphs()
    sizes = store.graph_sizes()

    def files(items: list[Download]) -> list[dict[str, str]]:
        return [{"href": links.url("/downloads/" + d.name),
                 "name": FORMAT_NAMES.get(d.format.name, d.format.name)} for d in items]

    rows = [{"anchor": graph.value.removeprefix(GRAPH), "iri": graph.value,
             "size": sizes.get(graph.value, 0), "files": files(graph_downloads(graph, graphs))}
            for graph in graphs]
    return render("downloads.html", title="Downloads", links=links,
                  whole=files(store_downloads()), graphs=rows)
