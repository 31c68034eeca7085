"""The validation gate: the one place where new graph content meets the SHACL shapes.

Loads (``Loader``), the recomputation (``recompute_store``) and the service's HTTP
writes (``Loader.check_write``, the service's write gate) all ask one
``ValidationGate``: the new content of every graph a write replaces is validated
together with its *context*, the ontology and the curated and reference graphs of
the store (never the old content of a graph being replaced), plus any further quads
the caller names (the descriptions of the concepts a CSV uses, the types of the
scores a recomputation points at).

They are validated in a scratch store that holds exactly that: the new content and
a copy of the context (about 4 k quads, however large the store grows). The
alternative, staging graphs inside the store, was built and measured on the
``loadtime`` branch: the new content is inserted once either way (into the scratch
store, or into a staging graph that a ``MOVE`` then copies again: 1.45 s against
1.63 s for an ``extend`` of 0.54 M quads), and the shapes' queries ran about a third
slower over the graphs of the full store; staging graphs must also be hidden from
every reader. New content made of triples without blank nodes (what the loaders
build) goes into the scratch store as N-Triples text (``plain_ntriples``), as it then
goes into the store: cheaper than making a quad of each triple (docs/performance.md).

The shapes' queries run on two threads: pyoxigraph releases the GIL while it
evaluates a query (5.1 s -> 3.5 s for the 2007-2019 workbook, measured side by side).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from importlib.resources import files

import pyoxigraph as ox

from mipex_kg.graph.iris import (
    CURATED_PREFIX,
    DEFAULT_GRAPH_STAND_IN,
    ONTOLOGY_GRAPH,
    REFERENCE_PREFIX,
)
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.shacl import ValidationResult, validate
from mipex_kg.graph.store import in_graph, plain_ntriples
from mipex_kg.loaders.errors import Problem
from mipex_kg.loaders.validation import project_constraints

#: Threads that run the shapes' queries (the machines this runs on have two cores).
THREADS = 2

GraphName = ox.NamedNode | ox.DefaultGraph


class ValidationGate:
    """Validates new graph contents of one store against the project's shapes."""

    def __init__(self, store: QuadStore) -> None:
        self.store = store

    @cached_property
    def ontology_triples(self) -> list[ox.Triple]:
        """The packaged ontology (validated with, unless the ontology graph is what changes)."""
        return [
            ox.Triple(q.subject, q.predicate, q.object)
            for resource in sorted(files("mipex_kg.ontology").iterdir(), key=lambda r: r.name)
            if resource.name.endswith(".ttl")
            for q in ox.parse(resource.read_bytes(), ox.RdfFormat.TURTLE)
        ]

    def context_graphs(self, excluding: Iterable[ox.NamedNode]) -> list[ox.NamedNode]:
        """The graphs new content is validated with: ontology, curated and reference data."""
        excluded = set(excluding)
        return [
            g for g in self.store.named_graphs()
            if g not in excluded and (g == ONTOLOGY_GRAPH or g.value.startswith(CURATED_PREFIX)
                                      or g.value.startswith(REFERENCE_PREFIX))
        ]

    def violations(self, graphs: Mapping[ox.NamedNode, Sequence[ox.Triple | ox.Quad]],
                   extra_context: Iterable[ox.Quad] = (),
                   focus: set[ox.NamedNode | ox.BlankNode] | None = None
                   ) -> list[ValidationResult]:
        """The sh:Violation results of validating ``graphs`` (graph -> its whole new content).

        ``extra_context``: further quads to validate with (those of a graph in ``graphs``
        are left out). ``focus``: report only results on these nodes.
        """
        scratch = ox.Store()
        for graph, content in graphs.items():
            text = plain_ntriples(content)
            if text is None:
                scratch.extend(in_graph(content, graph))
            else:
                scratch.load(text, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        if ONTOLOGY_GRAPH not in graphs:
            scratch.extend(ox.Quad(t.subject, t.predicate, t.object, ONTOLOGY_GRAPH)
                           for t in self.ontology_triples)
        for context in self.context_graphs(excluding=graphs):
            scratch.extend(self.store.quads(graph=context))
        scratch.extend(q for q in extra_context if q.graph_name not in graphs)
        report = validate(scratch, project_constraints(), threads=THREADS, focus=focus)
        return [r for r in report.results if r.severity.endswith("Violation")]

    def problems(self, graphs: Mapping[ox.NamedNode, Sequence[ox.Triple | ox.Quad]], file: str,
                 locate: Mapping[str, tuple[str, str]] | None = None,
                 extra_context: Iterable[ox.Quad] = (),
                 focus: set[ox.NamedNode | ox.BlankNode] | None = None) -> list[Problem]:
        """``violations`` as problems naming the file and place (``locate``: focus IRI ->
        (file, place), e.g. the sheet and cell a score was read from)."""
        locate = locate or {}
        problems = []
        for result in self.violations(graphs, extra_context, focus):
            node = result.focus_node
            key = node.value if isinstance(node, ox.NamedNode) else str(node)
            value = "" if result.value is None else f" (value {result.value})"
            where_file, where = locate.get(key, (file, ""))
            problems.append(Problem(where_file, ", ".join(filter(None, [where, f"resource {node}"])),
                                    f"{result.message}{value}"))
        return problems

    def check_write(self, changes: Mapping[GraphName, Sequence[ox.Triple]]) -> list[str]:
        """The service's write gate: the problems a write would cause ([] lets it through).

        ``changes`` maps each graph a SPARQL Update or Graph Store request would change
        to its whole content afterwards; they are validated together, like a load.
        """
        graphs = {}
        for graph, triples in changes.items():
            name = graph if isinstance(graph, ox.NamedNode) else DEFAULT_GRAPH_STAND_IN
            graphs[name] = in_graph(triples, name)
        return [str(problem) for problem in self.problems(graphs, "the write")]


__all__ = ["ValidationGate"]
