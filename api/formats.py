"""The formats the service writes, and how one is chosen for a request.

Two families: SPARQL results (SELECT, ASK) and RDF (CONSTRUCT, DESCRIBE, graphs,
the service description). A request chooses with ``Accept`` (q-values, wildcards)
or, for browsers and clients such as SPARQLWrapper, with ``format=`` / ``output=``
(a short name such as ``json`` or ``turtle``, or media types). The short name wins
over Accept; an unknown short name is a 406, not silently ignored.

Aliases (``application/json`` for SPARQL JSON results, ``text/plain`` for
N-Triples ...) are offered after every canonical type, so ``*/*`` always gets the
canonical one, and the response is labelled with the type the client asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from mipex_kg.api.errors import NotAcceptable
from mipex_kg.api.negotiation import negotiate

Family = Literal["results", "rdf"]


@dataclass(frozen=True)
class Format:
    """One serialisation: its short name, canonical media type, aliases and names."""

    name: str
    media_type: str
    family: Family
    aliases: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()

    def content_type(self, media_type: str | None = None) -> str:
        """The Content-Type header for ``media_type`` (default: the canonical one)."""
        media = media_type or self.media_type
        return f"{media}; charset=utf-8" if media.startswith("text/") else media

    @property
    def oxigraph(self) -> ox.QueryResultsFormat | ox.RdfFormat:
        """The pyoxigraph format object that writes it."""
        found: ox.QueryResultsFormat | ox.RdfFormat | None
        if self.family == "results":
            found = ox.QueryResultsFormat.from_media_type(self.media_type)
        else:
            found = ox.RdfFormat.from_media_type(self.media_type)
        if found is None:
            raise ValueError(f"pyoxigraph has no writer for {self.media_type}")
        return found

    @property
    def iri(self) -> str:
        """Its IRI under http://www.w3.org/ns/formats/ (for sd:resultFormat)."""
        return FORMATS_NS + _FORMAT_IRI_NAMES[self.name]


FORMATS_NS = "http://www.w3.org/ns/formats/"

# The W3C names (pyoxigraph's own IRI for JSON-LD is not the one in ns/formats).
_FORMAT_IRI_NAMES = {
    "json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV", "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD", "rdfxml": "RDF_XML",
    "trig": "TriG", "nquads": "N-Quads", "n3": "N3",
}

RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "results",
           ("application/json",), ("json", "srj")),
    Format("xml", "application/sparql-results+xml", "results",
           ("application/xml", "text/xml"), ("xml", "srx")),
    Format("csv", "text/csv", "results", (), ("csv",)),
    Format("tsv", "text/tab-separated-values", "results", (), ("tsv",)),
)

RDF_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "rdf", ("application/x-turtle",), ("turtle", "ttl")),
    Format("ntriples", "application/n-triples", "rdf", ("text/plain",),
           ("ntriples", "n-triples", "nt")),
    Format("jsonld", "application/ld+json", "rdf", ("application/json",),
           ("jsonld", "json-ld", "json")),
    Format("rdfxml", "application/rdf+xml", "rdf", ("application/xml", "text/xml"),
           ("rdfxml", "rdf+xml", "rdf", "xml")),
    Format("trig", "application/trig", "rdf", (), ("trig",)),
    Format("nquads", "application/n-quads", "rdf", (), ("nquads", "n-quads", "nq")),
    Format("n3", "text/n3", "rdf", (), ("n3",)),
)

#: RDF formats a request body may use to send one graph (Graph Store Protocol).
GRAPH_INPUT_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/n3": ox.RdfFormat.N3,
}


@dataclass(frozen=True)
class Choice:
    """A negotiated format and the media type the response is labelled with."""

    format: Format
    media_type: str

    @property
    def content_type(self) -> str:
        return self.format.content_type(self.media_type)


def family_formats(family: Family) -> tuple[Format, ...]:
    return RESULT_FORMATS if family == "results" else RDF_FORMATS


def offers(family: Family) -> dict[str, Format]:
    """Media type -> format, canonical types first, then aliases, in preference order."""
    formats = family_formats(family)
    table = {f.media_type: f for f in formats}
    for f in formats:
        for alias in f.aliases:
            table.setdefault(alias, f)
    return table


_CHOICES: dict[tuple[Family, str | None, tuple[str, ...]], Choice | str] = {}
_CHOICES_SIZE = 512


def choose(family: Family, accept: str | None, format_values: Sequence[str] = ()) -> Choice:
    """The format to answer with.

    Args:
        family: "results" (SELECT, ASK) or "rdf" (CONSTRUCT, DESCRIBE, graphs).
        accept: the Accept header.
        format_values: values of ``format=`` / ``output=``, in order; each is a short
            name or one or more media types separated by commas.

    Raises:
        NotAcceptable: nothing offered satisfies the request.
    """
    # Clients send the same few headers again and again: the outcome (a choice, or
    # the detail of the 406) is remembered for the most recent ones.
    key = (family, accept, tuple(format_values))
    found = _CHOICES.get(key)
    if found is None:
        try:
            found = _choose(family, accept, key[2])
        except NotAcceptable as error:
            found = error.detail
        if len(_CHOICES) >= _CHOICES_SIZE:
            _CHOICES.clear()
        _CHOICES[key] = found
    if isinstance(found, str):
        raise NotAcceptable(found)
    return found


def _choose(family: Family, accept: str | None, format_values: Sequence[str]) -> Choice:
    table = offers(family)
    if format_values:
        for value in format_values:
            choice = _from_format_value(family, table, value)
            if choice is not None:
                return choice
        names = ", ".join(t for f in family_formats(family) for t in f.tokens[:1])
        raise NotAcceptable(
            f"format {', '.join(repr(v) for v in format_values)} is not available for "
            f"{_describe(family)}; use one of: {names}"
        )
    media = negotiate(accept, list(table))
    if media is None:
        raise NotAcceptable(
            f"none of the types in Accept: {accept!r} is available for {_describe(family)}; "
            f"offered: {', '.join(table)}"
        )
    return Choice(table[media], media)


def _from_format_value(family: Family, table: dict[str, Format], value: str) -> Choice | None:
    value = value.strip().lower()
    if "/" in value:
        media = negotiate(value, list(table))
        return Choice(table[media], media) if media else None
    for f in family_formats(family):
        if value in f.tokens:
            return Choice(f, f.media_type)
    return None


def _describe(family: Family) -> str:
    return "SELECT and ASK results" if family == "results" else "RDF (CONSTRUCT, DESCRIBE, graphs)"


def write_triples(
    triples: Sequence[ox.Triple], fmt: Format, prefixes: dict[str, str] | None = None
) -> bytes:
    """Serialise triples with pyoxigraph (dataset formats get them in the default graph)."""
    rdf_format = fmt.oxigraph
    assert isinstance(rdf_format, ox.RdfFormat)
    if rdf_format.supports_datasets:
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        return ox.serialize(quads, format=rdf_format, prefixes=prefixes) or b""
    return ox.serialize(triples, format=rdf_format, prefixes=prefixes) or b""
