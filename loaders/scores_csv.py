"""Read a CSV file of reported scores into RDF Data Cube observations.

A reported score is one that a publication states for a jurisdiction (for example the
Basque Country's 77 out of 100 on MIPEX-R), as opposed to one read from an official
score file. The CSV has one score per row and exactly these columns, in any order::

    jurisdiction  a NUTS code (ES21), an ISO 3166 alpha-3 code (SWE) or a municipality id
    system        the indicator system's id, as in its IRI (mipex, mipex-r, mipex-l)
    indicator     the indicator's code in that system (overall, area-housing, aa1 ...)
    year          the reference year; empty when the source does not state one
    score         a number from 0 to 100
    comment       optional text, kept as the observation's comment
    source        the IRI of the publication that states the score

Every row is checked against the reference data of the store it is loaded into
(``Reference.from_store``: the countries, regions, systems, indicators and
publications already there): the jurisdiction, the system and the publication must be
known, and so must the indicator when the store holds that system's concepts.
Problems are collected for the whole file, each as ``Problem(file, "row N", message)``
where N is the line of the file (the header is row 1), and raised together as one
``LoadError``.

Each row becomes one ``qb:Observation`` (also typed ``mkg:ReportedObservation``) with
status ``id:status/reported``, derived from its publication, in the publication's own
data set ``id:dataset/reported/<publication>`` (a ``mkg:ReportedDataSet``, described
with the observations): one data set per publication, so that two publications
reporting the same jurisdiction, indicator and period never give one data set two
observations with the same dimension values (Data Cube IC-12). See docs/model.md::

    id:score/reported/<publication>/<jurisdiction>/<year>/<system>-<indicator>
    id:score/reported/<publication>/<jurisdiction>/<system>-<indicator>   (no year)

A row without a year points at ``id:period/not-stated`` (defined in the curated
evidence.ttl) instead of an invented year.

The module only reads and checks; ``Loader.load_scores_csv`` (loaders/pipeline.py)
adds the provenance, runs the SHACL gate and replaces the file's graph
``graph/reported/<file stem>``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import (
    DCAT,
    DCT,
    ID,
    MKG,
    PROV,
    QB,
    RDF,
    RDFS,
    SDMX_ATTRIBUTE,
    XSD,
    sparql_prologue,
)
from mipex_kg.loaders.errors import LoadError, Problem

COLUMNS = ("jurisdiction", "system", "indicator", "year", "score", "comment", "source")
#: Columns whose cells may be empty.
OPTIONAL = frozenset({"year", "comment"})

DSD = ox.NamedNode(f"{ID}dsd/mipex-scores")
DATASET_DESCRIPTION = ("The scores that the publication cited as dct:source reports for "
                       "jurisdictions, each derived from it (observation status: reported) "
                       "rather than read from an official score file.")
REPORTED = iris.concept("status", "reported")
UNIT = iris.concept("unit", "points-0-100")
PERIOD_NOT_STATED = ox.NamedNode(f"{ID}period/not-stated")
YEARS = range(1900, 2101)

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_YEAR = re.compile(r"\d{4}")


# -- reference data -----------------------------------------------------------------


@dataclass
class Reference:
    """What a row may point at: known jurisdictions, systems, indicators, publications."""

    #: code (skos:notation, or the last segment of the IRI) -> jurisdiction IRIs
    jurisdictions: dict[str, set[ox.NamedNode]] = field(default_factory=dict)
    #: system id (the last segment of its IRI) -> system IRI
    systems: dict[str, ox.NamedNode] = field(default_factory=dict)
    #: system IRI -> the IRIs of its concepts (absent: the system's concepts are unknown)
    indicators: dict[ox.NamedNode, set[ox.NamedNode]] = field(default_factory=dict)
    publications: set[ox.NamedNode] = field(default_factory=set)
    #: publication IRI -> its title (dct:title), for the title of its reported data set
    titles: dict[ox.NamedNode, str] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: ox.Store) -> Reference:
        """Collect the reference data from every graph of ``store`` (a pyoxigraph store)."""
        ref = cls()

        def select(query: str) -> Iterator[ox.QuerySolution]:
            results = store.query(sparql_prologue() + query, use_default_graph_as_union=True)
            assert isinstance(results, ox.QuerySolutions)
            yield from results

        for row in select(
            "SELECT ?j ?code WHERE { VALUES ?kind { mkg:Country mkg:Region mkg:Municipality } "
            "?j a ?kind . OPTIONAL { ?j skos:notation ?code } }"
        ):
            node = row["j"]
            codes = {node.value.rsplit("/", 1)[-1]}
            if row["code"] is not None:
                codes.add(row["code"].value)
            for code in codes:
                ref.jurisdictions.setdefault(code, set()).add(node)
        for row in select("SELECT ?s WHERE { ?s a mkg:IndicatorSystem }"):
            ref.systems[row["s"].value.rsplit("/", 1)[-1]] = row["s"]
        for row in select(
            "SELECT ?s ?c WHERE { ?s a mkg:IndicatorSystem . ?c skos:inScheme ?s ; a skos:Concept }"
        ):
            ref.indicators.setdefault(row["s"], set()).add(row["c"])
        for row in select("SELECT ?p (MIN(STR(?t)) AS ?title) WHERE { ?p a mkg:Publication "
                          "OPTIONAL { ?p dct:title ?t } } GROUP BY ?p"):
            ref.publications.add(row["p"])
            if row["title"] is not None:
                ref.titles[row["p"]] = row["title"].value
        return ref


# -- rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    """One valid row, resolved to the graph's IRIs."""

    row: int
    jurisdiction: ox.NamedNode
    jurisdiction_code: str
    system_id: str
    indicator: ox.NamedNode
    indicator_code: str
    year: int | None
    score: str  # the xsd:decimal lexical form
    comment: str | None
    source: ox.NamedNode

    @property
    def period(self) -> ox.NamedNode:
        return PERIOD_NOT_STATED if self.year is None else iris.period(self.year)

    @property
    def node(self) -> ox.NamedNode:
        """The observation's IRI, minted from codes (never from the row number)."""
        source = _source_key(self.source)
        year = "" if self.year is None else f"{self.year}/"
        key = f"{iris.slug(self.system_id)}-{iris.slug(self.indicator_code)}"
        return ox.NamedNode(
            f"{ID}score/reported/{source}/{self.jurisdiction_code}/{year}{key}"
        )


