"""The query editor: what a browser gets at ``/sparql``.

A browser asking for ``/sparql`` without a query (``Accept`` naming ``text/html``
before the result formats, no ``format=``) gets YASGUI, set up for this endpoint:
the service's prefixes, every named query as an example, the query of a share link
(``/sparql#query=...``, a fragment, so the server never sees it) in the editor,
results as a table, the raw response and a Vega-Lite chart, downloads as CSV, JSON
and TSV. Every request with a query, and every protocol client (SPARQL result types,
``*/*``, no Accept), keeps getting SPARQL results or the service description,
exactly as before.

    if wants_editor(request): return editor_page(request)
"""

from __future__ import annotations

from fastapi import Request, Response

from mipex_kg.api.editor_examples import examples, with_prefixes
from mipex_kg.api.formats import offers
from mipex_kg.api.html import Links
from mipex_kg.api.negotiation import negotiate, parse_accept
from mipex_kg.api.templating import render
from mipex_kg.api.urls import service_base
from mipex_kg.graph.namespaces import PREFIXES

HTML_TYPES = ("text/html", "application/xhtml+xml")

DEFAULT_QUERY = with_prefixes("""\
# The ten highest overall scores (with health) in 2019, MIPEX 2020 edition
SELECT ?country ?name ?score WHERE {
  ?o qb:dataSet <https://w3id.org/mipex-kg/id/edition/mipex-2020> ;
     mkg:indicator <https://w3id.org/mipex-kg/id/indicator/mipex/overall-with-health> ;
     mkg:refPeriod <https://w3id.org/mipex-kg/id/period/2019> ;
     mkg:jurisdiction ?country ;
     mkg:score ?score .
  ?country skos:prefLabel ?name .
}
ORDER BY DESC(?score)
LIMIT 10
""")


def wants_editor(request: Request) -> bool:
    """Whether ``request`` is a browser opening the endpoint (HTML asked for by name)."""
    params = request.query_params
    if request.method not in ("GET", "HEAD") or any(
            name in params for name in ("query", "update", "format")):
        return False
    accept = request.headers.get("accept")
    named = any(f"{r.type}/{r.subtype}" in HTML_TYPES and r.q > 0 for r in parse_accept(accept))
    if not named:
        return False
    choice = negotiate(accept, [*HTML_TYPES, *offers("results"), *offers("rdf")])
    return choice in HTML_TYPES


def editor_page(request: Request) -> Response:
    """The editor page, with its configuration as a JSON data block."""
    state = request.app.state
    base = service_base(request)
    facade = state.facade
    config = {
        "endpoint": base + "/sparql",
        "query": DEFAULT_QUERY,
        "prefixes": PREFIXES,
        "examples": [vars(e) for e in examples(facade.registry, facade.vocabulary.get(),
                                               state.store)],
    }
    body = render("editor.html", title="Query editor", links=Links(base),
                  config=config)
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={"Vary": "Accept", "Cache-Control": "no-cache"})
