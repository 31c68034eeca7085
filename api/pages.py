"""The HTML pages of the linked-data service: any resource, an observation, a
jurisdiction's scores, and the ontology document.

    resource_page(store, iri, links, alternates)   # /id/...
    ontology_page(store, links, alternates)        # /def

A resource page shows the label, the types, every property of the resource (blank
nodes described in place), a summary for observations (value, indicator and its
question, jurisdiction, year, comment, where the figure came from), a table of
scores by policy area and year for jurisdictions, and the links to the resource
from elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
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
    Links,
    curie,
    document,
    esc,
    format_nav,
    format_number,
    link,
    literal,
)
from mipex_kg.graph.namespaces import (
    DCT,
    GRAPH,
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
INBOUND_LIMIT = 50


def resource_page(store: KnowledgeStore, node: ox.NamedNode, links: Links,
                  alternates: Sequence[Alternate]) -> str:
    """The HTML page of ``node`` (which the store knows)."""
    labels = Labels(store)
    triples = concise_bounded_description(store, node)
    by_subject: dict[Subject, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject].append(t)
    own = by_subject.get(node, [])
    types = sorted({t.object for t in own if t.predicate == RDF.type}, key=str)
    title = labels(node) or _observation_title(own, labels) or curie(node.value)
    type_links = " · ".join(link(links, t.value, labels(t) or curie(t.value))
                            for t in types if isinstance(t, ox.NamedNode))
    parts = [
        f'<p class="types">{type_links}</p>' if type_links else "",
        f"<h1>{esc(title)}</h1>",
        f'<p class="iri">{esc(node.value)}</p>',
        format_nav(alternates),
    ]
    if QB.Observation in types:
        parts.append(_observation_summary(store, own, links, labels))
    tables = score_tables(store, node, labels)
    if tables:
        parts.append("<section><h2>Scores by policy area and year</h2>"
                     + "".join(_score_table(t, links, labels) for t in tables) + "</section>")
    parts.append("<section><h2>Properties</h2>"
                 + (_property_table(node, by_subject, links, labels, set())
                    or '<p class="note">No statements with this resource as subject.</p>')
                 + "</section>")
    parts.append(_inbound_section(inbound(store, node, INBOUND_LIMIT), node, links, labels))
    return document(title, "".join(parts), links=links, alternates=alternates,
                    canonical=links.href(node.value))


# -- properties -----------------------------------------------------------------------

def _property_order(predicate: ox.NamedNode) -> tuple[int, str]:
    try:
        return FIRST.index(predicate), ""
    except ValueError:
        return len(FIRST), curie(predicate.value)


def _property_table(subject: Subject, by_subject: dict[Subject, list[ox.Triple]], links: Links,
                    labels: Labels, shown: set[Subject]) -> str:
    """Rows of property -> values; blank-node values are described in place."""
    shown = shown | {subject}
    values: dict[ox.NamedNode, list[Term]] = defaultdict(list)
    for t in by_subject.get(subject, []):
        values[t.predicate].append(t.object)
    rows = []
    for predicate in sorted(values, key=_property_order):
        items = sorted(values[predicate], key=lambda o: (isinstance(o, ox.BlankNode), str(o)))
        cells = "".join(f"<li>{_value(o, by_subject, links, labels, shown)}</li>" for o in items)
        name = labels(predicate)
        head = link(links, predicate.value, name or curie(predicate.value))
        if name:
            head += f'<span class="curie">{esc(curie(predicate.value))}</span>'
        rows.append(f'<tr><th scope="row">{head}</th><td><ul class="values">{cells}</ul></td></tr>')
    if not rows:
        return ""
    return f'<table class="props"><tbody>{"".join(rows)}</tbody></table>'


def _value(term: Term, by_subject: dict[Subject, list[ox.Triple]], links: Links, labels: Labels,
           shown: set[Subject]) -> str:
    if isinstance(term, ox.Literal):
        return literal(term)
    if isinstance(term, ox.Triple):
        return f'<span class="text">{esc(term)}</span>'
    if isinstance(term, ox.BlankNode):
        if term in shown or term not in by_subject:
            return '<span class="note">(blank node)</span>'
        return f'<div class="bnode">{_property_table(term, by_subject, links, labels, shown)}</div>'
    name = labels(term)
    return link(links, term.value, name or curie(term.value))


# -- observation --------------------------------------------------------------------

def _observation_summary(store: KnowledgeStore, own: list[ox.Triple], links: Links,
                         labels: Labels) -> str:
    first: dict[ox.NamedNode, Term] = {}
    for t in sorted(own, key=lambda t: str(t.object)):
        first.setdefault(t.predicate, t.object)

    def ref(prop: ox.NamedNode) -> str:
        term = first.get(prop)
        if isinstance(term, ox.NamedNode):
            return link(links, term.value, labels(term) or curie(term.value))
        return literal(term) if isinstance(term, ox.Literal) else ""

    facts: list[tuple[str, str]] = []
    value = first.get(MKG.score)
    if isinstance(value, ox.Literal):
        unit = first.get(SDMX_ATTRIBUTE.unitMeasure)
        unit_text = f" {link(links, unit.value, labels(unit) or curie(unit.value))}" \
            if isinstance(unit, ox.NamedNode) else ""
        shown = (f'<span class="value" title="{esc(value.value)}">'
                 f"{esc(format_number(value.value))}</span>{unit_text}"
                 f' <span class="note">(exactly {esc(value.value)})</span>')
        facts.append(("Score", shown))
    indicator = first.get(MKG.indicator)
    if isinstance(indicator, ox.NamedNode):
        notation = labels.value(indicator, SKOS.notation)
        code = f'<span class="curie">code {esc(notation.value)}</span>' \
            if isinstance(notation, ox.Literal) else ""
        question = labels.value(indicator, MKG.question)
        quoted = f'<blockquote class="text">{esc(question.value)}</blockquote>' \
            if isinstance(question, ox.Literal) else ""
        facts.append(("Indicator", ref(MKG.indicator) + code + quoted))
    for prop, name in ((MKG.jurisdiction, "Jurisdiction"), (MKG.refPeriod, "Year"),
                       (QB.dataSet, "Edition"), (SDMX_ATTRIBUTE.obsStatus, "Status"),
                       (MKG.comment, "Comment")):
        if prop in first:
            facts.append((name, ref(prop)))
    facts.append(("Provenance", _provenance(store, first, links, labels)))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts if v)
    return f'<section><h2>Observation</h2><dl class="facts">{rows}</dl></section>'


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


def _provenance(store: KnowledgeStore, first: dict[ox.NamedNode, Term], links: Links,
                labels: Labels) -> str:
    parts = []
    source = first.get(PROV.wasDerivedFrom)
    if isinstance(source, ox.NamedNode):
        name = labels(source) or curie(source.value)
        parts.append("derived from " + link(links, source.value, name))
        url = labels.value(source, MKG.originalUrl)
        if isinstance(url, ox.NamedNode):
            parts.append("published at " + link(links, url.value, url.value))
    for prop, name in ((MKG.sourceSheet, "sheet"), (MKG.sourceCell, "cell"),
                       (MKG.sourceCode, "code as written")):
        term = first.get(prop)
        if isinstance(term, ox.Literal):
            parts.append(f"{name} <strong>{esc(term.value)}</strong>")
    return ", ".join(parts)


# -- a jurisdiction's scores ------------------------------------------------------------

def _tidy(title: str) -> str:
    """Shouted titles from the workbooks ('HEALTH') in title case, others as they are."""
    return title.title() if title.isupper() else title


def _score_table(table: ScoreTable, links: Links, labels: Labels) -> str:
    heading = ""
    if table.system is not None:
        name = labels(table.system) or curie(table.system.value)
        heading = f"<h3>{link(links, table.system.value, name)}</h3>"
    head = '<th scope="col">Policy area</th>' + "".join(
        f'<th scope="col">{link(links, p.value, text)}</th>' for p, text in table.periods)
    body = []
    for row in table.rows:
        name = link(links, row.indicator.value, _tidy(row.label), title=row.label)
        code = f'<span class="code">{esc(row.notation)}</span>' \
            if row.notation and not row.overall else ""
        cells = []
        for period, _ in table.periods:
            found = row.cells.get(period, [])
            cells.append("<td>" + "<br>".join(
                link(links, c.observation.value, format_number(c.value.value, 1),
                     title=f"{c.value.value} ({curie(c.observation.value)})")
                for c in found) + "</td>")
        css = ' class="overall"' if row.overall else ""
        body.append(f'<tr{css}><th scope="row">{code}{name}</th>{"".join(cells)}</tr>')
    return (f'{heading}<div class="scroll"><table class="scores"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>'
            '<p class="note">Scores from 0 to 100 as published (rounded to one decimal; '
            "hover for the exact value). Each figure links to its observation.</p>")


# -- inbound links ----------------------------------------------------------------------

def _inbound_section(groups: list[InboundGroup], node: ox.NamedNode, links: Links,
                     labels: Labels) -> str:
    if not groups:
        return ""
    rows = []
    for group in groups:
        items = "".join(
            f"<li>{link(links, s.value, labels(s) or curie(s.value))}</li>"
            if isinstance(s, ox.NamedNode) else '<li><span class="note">(blank node)</span></li>'
            for s in group.subjects)
        if group.count > len(group.subjects):
            query = f"SELECT ?s WHERE {{ ?s <{group.predicate.value}> <{node.value}> }}"
            more = links.url("/sparql") + "?" + urlencode({"query": query})
            items += (f'<li class="note">… and {group.count - len(group.subjects)} more '
                      f'(<a href="{esc(more)}">all of them by SPARQL</a>)</li>')
        name = labels(group.predicate)
        head = link(links, group.predicate.value, name or curie(group.predicate.value))
        rows.append(f'<tr><th scope="row">{head}<span class="curie">{group.count} '
                    f'resource{"s" if group.count != 1 else ""}</span></th>'
                    f'<td><ul class="values">{items}</ul></td></tr>')
    return ('<section><h2>Links to this resource</h2><table class="props"><tbody>'
            + "".join(rows) + "</tbody></table></section>")


# -- the ontology -------------------------------------------------------------------------

ONTOLOGY_GRAPH = ox.NamedNode(GRAPH + "ontology")
_CLASS_TYPES = {OWL.Class, RDFS.Class}
_PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                   RDF.Property, QB.DimensionProperty, QB.MeasureProperty, QB.AttributeProperty,
                   QB.CodedProperty}
_TERM_DETAILS = ((RDFS.subClassOf, "subclass of"), (OWL.equivalentClass, "equivalent to"),
                 (RDFS.subPropertyOf, "subproperty of"), (OWL.inverseOf, "inverse of"),
                 (RDFS.domain, "domain"), (RDFS.range, "range"))


def ontology_page(store: KnowledgeStore, links: Links, alternates: Sequence[Alternate]) -> str:
    """The ontology document: its metadata, then every class, property and other term."""
    by_subject: dict[Subject, list[ox.Triple]] = defaultdict(list)
    for quad in store.oxigraph.quads_for_pattern(None, None, None, ONTOLOGY_GRAPH):
        by_subject[quad.subject].append(quad.triple)
    labels = Labels(store)
    ontology = ox.NamedNode(ONTOLOGY)
    title = labels(ontology) or "mipex-kg ontology"
    terms = sorted((s for s in by_subject if isinstance(s, ox.NamedNode)
                    and s.value.startswith(ONTOLOGY + "#")), key=lambda s: s.value.lower())
    groups: dict[str, list[ox.NamedNode]] = {"Classes": [], "Properties": [], "Other terms": []}
    for term in terms:
        kinds = {t.object for t in by_subject[term] if t.predicate == RDF.type}
        key = ("Classes" if kinds & _CLASS_TYPES else
               "Properties" if kinds & _PROPERTY_TYPES else "Other terms")
        groups[key].append(term)
    parts = [f'<p class="types">{link(links, OWL.Ontology.value, "Ontology")}</p>',
             f"<h1>{esc(title)}</h1>", f'<p class="iri">{esc(ONTOLOGY)}</p>',
             format_nav(alternates)]
    parts.append("<section><h2>About</h2>"
                 + _property_table(ontology, by_subject, links, labels, set()) + "</section>")
    toc = " · ".join(f'<a href="#{esc(_anchor(name))}">{esc(name)} ({len(items)})</a>'
                     for name, items in groups.items() if items)
    parts.append(f"<nav>{toc}</nav>")
    for name, items in groups.items():
        if items:
            parts.append(f'<section id="{esc(_anchor(name))}"><h2>{esc(name)}</h2>'
                         + "".join(_term(t, by_subject, links, labels) for t in items)
                         + "</section>")
    return document(title, "".join(parts), links=links, alternates=alternates,
                    canonical=links.href(ONTOLOGY))


def _anchor(name: str) -> str:
    return "section-" + name.lower().replace(" ", "-")


def _term(term: ox.NamedNode, by_subject: dict[Subject, list[ox.Triple]], links: Links,
          labels: Labels) -> str:
    local = term.value.split("#", 1)[1]
    own = by_subject[term]
    label = labels(term) or local
    definition = next((t.object for t in own if t.predicate in (SKOS.definition, RDFS.comment)
                       and isinstance(t.object, ox.Literal)), None)
    details = []
    for prop, name in _TERM_DETAILS:
        found = sorted((t.object for t in own if t.predicate == prop), key=str)
        if found:
            shown = ", ".join(_value(o, by_subject, links, labels, {term}) for o in found)
            details.append(f"<dt>{esc(name)}</dt><dd>{shown}</dd>")
    types = ", ".join(_value(t.object, by_subject, links, labels, {term})
                      for t in sorted(own, key=lambda t: str(t.object))
                      if t.predicate == RDF.type)
    body = (f'<p class="text">{esc(definition.value)}</p>' if definition is not None else "")
    return (f'<article id="{esc(local)}"><h3>{esc(label)} '
            f'<span class="curie">mkg:{esc(local)} · {types}</span></h3>{body}'
            + (f'<dl class="facts">{"".join(details)}</dl>' if details else "")
            + "</article>")
