"""The named queries as ready-to-run examples for the query editor.

Each named query becomes plain SPARQL a user can read, run and change: its
parameters bound to the examples of its header (``#+ example:``), the way the
REST endpoint binds request values; FROM clauses naming the graphs the REST
endpoint reads (all but the recomputed scores, unless the query is about them),
since the SPARQL endpoint's default graph is every graph; and the PREFIX lines of
the prefixes it uses in front (the endpoint predeclares them, but the editor
checks prefixes). Run at /sparql, an example answers what /api/queries/{name}
answers for its examples.

    examples(registry, vocabulary, store)   # [Example(name, title, description, query), ...]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from mipex_kg.api.query_params import Vocabulary
from mipex_kg.api.query_registry import NamedQuery, QueryRegistry, dataset_for, sparql_term
from mipex_kg.graph.namespaces import PREFIXES
from mipex_kg.graph.quad_store import QuadStore

_OUTER_WHERE = re.compile(r"\bWHERE\b", re.I)
_WHERE_GROUP = re.compile(r"\bWHERE\s*\{", re.I)

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


def with_dataset(sparql: str, graphs: Sequence[ox.NamedNode]) -> str:
    """``sparql`` with a FROM clause per graph, before its (first, outer) WHERE."""
    found = _OUTER_WHERE.search(sparql)
    if not graphs or found is None:
        return sparql
    clauses = "".join(f"FROM <{g.value}>\n" for g in graphs)
    return sparql[:found.start()] + clauses + sparql[found.start():]


def example_text(query: NamedQuery, vocabulary: Vocabulary,
                 graphs: Sequence[ox.NamedNode] = (), engine: str = "") -> str:
    """The SPARQL of ``query`` (its text for the store's ``engine``, which the editor's
    queries reach) with every parameter that has a usable example bound to it.

    Parameters bound by marker (``#@bind``) become VALUES lines in place;
    the others (which the endpoint substitutes throughout the query) a VALUES line
    at the start of every WHERE group. An example the store does not know (no workbooks loaded) is left
    unbound rather than refused.
    """
    bound = {}
    for name, param in query.params.items():
        try:  # no example: the default, as the REST endpoint applies it
            bound[name] = param.parse(param.example, vocabulary)
        except ValueError:
            continue
    text = query.bind(bound, engine).rstrip()
    substituted = [(query.params[name].var, terms[0]) for name in sorted(query.substituted)
                   if (terms := bound.get(name))]
    if substituted:  # bound in every WHERE: each subquery sees them, as with substitution
        names = " ".join(f"?{var}" for var, _ in substituted)
        row = " ".join(sparql_term(term) for _, term in substituted)
        text = _WHERE_GROUP.sub(lambda m: f"{m[0]}\n  VALUES ({names}) {{ ({row}) }}", text)
    return with_prefixes(with_dataset(text, graphs)) + "\n"


def examples(registry: QueryRegistry, vocabulary: Vocabulary,
             store: QuadStore) -> list[Example]:
    """Every named query as an editor example, in the registry's order."""
    return [Example(q.name, q.summary, q.description,
                    example_text(q, vocabulary, dataset_for(store, q).get("default_graph", ()),
                                 store.engine_name))
            for q in registry.queries.values()]
