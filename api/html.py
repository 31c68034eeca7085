"""Small, safe HTML for the linked-data pages, without a template engine.

Every piece of text that reaches a page goes through ``esc`` (``html.escape`` with
quotes), and markup is put together only by the helpers here, so data from the
store can never inject markup. Links are made by ``Links``: IRIs under the project
base (``https://w3id.org/mipex-kg/id/...``, ``.../def#Term``) point at this service's
own ``/id/...`` and ``/def`` pages, so browsing works wherever the service runs;
every other http(s) or mailto IRI is linked as it is, anything else (``javascript:``)
is shown as text only.

    links = Links("http://127.0.0.1:8000")
    links.href("https://w3id.org/mipex-kg/id/country/SWE")  # 'http://127.0.0.1:8000/id/country/SWE'
    document("Sweden", body_html, links=links, alternates=[...])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape

import pyoxigraph as ox
from mipex_kg.graph.namespaces import BASE, GRAPH, ID, PREFIXES

#: The ontology document's IRI (its terms are ``ONTOLOGY + "#Term"``).
ONTOLOGY = BASE + "def"

_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {_XSD + name for name in ("decimal", "integer", "double", "float",
                                     "nonNegativeInteger", "positiveInteger", "int", "long")}

# Longest namespace first, so "sdmx-attribute:" wins over a shorter match.
_CURIE_PREFIXES = sorted(((ns, p) for p, ns in PREFIXES.items()), key=lambda x: -len(x[0]))

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--link:#0b57d0;--accent:#0a7d5a}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
header.site{background:#12355b;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.2rem;
align-items:baseline;flex-wrap:wrap}
header.site a{color:#fff}header.site .brand{font-weight:700;font-size:1.05rem;margin-right:auto}
main{max-width:80rem;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.7rem;margin:.2rem 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;
border-bottom:1px solid var(--line);padding-bottom:.25rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
.types{margin:0;color:var(--accent);font-size:.85rem;text-transform:uppercase;letter-spacing:.04em}
.types a{color:inherit}
.iri{margin:.2rem 0;font-size:.85rem;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
color:var(--muted);word-break:break-all}
nav.formats{font-size:.85rem;color:var(--muted);margin:.4rem 0 1rem}
nav.formats a{margin-left:.5rem}
main>nav{margin:1rem 0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--bg);font-weight:600}
table.props>tbody>tr>th{width:16rem;font-weight:500}
.curie{display:block;color:var(--muted);font-size:.78rem;font-family:ui-monospace,Menlo,Consolas,monospace}
.dt,.lang{color:var(--muted);font-size:.78rem;margin-left:.3rem}
.text{white-space:pre-line}
ul.values{list-style:none;margin:0;padding:0}ul.values li+li{margin-top:.2rem}
.scroll{overflow-x:auto}
table.scores{width:auto}
table.scores{font-size:.86rem}table.scores th,table.scores td{padding:.3rem .3rem}
table.scores td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.scores thead th{text-align:right}table.scores thead th:first-child{text-align:left}
table.scores th[scope=row]{min-width:12rem;max-width:18rem}
table.scores tr.overall th,table.scores tr.overall td{font-weight:700;background:#eef6f1}
table.scores .code{color:var(--muted);font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:.8rem;margin-right:.4rem}
dl.facts{display:grid;grid-template-columns:12rem 1fr;gap:.35rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.value{font-size:1.6rem;font-weight:700;color:var(--accent)}
blockquote{margin:.3rem 0;padding:.4rem .8rem;border-left:3px solid var(--line);
background:var(--bg)}
.note{color:var(--muted);font-size:.85rem}
.bnode{margin:.2rem 0 .2rem .2rem;border-left:2px solid var(--line)}
.bnode table{font-size:.88rem}
footer{color:var(--muted);font-size:.8rem;text-align:center;padding:2rem 0}
"""


def esc(text: object) -> str:
    """``text`` escaped for HTML text and attribute values."""
    return escape(str(text), quote=True)


