"""Dereferenceable IRIs: ``/id/...`` and the ontology document ``/def``.

    GET|HEAD /id/{path}     the resource https://w3id.org/mipex-kg/id/{path}
    GET|HEAD /def           the ontology (https://w3id.org/mipex-kg/def, and every def#Term)

Each answers in HTML for browsers (label, types, every property with links, the
links to the resource from elsewhere; a jurisdiction's scores by policy area and
year; an observation's value, indicator, question and provenance; the ontology's
classes and properties with their definitions) or in any RDF format the service
writes (Turtle, N-Triples, JSON-LD, RDF/XML, TriG, N-Quads, N3), by ``Accept`` or
``format=`` (``html``, ``turtle``, ``jsonld`` ...). The RDF of a resource is its
concise bounded description; the RDF of ``/def`` is the whole ontology graph.

The service maps its own ``/id/...`` onto the IRIs in the data, so the pages link
to each other wherever the service runs (``MIPEX_KG_BASE_URL``, or the request's
own base URL). An IRI the store does not know is a 404, in every format; an
``Accept`` nothing satisfies is a 406. Answers carry an ETag derived from the
store's version and the request, and ``If-None-Match`` gives a 304.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from mipex_kg.api.cache import CachedResponse
from mipex_kg.api.conditional import respond
from mipex_kg.api.deps import bounded
from mipex_kg.api.describe import concise_bounded_description, is_known
from mipex_kg.api.errors import NotAcceptable, NotFound
from mipex_kg.api.formats import RDF_FORMATS, Choice, choose, offers, write_triples
from mipex_kg.api.html import ONTOLOGY, Alternate, Links
from mipex_kg.api.negotiation import negotiate
from mipex_kg.api.pages import Paging, ontology_page, resource_page
from mipex_kg.api.urls import service_base
from mipex_kg.graph.iris import ONTOLOGY_GRAPH
from mipex_kg.graph.namespaces import ID
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.publish.dumps import FORMAT_NAMES, SERIALIZATION_PREFIXES

router = APIRouter(tags=["Linked data"])

HTML = "text/html"
_HTML_TYPES = (HTML, "application/xhtml+xml")
_HTML_CONTENT_TYPE = "text/html; charset=utf-8"
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {HTML: {}, **{f.media_type: {} for f in RDF_FORMATS}}},
    404: {"description": "the store does not know this IRI"},
    406: {"description": "no offered format is acceptable"},
}


def prefixes_for(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The prefixes among ``SERIALIZATION_PREFIXES`` that ``triples`` use."""
    used: set[str] = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                used.add(term.value)
            elif isinstance(term, ox.Literal):
                used.add(term.datatype.value)
    return {p: ns for p, ns in SERIALIZATION_PREFIXES.items()
            if any(iri.startswith(ns) for iri in used)}


@dataclass(frozen=True)
class Representation:
    """The negotiated answer: an RDF format, or the HTML page (``rdf`` None)."""

    media_type: str
    rdf: Choice | None = None


def choose_representation(accept: str | None, format_values: Sequence[str] = ()) -> Representation:
    """HTML or one of the RDF formats, by ``format=`` (first) or ``Accept``.

    Raises:
        NotAcceptable: nothing offered satisfies the request.
    """
    for value in format_values:
        wanted = value.strip().lower()
        if wanted in ("html", *_HTML_TYPES):
            return Representation(HTML)
        try:
            choice = choose("rdf", None, (value,))
        except NotAcceptable:
            continue
        return Representation(choice.media_type, choice)
    if format_values:
        names = ", ".join(["html", *(f.tokens[0] for f in RDF_FORMATS)])
        raise NotAcceptable(f"format {', '.join(repr(v) for v in format_values)} is not "
                            f"available for this page; use one of: {names}")
    rdf_offers = offers("rdf")
    media = negotiate(accept, [HTML, *rdf_offers, _HTML_TYPES[1]])
    if media is None:
        raise NotAcceptable(f"none of the types in Accept: {accept!r} is available for this "
                            f"page; offered: {', '.join([HTML, *rdf_offers])}")
    if media in _HTML_TYPES:
        return Representation(HTML)
    return Representation(media, Choice(rdf_offers[media], media))


