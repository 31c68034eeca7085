"""The load pipeline: parse, build, validate, and only then replace one named graph.

Every load goes through ``Loader``:

1. the source file is hashed; if its graph already holds that exact file, nothing
   happens (the report says so);
2. the file is parsed into records; any problem stops here;
3. the records become the triples of one named graph, with PROV-O provenance;
4. the triples are validated by the ``ValidationGate`` (loaders/gate.py) with the
   project's SHACL shapes, together with the context they point at: the ontology and
   the curated and reference graphs already in the store (for a CSV of reported
   scores also the descriptions of the concepts it uses, wherever they are, and what
   the other reported graphs say of the same observations);
5. the named graph is replaced in the store atomically.

A failure at any step raises ``LoadError`` listing every problem (file, sheet and
cell, or row, or the focus node of a SHACL result) and leaves the store unchanged.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph import iris
from mipex_kg.graph.crash_points import crash_point
from mipex_kg.graph.iris import (
    ONTOLOGY_GRAPH,
    REPORTED_PREFIX,
    curated_graph,
    reported_graph,
    workbook_graph,
)
from mipex_kg.graph.namespaces import ID
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.store import SerializedTriples
from mipex_kg.loaders import known_sources
from mipex_kg.loaders.errors import LoadError, Problem
from mipex_kg.loaders.gate import ValidationGate
from mipex_kg.loaders.mipex2015_rdf import locations as mipex2015_locations
from mipex_kg.loaders.mipex2015_rdf import mipex2015_triples
from mipex_kg.loaders.mipex2015_workbook import is_mipex2015_layout, read_mipex2015
from mipex_kg.loaders.mipex_rdf import workbook_triples
from mipex_kg.loaders.mipex_workbook import read_workbook
from mipex_kg.loaders.provenance import SourceFile, load_activity_triples, now, source_triples
from mipex_kg.loaders.scores_csv import Reference, read_score_rows, score_triples


@dataclass
class LoadReport:
    """What one load did, for the command line and the tests."""

    graph: str
    source: str
    status: str  # "loaded" or "unchanged"
    triples: int = 0
    observations: int = 0
    notes: list[Problem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self, max_examples: int = 2) -> str:
        """The report as text: the counts, then the notes grouped by kind."""
        if self.status == "unchanged":
            return f"{self.source}: already loaded in <{self.graph}>, nothing changed"
        timing = ", ".join(f"{step} {secs:.2f} s" for step, secs in self.seconds.items())
        lines = [f"{self.source}: {self.triples} triples, {self.observations} observations "
                 f"into <{self.graph}> ({timing})"]
        for kind, notes in _group_notes(self.notes).items():
            lines.append(f"  note ({len(notes)}x) {kind}")
            lines.extend(f"      e.g. {n.place}: {n.message}" for n in notes[:max_examples])
        return "\n".join(lines)


def _group_notes(notes: list[Problem]) -> dict[str, list[Problem]]:
    groups: dict[str, list[Problem]] = {}
    for note in notes:
        kind = re.sub(r"(?<![\w#])('[^']*'|\"[^\"]*\"|\d+(\.\d+)?)(?!\w)", "…", note.message)
        groups.setdefault(kind, []).append(note)
    return groups


class Loader:
    """Loads sources into one store through the validation gate."""

    def __init__(self, store: QuadStore,
                 progress: Callable[[str, int, int], None] | None = None) -> None:
        self.store = store
        self.progress = progress

    # -- the gate ---------------------------------------------------------------------

    @cached_property
    def gate(self) -> ValidationGate:
        return ValidationGate(self.store)

    def check(self, graphs: Mapping[ox.NamedNode, Sequence[ox.Triple | ox.Quad]], file: str,
              locate: dict[str, tuple[str, str]] | None = None,
              extra_context: list[ox.Quad] | None = None) -> None:
        """Validate new graph contents together; raise ``LoadError`` listing every violation.

        ``extra_context``: further quads of the store to validate with (besides the
        gate's context graphs), such as the descriptions of the concepts the new graph uses.
        """
        problems = self.gate.problems(graphs, file, locate, extra_context or [])
        if problems:
            raise LoadError(problems)

    def check_write(self, changes: Mapping[ox.NamedNode | ox.DefaultGraph, list[ox.Triple]]
                    ) -> list[str]:
        """The service's write gate (``ValidationGate.check_write``)."""
        return self.gate.check_write(changes)

    # -- generic steps ------------------------------------------------------------------

    def already_loaded(self, graph: ox.NamedNode, sha256: str) -> bool:
        """Whether ``graph`` already holds the file with this checksum."""
        if not self.store.has_graph(graph):
            return False
        return bool(self.store.query(
            "ASK { GRAPH ?g { ?source mkg:sha256 ?sha } }",
            substitutions={ox.Variable("g"): graph, ox.Variable("sha"): ox.Literal(sha256)},
            union_default_graph=False,
        ))

    def commit(self, batch: list[GraphLoad], file: str,
               locate: dict[str, tuple[str, str]] | None = None) -> None:
        """Add provenance, validate all graphs together, then replace each graph."""
        for load in batch:
            mark = time.perf_counter()
            began = now()
            load.triples.extend(source_triples(load.source, load.edition))
            load.triples.extend(load_activity_triples(load.graph, [load.source.node], began, now()))
            load.report.seconds["build"] = load.report.seconds.get("build", 0.0) + (
                time.perf_counter() - mark)
        mark = time.perf_counter()
        # the gate and the store load the triples as N-Triples text, made once
        graphs = {load.graph: SerializedTriples(load.triples) for load in batch}
        for graph, content in graphs.items():  # its snapshot written while it is checked
            self.store.offer_ahead(graph, content)
        self.check(graphs, file, locate, [q for load in batch for q in load.context])
        validate_seconds = time.perf_counter() - mark
        crash_point("load.validated")
        mark = time.perf_counter()
        with self.store.batch():
            for load in batch:
                load.report.triples = self.store.replace_graph(load.graph, graphs[load.graph])
                load.report.seconds["validate"] = validate_seconds
                load.report.status = "loaded"
        commit_seconds = time.perf_counter() - mark
        for load in batch:
            load.report.seconds["commit"] = commit_seconds / len(batch)

    # -- the kinds of source -------------------------------------------------------------

    def sheet_codes(self) -> dict[str, str]:
        """MIPEX sheet code -> ISO 3166 alpha-3, from the curated countries."""
        return {
            s["code"].value: s["iso3"].value
            for s in self.store.query(
                "SELECT ?code ?iso3 WHERE { ?c a mkg:Country ; mkg:mipexCode ?code ; "
                "mkg:isoAlpha3 ?iso3 }"
            )
        }

    def load_workbook(self, path: Path, *, edition: str | None = None,
                      force: bool = False) -> LoadReport:
        """Load one official MIPEX workbook into its own named graph."""
        path = Path(path)
        graph = workbook_graph(path)
        if not path.is_file():
            raise LoadError([Problem(path.name, "", f"no such file: {path}")])
        source = SourceFile.of(path)
        known = known_sources.known_workbook(path.name, source.sha256)
        if known:
            source = SourceFile(source.path, source.sha256, source.size, known.url)
        report = LoadReport(graph.value, path.name, "unchanged")
        if not force and self.already_loaded(graph, source.sha256):
            return report
        sheet_codes = self.sheet_codes()
        if not sheet_codes:
            raise LoadError([Problem(path.name, "", "the store holds no curated countries: "
                                     "load the reference data first (mipex-kg load --curated)")])
        mark = time.perf_counter()
        if is_mipex2015_layout(path):
            content = read_mipex2015(path, sheet_codes, progress=self.progress)
            report.seconds["parse"] = time.perf_counter() - mark
            if content.problems:
                raise LoadError(content.problems)
            edition_id = edition or known_sources.MIPEX_2015.edition
            locate = mipex2015_locations(content, edition_id, sheet_codes, path.name)
            mark = time.perf_counter()
            triples = list(mipex2015_triples(content, edition_id, sheet_codes, source.node))
            extra_observations = len(content.summary.averages)
        else:
            content = read_workbook(  # type: ignore[assignment] # one name, two readers
                path, sheet_codes, progress=self.progress)
            report.seconds["parse"] = time.perf_counter() - mark
            if content.problems:
                raise LoadError(content.problems)
            edition_id = edition or (known.edition if known and source.sha256 == known.sha256
                                     else known_sources.infer_edition(content.years))
            locate = {
                iris.score(edition_id, sheet_codes[o.sheet], o.year, o.code).value:
                    (path.name, f"sheet {o.sheet}, cell {o.cell}")
                for o in content.observations
            }
            mark = time.perf_counter()
            triples = list(workbook_triples(content, edition_id, sheet_codes, source.node))
            extra_observations = 0
        report.seconds["build"] = time.perf_counter() - mark
        report.observations = len(content.observations) + extra_observations
        report.notes = content.notes
        self.commit([GraphLoad(graph, triples, source, report, iris.edition(edition_id))],
                    path.name, locate)
        return report

    def described(self, graph: ox.NamedNode, nodes: set[ox.NamedNode]) -> list[ox.Quad]:
        """The descriptions of ``nodes`` and of everything above them, outside ``graph``.

        Above a concept are its broader concepts (up to its policy area); above a
        jurisdiction the jurisdictions it is part of: what the shapes check on them.
        Only the resources' own quads are taken, not the whole graphs that hold them
        (a workbook graph is half a million triples).
        """
        if not nodes:
            return []
        # A VALUES block written from the terms themselves (NamedNode checks its IRI).
        values = " ".join(str(node) for node in sorted(nodes, key=lambda n: n.value))
        rows = self.store.query(
            f"SELECT DISTINCT ?g ?s ?p ?o WHERE {{ VALUES ?node {{ {values} }} "
            "?node (skos:broader|mkg:partOf|mkg:policyDimension)* ?s . GRAPH ?g { ?s ?p ?o } }")
        return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows if r["g"] != graph]

    def load_scores_csv(self, path: Path, force: bool = False) -> LoadReport:
        """Load one CSV of scores reported in publications into ``graph/reported/<stem>``.

        The rows are checked against the reference data already in the store
        (jurisdictions, systems, indicators, publications); the graph is validated
        together with the descriptions of the concepts and jurisdictions it uses (a
        MIPEX indicator is described in a workbook graph) and with what the other
        reported graphs say of the same observations (so that two files cannot give one
        observation two scores). Unchanged file: nothing happens.
        """
        path = Path(path)
        graph = reported_graph(path)
        if not path.is_file():
            raise LoadError([Problem(path.name, "", f"no such file: {path}")])
        source = SourceFile.of(path)
        report = LoadReport(graph.value, path.name, "unchanged")
        if not force and self.already_loaded(graph, source.sha256):
            return report
        reference = Reference.from_store(self.store)
        if not reference.jurisdictions or not reference.publications:
            raise LoadError([Problem(path.name, "", "the store holds no reference data "
                                     "(jurisdictions, publications): load it first "
                                     "(mipex-kg load --reference)")])
        mark = time.perf_counter()
        rows = read_score_rows(path, reference)
        report.seconds["parse"] = time.perf_counter() - mark
        mark = time.perf_counter()
        triples = list(score_triples(rows, reference.titles))
        report.seconds["build"] = time.perf_counter() - mark
        report.observations = len(rows)
        locate = {row.node.value: (path.name, f"row {row.row}") for row in rows}
        context = self.described(graph, {row.indicator for row in rows}
                                 | {row.jurisdiction for row in rows})
        # What other reported graphs say about the same observations and data sets, so
        # that two files cannot give one observation two scores.
        ours = {t.subject for t in triples if isinstance(t.subject, ox.NamedNode)}
        for other in self.store.named_graphs():
            if other != graph and other.value.startswith(REPORTED_PREFIX):
                context.extend(self.store.quads_about(ours, graph=other))
        self.commit([GraphLoad(graph, triples, source, report, context=context)],
                    path.name, locate)
        return report

    def load_turtle_files(self, named: dict[str, tuple[bytes, ox.NamedNode]],
                          force: bool = False) -> list[LoadReport]:
        """Load Turtle files (name -> (bytes, graph)) together through one validation."""
        batch, reports = [], []
        for name, (data, graph) in named.items():
            source = _bytes_source(data, name)
            report = LoadReport(graph.value, name, "unchanged")
            reports.append(report)
            if not force and self.already_loaded(graph, source.sha256):
                continue
            mark = time.perf_counter()
            try:
                triples = [ox.Triple(q.subject, q.predicate, q.object)
                           for q in ox.parse(data, ox.RdfFormat.TURTLE, base_iri=ID)]
            except SyntaxError as exc:
                raise LoadError([Problem(name, "", f"not valid Turtle: {exc}")]) from exc
            report.seconds["parse"] = time.perf_counter() - mark
            batch.append(GraphLoad(graph, triples, source, report))
        if batch:
            locate = {t.subject.value: (load.source.path.name, "")
                      for load in batch for t in load.triples
                      if isinstance(t.subject, ox.NamedNode)}
            self.commit(batch, ", ".join(load.source.path.name for load in batch), locate)
        return reports

    def load_reference_data(self, force: bool = False) -> list[LoadReport]:
        """The ontology and every curated file (``graph/curated/<stem>``), validated together."""
        named = {"ontology": (b"\n".join(_turtle_resources("mipex_kg.ontology").values()),
                              ONTOLOGY_GRAPH)}
        for name, data in _turtle_resources("mipex_kg.loaders.curated").items():
            named[name] = (data, curated_graph(name.rsplit('.', 1)[0]))
        return self.load_turtle_files(named, force)


@dataclass
class GraphLoad:
    """One graph's new content on its way through the gate."""

    graph: ox.NamedNode
    triples: list[ox.Triple]
    source: SourceFile
    report: LoadReport
    edition: ox.NamedNode | None = None
    #: further quads of the store this content is validated with (see ``Loader.check``)
    context: list[ox.Quad] = field(default_factory=list)


def _turtle_resources(package: str) -> dict[str, bytes]:
    return {
        resource.name: resource.read_bytes()
        for resource in sorted(files(package).iterdir(), key=lambda r: r.name)
        if resource.name.endswith(".ttl")
    }


def _bytes_source(data: bytes, name: str) -> SourceFile:
    return SourceFile(Path(name), hashlib.sha256(data).hexdigest(), len(data))
