"""What a store's writes changed since its folder on disk was last written, quad by quad.

``KnowledgeStore`` keeps one ``Delta`` while it can say exactly which quads its
writes added and removed (each write names the graphs it may change, and those are
small): the folder is then brought up to date with these quads alone, in one
transaction (``persistence.write_delta``), at a cost that follows the change rather
than the store. A write that cannot say what it changes (a large load, a SPARQL
Update nobody analysed) makes the delta unknown, and the whole dataset is written
into a fresh folder instead (``persistence.write_snapshot``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox


class Delta:
    """Quads added and removed, netted: adding a removed quad cancels its removal."""

    def __init__(self) -> None:
        self.added: set[ox.Quad] = set()
        self.removed: set[ox.Quad] = set()

    def record(self, before: Iterable[ox.Quad], after: Iterable[ox.Quad]) -> None:
        """Record that some graphs went from holding ``before`` to holding ``after``."""
        old, new = set(before), set(after)
        for quad in new - old:
            if quad in self.removed:
                self.removed.discard(quad)
            else:
                self.added.add(quad)
        for quad in old - new:
            if quad in self.added:
                self.added.discard(quad)
            else:
                self.removed.add(quad)

    def copy(self) -> Delta:
        """A delta with the same quads, which later records do not change."""
        twin = Delta()
        twin.added, twin.removed = set(self.added), set(self.removed)
        return twin

    def touches(self, graph: ox.NamedNode | ox.DefaultGraph) -> bool:
        """Whether a quad of ``graph`` was added or removed."""
        return any(q.graph_name == graph for quads in (self.added, self.removed) for q in quads)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)

    @property
    def has_blank_nodes(self) -> bool:
        """SPARQL's DELETE DATA takes no blank nodes, and INSERT DATA renames them."""
        return any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
                   for quads in (self.added, self.removed) for q in quads)

    def as_update(self) -> str:
        """One SPARQL update (DELETE DATA, then INSERT DATA) that applies the delta."""
        operations = []
        for keyword, quads in (("DELETE", self.removed), ("INSERT", self.added)):
            if quads:
                operations.append(f"{keyword} DATA {{ {_data_block(quads)} }}")
        return " ;\n".join(operations)


def _data_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of a SPARQL DATA block, graph by graph."""
    by_graph: dict[ox.NamedNode | ox.DefaultGraph, list[ox.Triple]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name, []).append(quad.triple)  # type: ignore[arg-type]
    parts = []
    for graph, triples in by_graph.items():
        text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
        parts.append(text if isinstance(graph, ox.DefaultGraph)
                     else f"GRAPH <{graph.value}> {{ {text} }}")
    return "\n".join(parts)


__all__ = ["Delta"]
