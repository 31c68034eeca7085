"""What the linked-data pages say about one resource, read from the store.

* ``concise_bounded_description``: every triple with the resource as subject, and,
  recursively, the triples of the blank nodes among their objects (the CBD; the
  same triple held by several graphs is given once).
* ``inbound``: the links to the resource from elsewhere, grouped by property and by
  the dataset of the linking resources, one page of each group (HTML pages only; the
  RDF answers are the CBD alone).
* ``Labels``: a display name for any IRI (``skos:prefLabel``, ``rdfs:label``,
  ``dct:title``, ``foaf:name``; English first), looked up once per request.
* ``score_tables``: a jurisdiction's overall and policy-area scores by year, one
  table per indicator system (published and reported scores, not recomputed ones).

Everything reads the quads of every graph except the store's staging graphs, so a
load in progress is never shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import pyoxigraph as ox

from mipex_kg.graph.namespaces import DCT, FOAF, MKG, QB, RDFS, SKOS
from mipex_kg.graph.store import STAGING_PREFIX, KnowledgeStore

#: What can be a subject (RDF 1.2 allows triple terms) and any term.
Subject = ox.NamedNode | ox.BlankNode | ox.Triple
Term = Subject | ox.Literal

LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCT.title, FOAF.name)
RECOMPUTED = ox.NamedNode("https://w3id.org/mipex-kg/id/status/recomputed")


def _quads(
    store: KnowledgeStore,
    subject: Subject | None = None,
    predicate: ox.NamedNode | None = None,
    obj: Term | None = None,
) -> Iterator[ox.Quad]:
    for quad in store.oxigraph.quads_for_pattern(subject, predicate, obj, None):
        graph = quad.graph_name
        if isinstance(graph, ox.NamedNode) and graph.value.startswith(STAGING_PREFIX):
            continue
        yield quad


def is_known(store: KnowledgeStore, node: ox.NamedNode) -> bool:
    """Whether the store says anything about ``node`` (as subject or object)."""
    return (next(_quads(store, node), None) is not None
            or next(_quads(store, None, None, node), None) is not None)


def concise_bounded_description(store: KnowledgeStore, node: Subject) -> list[ox.Triple]:
    """The CBD of ``node``: its triples and those of the blank nodes they reach.

    Returns:
        The triples, each once, in the order found.
    """
    triples: dict[ox.Triple, None] = {}
    seen: set[Subject] = {node}
    todo: list[Subject] = [node]
    while todo:
        subject = todo.pop()
        for quad in _quads(store, subject):
            triple = quad.triple
            triples[triple] = None
            if isinstance(triple.object, ox.BlankNode) and triple.object not in seen:
                seen.add(triple.object)
                todo.append(triple.object)
    return list(triples)


@dataclass(frozen=True)
class InboundGroup:
    """Resources that link to the described one with one property, from one collection.

    The collection is the dataset (``qb:dataSet``) of the linking resources when they
    have one, so the 1,660 scores that link to a country come in one group per edition.
    """

    predicate: ox.NamedNode
    collection: ox.NamedNode | None
    count: int
    subjects: list[Subject]  # one page of them (``limit`` from an offset), sorted

    @property
    def key(self) -> str:
        """The group's name in a page's address (which group the reader pages through)."""
        return self.predicate.value + (f" {self.collection.value}" if self.collection else "")


def _no_offset(key: str) -> int:
    return 0


def inbound(store: KnowledgeStore, node: ox.NamedNode, limit: int = 50,
            offset: Callable[[str], int] = _no_offset) -> list[InboundGroup]:
    """The links to ``node`` by property and collection: ``limit`` subjects of each group,
    from ``offset(group.key)``."""
    by_group: dict[tuple[ox.NamedNode, ox.NamedNode | None], set[Subject]] = defaultdict(set)
    for quad in _quads(store, None, None, node):
        by_group[quad.predicate, _collection(store, quad.subject)].add(quad.subject)
    groups = []
    for predicate, collection in sorted(by_group, key=lambda g: (g[0].value, -len(by_group[g]),
                                                                 str(g[1] or ""))):
        subjects = sorted(by_group[predicate, collection],
                          key=lambda s: (not isinstance(s, ox.NamedNode), str(s)))
        group = InboundGroup(predicate, collection, len(subjects), [])
        start = offset(group.key)
        groups.append(replace(group, subjects=subjects[start:start + limit]))
    return groups


def _collection(store: KnowledgeStore, subject: Subject) -> ox.NamedNode | None:
    datasets = sorted(q.object.value for q in _quads(store, subject, QB.dataSet)
                      if isinstance(q.object, ox.NamedNode))
    return ox.NamedNode(datasets[0]) if datasets else None


class Labels:
    """Display names of resources, looked up in the store and remembered."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self._cache: dict[Subject, str | None] = {}

    def __call__(self, node: Subject) -> str | None:
        """The best label of ``node``, or None when it has none."""
        if node not in self._cache:
            self._cache[node] = self._find(node)
        return self._cache[node]

    def _find(self, node: Subject) -> str | None:
        for prop in LABEL_PROPERTIES:
            found = [q.object for q in _quads(self.store, node, prop)
                     if isinstance(q.object, ox.Literal)]
            if found:
                found.sort(key=lambda t: (t.language not in ("en", None), t.language or "",
                                          t.value))
                return found[0].value
        return None

    def value(self, node: Subject, prop: ox.NamedNode) -> Term | None:
        """One value of ``prop`` on ``node`` (the first in IRI/lexical order), or None."""
        values = sorted((q.object for q in _quads(self.store, node, prop)),
                        key=lambda t: str(t))
        return values[0] if values else None


