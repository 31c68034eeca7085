"""Recompute every composite score from its published parts, by the rules in the graph.

``recompute_store(store)`` reads every published score with one query
(queries/recompute-inputs.rq) and every aggregation rule with another
(queries/recompute-rules.rq), applies to each published composite the rule its
edition used (``mkg:appliesToEdition``), and writes the results to their own named
graph, ``graph/recomputed``, through the same SHACL gate as every load:

    id:score/mipex-2020-recomputed/SWE/2019/g a qb:Observation ;
        qb:dataSet id:dataset/mipex-2020-recomputed ;     # an mkg:RecomputedDataSet
        mkg:jurisdiction id:country/SWE ; mkg:indicator id:indicator/mipex/g ;
        mkg:refPeriod id:period/2019 ; mkg:score 100.0 ;
        sdmx-attribute:unitMeasure id:unit/points-0-100 ;
        sdmx-attribute:obsStatus id:status/recomputed ;
        mkg:recomputedFrom id:score/mipex-2020/SWE/2019/g ;   # the published figure
        mkg:rule id:rule/mipex/g ;
        prov:wasDerivedFrom id:score/mipex-2020/SWE/2019/ga117, ... .   # the parts used

The published figures are never touched. One recomputed data set per edition keeps
the Data Cube's "one observation per dimension values" true even if two editions
ever score the same country, year and indicator. Each composite is recomputed from
its own published parts (one level at a time), so a difference points at exactly
one step of the aggregation.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from functools import lru_cache

import pyoxigraph as ox

from mipex_kg.graph import iris
from mipex_kg.graph.iris import RECOMPUTED_GRAPH
from mipex_kg.graph.namespaces import DCAT, DCT, ID, MKG, PROV, QB, RDF, SDMX_ATTRIBUTE, XSD
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.store import SerializedTriples
from mipex_kg.loaders.aggregation_rules import (
    Rule,
    fraction,
    named_query,
    published_rules,
    read_rules,
)
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.gate import ValidationGate
from mipex_kg.loaders.group_means import read_group_rules, recompute_group_means
from mipex_kg.loaders.provenance import now, software_triples

RECOMPUTED = iris.concept("status", "recomputed")
UNIT = iris.concept("unit", "points-0-100")
DSD = ox.NamedNode(f"{ID}dsd/mipex-scores")
#: Recomputed scores are exact fractions; the graph keeps this many decimals.
DECIMALS = 10
#: A recomputed score within this distance of the published one reproduces it.
TOLERANCE = Decimal("0.01")


def edition_id(edition: ox.NamedNode) -> str:
    """``mipex-2020`` from ``id:edition/mipex-2020``."""
    return edition.value.rstrip("/").rsplit("/", 1)[-1]


@lru_cache(maxsize=256)
def recomputed_dataset(edition: ox.NamedNode) -> ox.NamedNode:
    """The data set that holds the recomputed scores of one edition."""
    return ox.NamedNode(f"{ID}dataset/{iris.slug(edition_id(edition))}-recomputed")


def last_segment(node: ox.NamedNode) -> str:
    return node.value.rstrip("/").rsplit("/", 1)[-1]


# -- the inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One published score."""

    obs: ox.NamedNode
    value: Fraction


Key = tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode]  # edition, jurisdiction, period


@dataclass
class PublishedScores:
    """Every published score, by (edition, jurisdiction, period), then by indicator."""

    cells: dict[Key, dict[ox.NamedNode, Score]] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: QuadStore) -> PublishedScores:
        scores = cls()
        cells = scores.cells
        for obs, edition, jurisdiction, period, indicator, score in store.query(
                named_query("recompute-inputs.rq")):
            key = (edition, jurisdiction, period)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = {}
            cell[indicator] = Score(obs, fraction(score))
        return scores

    def values(self, key: Key) -> dict[ox.NamedNode, Fraction]:
        return {indicator: score.value for indicator, score in self.cells.get(key, {}).items()}

    def __len__(self) -> int:
        return sum(len(cell) for cell in self.cells.values())


# -- the recomputation ----------------------------------------------------------------


@dataclass(frozen=True)
class Recomputation:
    """One published composite and what its edition's rule gives from its parts."""

    key: Key
    composite: ox.NamedNode
    rule: Rule
    published: Score
    value: Fraction | None
    parts: tuple[tuple[ox.NamedNode, Score], ...]  # the parts that have a score

    @property
    def edition(self) -> ox.NamedNode:
        return self.key[0]

    @property
    def difference(self) -> Fraction | None:
        return None if self.value is None else self.value - self.published.value

    def reproduces(self, tolerance: Decimal = TOLERANCE) -> bool:
        difference = self.difference
        return difference is not None and abs(difference) <= Fraction(tolerance)


