"""What the HTML pages show of RDF terms: short names, numbers, links, literals.

The pages are rendered by Jinja2 templates (``templating``, autoescape on); this
module turns terms from the store into the plain values the templates show, so no
markup is ever built from data. Links are made by ``Links``: IRIs under the project
base (``https://w3id.org/mipex-kg/id/...``, ``.../def#Term``) point at this service's
own ``/id/...`` and ``/def`` pages, so browsing works wherever the service runs;
every other http(s) or mailto IRI is linked as it is, anything else (``javascript:``)
is shown as text only.

    links = Links("http://127.0.0.1:8000")
    links.href("https://w3id.org/mipex-kg/id/country/SWE")  # 'http://127.0.0.1:8000/id/country/SWE'
    anchor(links, "https://w3id.org/mipex-kg/id/country/SWE", "Sweden")   # -> Anchor
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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




@dataclass(frozen=True)
class Alternate:
    """Another representation of the page: its media type, a name and its URL."""

    media_type: str
    name: str
    href: str


@dataclass(frozen=True)
class Anchor:
    """A link to show: its text, where it goes (None: plain text) and its tooltip."""

    text: str
    href: str | None
    title: str
    kind: str = "link"


@dataclass(frozen=True)
class LiteralView:
    """A literal to show: its text (numbers maybe rounded), language or datatype."""

    value: str
    shown: str
    language: str = ""
    datatype: str = ""  # the datatype's short name; empty for plain strings
    kind: str = "literal"


def anchor(links: Links, iri: str, text: str | None = None, *,
           title: str | None = None) -> Anchor:
    """A link to ``iri`` (plain text when it is not safe to link), shown as ``text``."""
    return Anchor(text if text is not None else curie(iri), links.href(iri),
                  title if title is not None else iri)


def literal_view(term: ox.Literal, *, round_numbers: bool = False) -> LiteralView:
    """A literal: its text, then its language or datatype in small print."""
    datatype = term.datatype.value
    if term.language:
        return LiteralView(term.value, term.value, language=term.language)
    if datatype == _XSD + "string":
        return LiteralView(term.value, term.value)
    shown = format_number(term.value) if round_numbers and datatype in _NUMERIC else term.value
    return LiteralView(term.value, shown, datatype=curie(datatype))