def alternates(page: str) -> list[Alternate]:
    """The other representations of the page at ``page``, one per RDF format."""
    return [Alternate(f.media_type, FORMAT_NAMES.get(f.name, f.name),
                      f"{page}?format={f.tokens[0]}") for f in RDF_FORMATS]


def add_read_route(router: APIRouter, path: str, endpoint: Callable[..., Any],
                   **options: Any) -> None:
    """Route GET and HEAD on ``path`` to ``endpoint`` (HEAD kept out of the OpenAPI,
    where one route with both methods would repeat its operation id)."""
    for method in ("GET", "HEAD"):
        router.add_api_route(path, endpoint, methods=[method], response_class=Response,
                             operation_id=f"{endpoint.__name__}_{method.lower()}",
                             include_in_schema=method == "GET", **options)


async def resource(request: Request, path: str) -> Response:
    """A resource of the knowledge graph: HTML or its concise bounded description."""
    return await _resource(request, path)


async def ontology(request: Request) -> Response:
    """The ontology document (HTML or the ontology graph); its terms are /def#Term."""
    return await _ontology(request)


add_read_route(router, "/id/{path:path}", resource, responses=_RESPONSES,
               summary="A resource of the knowledge graph (HTML or RDF)")
add_read_route(router, "/def", ontology, responses=_RESPONSES,
               summary="The ontology document (HTML or RDF); its terms are /def#Term")


async def _resource(request: Request, path: str) -> Response:
    iri = ID + path
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        raise NotFound(f"{iri!r} is not an IRI this knowledge graph mints") from None

    def rdf(store: KnowledgeStore) -> list[ox.Triple]:
        return concise_bounded_description(store, node)

    paging = _paging(request)

    def html(store: KnowledgeStore, links: Links, page: str) -> str:
        return resource_page(store, node, links, alternates(page), paging)

    return await _answer(request, ("resource", iri, paging), "/id/" + path,
                         lambda store: is_known(store, node),
                         f"no resource <{iri}> in this knowledge graph", rdf, html)


def _paging(request: Request) -> Paging:
    """Which page of inbound links the request asks for (``group`` and ``offset``)."""
    offset = request.query_params.get("offset", "0")
    start = min(int(offset), 10**9) if offset.isdigit() and len(offset) < 12 else 0
    return Paging(request.query_params.get("group", ""), start)


async def _ontology(request: Request) -> Response:
    def rdf(store: KnowledgeStore) -> list[ox.Triple]:
        return list(store.triples(ONTOLOGY_GRAPH))

    def html(store: KnowledgeStore, links: Links, page: str) -> str:
        return ontology_page(store, links, alternates(page))

    return await _answer(request, ("ontology",), "/def",
                         lambda store: store.has_graph(ONTOLOGY_GRAPH),
                         f"the ontology <{ONTOLOGY}> is not loaded", rdf, html)


async def _answer(
    request: Request,
    what: tuple[object, ...],
    path: str,
    exists: Callable[[KnowledgeStore], bool],
    missing: str,
    rdf: Callable[[KnowledgeStore], list[ox.Triple]],
    html: Callable[[KnowledgeStore, Links, str], str],
) -> Response:
    """Negotiate, then answer from the cache, with a 304, or by building the page."""
    state = request.app.state
    store: KnowledgeStore = state.store
    representation = choose_representation(request.headers.get("accept"),
                                           request.query_params.getlist("format"))
    base = service_base(request)
    page = base + path

    def build() -> CachedResponse:
        if not exists(store):
            raise NotFound(missing)
        if representation.rdf is None:
            body = html(store, Links(base), page).encode("utf-8")
            return CachedResponse(body, _HTML_CONTENT_TYPE)
        triples = rdf(store)
        body = write_triples(triples, representation.rdf.format, prefixes_for(triples))
        return CachedResponse(body, representation.rdf.content_type)

    key = ("linked-data", *what, representation.media_type, base)
    return await respond(request, store, state.response_cache, key, bounded(request, build))
