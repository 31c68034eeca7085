"""A writer that replaces one graph over and over: the victim of the random-kill test.

    python -m tests.faults.replacer STORE

It opens the store folder, finds which version of the test graph it holds (0 when
none), and writes the next versions one after the other with
``KnowledgeStore.replace_graph``, each written to disk before the call returns; it
prints each version number when its call has returned. Version ``k`` is wholly
determined by ``k`` (``version_quads``), so a test knows the dataset of every
version, and from the printed numbers which ones were certainly written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph.store import KnowledgeStore

GRAPH = ox.NamedNode("https://w3id.org/mipex-kg/graph/faults-replacer")
VERSION = ox.NamedNode("https://w3id.org/mipex-kg/id/faults-replacer/version")
P = ox.NamedNode("https://w3id.org/mipex-kg/id/faults-replacer/p")
SIZE = 5_000


def version_triples(k: int) -> list[ox.Triple]:
    """The content of the test graph in version ``k``."""
    triples = [ox.Triple(VERSION, P, ox.Literal(str(k), datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")))]
    triples += [ox.Triple(ox.NamedNode(f"https://w3id.org/mipex-kg/id/faults-replacer/s{i}"), P,
                          ox.Literal(f"{k}-{i}")) for i in range(SIZE)]
    return triples


def version_quads(k: int) -> bytes:
    """The whole dataset of a store that holds version ``k`` only, as N-Quads."""
    quads = [ox.Quad(*t, GRAPH) for t in version_triples(k)]
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def version_in(store: KnowledgeStore) -> int:
    """The version of the test graph ``store`` holds (0 when it holds none)."""
    for quad in store.oxigraph.quads_for_pattern(VERSION, P, None, GRAPH):
        return int(quad.object.value)
    return 0


def main(path: Path) -> None:
    store = KnowledgeStore(path)
    version = version_in(store)
    while True:
        version += 1
        store.replace_graph(GRAPH, version_triples(version))
        print(version, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
