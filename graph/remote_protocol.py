"""What a query or update becomes on the wire of the SPARQL 1.1 protocols.

The embedded store takes pyoxigraph options (``substitutions``, ``prefixes``,
``base_iri``, a dataset, the union default graph); the protocols have none of those
but the dataset. Both the remote store and the engine's remote path turn them into
text and parameters here, so that a query means the same on both kinds of store:

* ``substitutions`` -> a ``VALUES`` block at the start of the query's outermost
  ``WHERE`` group (the variables are bound before the rest is evaluated, as pyoxigraph
  does);
* ``prefixes`` / ``base_iri`` -> ``PREFIX`` / ``BASE`` declarations before the text;
* the dataset -> ``default-graph-uri`` / ``named-graph-uri``; as in pyoxigraph, default
  graphs without named graphs leave every named graph available (the protocol alone
  would leave none), so those are listed;
* the union default graph -> the engine's parameter for it (Oxigraph server:
  ``union-default-graph``), or nothing when the engine does so itself.

Answers are asked for in formats every engine writes to the standard: SPARQL XML for
SELECT and ASK (Virtuoso's TSV is not SPARQL TSV, its JSON loses a boolean's lexical
form) and N-Triples for graphs. Virtuoso labels blank nodes ``nodeID://b1`` in
results, which no parser takes; ``readable_results`` makes them ``_:vnodeb1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyoxigraph as ox

from mipex_kg.api.sparql_text import tokens

Params = list[tuple[str, str]]

SPARQL_XML = "application/sparql-results+xml"
N_TRIPLES = "application/n-triples"
#: Closes a SPARQL XML results document cut after a ``</result>``.
XML_RESULTS_END = b"</results></sparql>"


def readable_results(xml: bytes) -> bytes:
    """SPARQL XML results with Virtuoso's ``nodeID://`` blank node labels made valid."""
    return xml.replace(b">nodeID://", b">vnode") if b">nodeID://" in xml else xml


def parse_results(xml: bytes) -> Any:
    """Solutions or a boolean, as pyoxigraph's ``QuerySolutions`` / ``QueryBoolean``."""
    return ox.parse_query_results(readable_results(xml), format=ox.QueryResultsFormat.XML)


def declarations(prefixes: Mapping[str, str] | None, base_iri: str | None) -> str:
    """``BASE`` and ``PREFIX`` lines for the given options ('' when none)."""
    lines = [f"BASE <{base_iri}>"] if base_iri else []
    lines += [f"PREFIX {name}: <{iri}>" for name, iri in (prefixes or {}).items()]
    return "".join(line + "\n" for line in lines)


def bind_values(text: str, substitutions: Mapping[Any, Any] | None) -> str:
    """``text`` with its variables bound by a ``VALUES`` block (see the module doc).

    Keys are ``pyoxigraph.Variable`` or names; values pyoxigraph terms (written in
    N-Triples syntax, which SPARQL reads).

    Raises:
        SyntaxError: the query has no ``{ ... }`` group to bind in.
    """
    if not substitutions:
        return text
    names = " ".join(f"?{getattr(k, 'value', k)}" for k in substitutions)
    values = " ".join(str(v) for v in substitutions.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    opening = _where_group(text)
    return text[:opening + 1] + block + text[opening + 1:]


def _where_group(text: str) -> int:
    """The offset of the ``{`` that opens the query's outermost WHERE group."""
    first_open = None
    after_where = False
    for token in tokens(text):
        if token.depth != 0:
            continue
        if token.keyword == "WHERE":
            after_where = True
        elif token.kind == "open":
            if after_where:
                return token.start
            if first_open is None:
                first_open = token.start
    if first_open is None:
        raise SyntaxError("the query has no { ... } group to bind values in")
    return first_open


def dataset_params(default_graphs: Iterable[Any] | None, named_graphs: Iterable[Any] | None,
                   *, union: bool, union_parameter: str,
                   every_graph: Callable[[], list[ox.NamedNode]]) -> Params:
    """The protocol's dataset parameters for pyoxigraph's dataset options.

    Raises:
        ValueError: the default graph alone is asked for, which the protocol cannot name.
    """
    if default_graphs is None and named_graphs is None:
        return [(union_parameter, "true")] if union and union_parameter else []
    defaults = _iris(default_graphs)
    named = _iris(named_graphs) if named_graphs is not None else [
        g.value for g in every_graph()]
    return [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]


def _iris(graphs: Iterable[Any] | Any | None) -> list[str]:
    if graphs is None:
        return []
    if isinstance(graphs, (ox.NamedNode, ox.DefaultGraph, str)):
        graphs = [graphs]
    iris = []
    for graph in graphs:
        if isinstance(graph, ox.DefaultGraph):
            raise ValueError("a remote store cannot be asked for its default graph alone "
                             "(the SPARQL protocol has no name for it)")
        iris.append(graph.value if isinstance(graph, ox.NamedNode) else str(graph))
    return iris


def then(update: str, more: str) -> str:
    """Two update requests as one (``update ; more``), whatever ``update`` ends with.

    A request that is only a prologue, or that already ends with ``;``, is joined
    without another ``;`` (SPARQL 1.1 Update grammar: ``Update1 ( ';' Update )?``).
    """
    significant = [t for t in tokens(update)]
    operations = _after_prologue(significant)
    if not operations:
        return f"{update}\n{more}"
    last = significant[-1]
    if last.text == ";":
        return f"{update[:last.start]} ;\n{more}"
    return f"{update}\n;\n{more}"


def _after_prologue(toks: list[Any]) -> list[Any]:
    """The tokens after the leading BASE and PREFIX declarations."""
    index = 0
    while index < len(toks) and toks[index].keyword in ("BASE", "PREFIX"):
        index += 3 if toks[index].keyword == "PREFIX" else 2
    return toks[index:]