def recompute(scores: PublishedScores, rules: Iterable[Rule],
              groups: frozenset[ox.NamedNode] = frozenset()) -> list[Recomputation]:
    """Apply to every published composite the rule its edition used.

    ``groups``: jurisdictions that are groups of others; their figures are averages
    over their members (loaders/group_means.py), not formed from their own parts.
    """
    by_edition = published_rules(rules)
    results = []
    for key, cell in scores.cells.items():
        if key[1] in groups:
            continue
        values = {indicator: score.value for indicator, score in cell.items()}
        for indicator, published in cell.items():
            rule = by_edition.get((key[0], indicator))
            if rule is None:
                continue
            parts = tuple((part, cell[part]) for part in rule.parts if part in cell)
            results.append(Recomputation(key, indicator, rule, published,
                                         rule.evaluate(values), parts))
    results.sort(key=lambda r: (r.key[0].value, r.composite.value, r.key[1].value, r.key[2].value))
    return results


def decimal_literal(value: Fraction, decimals: int = DECIMALS) -> ox.Literal:
    """An exact fraction as an xsd:decimal with at most ``decimals`` decimals."""
    number = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    text = format(number.normalize(), "f")
    return ox.Literal(text if "." in text else f"{text}.0", datatype=XSD.decimal)


def recomputed_node(result: Recomputation) -> ox.NamedNode:
    edition, jurisdiction, period = result.key
    return ox.NamedNode(f"{ID}score/{iris.slug(edition_id(edition))}-recomputed/"
                        f"{last_segment(jurisdiction)}/{last_segment(period)}/"
                        f"{last_segment(result.composite)}")


_TYPE, _DATASET, _JURISDICTION, _INDICATOR, _PERIOD, _SCORE, _UNIT, _STATUS, _FROM, _RULE, \
    _DERIVED = (RDF.type, QB.dataSet, MKG.jurisdiction, MKG.indicator, MKG.refPeriod, MKG.score,
                SDMX_ATTRIBUTE.unitMeasure, SDMX_ATTRIBUTE.obsStatus, MKG.recomputedFrom, MKG.rule,
                PROV.wasDerivedFrom)
_OBSERVATION = QB.Observation


def observation_triples(result: Recomputation) -> list[ox.Triple]:
    """One recomputed score; nothing when the rule gave none."""
    if result.value is None:
        return []
    node = recomputed_node(result)
    edition, jurisdiction, period = result.key
    triples = [
        ox.Triple(node, _TYPE, _OBSERVATION),
        ox.Triple(node, _DATASET, recomputed_dataset(edition)),
        ox.Triple(node, _JURISDICTION, jurisdiction),
        ox.Triple(node, _INDICATOR, result.composite),
        ox.Triple(node, _PERIOD, period),
        ox.Triple(node, _SCORE, decimal_literal(result.value)),
        ox.Triple(node, _UNIT, UNIT),
        ox.Triple(node, _STATUS, RECOMPUTED),
        ox.Triple(node, _FROM, result.published.obs),
        ox.Triple(node, _RULE, result.rule.iri),
    ]
    triples.extend(ox.Triple(node, _DERIVED, part.obs) for _, part in result.parts)
    return triples


def dataset_triples(edition: ox.NamedNode, activity: ox.NamedNode) -> Iterator[ox.Triple]:
    node = recomputed_dataset(edition)
    yield ox.Triple(node, RDF.type, QB.DataSet)
    yield ox.Triple(node, RDF.type, MKG.RecomputedDataSet)
    yield ox.Triple(node, RDF.type, DCAT.Dataset)
    yield ox.Triple(node, QB.structure, DSD)
    yield ox.Triple(node, PROV.wasDerivedFrom, edition)
    yield ox.Triple(node, PROV.wasGeneratedBy, activity)
    yield ox.Triple(node, DCT.title, ox.Literal(
        f"Composite scores of {edition_id(edition)} recomputed from their published parts",
        language="en"))
    yield ox.Triple(node, DCT.description, ox.Literal(
        "Every published composite score (policy area, overall score, indicator formed from "
        "sub-indicators) recomputed by this knowledge graph from the published scores of its "
        "parts, by the aggregation rule the edition used (mkg:rule). Each recomputed score "
        "names the published score it recomputes (mkg:recomputedFrom) and the scores it was "
        "computed from (prov:wasDerivedFrom). The published scores are unchanged.",
        language="en"))


def activity_triples(activity: ox.NamedNode, editions: Iterable[ox.NamedNode],
                     rules: Iterable[ox.NamedNode], started: datetime,
                     ended: datetime) -> Iterator[ox.Triple]:
    from mipex_kg import __version__

    yield ox.Triple(activity, RDF.type, PROV.Activity)
    yield ox.Triple(activity, RDF.type, MKG.RecomputeActivity)
    yield ox.Triple(activity, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                    ox.Literal("recompute composite scores from their published parts"))
    for used in [*editions, *rules]:
        yield ox.Triple(activity, PROV.used, used)
    for predicate, moment in ((PROV.startedAtTime, started), (PROV.endedAtTime, ended)):
        yield ox.Triple(activity, predicate, ox.Literal(
            moment.isoformat(timespec="milliseconds"), datatype=XSD.dateTime))
    yield ox.Triple(activity, PROV.wasAssociatedWith, iris.software(__version__))
    yield from software_triples()