def curie(iri: str) -> str:
    """A short name for ``iri`` with the project's prefixes, or the IRI itself.

    >>> curie("http://www.w3.org/2004/02/skos/core#prefLabel")
    'skos:prefLabel'
    >>> curie("https://w3id.org/mipex-kg/id/country/SWE")
    'id:country/SWE'
    """
    for namespace, prefix in _CURIE_PREFIXES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def format_number(lexical: str, places: int = 2) -> str:
    """A number for reading: whole numbers as they are, others to ``places`` decimals.

    >>> format_number("86.39012896825398"), format_number("87.04", 1), format_number("50.0")
    ('86.39', '87.0', '50')
    >>> format_number("not a number")
    'not a number'
    """
    try:
        value = Decimal(lexical)
    except InvalidOperation:
        return lexical
    if not value.is_finite():
        return lexical
    if value == value.to_integral_value():
        return str(int(value))
    return f"{round(value, places):f}"


@dataclass(frozen=True)
class Links:
    """Where a link to an IRI goes, for a service whose base URL is ``service``."""

    service: str

    def href(self, iri: str) -> str | None:
        """The URL to link ``iri`` to, or None when it must not be a link."""
        if iri.startswith(ID):
            return f"{self.service}/id/{iri[len(ID):]}"
        if iri == ONTOLOGY or iri.startswith(ONTOLOGY + "#"):
            return f"{self.service}/def{iri[len(ONTOLOGY):]}"
        if iri.startswith(GRAPH):
            return f"{self.service}/downloads#{iri[len(GRAPH):]}"
        if iri.startswith(_SAFE_SCHEMES):
            return iri
        return None

    def url(self, path: str) -> str:
        """An absolute URL of this service."""
        return f"{self.service}{path}"


def link(links: Links, iri: str, text: str | None = None, *, title: str | None = None) -> str:
    """An ``<a>`` to ``iri`` (or plain text when it is not safe to link)."""
    shown = esc(text if text is not None else curie(iri))
    href = links.href(iri)
    hint = f' title="{esc(title if title is not None else iri)}"'
    if href is None:
        return f"<span{hint}>{shown}</span>"
    return f'<a href="{esc(href)}"{hint}>{shown}</a>'


def literal(term: ox.Literal, *, round_numbers: bool = False) -> str:
    """A literal: its text, then its language or datatype in small print."""
    datatype = term.datatype.value
    if term.language:
        return (f'<span class="text" lang="{esc(term.language)}">{esc(term.value)}</span>'
                f'<span class="lang">@{esc(term.language)}</span>')
    if datatype == _XSD + "string":
        return f'<span class="text">{esc(term.value)}</span>'
    shown = format_number(term.value) if round_numbers and datatype in _NUMERIC else term.value
    return (f'<span class="text" title="{esc(term.value)}">{esc(shown)}</span>'
            f'<span class="dt">{esc(curie(datatype))}</span>')


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, css: str = "") -> str:
    """A table of ready-made cell HTML, with escaped header texts."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    cls = f' class="{esc(css)}"' if css else ""
    return (f'<div class="scroll"><table{cls}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


@dataclass(frozen=True)
class Alternate:
    """Another representation of the page: its media type, a name and its URL."""

    media_type: str
    name: str
    href: str


def document(
    title: str,
    body: str,
    *,
    links: Links,
    alternates: Sequence[Alternate] = (),
    canonical: str | None = None,
) -> str:
    """A complete HTML5 page around ``body`` (ready-made HTML)."""
    alternate_links = "".join(
        f'<link rel="alternate" type="{esc(a.media_type)}" href="{esc(a.href)}"'
        f' title="{esc(a.name)}">'
        for a in alternates
    )
    canonical_link = f'<link rel="canonical" href="{esc(canonical)}">' if canonical else ""
    nav = "".join(
        f'<a href="{esc(links.url(path))}">{esc(name)}</a>'
        for path, name in (("/def", "Ontology"), ("/sparql", "SPARQL"),
                           ("/.well-known/void", "VoID"), ("/downloads", "Downloads"),
                           ("/docs", "API"))
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · mipex-kg</title>{canonical_link}{alternate_links}"
        f"<style>{CSS}</style></head><body>"
        f'<header class="site"><a class="brand" href="{esc(links.url("/def"))}">mipex-kg</a>'
        f"{nav}</header><main>{body}</main>"
        "<footer>mipex-kg: migrant-integration policy indicators as linked data</footer>"
        "</body></html>\n"
    )


def format_nav(alternates: Sequence[Alternate]) -> str:
    """The 'also as Turtle, JSON-LD ...' line under a page's title."""
    items = "".join(f'<a href="{esc(a.href)}" type="{esc(a.media_type)}">{esc(a.name)}</a>'
                    for a in alternates)
    return f'<nav class="formats" aria-label="Other formats">Also as:{items}</nav>'