# -- a jurisdiction's scores ---------------------------------------------------------

_SCORES = """
SELECT DISTINCT ?j ?obs ?ind ?kind ?system ?period ?year ?value ?status WHERE {
  ?obs mkg:jurisdiction ?j ; mkg:indicator ?ind ; mkg:refPeriod ?period ; mkg:score ?value .
  ?ind a ?kind .
  VALUES ?kind { mkg:OverallIndicator mkg:PolicyArea }
  OPTIONAL { ?ind skos:inScheme ?system }
  OPTIONAL { ?period mkg:year ?year }
  OPTIONAL { ?obs sdmx-attribute:obsStatus ?status }
}
"""


@dataclass(frozen=True)
class Cell:
    """One observation in a score table."""

    observation: ox.NamedNode
    value: ox.Literal
    status: ox.NamedNode | None


@dataclass
class ScoreRow:
    indicator: ox.NamedNode
    overall: bool
    notation: str = ""
    label: str = ""
    order: float = float("inf")
    cells: dict[ox.NamedNode, list[Cell]] = field(default_factory=dict)


@dataclass
class ScoreTable:
    """A jurisdiction's top-level scores in one indicator system: rows x periods."""

    system: ox.NamedNode | None
    periods: list[tuple[ox.NamedNode, str]]  # (period, column heading), in time order
    rows: list[ScoreRow]


def score_tables(store: KnowledgeStore, jurisdiction: ox.NamedNode,
                 labels: Labels) -> list[ScoreTable]:
    """The overall and policy-area scores of ``jurisdiction`` by year, per system."""
    solutions = store.query(_SCORES, substitutions={ox.Variable("j"): jurisdiction})
    systems: dict[ox.NamedNode | None, dict[ox.NamedNode, ScoreRow]] = defaultdict(dict)
    periods: dict[ox.NamedNode | None, dict[ox.NamedNode, tuple[int, str]]] = defaultdict(dict)
    seen: set[tuple[ox.NamedNode, ox.NamedNode]] = set()
    for s in solutions:
        status = s["status"]
        if status == RECOMPUTED or (s["ind"], s["obs"]) in seen:
            continue
        seen.add((s["ind"], s["obs"]))
        system, ind, period = s["system"], s["ind"], s["period"]
        row = systems[system].get(ind)
        if row is None:
            row = systems[system][ind] = ScoreRow(ind, s["kind"] == MKG.OverallIndicator)
        elif s["kind"] == MKG.OverallIndicator:
            row.overall = True
        row.cells.setdefault(period, []).append(Cell(s["obs"], s["value"], status))
        year = s["year"]
        sort_year = int(year.value) if isinstance(year, ox.Literal) else 10_000
        periods[system][period] = (sort_year, year.value if year is not None
                                   else labels(period) or period.value.rsplit("/", 1)[-1])
    tables = []
    for system in sorted(systems, key=lambda x: "" if x is None else x.value):
        rows = list(systems[system].values())
        for row in rows:
            _describe_row(row, labels)
            for cells in row.cells.values():
                cells.sort(key=lambda c: (c.status is None or not c.status.value.endswith(
                    "/published"), c.observation.value))
        rows.sort(key=lambda r: (not r.overall, r.order, r.notation, r.indicator.value))
        columns = sorted(periods[system].items(), key=lambda item: (item[1][0], item[1][1]))
        tables.append(ScoreTable(system, [(p, heading) for p, (_, heading) in columns], rows))
    return tables


def _describe_row(row: ScoreRow, labels: Labels) -> None:
    notation = labels.value(row.indicator, SKOS.notation)
    row.notation = notation.value if isinstance(notation, ox.Literal) else ""
    row.label = labels(row.indicator) or row.notation or row.indicator.value
    order = labels.value(row.indicator, MKG.order)
    if isinstance(order, ox.Literal):
        try:
            row.order = float(order.value)
        except ValueError:
            pass
