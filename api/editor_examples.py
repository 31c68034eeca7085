"""The named queries as ready-to-run examples for the query editor.

Each named query becomes plain SPARQL a user can read, run and change: its
parameters bound to the examples of its header (``#+ example:``), the way the
REST endpoint binds request values, and the PREFIX lines of the prefixes it uses
in front (the endpoint predeclares them, but the editor checks prefixes).

    examples(registry, vocabulary)   # [Example(name, title, description, query), ...]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mipex_kg.api.query_params import Vocabulary
from mipex_kg.api.query_registry import NamedQuery, QueryRegistry, sparql_term
from mipex_kg.graph.namespaces import PREFIXES

_PREFIX_USE = {name: re.compile(rf"(?<![\w-]){re.escape(name)}:") for name in PREFIXES}


@dataclass(frozen=True)
class Example:
    """One example of the editor: the named query's name, title, description and text."""

    name: str
    title: str
    description: str
    query: str


def with_prefixes(sparql: str) -> str:
    """``sparql`` with a PREFIX line for each of the service's prefixes it uses.

    >>> print(with_prefixes("SELECT * WHERE { ?s a mkg:Country }"))
    PREFIX mkg: <https://w3id.org/mipex-kg/def#>
    <BLANKLINE>
    SELECT * WHERE { ?s a mkg:Country }
    """
    used = [f"PREFIX {name}: <{PREFIXES[name]}>" for name, pattern in _PREFIX_USE.items()
            if pattern.search(sparql)]
    return "\n".join(used) + "\n\n" + sparql if used else sparql


def example_text(query: NamedQuery, vocabulary: Vocabulary) -> str:
    """The SPARQL of ``query`` with every parameter that has a usable example bound to it.

    Parameters bound by marker (``#@bind``) become BIND or VALUES lines in place;
    the others (substituted into the whole query by the endpoint) a VALUES clause
    at the end. An example the store does not know (no workbooks loaded) is left
    unbound rather than refused.
    """
    bound = {}
    for name, param in query.params.items():
        try:  # no example: the default, as the REST endpoint applies it
            bound[name] = param.parse(param.example, vocabulary)
        except ValueError:
            continue
    text = query.bind(bound).rstrip()
    trailing = [f"VALUES ?{query.params[name].var} {{ {sparql_term(terms[0])} }}"
                for name in sorted(query.substituted) if (terms := bound.get(name))]
    if trailing:
        text += "\n" + "\n".join(trailing)
    return with_prefixes(text) + "\n"


def examples(registry: QueryRegistry, vocabulary: Vocabulary) -> list[Example]:
    """Every named query as an editor example, in the registry's order."""
    return [Example(q.name, q.summary, q.description, example_text(q, vocabulary))
            for q in registry.queries.values()]
