"""PROV-O provenance of loads: the source file as an entity, the load as an activity.

A source file is identified by the sha256 of its bytes; the load that read it is an
activity associated with this software at its version. Both are written into the
graph that the load replaces, so a graph always carries its own provenance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from mipex_kg import __version__
from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import DCAT, DCT, MKG, PROV, RDF, RDFS, XSD

FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPES = {
    ".xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".ttl": ("RDF_TURTLE", "text/turtle"),
    ".csv": ("CSV", "text/csv"),
}


@dataclass(frozen=True)
class SourceFile:
    """A file about to be loaded, identified by its content."""

    path: Path
    sha256: str
    size: int
    original_url: str | None = None

    @classmethod
    def of(cls, path: Path, original_url: str | None = None) -> SourceFile:
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        return cls(path, digest.hexdigest(), path.stat().st_size, original_url)

    @property
    def node(self) -> NamedNode:
        return iris.source(self.sha256)


def now() -> datetime:
    return datetime.now(UTC)


def _datetime(moment: datetime) -> Literal:
    return Literal(moment.isoformat(timespec="milliseconds"), datatype=XSD.dateTime)


def source_triples(source: SourceFile, edition: NamedNode | None = None) -> Iterator[Triple]:
    """The source file as a ``prov:Entity`` with its checksum, size and address."""
    node = source.node
    yield Triple(node, RDF.type, MKG.SourceFile)
    yield Triple(node, RDF.type, PROV.Entity)
    yield Triple(node, DCT.title, Literal(source.path.name))
    yield Triple(node, MKG.sha256, Literal(source.sha256))
    # xsd:integer: Oxigraph stores integer subtypes such as nonNegativeInteger as integer.
    yield Triple(node, DCAT.byteSize, Literal(str(source.size), datatype=XSD.integer))
    file_type = MEDIA_TYPES.get(source.path.suffix.lower())
    if file_type:
        yield Triple(node, DCT.format, NamedNode(FILE_TYPES + file_type[0]))
        yield Triple(node, DCAT.mediaType,
                     NamedNode("http://www.iana.org/assignments/media-types/" + file_type[1]))
    if source.original_url:
        yield Triple(node, MKG.originalUrl, NamedNode(source.original_url))
    if edition is not None:
        yield Triple(node, MKG.edition, edition)


def software_triples() -> Iterator[Triple]:
    agent = iris.software(__version__)
    yield Triple(agent, RDF.type, PROV.SoftwareAgent)
    yield Triple(agent, RDFS.label, Literal(f"mipex-kg {__version__}"))


def load_activity_triples(
    graph: NamedNode, sources: list[NamedNode], started: datetime, ended: datetime
) -> Iterator[Triple]:
    """One load: which files it used, when, by which software, into which graph."""
    key = f"{graph.value.rsplit('/graph/', 1)[-1]}-{started.strftime('%Y%m%dT%H%M%S%f')}"
    node = iris.activity("load", key)
    yield Triple(node, RDF.type, MKG.LoadActivity)
    yield Triple(node, RDF.type, PROV.Activity)
    yield Triple(node, RDFS.label, Literal(f"load into {graph.value}"))
    for source in sources:
        yield Triple(node, PROV.used, source)
    yield Triple(node, PROV.startedAtTime, _datetime(started))
    yield Triple(node, PROV.endedAtTime, _datetime(ended))
    yield Triple(node, PROV.wasAssociatedWith, iris.software(__version__))
    yield Triple(node, MKG.targetGraph, graph)
    yield from software_triples()
