"""The HTML pages of the linked-data service: any resource, an observation, a
jurisdiction's scores, and the ontology document.

    resource_page(store, iri, links, alternates, paging)   # /id/...
    ontology_page(store, links, alternates)                # /def

A resource page shows the label, the types, every property of the resource (blank
nodes described in place), a summary for observations (value, indicator and its
question, jurisdiction, year, comment, where the figure came from), a table and a
line chart of scores by policy area and year for jurisdictions, a ranking chart and
a map for indicators and policy areas, and the links to the resource from
elsewhere, grouped by property and paged.

This module reads the store and builds plain views; ``templates/resource.html``
and ``templates/ontology.html`` turn them into HTML.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from mipex_kg.api.describe import (
    InboundGroup,
    Labels,
    ScoreTable,
    Subject,
    Term,
    concise_bounded_description,
    inbound,
    score_tables,
)
from mipex_kg.api.html import (
    ONTOLOGY,
    Alternate,
    Anchor,
    Links,
    LiteralView,
    anchor,
    curie,
    format_number,
    literal_view,
)
from mipex_kg.api.templating import render
from mipex_kg.graph.iris import ONTOLOGY_GRAPH
from mipex_kg.graph.namespaces import (
    DCT,
    MKG,
    OWL,
    PROV,
    QB,
    RDF,
    RDFS,
    SDMX_ATTRIBUTE,
    SKOS,
)
from mipex_kg.graph.store import KnowledgeStore

#: Properties shown first, in this order; the rest follow by their short name.
FIRST = (RDF.type, SKOS.prefLabel, RDFS.label, DCT.title, SKOS.notation, SKOS.definition,
         RDFS.comment, DCT.description)
#: Links to a resource shown per property and page.
INBOUND_PAGE = 50
#: The concepts whose page charts every jurisdiction's score.
SCORED_CONCEPTS = (MKG.OverallIndicator, MKG.PolicyArea, MKG.PolicyIndicator, MKG.SubIndicator)


@dataclass(frozen=True)
class Paging:
    """Which page of which group of inbound links to show (the request's ``group``, ``offset``)."""

    group: str = ""
    offset: int = 0

    def offset_of(self, key: str) -> int:
        """The offset of the group called ``key`` (``InboundGroup.key``)."""
        return self.offset if key == self.group else 0


@dataclass(frozen=True)
class Note:
    """A remark shown in small print instead of a value."""

    text: str
    kind: str = "note"


@dataclass
class PropertyRow:
    head: Anchor
    curie: str
    values: list[Any]  # Anchor | LiteralView | Note | Nested


@dataclass
class Nested:
    """A blank node described in place."""

    rows: list[PropertyRow]
    kind: str = "nested"


# -- a resource -------------------------------------------------------------------------

def resource_page(store: KnowledgeStore, node: ox.NamedNode, links: Links,
                  alternates: Sequence[Alternate], paging: Paging = Paging()) -> str:
    """The HTML page of ``node`` (which the store knows)."""
    labels = Labels(store)
    triples = concise_bounded_description(store, node)
    by_subject: dict[Subject, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(t)
    own = by_subject.get(node, [])
    types = sorted({t.object for t in own if t.predicate == RDF.type}, key=str)
    title = labels(node) or _observation_title(own, labels) or curie(node.value)
    tables = score_tables(store, node, labels)
    return render(
        "resource.html", title=title, links=links, alternates=alternates,
        canonical=links.href(node.value), iri=node.value,
        types=[anchor(links, t.value, labels(t) or curie(t.value))
               for t in types if isinstance(t, ox.NamedNode)],
        observation=_observation(store, own, links, labels) if QB.Observation in types else None,
        score_tables=[_score_table(t, links, labels) for t in tables],
        charts=_charts(node, types, bool(tables), links),
        property_rows=_property_rows(node, by_subject, links, labels, set()),
        inbound=[_inbound_group(g, node, links, labels, paging)
                 for g in inbound(store, node, INBOUND_PAGE, paging.offset_of)],
    )


def _charts(node: ox.NamedNode, types: list[Term], scored: bool, links: Links) -> dict[str, Any]:
    """The charts of the page, each with the API route that feeds it."""
    if scored:
        query = "/api/queries/jurisdiction-time-series?" + urlencode({"jurisdiction": node.value})
        return {"kind": "jurisdiction", "data": links.url(query)}
    if any(t in SCORED_CONCEPTS for t in types):
        return {"kind": "indicator", "indicator": node.value,
                "years": links.url("/api/queries/indicator-years?"
                                   + urlencode({"indicator": node.value})),
                "rankings": links.url("/api/rankings"),
                "map": links.url("/api/queries/map-scores")}
    return {"kind": ""}


# -- properties -----------------------------------------------------------------------

def _property_order(predicate: ox.NamedNode) -> tuple[int, str]:
    try:
        return FIRST.index(predicate), ""
    except ValueError:
        return len(FIRST), curie(predicate.value)


def _property_rows(subject: Subject, by_subject: dict[Subject, list[ox.Triple]], links: Links,
                   labels: Labels, shown: set[Subject]) -> list[PropertyRow]:
    """Rows of property -> values; blank-node values are described in place."""
    shown = shown | {subject}
    values: dict[ox.NamedNode, list[Term]] = defaultdict(list)
    for t in by_subject.get(subject, []):
        values[t.predicate].append(t.object)
    rows = []
    for predicate in sorted(values, key=_property_order):
        items = sorted(values[predicate], key=lambda o: (isinstance(o, ox.BlankNode), str(o)))
        name = labels(predicate)
        rows.append(PropertyRow(
            anchor(links, predicate.value, name or curie(predicate.value)),
            curie(predicate.value) if name else "",
            [_value(o, by_subject, links, labels, shown) for o in items]))
    return rows


def _value(term: Term, by_subject: dict[Subject, list[ox.Triple]], links: Links, labels: Labels,
           shown: set[Subject]) -> Anchor | LiteralView | Note | Nested:
    if isinstance(term, ox.Literal):
        return literal_view(term)
    if isinstance(term, ox.Triple):
        return LiteralView(str(term), str(term))
    if isinstance(term, ox.BlankNode):
        if term in shown or term not in by_subject:
            return Note("(blank node)")
        return Nested(_property_rows(term, by_subject, links, labels, shown))
    return anchor(links, term.value, labels(term) or curie(term.value))


# -- observation --------------------------------------------------------------------

@dataclass
class ObservationView:
    score: LiteralView | None = None
    unit: Anchor | None = None
    indicator: Anchor | None = None
    code: str = ""
    question: str = ""
    facts: list[tuple[str, Anchor | LiteralView]] = field(default_factory=list)
    provenance: list[tuple[str, Anchor | str]] = field(default_factory=list)


def _observation(store: KnowledgeStore, own: list[ox.Triple], links: Links,
                 labels: Labels) -> ObservationView:
    first: dict[ox.NamedNode, Term] = {}
    for t in sorted(own, key=lambda t: str(t.object)):
        first.setdefault(t.predicate, t.object)
    view = ObservationView()
    value = first.get(MKG.score)
    if isinstance(value, ox.Literal):
        view.score = LiteralView(value.value, format_number(value.value))
        unit = first.get(SDMX_ATTRIBUTE.unitMeasure)
        if isinstance(unit, ox.NamedNode):
            view.unit = anchor(links, unit.value, labels(unit) or curie(unit.value))
    indicator = first.get(MKG.indicator)
    if isinstance(indicator, ox.NamedNode):
        view.indicator = anchor(links, indicator.value,
                                labels(indicator) or curie(indicator.value))
        notation = labels.value(indicator, SKOS.notation)
        view.code = notation.value if isinstance(notation, ox.Literal) else ""
        question = labels.value(indicator, MKG.question)
        view.question = question.value if isinstance(question, ox.Literal) else ""
    for prop, name in ((MKG.jurisdiction, "Jurisdiction"), (MKG.refPeriod, "Year"),
                       (QB.dataSet, "Edition"), (SDMX_ATTRIBUTE.obsStatus, "Status"),
                       (MKG.comment, "Comment")):
        term = first.get(prop)
        if isinstance(term, ox.NamedNode):
            view.facts.append((name, anchor(links, term.value, labels(term) or curie(term.value))))
        elif isinstance(term, ox.Literal):
            view.facts.append((name, literal_view(term)))
    view.provenance = _provenance(first, links, labels)
    return view


def _observation_title(own: list[ox.Triple], labels: Labels) -> str | None:
    """'Indicator: jurisdiction, year' for an observation, None for anything else."""
    parts = {}
    for t in own:
        if t.predicate in (MKG.indicator, MKG.jurisdiction, MKG.refPeriod) and \
                isinstance(t.object, ox.NamedNode):
            parts[t.predicate] = labels(t.object) or curie(t.object.value)
    if len(parts) < 3:
        return None
    return f"{parts[MKG.indicator]}: {parts[MKG.jurisdiction]}, {parts[MKG.refPeriod]}"


def _provenance(first: dict[ox.NamedNode, Term], links: Links,
                labels: Labels) -> list[tuple[str, Anchor | str]]:
    """(what, a link or a value) pairs: the source file, its address, sheet, cell, code."""
    parts: list[tuple[str, Anchor | str]] = []
    source = first.get(PROV.wasDerivedFrom)
    if isinstance(source, ox.NamedNode):
        parts.append(("derived from", anchor(links, source.value,
                                             labels(source) or curie(source.value))))
        url = labels.value(source, MKG.originalUrl)
        if isinstance(url, ox.NamedNode):
            parts.append(("published at", anchor(links, url.value, url.value)))
    for prop, name in ((MKG.sourceSheet, "sheet"), (MKG.sourceCell, "cell"),
                       (MKG.sourceCode, "code as written")):
        term = first.get(prop)
        if isinstance(term, ox.Literal):
            parts.append((name, term.value))
    return parts


# -- a jurisdiction's scores ------------------------------------------------------------

def _tidy(title: str) -> str:
    """Shouted titles from the workbooks ('HEALTH') in title case, others as they are."""
    return title.title() if title.isupper() else title


@dataclass
class ScoreRowView:
    name: Anchor
    code: str
    overall: bool
    cells: list[list[Anchor]]


@dataclass
class ScoreTableView:
    system: Anchor | None
    periods: list[Anchor]
    rows: list[ScoreRowView]


def _score_table(table: ScoreTable, links: Links, labels: Labels) -> ScoreTableView:
    system = None
    if table.system is not None:
        system = anchor(links, table.system.value,
                        labels(table.system) or curie(table.system.value))
    rows = []
    for row in table.rows:
        cells = [[anchor(links, c.observation.value, format_number(c.value.value, 1),
                         title=f"{c.value.value} ({curie(c.observation.value)})")
                  for c in row.cells.get(period, [])] for period, _ in table.periods]
        rows.append(ScoreRowView(
            anchor(links, row.indicator.value, _tidy(row.label), title=row.label),
            row.notation if row.notation and not row.overall else "", row.overall, cells))
    return ScoreTableView(system, [anchor(links, p.value, text) for p, text in table.periods],
                          rows)


# -- inbound links ----------------------------------------------------------------------

@dataclass
class InboundView:
    """One group of links to the resource: one page of them, and where the others are."""

    head: Anchor
    collection: Anchor | None
    count: int
    first: int  # the position of the first one shown (1-based)
    items: list[Anchor | Note]
    previous: str | None
    next: str | None
    sparql: str
    anchor_id: str


def _inbound_group(group: InboundGroup, node: ox.NamedNode, links: Links, labels: Labels,
                   paging: Paging) -> InboundView:
    offset = paging.offset_of(group.key)
    page = links.href(node.value) or links.url("/")
    anchor_id = "links-" + "-".join(
        curie(t.value).replace(":", "-").replace("/", "-")
        for t in (group.predicate, group.collection) if t is not None)

    def at(start: int) -> str:
        return f"{page}?{urlencode({'group': group.key, 'offset': start})}#{anchor_id}"

    items: list[Anchor | Note] = [
        anchor(links, s.value, labels(s) or curie(s.value)) if isinstance(s, ox.NamedNode)
        else Note("(blank node)") for s in group.subjects]
    within = f" ; <{QB.dataSet.value}> <{group.collection.value}>" if group.collection else ""
    query = f"SELECT ?s WHERE {{ ?s <{group.predicate.value}> <{node.value}>{within} }}"
    collection = None
    if group.collection is not None:
        collection = anchor(links, group.collection.value,
                            labels(group.collection) or curie(group.collection.value))
    return InboundView(
        head=anchor(links, group.predicate.value,
                    labels(group.predicate) or curie(group.predicate.value)),
        collection=collection, count=group.count, first=offset + 1, items=items,
        previous=at(max(0, offset - INBOUND_PAGE)) if offset > 0 else None,
        next=at(offset + INBOUND_PAGE) if offset + INBOUND_PAGE < group.count else None,
        sparql=links.url("/sparql") + "#" + urlencode({"query": query}),
        anchor_id=anchor_id)


# -- the ontology -------------------------------------------------------------------------

_CLASS_TYPES = {OWL.Class, RDFS.Class}
_PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                   RDF.Property, QB.DimensionProperty, QB.MeasureProperty, QB.AttributeProperty,
                   QB.CodedProperty}
_TERM_DETAILS = ((RDFS.subClassOf, "subclass of"), (OWL.equivalentClass, "equivalent to"),
                 (RDFS.subPropertyOf, "subproperty of"), (OWL.inverseOf, "inverse of"),
                 (RDFS.domain, "domain"), (RDFS.range, "range"))


@dataclass
class TermView:
    local: str
    label: str
    types: list[Any]
    definition: str
    details: list[tuple[str, list[Any]]]


def ontology_page(store: KnowledgeStore, links: Links, alternates: Sequence[Alternate]) -> str:
    """The ontology document: its metadata, then every class, property and other term."""
    by_subject: dict[Subject, list[ox.Triple]] = defaultdict(list)
    for quad in store.oxigraph.quads_for_pattern(None, None, None, ONTOLOGY_GRAPH):
        by_subject[quad.subject].append(quad.triple)
    labels = Labels(store)
    ontology = ox.NamedNode(ONTOLOGY)
    terms = sorted((s for s in by_subject if isinstance(s, ox.NamedNode)
                    and s.value.startswith(ONTOLOGY + "#")), key=lambda s: s.value.lower())
    groups: dict[str, list[TermView]] = {"Classes": [], "Properties": [], "Other terms": []}
    for term in terms:
        kinds = {t.object for t in by_subject[term] if t.predicate == RDF.type}
        key = ("Classes" if kinds & _CLASS_TYPES else
               "Properties" if kinds & _PROPERTY_TYPES else "Other terms")
        groups[key].append(_term(term, by_subject, links, labels))
    return render(
        "ontology.html", title=labels(ontology) or "mipex-kg ontology", links=links,
        alternates=alternates, canonical=links.href(ONTOLOGY), iri=ONTOLOGY,
        ontology_type=anchor(links, OWL.Ontology.value, "Ontology"),
        about=_property_rows(ontology, by_subject, links, labels, set()),
        groups=[(name, "section-" + name.lower().replace(" ", "-"), items)
                for name, items in groups.items() if items])


def _term(term: ox.NamedNode, by_subject: dict[Subject, list[ox.Triple]], links: Links,
          labels: Labels) -> TermView:
    local = term.value.split("#", 1)[1]
    own = by_subject[term]
    definition = next((t.object for t in own if t.predicate in (SKOS.definition, RDFS.comment)
                       and isinstance(t.object, ox.Literal)), None)
    details = []
    for prop, name in _TERM_DETAILS:
        found = sorted((t.object for t in own if t.predicate == prop), key=str)
        if found:
            details.append((name, [_value(o, by_subject, links, labels, {term}) for o in found]))
    types = [_value(t.object, by_subject, links, labels, {term})
             for t in sorted(own, key=lambda t: str(t.object)) if t.predicate == RDF.type]
    return TermView(local, labels(term) or local, types,
                    definition.value if definition is not None else "", details)