def reported_dataset(publication: ox.NamedNode) -> ox.NamedNode:
    """The data set of the scores one publication reports: ``id:dataset/reported/<slug>``."""
    return ox.NamedNode(f"{ID}dataset/reported/{_source_key(publication)}")


def _source_key(source: ox.NamedNode) -> str:
    """The IRI segment that names a publication: its slug under id/publication/."""
    local = source.value[len(ID):] if source.value.startswith(ID) else source.value
    local = local.removeprefix("publication/")
    return iris.slug(local.replace("/", "-"))


class _RowReader:
    """Checks the cells of one row; collects every problem instead of stopping."""

    def __init__(self, file: str, line: int, reference: Reference) -> None:
        self.file, self.line, self.reference = file, line, reference
        self.problems: list[Problem] = []

    def problem(self, message: str) -> None:
        self.problems.append(Problem(self.file, f"row {self.line}", message))

    def jurisdiction(self, code: str) -> ox.NamedNode | None:
        found = self.reference.jurisdictions.get(code, set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            self.problem(f"jurisdiction {code!r} is ambiguous: "
                         + ", ".join(sorted(f"<{n.value}>" for n in found)))
        else:
            self.problem(f"unknown jurisdiction {code!r}: not a country (ISO 3166 alpha-3), "
                         "region (NUTS code) or municipality of the reference data")
        return None

    def system(self, system_id: str) -> ox.NamedNode | None:
        node = self.reference.systems.get(system_id)
        if node is None:
            known = ", ".join(sorted(self.reference.systems))
            self.problem(f"unknown indicator system {system_id!r} (known: {known})")
        return node

    def indicator(self, system: ox.NamedNode | None, system_id: str,
                  code: str) -> ox.NamedNode | None:
        try:
            node = iris.indicator(system_id, code)
        except ValueError:
            self.problem(f"indicator {code!r} is not a usable code")
            return None
        known = self.reference.indicators.get(system) if system is not None else None
        if known is not None and node not in known:
            self.problem(f"unknown indicator {code!r} of system {system_id!r}")
            return None
        return node

    def year(self, text: str) -> int | None:
        if not text:
            return None
        if not _YEAR.fullmatch(text) or int(text) not in YEARS:
            self.problem(f"year {text!r} is not a year between {YEARS.start} and {YEARS.stop - 1}")
            return None
        return int(text)

    def score(self, text: str) -> str | None:
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.problem(f"score {text!r} is not a number")
            return None
        if not value.is_finite():
            self.problem(f"score {text!r} is not a finite number")
            return None
        if not Decimal(0) <= value <= Decimal(100):
            self.problem(f"score {text} is out of range: scores lie between 0 and 100")
            return None
        # Keep the figure as written when it is already an xsd:decimal (77, 77.0, 77.25).
        return text.lstrip("+") if _DECIMAL.fullmatch(text) else format(value, "f")

    def source(self, text: str) -> ox.NamedNode | None:
        try:
            node = ox.NamedNode(text)
        except ValueError:
            self.problem(f"source {text!r} is not an IRI")
            return None
        if node not in self.reference.publications:
            self.problem(f"unknown source <{text}>: the source must be a publication "
                         "(mkg:Publication) described in the reference data")
            return None
        return node


def _decode(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise LoadError([Problem(path.name, "", message)]) from exc


def _header(file: str, cells: list[str]) -> tuple[dict[str, int], list[Problem]]:
    """Column name -> index; every missing, unexpected or repeated column is a problem."""
    names = [c.strip().lower() for c in cells]
    problems = [Problem(file, "row 1", f"missing column {c!r}") for c in COLUMNS if c not in names]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(Problem(file, "row 1", f"column {name!r} appears twice"))
        elif name not in COLUMNS:
            problems.append(Problem(file, "row 1", f"unexpected column {name!r} "
                                    f"(the columns are: {', '.join(COLUMNS)})"))
        seen.add(name)
    return {name: names.index(name) for name in COLUMNS if name in names}, problems


def read_score_rows(path: Path, reference: Reference) -> list[ScoreRow]:
    """Parse and check a reported-scores CSV.

    Args:
        path: the CSV file (UTF-8, comma-separated, with a header row).
        reference: what rows may point at (``Reference.from_store`` of the target store).

    Returns:
        One ``ScoreRow`` per data row, in file order.

    Raises:
        LoadError: listing every problem of the file (nothing is returned then).
        OSError: the file cannot be read.
    """
    path = Path(path)
    file = path.name
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise LoadError([Problem(file, "row 1", "the file is empty: no header row")]) from None
    except csv.Error as exc:
        raise LoadError([Problem(file, "row 1", f"not readable as CSV: {exc}")]) from exc
    if not any(cell.strip() for cell in header):
        raise LoadError([Problem(file, "row 1", "no header row: the first line is empty")])
    columns, problems = _header(file, header)
    if problems:
        raise LoadError(problems)

    rows: list[ScoreRow] = []
    # One observation per publication, jurisdiction, indicator and period: two
    # publications may report the same figure (each in its own data set), one may not
    # report it twice.
    first_seen: dict[tuple[ox.NamedNode, ...], int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file, f"row {reader.line_num}", f"not readable as CSV: {exc}"))
            break
        if not any(c.strip() for c in cells):
            continue  # blank line
        row = _check_row(file, reader.line_num, cells, columns, reference)
        if isinstance(row, list):
            problems.extend(row)
            continue
        key = (row.source, row.jurisdiction, row.indicator, row.period)
        if key in first_seen:
            problems.append(Problem(file, f"row {row.row}", (
                f"duplicate of row {first_seen[key]}: same jurisdiction {row.jurisdiction_code!r}, "
                f"indicator {row.indicator_code!r} of {row.system_id!r}, year "
                f"{row.year if row.year is not None else '(not stated)'} and source")))
            continue
        first_seen[key] = row.row
        rows.append(row)
    if problems:
        raise LoadError(problems)
    return rows


def _check_row(file: str, line: int, cells: list[str], columns: dict[str, int],
               reference: Reference) -> ScoreRow | list[Problem]:
    """One data row as a ``ScoreRow``, or the list of everything wrong with it."""
    check = _RowReader(file, line, reference)
    if len(cells) != len(columns):
        check.problem(f"has {len(cells)} fields, the header has {len(columns)}")
        return check.problems
    value = {name: cells[index].strip() for name, index in columns.items()}
    for name in COLUMNS:
        if not value[name] and name not in OPTIONAL:
            check.problem(f"empty {name}")
    if check.problems:
        return check.problems
    jurisdiction = check.jurisdiction(value["jurisdiction"])
    system = check.system(value["system"])
    indicator = check.indicator(system, value["system"], value["indicator"])
    year = check.year(value["year"])
    score = check.score(value["score"])
    source = check.source(value["source"])
    if check.problems or jurisdiction is None or indicator is None or score is None \
            or source is None:
        return check.problems
    return ScoreRow(
        row=line,
        jurisdiction=jurisdiction,
        jurisdiction_code=jurisdiction.value.rsplit("/", 1)[-1],
        system_id=value["system"],
        indicator=indicator,
        indicator_code=value["indicator"],
        year=year,
        score=score,
        comment=value["comment"] or None,
        source=source,
    )


# -- triples -------------------------------------------------------------------------


def score_triples(rows: Iterable[ScoreRow],
                  titles: dict[ox.NamedNode, str] | None = None) -> Iterator[ox.Triple]:
    """The observations of the rows, their publications' data sets, and the years used.

    ``titles`` (publication -> title) gives each data set its title; without one the
    title names the publication's IRI.
    """
    years: set[int] = set()
    publications: dict[ox.NamedNode, None] = {}
    for row in rows:
        node = row.node
        publications.setdefault(row.source)
        yield ox.Triple(node, RDF.type, QB.Observation)
        yield ox.Triple(node, RDF.type, MKG.ReportedObservation)
        yield ox.Triple(node, QB.dataSet, reported_dataset(row.source))
        yield ox.Triple(node, MKG.jurisdiction, row.jurisdiction)
        yield ox.Triple(node, MKG.indicator, row.indicator)
        yield ox.Triple(node, MKG.refPeriod, row.period)
        yield ox.Triple(node, MKG.score, ox.Literal(row.score, datatype=XSD.decimal))
        yield ox.Triple(node, SDMX_ATTRIBUTE.unitMeasure, UNIT)
        yield ox.Triple(node, SDMX_ATTRIBUTE.obsStatus, REPORTED)
        if row.comment:
            yield ox.Triple(node, MKG.comment, ox.Literal(row.comment))
        yield ox.Triple(node, PROV.wasDerivedFrom, row.source)
        if row.year is not None:
            years.add(row.year)
    for publication in publications:
        yield from dataset_triples(publication, (titles or {}).get(publication))
    for year in sorted(years):
        period = iris.period(year)
        yield ox.Triple(period, RDF.type, MKG.ReferencePeriod)
        yield ox.Triple(period, RDF.type, DCT.PeriodOfTime)
        yield ox.Triple(period, RDFS.label, ox.Literal(str(year)))
        yield ox.Triple(period, MKG.year, ox.Literal(str(year), datatype=XSD.integer))


def dataset_triples(publication: ox.NamedNode, title: str | None) -> Iterator[ox.Triple]:
    """The reported data set of one publication, as loaders/curated/evidence.ttl writes it."""
    dataset = reported_dataset(publication)
    yield ox.Triple(dataset, RDF.type, MKG.ReportedDataSet)
    yield ox.Triple(dataset, RDF.type, QB.DataSet)
    yield ox.Triple(dataset, RDF.type, DCAT.Dataset)
    yield ox.Triple(dataset, DCT.title, ox.Literal(
        f"Scores reported in: {title if title is not None else '<' + publication.value + '>'}",
        language="en"))
    yield ox.Triple(dataset, DCT.description, ox.Literal(DATASET_DESCRIPTION, language="en"))
    yield ox.Triple(dataset, DCT.source, publication)
    yield ox.Triple(dataset, QB.structure, DSD)


def load_scores_csv(path: Path, reference: Reference) -> list[ox.Triple]:
    """Read a reported-scores CSV into the triples of its graph (without provenance).

    Args:
        path: the CSV file.
        reference: what rows may point at (``Reference.from_store`` of the target store).

    Returns:
        The triples, in a stable order: each row's observation, then the data set of
        each publication cited, then the years used.

    Raises:
        LoadError: every problem of the file, each naming its row.
        OSError: the file cannot be read.
    """
    return list(score_triples(read_score_rows(path, reference), reference.titles))
