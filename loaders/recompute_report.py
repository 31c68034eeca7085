"""What the recomputation found: the verification report, alternative rankings, series.

Each function runs a named query (queries/verification-*.rq,
queries/recompute-alternative-ranking.rq, queries/time-series-country.rq) with its
parameters bound as terms, and returns plain records; the verification report
adds, for every published composite its rule does not reproduce, the closest of all
the rules the graph knows for that composite and a few generic diagnoses (parts
without a score; the figure of another year; one part left out).

    report = verification_report(store)        # after recompute_store(store)
    print(report.text())
    ranking = alternative_ranking(store, "mipex/overall-with-health/leaving-out-health", 2019)
    series = time_series(store, "SWE", "overall-with-health")
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pyoxigraph as ox

from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import ID, MKG, XSD
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.aggregation_rules import (
    METHODS,
    Rule,
    named_query,
    read_rules,
    rule_iri,
)
from mipex_kg.loaders.group_means import group_mean_counts
from mipex_kg.loaders.recompute import TOLERANCE, PublishedScores, edition_id

KINDS = {MKG.OverallIndicator.value: "overall", MKG.PolicyArea.value: "policy area",
         MKG.PolicyDimension.value: "dimension", MKG.PolicyIndicator.value: "indicator",
         MKG.SubIndicator.value: "sub-indicator"}


def run_named(store: KnowledgeStore, name: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of a named SELECT query, parameters bound as terms (never pasted as text).

    ``params`` values: ``ox`` terms as they are, ``int`` as xsd:integer, ``Decimal``
    as xsd:decimal, ``str`` as an IRI; None leaves the parameter unbound.
    """
    bindings = {ox.Variable(k): _term(v) for k, v in params.items() if v is not None}
    result = store.query(named_query(name), substitutions=bindings or None)
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names} for row in result]


def _term(value: Any) -> ox.NamedNode | ox.Literal:
    if isinstance(value, ox.NamedNode | ox.Literal):
        return value
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=XSD.boolean)
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=XSD.integer)
    if isinstance(value, Decimal | float):
        return ox.Literal(str(Decimal(str(value))), datatype=XSD.decimal)
    return ox.NamedNode(str(value))


def _value(term: Any) -> str | None:
    return None if term is None else term.value


def _decimal(term: Any) -> Decimal | None:
    return None if term is None else Decimal(term.value)


def _int(term: Any) -> int | None:
    return None if term is None else int(term.value)


def _bool(term: Any) -> bool:
    return term is not None and term.value == "true"


def _short(value: Fraction | Decimal | None, places: int = 2) -> str:
    if value is None:
        return "none"
    return f"{float(value):.{places}f}"


# -- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class CompositeSummary:
    """How far one edition's rule reproduces one composite's published scores."""

    edition: str
    composite: str
    code: str
    label: str
    kind: str
    rule: str
    rule_label: str
    method: str
    published: int
    recomputed: int
    reproduced: int
    max_error: Decimal | None

    @property
    def share(self) -> float:
        return self.reproduced / self.published if self.published else 1.0


@dataclass
class ClosestRule:
    rule: str
    label: str
    value: Fraction | None
    error: Fraction | None


@dataclass
class Difference:
    """A published composite its rule does not reproduce, with the evidence."""

    edition: str
    composite: str
    code: str
    country: str
    year: int
    published: Decimal
    recomputed: Decimal | None
    rule: str
    parts: str
    parts_scored: int
    parts_in_rule: int
    closest: ClosestRule | None = None
    diagnoses: list[str] = field(default_factory=list)
    published_obs: str = ""

    @property
    def difference(self) -> Decimal | None:
        return None if self.recomputed is None else self.recomputed - self.published


