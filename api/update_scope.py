"""Which graphs a SPARQL Update can read or change, from its parse.

The write gate must see what an update would change before it runs. Running it in a
scratch copy of the *whole* store costs in proportion to the store (3-5 s for the
0.86 M quads of both workbooks); running it in a copy of only the graphs it can
touch costs in proportion to those. ``touched_graphs`` names them, reading the
update with rdflib's SPARQL 1.1 parser (the one ``engine.guard`` uses): every graph
an operation names (``GRAPH <g>`` in data, templates and patterns, ``WITH``,
``USING``, ``CLEAR``/``DROP``/``CREATE``/``ADD``/``MOVE``/``COPY``) plus the default
graph. It answers None, "any graph", when a graph is a variable (``GRAPH ?g``), for
``NAMED``/``ALL`` and ``LOAD``, and when the text does not parse; the caller then
copies the whole store, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyoxigraph as ox
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef

GraphName = ox.NamedNode | ox.DefaultGraph


class _Unbounded(Exception):
    """The update can reach graphs it does not name."""


def touched_graphs(text: str, *, base_iri: str | None = None,
                   prefixes: Mapping[str, str] | None = None) -> set[GraphName] | None:
    """The graphs ``text`` can read or change (the default graph always), or None for any."""
    try:
        operations = translateUpdate(parseUpdate(text), base=base_iri,
                                     initNs=dict(prefixes or {})).algebra
    except Exception:  # noqa: BLE001 - the store reports the syntax error when it runs
        return None
    graphs: set[GraphName] = {ox.DefaultGraph()}
    try:
        for operation in operations:
            graphs.update(_graphs_of(operation))
    except _Unbounded:
        return None
    return graphs


def _graphs_of(operation: CompValue) -> Iterator[GraphName]:
    name = operation.name
    if name in ("InsertData", "DeleteData", "DeleteWhere"):
        yield from _quad_graphs(operation)
    elif name == "Modify":
        yield from _term(_field(operation, "withClause"), optional=True)
        for clause in ("delete", "insert"):
            if _field(operation, clause) is not None:
                yield from _quad_graphs(_field(operation, clause))
        for using in _field(operation, "using") or []:
            if _field(using, "named") is not None:
                yield from _term(_field(using, "named"))
            if _field(using, "default") is not None:
                yield from _term(_field(using, "default"))
        yield from _pattern_graphs(_field(operation, "where"))
    elif name in ("Clear", "Drop", "Create"):
        yield from _graph_ref(_field(operation, "graphiri"))
    elif name in ("Add", "Move", "Copy"):
        for ref in _field(operation, "graph") or []:
            yield from _graph_ref(ref)
    else:  # Load, or anything this reading does not know
        raise _Unbounded(name)


def _field(node: Any, key: str) -> Any:
    """A field of an algebra node, None when missing (``CompValue.get`` answers the key)."""
    return dict.get(node, key) if isinstance(node, dict) else None


def _quad_graphs(clause: Any) -> Iterator[GraphName]:
    for graph in (_field(clause, "quads") or {}):
        yield from _term(graph)


def _pattern_graphs(pattern: Any) -> Iterator[GraphName]:
    """The graphs ``GRAPH`` clauses of a WHERE pattern name (a variable: any)."""
    stack = [pattern]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name in ("Graph", "GraphGraphPattern"):
                yield from _term(_field(item, "term"))
            if item.name in ("ServiceGraphPattern",):
                raise _Unbounded(item.name)
            stack.extend(item.values())
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _graph_ref(ref: Any) -> Iterator[GraphName]:
    if ref == "DEFAULT":
        yield ox.DefaultGraph()
    elif isinstance(ref, URIRef):
        yield ox.NamedNode(str(ref))
    else:  # NAMED, ALL
        raise _Unbounded(str(ref))


def _term(term: Any, *, optional: bool = False) -> Iterator[GraphName]:
    if isinstance(term, URIRef):
        yield ox.NamedNode(str(term))
    elif not (term is None and optional):  # a variable
        raise _Unbounded(str(term))


__all__ = ["touched_graphs"]