def graph_triples(results: list[Recomputation], started: datetime,
                  ended: datetime) -> list[ox.Triple]:
    """The whole content of graph/recomputed."""
    activity = iris.activity("recompute", started.strftime("%Y%m%dT%H%M%S%f"))
    editions = sorted({r.edition for r in results}, key=lambda n: n.value)
    rules = sorted({r.rule.iri for r in results if r.value is not None}, key=lambda n: n.value)
    triples = list(activity_triples(activity, editions, rules, started, ended))
    for edition in editions:
        triples.extend(dataset_triples(edition, activity))
    for result in results:
        triples.extend(observation_triples(result))
    return triples


# -- the gate and the store ----------------------------------------------------------


def check(store: QuadStore, quads: Sequence[ox.Triple | ox.Quad]) -> None:
    """Validate the recomputed graph with the project's shapes; raise ``LoadError``.

    Through the one ``ValidationGate``, with the types of every node the new quads
    point at (published scores, indicators, periods) as extra context, so that
    sh:class checks see them. Only results on nodes of the new graph count: the
    published data was checked when it was loaded.
    """
    subjects = {q.subject for q in quads if not isinstance(q.subject, ox.Triple)}
    # prov:wasDerivedFrom only needs an IRI; typing its ~50 000 targets would make
    # them focus nodes of every observation shape for nothing.
    pointed_at = {q.object for q in quads
                  if isinstance(q.object, ox.NamedNode) and q.object not in subjects
                  and q.predicate != PROV.wasDerivedFrom}
    # the types as quads of the graphs that hold them (the new graph's own triples stay
    # triples, which the gate loads as text)
    types = [q for q in store.quads_about(pointed_at, predicate=RDF.type)
             if q.graph_name != RECOMPUTED_GRAPH]
    gate = ValidationGate(store)
    problems = gate.problems({RECOMPUTED_GRAPH: quads}, "recompute", extra_context=types,
                             focus=subjects)
    if problems:
        raise LoadError(problems)


@dataclass
class RecomputeReport:
    """What one recomputation did."""

    results: list[Recomputation]
    triples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    scores: PublishedScores | None = field(default=None, repr=False)

    @property
    def recomputed(self) -> int:
        return sum(1 for r in self.results if r.value is not None)

    def reproduced(self, tolerance: Decimal = TOLERANCE) -> int:
        return sum(1 for r in self.results if r.reproduces(tolerance))

    def summary(self) -> str:
        timing = ", ".join(f"{step} {secs:.2f} s" for step, secs in self.seconds.items())
        return (f"recomputed {self.recomputed} of {len(self.results)} published composite "
                f"scores ({self.reproduced()} reproduced to {TOLERANCE}); {self.triples} triples "
                f"into <{RECOMPUTED_GRAPH.value}> ({timing}; "
                f"total {sum(self.seconds.values()):.2f} s)")


def recompute_store(store: QuadStore, *, rules: Mapping[ox.NamedNode, Rule] | None = None,
                    write: bool = True) -> RecomputeReport:
    """Recompute every published composite and replace graph/recomputed with the results.

    Args:
        store: the store; its published scores and rules are read, graph/recomputed
            written (only when ``write``).
        rules: rules to use instead of the store's (for tests and what-ifs).
        write: validate and store the results; False only computes them.

    Raises:
        LoadError: the recomputed graph does not pass the shapes (nothing is written).
        RuleError: a rule in the store is malformed.
    """
    seconds: dict[str, float] = {}
    started = now()
    mark = time.perf_counter()
    scores = PublishedScores.from_store(store)
    rule_set = list((rules if rules is not None else read_rules(store)).values())
    group_rules = read_group_rules(store)
    seconds["read"] = time.perf_counter() - mark
    mark = time.perf_counter()
    results = recompute(scores, rule_set, frozenset(rule.group for rule in group_rules))
    results += recompute_group_means(scores, group_rules)
    seconds["compute"] = time.perf_counter() - mark
    report = RecomputeReport(results, seconds=seconds, scores=scores)
    if not write:
        return report
    mark = time.perf_counter()
    triples = SerializedTriples(graph_triples(results, started, now()))
    seconds["build"] = time.perf_counter() - mark
    mark = time.perf_counter()
    store.offer_ahead(RECOMPUTED_GRAPH, triples)  # its snapshot written while it is checked
    check(store, triples)
    seconds["validate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    report.triples = store.replace_graph(RECOMPUTED_GRAPH, triples)
    store.flush()
    seconds["commit"] = time.perf_counter() - mark
    return report