@dataclass
class VerificationReport:
    tolerance: Decimal
    summaries: list[CompositeSummary]
    differences: list[Difference]
    #: (rule label, reproduced, published) for each group mean rule (loaders/group_means.py)
    group_means: list[tuple[str, int, int]] = field(default_factory=list)

    def shares(self, kinds: tuple[str, ...] = ("policy area", "dimension", "overall")
               ) -> dict[str, tuple[int, int]]:
        """(reproduced, published) per edition, over composites of the given kinds."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for s in self.summaries:
            if s.kind in kinds:
                totals[s.edition][0] += s.reproduced
                totals[s.edition][1] += s.published
        return {edition: (t[0], t[1]) for edition, t in sorted(totals.items())}

    def text(self) -> str:
        lines = [f"Verification of the published composite scores (reproduced = recomputed "
                 f"value within {self.tolerance} of the published one)", ""]
        header = (f"{'edition':<14} {'kind':<12} {'composite':<30} {'rule':<39} "
                  f"{'method':<19} {'reproduced':>17}")
        lines += [header, "-" * len(header)]
        for s in self.summaries:
            name = f"{s.code} {s.label}"[:30]
            rule = s.rule.removeprefix(ID + "rule/")
            lines.append(f"{s.edition:<14} {s.kind:<12} {name:<30} {rule:<39} {s.method:<19} "
                         f"{s.reproduced:>5}/{s.published:<5} {100 * s.share:5.1f}%")
        lines.append("")
        for edition, (ok, total) in self.shares().items():
            lines.append(f"{edition}: {ok} of {total} published overall, policy-area and dimension scores "
                         f"reproduced ({100 * ok / total if total else 100:.2f}%)")
        for edition, (ok, total) in self.shares(("indicator",)).items():
            lines.append(f"{edition}: {ok} of {total} published indicator scores formed from "
                         f"sub-indicators reproduced ({100 * ok / total if total else 100:.2f}%)")
        for label, ok, total in self.group_means:
            lines.append(f"{label}: {ok} of {total} published averages reproduced from the "
                         "members' scores")
        lines.append("")
        tol = Fraction(self.tolerance)
        for s in self.summaries:
            if s.reproduced == s.published:
                continue
            mine = [d for d in self.differences if (d.edition, d.code) == (s.edition, s.code)]
            unexplained = [d for d in mine if d.closest is None or d.closest.error is None
                           or d.closest.error > tol]
            lines.append(f"{s.code} ({s.label}) in {s.edition}: {s.reproduced} of {s.published} "
                         f"reproduced by {s.rule.removeprefix(ID)}; {len(unexplained)} not "
                         "reproduced by any rule in the graph (below, with the closest rule "
                         "and its error)")
        lines.append("")
        if not self.differences:
            lines.append("Every published composite score is reproduced by its edition's rule.")
            return "\n".join(lines)
        lines.append(f"Not reproduced ({len(self.differences)}):")
        for d in self.differences:
            lines.append(f"  {d.edition} {d.country} {d.year} {d.code}: published "
                         f"{_short(d.published, 4)}, recomputed {_short(d.recomputed, 4)} by "
                         f"{d.rule.removeprefix(ID)} ({d.parts_scored} of {d.parts_in_rule} parts "
                         f"scored: {d.parts})")
            if d.closest is not None:
                verdict = ("reproduced by" if d.closest.error is not None
                           and d.closest.error <= Fraction(self.tolerance) else
                           "not reproduced by any rule in the graph; closest:")
                lines.append(f"      {verdict} {d.closest.rule.removeprefix(ID)} "
                             f"({d.closest.label}) = {_short(d.closest.value, 4)}, "
                             f"error {_short(d.closest.error, 4)}")
            lines.extend(f"      - {diagnosis}" for diagnosis in d.diagnoses)
        return "\n".join(lines)


def verification_report(store: KnowledgeStore, tolerance: Decimal = TOLERANCE,
                        scores: PublishedScores | None = None) -> VerificationReport:
    """The verification report, from the stored recomputation (run recompute_store first)."""
    summaries = [
        CompositeSummary(
            edition=edition_id(row["edition"]), composite=row["composite"].value,
            code=_value(row["code"]) or "", label=_value(row["compositeLabel"]) or "",
            kind=KINDS.get(_value(row["kind"]) or "", "composite"),
            rule=row["rule"].value, rule_label=_value(row["ruleLabel"]) or "",
            method=METHODS.get(row["method"].value, row["method"].value),
            published=int(row["published"].value), recomputed=int(row["recomputed"].value),
            reproduced=int(row["reproduced"].value), max_error=_decimal(row["maxError"]))
        for row in run_named(store, "verification-summary.rq", tolerance=tolerance)
    ]
    order = {"overall": 0, "policy area": 1, "dimension": 2, "indicator": 3, "sub-indicator": 4}
    summaries.sort(key=lambda s: (s.edition, order.get(s.kind, 9), s.code))
    differences = [
        Difference(
            edition=edition_id(row["edition"]), composite=row["composite"].value,
            code=row["code"].value, country=_value(row["country"]) or row["jurisdiction"].value,
            year=int(row["year"].value), published=Decimal(row["published"].value),
            recomputed=_decimal(row["recomputed"]), rule=row["rule"].value,
            parts=", ".join(sorted((_value(row["parts"]) or "").split(", "))),
            parts_scored=int(row["partsScored"].value),
            parts_in_rule=int(row["partsInRule"].value), published_obs=row["pub"].value)
        for row in run_named(store, "verification-differences.rq", tolerance=tolerance)
    ]
    if differences:
        _explain(store, differences, tolerance, scores)
    return VerificationReport(tolerance, summaries, differences,
                              group_mean_counts(store, tolerance))


def _explain(store: KnowledgeStore, differences: list[Difference], tolerance: Decimal,
             scores: PublishedScores | None) -> None:
    """Closest rule and diagnoses for each difference (a few rule evaluations each)."""
    scores = scores or PublishedScores.from_store(store)
    rules = read_rules(store)
    by_composite: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules.values():
        by_composite[rule.composite.value].append(rule)
    tol = Fraction(tolerance)
    for d in differences:
        key = _key(scores, d)
        if key is None:
            continue
        values = scores.values(key)
        published = Fraction(d.published)
        candidates = []
        for rule in by_composite[d.composite]:
            value = rule.evaluate(values)
            error = None if value is None else abs(value - published)
            candidates.append(ClosestRule(rule.iri.value, rule.label, value, error))
        scored = [c for c in candidates if c.error is not None]
        d.closest = min(scored, key=lambda c: c.error or 0) if scored else None
        own = rules.get(ox.NamedNode(d.rule))
        if own is not None:
            d.diagnoses = list(_diagnoses(scores, key, own, values, published, tol))
        d.diagnoses.extend(_formula_diagnosis(store, d.published_obs))


def _formula_diagnosis(store: KnowledgeStore, published_obs: str) -> Iterator[str]:
    """The formula the source computed the published figure with, where it kept one."""
    if not published_obs:
        return
    for row in store.query("SELECT ?pub ?formula ?cell WHERE { ?pub mkg:sourceFormula ?formula . "
                           "OPTIONAL { ?pub mkg:sourceCell ?cell } }",
                           substitutions={ox.Variable("pub"): ox.NamedNode(published_obs)}):
        cell = f" in cell {row['cell'].value}" if row["cell"] is not None else ""
        yield (f"the source computed the published figure{cell} with its own formula "
               f"{row['formula'].value}")


def _key(scores: PublishedScores,
         d: Difference) -> tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode] | None:
    edition = iris.edition(d.edition)
    period = iris.period(d.year)
    for key in scores.cells:
        if key[0] == edition and key[2] == period and key[1].value.rsplit("/", 1)[-1] == d.country:
            return key
    return None


def _code(node: ox.NamedNode) -> str:
    return node.value.rsplit("/", 1)[-1]


def _diagnoses(scores: PublishedScores, key: tuple[ox.NamedNode, ...], rule: Rule,
               values: dict[ox.NamedNode, Fraction], published: Fraction,
               tol: Fraction) -> Iterator[str]:
    missing = [part for part in rule.parts if part not in values]
    if missing:
        yield (f"{len(missing)} of the rule's {len(rule.parts)} parts have no published score "
               f"that year: {', '.join(_code(p) for p in missing)}")
    edition, jurisdiction, _ = key
    for other, cell in sorted(scores.cells.items(), key=lambda item: item[0][2].value):
        if other[0] != edition or other[1] != jurisdiction or other == key:
            continue
        value = rule.evaluate({i: s.value for i, s in cell.items()})
        if value is not None and abs(value - published) <= tol and len(cell) >= len(values):
            yield (f"the published figure is what the rule gives from the parts published for "
                   f"{_code(other[2])} ({_short(value, 4)})")
            break
    for part in rule.parts:
        if part in values:
            rest = {i: v for i, v in values.items() if i != part}
            value = rule.evaluate(rest)
            if value is not None and abs(value - published) <= tol:
                yield (f"the published figure is the rule's result with {_code(part)} (scored "
                       f"{_short(values[part])}) left out ({_short(value, 4)})")
    present = [values[p] for p in rule.parts if p in values]
    if present and rule.groups:
        total = sum(present, Fraction(0))
        for divisor in range(1, len(rule.parts) + 2):
            if divisor != len(present) and abs(total / divisor - published) <= tol:
                yield (f"the published figure is the sum of the {len(present)} scored parts "
                       f"divided by {divisor} instead of {len(present)}")


# -- alternative weightings --------------------------------------------------------------


@dataclass(frozen=True)
class RankedScore:
    edition: str
    country: str
    jurisdiction: str
    published: Decimal | None
    published_rank: int | None
    alternative: Decimal
    alternative_rank: int

    @property
    def rank_change(self) -> int | None:
        """Published rank minus alternative rank (positive: the alternative ranks it higher)."""
        return None if self.published_rank is None else self.published_rank - self.alternative_rank


@dataclass
class AlternativeRanking:
    rule: str
    composite: str
    year: int
    rows: list[RankedScore]

    @property
    def moved(self) -> list[RankedScore]:
        return [r for r in self.rows if r.rank_change]

    def text(self) -> str:
        lines = [f"{self.composite.removeprefix(ID)} in {self.year}, recomputed by "
                 f"{self.rule.removeprefix(ID)}: {len(self.moved)} of {len(self.rows)} "
                 "ranks change",
                 f"{'edition':<15} {'country':<8} {'published':>10} {'rank':>5} "
                 f"{'alternative':>12} {'rank':>5} {'change':>7}"]
        for r in self.rows:
            lines.append(f"{r.edition:<15} {r.country:<8} {_short(r.published):>10} "
                         f"{r.published_rank or '':>5} {_short(r.alternative):>12} "
                         f"{r.alternative_rank:>5} {r.rank_change if r.rank_change else '':>7}")
        return "\n".join(lines)


def alternative_ranking(store: KnowledgeStore, rule_id: str | ox.NamedNode,
                        year: int) -> AlternativeRanking:
    """Rank the jurisdictions by the composite recomputed with ``rule_id`` in ``year``.

    Args:
        rule_id: a rule IRI or its short id, e.g. ``mipex/overall-with-health/leaving-out-health``
            or ``mipex/g/indicator-mean`` (any rule with part groups).
        year: the reference year.

    Returns:
        One row per jurisdiction scored that year (per edition), with the published
        score and rank of the same composite beside the alternative ones.

    Raises:
        ValueError: no such rule in the store.
    """
    rule = rule_iri(rule_id)
    composite = _composite_of(store, rule)
    rows = [
        RankedScore(
            edition=edition_id(row["edition"]),
            country=_value(row["country"]) or row["jurisdiction"].value,
            jurisdiction=row["jurisdiction"].value,
            published=_decimal(row["published"]), published_rank=_int(row["publishedRank"]),
            alternative=Decimal(row["alternative"].value),
            alternative_rank=int(row["alternativeRank"].value))
        for row in run_named(store, "recompute-alternative-ranking.rq", rule=rule, year=int(year))
    ]
    return AlternativeRanking(rule.value, composite, int(year), rows)


def _composite_of(store: KnowledgeStore, rule: ox.NamedNode) -> str:
    for row in store.query("SELECT ?rule ?composite WHERE { ?rule mkg:composite ?composite }",
                           substitutions={ox.Variable("rule"): rule}):
        return str(row["composite"].value)
    raise ValueError(f"no aggregation rule <{rule.value}> in the store")


# -- time series -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    year: int
    edition: str
    published: Decimal
    recomputed: Decimal | None
    rule: str | None
    parts_scored: int | None
    parts_added: int
    parts_dropped: int
    edition_change: bool
    rule_change: bool
    parts_change: bool
    wording_changed: tuple[str, ...]
    gap: bool
    #: the counterpart in the other instrument (crosswalk) and its score that year, if any
    counterpart: str | None = None
    counterpart_score: Decimal | None = None

    @property
    def is_break(self) -> bool:
        return (self.edition_change or self.rule_change or self.parts_change
                or bool(self.wording_changed) or self.gap)

    def flags(self) -> list[str]:
        flags = []
        if self.edition_change:
            flags.append("edition changes")
        if self.counterpart is not None:
            flags.append(f"the other instrument scores {self.counterpart} "
                         f"{_short(self.counterpart_score)} this year")
        if self.rule_change:
            flags.append("rule changes")
        if self.parts_change:
            flags.append(f"parts scored change (+{self.parts_added} -{self.parts_dropped})")
        if self.wording_changed:
            flags.append(f"worded differently: {', '.join(self.wording_changed)}")
        if self.gap:
            flags.append("years missing before")
        return flags


def time_series(store: KnowledgeStore, jurisdiction: str | ox.NamedNode,
                composite: str | ox.NamedNode, system: str = "mipex") -> list[SeriesPoint]:
    """A jurisdiction's published series of one composite, with breaks flagged, and the
    score of its counterpart in the other instrument where that one is scored too.

    Args:
        jurisdiction: an IRI, or an ISO 3166 alpha-3 code such as ``SWE``.
        composite: an IRI, or a code of ``system`` such as ``overall-with-health`` or ``g``.
    """
    if isinstance(jurisdiction, str) and not jurisdiction.startswith("http"):
        jurisdiction = iris.country(jurisdiction)
    if isinstance(composite, str) and not composite.startswith("http"):
        composite = iris.indicator(system, composite)
    points = []
    for row in run_named(store, "time-series-country.rq", jurisdiction=jurisdiction,
                         composite=composite):
        wording = _value(row["wordingChanged"])
        points.append(SeriesPoint(
            year=int(row["year"].value), edition=edition_id(row["edition"]),
            published=Decimal(row["published"].value), recomputed=_decimal(row["recomputed"]),
            rule=_value(row["rule"]), parts_scored=_int(row["partsScored"]),
            parts_added=_int(row["partsAdded"]) or 0, parts_dropped=_int(row["partsDropped"]) or 0,
            edition_change=_bool(row["editionChange"]),
            counterpart=_code(row["counterpart"]) if row["counterpart"] else None,
            counterpart_score=_decimal(row["counterpartScore"]),
            rule_change=_bool(row["ruleChange"]),
            parts_change=_bool(row["partsChange"]),
            wording_changed=tuple(sorted(wording.split(", "))) if wording else (),
            gap=_bool(row["gap"])))
    return points


# -- the command line --------------------------------------------------------------------


def run_command(store: KnowledgeStore, *, tolerance: Decimal = TOLERANCE,
                report_only: bool = False, alternative: str | None = None,
                year: int | None = None, series: str | None = None,
                composite: str | None = None) -> str:
    """What ``mipex-kg recompute`` prints.

    Without options: recompute everything into graph/recomputed, then the
    verification report. ``report_only``: the report on what is stored.
    ``alternative`` + ``year``: an alternative ranking. ``series`` + ``composite``:
    a time series with its breaks.

    Raises:
        ValueError: options that do not go together, or an unknown rule.
        LoadError: the recomputed graph does not pass the shapes.
    """
    from mipex_kg.loaders.recompute import recompute_store

    if alternative is not None or year is not None:
        if alternative is None or year is None:
            raise ValueError("--alternative and --year go together")
        return alternative_ranking(store, alternative, year).text()
    if series is not None or composite is not None:
        if series is None or composite is None:
            raise ValueError("--series and --composite go together")
        points = time_series(store, series, composite)
        if not points:
            return f"no published {composite} scores for {series}"
        lines = [f"{series} {composite}: {len(points)} published scores, "
                 f"{sum(p.is_break for p in points)} breaks"]
        lines += [f"{p.year} {p.edition:<15} {_short(p.published):>7} "
                  f"(recomputed {_short(p.recomputed)})  {'; '.join(p.flags())}" for p in points]
        return "\n".join(lines)
    if report_only:
        return verification_report(store, tolerance).text()
    run = recompute_store(store)
    return "\n".join([run.summary(), "", verification_report(store, tolerance, run.scores).text()])
