"""Downloads of the store: which files exist, and streaming pyoxigraph's output.

Every named graph is offered in six formats, named by the graph's slug (its path
after ``https://w3id.org/mipex-kg/graph/`` with ``/`` written ``-``, the same names
the DCAT catalogue links to), and the whole store in the two dataset formats::

    /downloads/curated-countries.ttl    .nt .nq .trig .rdf .jsonld
    /downloads/all.nq                   .trig

The nested path (``/downloads/curated/countries.ttl``) names a graph too, and is
what the links use when two graphs would share a slug. The N-Quads and TriG
files of one graph keep its graph name.

``stream(write)`` runs a pyoxigraph writer in a thread and hands its output on in
chunks as the client reads them (a bounded queue, so a slow client slows the
writer down instead of filling memory); when the client goes away the writer is
stopped at its next write.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

import pyoxigraph as ox

from mipex_kg.api.formats import RDF_FORMATS, Format
from mipex_kg.graph.handoff import detached
from mipex_kg.graph.namespaces import GRAPH, PREFIXES
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.publish.catalog import graph_slug

_BY_NAME = {f.name: f for f in RDF_FORMATS}

#: File extension -> format, for the downloads of one graph.
GRAPH_FORMATS: dict[str, Format] = {
    "ttl": _BY_NAME["turtle"], "nt": _BY_NAME["ntriples"], "nq": _BY_NAME["nquads"],
    "trig": _BY_NAME["trig"], "rdf": _BY_NAME["rdfxml"], "jsonld": _BY_NAME["jsonld"],
}
#: File extension -> format, for the download of the whole store.
STORE_FORMATS: dict[str, Format] = {"nq": _BY_NAME["nquads"], "trig": _BY_NAME["trig"]}
#: The file name (without extension) of the whole store.
ALL = "all"

#: Prefixes written into the files (not ``id:``: Turtle would escape the '/' in its names).
SERIALIZATION_PREFIXES = {p: ns for p, ns in PREFIXES.items() if p != "id"}

FORMAT_NAMES = {"turtle": "Turtle", "ntriples": "N-Triples", "nquads": "N-Quads", "trig": "TriG",
                "rdfxml": "RDF/XML", "jsonld": "JSON-LD", "n3": "N3"}


@dataclass(frozen=True)
class Download:
    """One file: its name, its format, and the graph it holds (None: the whole store)."""

    name: str
    format: Format
    graph: ox.NamedNode | None

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[1]


def stem(graph: ox.NamedNode, graphs: list[ox.NamedNode]) -> str:
    """The file name (without extension) of ``graph``'s downloads."""
    slug = graph_slug(graph.value)
    if sum(graph_slug(g.value) == slug for g in graphs) > 1 or slug == ALL:
        return graph.value.removeprefix(GRAPH).strip("/")
    return slug


def graph_downloads(graph: ox.NamedNode, graphs: list[ox.NamedNode]) -> list[Download]:
    """The files of one named graph, one per format."""
    base = stem(graph, graphs)
    return [Download(f"{base}.{ext}", fmt, graph) for ext, fmt in GRAPH_FORMATS.items()]


def store_downloads() -> list[Download]:
    """The files of the whole store."""
    return [Download(f"{ALL}.{ext}", fmt, None) for ext, fmt in STORE_FORMATS.items()]


def find(store: QuadStore, name: str) -> Download | None:
    """The download called ``name`` (``curated-countries.ttl``), or None."""
    base, dot, ext = name.rpartition(".")
    if not dot or not base:
        return None
    if base == ALL and ext in STORE_FORMATS:
        return Download(name, STORE_FORMATS[ext], None)
    fmt = GRAPH_FORMATS.get(ext)
    if fmt is None:
        return None
    graphs = store.named_graphs()
    for graph in graphs:
        if stem(graph, graphs) == base or graph.value == GRAPH + base:
            return Download(name, fmt, graph)
    return None


def writer(store: QuadStore, download: Download) -> Callable[[IO[bytes]], None]:
    """What writes ``download`` into a binary file-like object."""
    rdf_format = download.format.oxigraph
    assert isinstance(rdf_format, ox.RdfFormat)
    graph = download.graph

    def write(output: IO[bytes]) -> None:
        if graph is None:
            store.dump(output, rdf_format)
        elif rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):  # keep the graph name
            quads = store.quads(graph=graph)
            ox.serialize(quads, output, format=rdf_format, prefixes=SERIALIZATION_PREFIXES)
        else:
            ox.serialize(store.triples(graph), output, format=rdf_format,
                         prefixes=SERIALIZATION_PREFIXES)

    return write


# -- streaming ---------------------------------------------------------------------------

_END = object()


class _Pipe:
    """A write-only file for pyoxigraph whose chunks a reader takes from a queue."""

    def __init__(self, chunk_size: int, depth: int, stall_limit: float) -> None:
        self.chunk_size = chunk_size
        self.stall_limit = stall_limit
        self.queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.buffer = bytearray()
        self.cancelled = threading.Event()

    # the writer's side (pyoxigraph, in the producer thread)
    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= self.chunk_size:
            self._put(bytes(self.buffer))
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        """Nothing to do: chunks are handed on when they are full or at the end."""

    def close(self, error: BaseException | None = None) -> None:
        if error is None and self.buffer:
            self._put(bytes(self.buffer))
        self.buffer.clear()
        self._put(error if error is not None else _END)

    def _put(self, item: object) -> None:
        deadline = time.monotonic() + self.stall_limit
        while not self.cancelled.is_set():
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                if time.monotonic() > deadline:
                    break
        raise BrokenPipeError("the download was abandoned by its reader")


def stream(write: Callable[[IO[bytes]], None], *, chunk_size: int = 256 * 1024, depth: int = 8,
           stall_limit: float = 300.0) -> Iterator[bytes]:
    """The output of ``write(file)``, chunk by chunk, while it is being written.

    Args:
        write: writes the whole output into the binary file-like object it is given.
        chunk_size: bytes per chunk handed on (the last one may be shorter).
        depth: chunks written ahead of the reader at most.
        stall_limit: seconds the writer waits for a reader that takes nothing.

    Raises:
        Exception: whatever ``write`` raised, after the chunks written before it (the
            response is then cut short, so a client never takes it for complete).
    """
    pipe = _Pipe(chunk_size, depth, stall_limit)

    def produce() -> None:
        error: BaseException | None = None
        try:
            write(pipe)  # type: ignore[arg-type]
        except BaseException as failure:  # noqa: BLE001 - handed to the reader, who raises it
            error = detached(failure)  # what the writer's frames held is let go of here
        try:
            pipe.close(error)
        except BrokenPipeError:
            pass  # the reader has gone: nobody is left to tell

    threading.Thread(target=produce, name="mipex-kg-download", daemon=True).start()
    try:
        while True:
            item = pipe.queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        pipe.cancelled.set()
