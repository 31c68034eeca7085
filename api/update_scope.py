"""Which graphs a SPARQL Update can read or change, read from its tokens.

The write gate must see what an update would change before it runs. Running it in a
scratch copy of the *whole* store costs in proportion to the store (3-5 s for the
0.86 M quads of both workbooks); running it in a copy of the graphs it can touch
costs in proportion to those. ``touched_graphs`` names a superset of them.

In SPARQL 1.1 Update (https://www.w3.org/TR/sparql11-update/) a graph is reached
only through an IRI written in the text (``GRAPH <g>`` in data, templates and
patterns, ``WITH``, ``USING [NAMED]``, ``INTO``, the graph operations), through a
variable after ``GRAPH``, through ``NAMED``/``ALL`` of ``CLEAR``/``DROP``, or as the
default graph. So the superset is the default graph plus every IRI and prefixed name
of the text (the subjects and predicates among them cost a look-up each, and nothing
when no graph has that name); the answer is None, "any graph", for ``GRAPH ?var``,
``NAMED``/``ALL`` without an IRI, ``LOAD``, ``SERVICE``, and whatever this reading
could mistake (escapes, ``BASE`` and relative IRIs, an undeclared prefix). The
tokens come from ``sparql_text.tokens``, which knows strings, IRIs and comments.
rdflib's parser gave the same answer exactly but took 1.6 s for a 100-triple
``INSERT DATA`` (its algebra reorders triples quadratically), against milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

from mipex_kg.api.sparql_text import Token, tokens

GraphName = ox.NamedNode | ox.DefaultGraph

_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UNBOUNDED = frozenset({"LOAD", "SERVICE", "ALL", "BASE"})


def touched_graphs(text: str, *, prefixes: Mapping[str, str] | None = None
                   ) -> set[GraphName] | None:
    """The graphs ``text`` can read or change (a superset, with the default graph), or None.

    ``prefixes``: those declared for the update besides its own ``PREFIX`` lines.
    A relative IRI (resolved against a base) makes the answer None.
    """
    if "\\" in text:  # escapes in IRIs or names: what they stand for is left to the parser
        return None
    toks = list(tokens(text))
    declared = dict(prefixes or {})
    graphs: set[GraphName] = {ox.DefaultGraph()}
    index = 0
    while index < len(toks):
        token = toks[index]
        following = toks[index + 1] if index + 1 < len(toks) else None
        keyword = token.keyword
        if keyword in _UNBOUNDED:
            return None
        if keyword == "GRAPH" and following is not None and following.kind == "var":
            return None
        if keyword == "NAMED" and not (following is not None and _names(following)):
            return None
        if keyword == "PREFIX":
            if index + 2 >= len(toks) or toks[index + 2].kind != "iri":
                return None
            declared[toks[index + 1].text.rstrip(":")] = toks[index + 2].text[1:-1]
            index += 3
            continue
        if token.kind == "word" and token.text == "_" and following is not None \
                and following.start == token.end:
            index += 2  # a blank node label, _:b
            continue
        if token.kind == "iri":
            iri = token.text[1:-1]
            if not _ABSOLUTE.match(iri):
                return None
            graphs.add(ox.NamedNode(iri))
        elif token.kind == "word" and ":" in token.text:
            prefix, local = token.text.split(":", 1)
            if prefix not in declared:
                return None
            try:
                graphs.add(ox.NamedNode(declared[prefix] + local))
            except ValueError:
                return None
        index += 1
    return graphs


def _names(token: Token) -> bool:
    """Whether ``token`` is an IRI or a prefixed name."""
    return token.kind == "iri" or (token.kind == "word" and ":" in token.text)


__all__ = ["touched_graphs"]
