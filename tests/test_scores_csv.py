"""The reported-scores CSV loader: rows to observations, and every malformed input refused."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph.namespaces import DCT, ID, MKG, PROV, QB, RDF, SDMX_ATTRIBUTE, XSD
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.scores_csv import (
    Reference,
    load_scores_csv,
    read_score_rows,
)

BASQUE = ID + "publication/integration-diverse-basque-country-mipex-r"
EVIDENCE = ID + "publication/production-of-evidence-migrant-integration-policy-eu"
HEADER = "jurisdiction,system,indicator,year,score,comment,source"


@pytest.fixture(scope="module")
def reference_oxigraph(reference_dump: bytes) -> ox.Store:
    """The ontology and the curated graphs, as the pipeline loads them."""
    store = ox.Store()
    store.load(reference_dump, ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="module")
def reference(reference_oxigraph: ox.Store) -> Reference:
    return Reference.from_store(reference_oxigraph)


def write(tmp_path: Path, *lines: str, name: str = "scores.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def n(path: str) -> ox.NamedNode:
    return ox.NamedNode(ID + path)


def test_valid_csv_gives_the_expected_triples(tmp_path: Path, reference: Reference) -> None:
    path = write(
        tmp_path,
        HEADER,
        f"ES21,mipex-r,overall,,77,,{BASQUE}",
        f'SWE,mipex,overall-with-health,2019,86.4,"as published, 2020 edition",{EVIDENCE}',
    )
    triples = set(load_scores_csv(path, reference))

    basque = n("score/reported/integration-diverse-basque-country-mipex-r/ES21/mipex-r-overall")
    sweden = n("score/reported/production-of-evidence-migrant-integration-policy-eu/SWE/2019/"
               "mipex-overall-with-health")
    expected = {
        ox.Triple(basque, RDF.type, QB.Observation),
        ox.Triple(basque, RDF.type, MKG.ReportedObservation),
        ox.Triple(basque, QB.dataSet,
                  n("dataset/reported/integration-diverse-basque-country-mipex-r")),
        ox.Triple(basque, MKG.jurisdiction, n("region/ES21")),
        ox.Triple(basque, MKG.indicator, n("indicator/mipex-r/overall")),
        ox.Triple(basque, MKG.refPeriod, n("period/not-stated")),
        ox.Triple(basque, MKG.score, ox.Literal("77", datatype=XSD.decimal)),
        ox.Triple(basque, SDMX_ATTRIBUTE.unitMeasure, n("unit/points-0-100")),
        ox.Triple(basque, SDMX_ATTRIBUTE.obsStatus, n("status/reported")),
        ox.Triple(basque, PROV.wasDerivedFrom, ox.NamedNode(BASQUE)),
        ox.Triple(sweden, RDF.type, QB.Observation),
        ox.Triple(sweden, RDF.type, MKG.ReportedObservation),
        ox.Triple(sweden, QB.dataSet,
                  n("dataset/reported/production-of-evidence-migrant-integration-policy-eu")),
        ox.Triple(sweden, MKG.jurisdiction, n("country/SWE")),
        ox.Triple(sweden, MKG.indicator, n("indicator/mipex/overall-with-health")),
        ox.Triple(sweden, MKG.refPeriod, n("period/2019")),
        ox.Triple(sweden, MKG.score, ox.Literal("86.4", datatype=XSD.decimal)),
        ox.Triple(sweden, SDMX_ATTRIBUTE.unitMeasure, n("unit/points-0-100")),
        ox.Triple(sweden, SDMX_ATTRIBUTE.obsStatus, n("status/reported")),
        ox.Triple(sweden, MKG.comment, ox.Literal("as published, 2020 edition")),
        ox.Triple(sweden, PROV.wasDerivedFrom, ox.NamedNode(EVIDENCE)),
        ox.Triple(n("period/2019"), RDF.type, MKG.ReferencePeriod),
        ox.Triple(n("period/2019"), MKG.year, ox.Literal("2019", datatype=XSD.integer)),
    }
    assert expected <= triples
    extra = {t for t in triples - expected}
    # Not listed above: the period's label and its dct:PeriodOfTime type, and the data
    # set of each publication (one per publication, never one for all of them).
    datasets = {n("dataset/reported/integration-diverse-basque-country-mipex-r"),
                n("dataset/reported/production-of-evidence-migrant-integration-policy-eu")}
    assert {t.subject for t in extra} == {n("period/2019")} | datasets
    assert len([t for t in extra if t.subject == n("period/2019")]) == 2
    for dataset, publication in zip(sorted(datasets, key=str), (BASQUE, EVIDENCE), strict=True):
        assert ox.Triple(dataset, DCT.source, ox.NamedNode(publication)) in triples
        assert ox.Triple(dataset, RDF.type, MKG.ReportedDataSet) in triples
        assert ox.Triple(dataset, QB.structure, n("dsd/mipex-scores")) in triples


def test_same_file_same_triples(tmp_path: Path, reference: Reference) -> None:
    path = write(tmp_path, HEADER, f"AT13,mipex-r,area-housing,2021,55.5,,{BASQUE}",
                 f"ES21,mipex-r,overall,2021,77,,{BASQUE}")
    assert load_scores_csv(path, reference) == load_scores_csv(path, reference)


def test_the_data_set_is_written_as_the_curated_evidence_writes_it(
        tmp_path: Path, reference: Reference, reference_oxigraph: ox.Store) -> None:
    """A CSV citing the Basque article repeats exactly what evidence.ttl says of its data set."""
    path = write(tmp_path, HEADER, f"ES21,mipex-r,overall,,77,,{BASQUE}")
    dataset = n("dataset/reported/integration-diverse-basque-country-mipex-r")
    ours = {t for t in load_scores_csv(path, reference) if t.subject == dataset}
    curated = {ox.Triple(q.subject, q.predicate, q.object)
               for q in reference_oxigraph.quads_for_pattern(dataset, None, None)}
    assert ours == curated and len(ours) == 7


def test_columns_in_any_order_with_a_bom_and_blank_lines(tmp_path: Path,
                                                         reference: Reference) -> None:
    path = tmp_path / "reordered.csv"
    path.write_text("\ufeffscore,source,jurisdiction,system,indicator,year,comment\n\n"
                    f"77.0,{BASQUE},ES21,mipex-r,overall,,\n", encoding="utf-8")
    rows = read_score_rows(path, reference)
    assert [(r.row, r.jurisdiction_code, r.score, r.year) for r in rows] == [
        (3, "ES21", "77.0", None)]


def test_the_observations_pass_the_project_shapes(tmp_path: Path, reference_dump: bytes) -> None:
    """Validated with the ontology and the curated data, as the load gate does."""
    shacl = pytest.importorskip("mipex_kg.graph.shacl")
    validation = pytest.importorskip("mipex_kg.loaders.validation")
    path = write(tmp_path, HEADER, f"ES21,mipex-r,overall,2020,77,,{BASQUE}",
                 f"PT20,mipex-r,area-education,,40,a comment,{BASQUE}")
    store = ox.Store()
    store.load(reference_dump, ox.RdfFormat.N_QUADS)
    triples = load_scores_csv(path, Reference.from_store(store))
    graph = ox.NamedNode("https://w3id.org/mipex-kg/graph/test-scores")
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    ours = {t.subject for t in triples}
    report = shacl.validate(store, validation.project_constraints())
    assert [str(r) for r in report.results if r.focus_node in ours] == []


# -- malformed input: every problem names its row ----------------------------------------


@pytest.mark.parametrize(
    ("lines", "place", "fragment"),
    [
        pytest.param([HEADER, f"XX99,mipex-r,overall,,77,,{BASQUE}"], "row 2",
                     "unknown jurisdiction 'XX99'", id="unknown-jurisdiction"),
        pytest.param([HEADER, f"ES22,mipex-r,overall,,77,,{BASQUE}"], "row 2",
                     "unknown jurisdiction 'ES22'", id="region-not-curated"),
        pytest.param(["jurisdiction,system,indicator,year,comment,source",
                      f"ES21,mipex-r,overall,,,{BASQUE}"], "row 1",
                     "missing column 'score'", id="missing-column"),
        pytest.param([HEADER + ",extra", f"ES21,mipex-r,overall,,77,,{BASQUE},x"], "row 1",
                     "unexpected column 'extra'", id="unexpected-column"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,,seventy-seven,,{BASQUE}"], "row 2",
                     "score 'seventy-seven' is not a number", id="score-not-a-number"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,,NaN,,{BASQUE}"], "row 2",
                     "not a finite number", id="score-nan"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,,100.5,,{BASQUE}"], "row 2",
                     "score 100.5 is out of range", id="score-above-100"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,,-1,,{BASQUE}"], "row 2",
                     "score -1 is out of range", id="score-below-0"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,,,,{BASQUE}"], "row 2",
                     "empty score", id="score-empty"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,2021,77,,{BASQUE}",
                      f"AT13,mipex-r,overall,2021,80,,{BASQUE}",
                      f"ES21,mipex-r,overall,2021,78,,{BASQUE}"], "row 4",
                     "duplicate of row 2", id="duplicate-row"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,,77,,{BASQUE}",
                      f"ES21,mipex-r,overall,,77,,{BASQUE}"], "row 3",
                     "duplicate of row 2", id="duplicate-row-without-year"),
        pytest.param([HEADER, f"ES21,mipex-z,overall,,77,,{BASQUE}"], "row 2",
                     "unknown indicator system 'mipex-z'", id="unknown-system"),
        pytest.param([HEADER, f"ES21,mipex-r,area-sport,,77,,{BASQUE}"], "row 2",
                     "unknown indicator 'area-sport'", id="unknown-mipex-r-indicator"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,21,77,,{BASQUE}"], "row 2",
                     "year '21' is not a year", id="bad-year"),
        pytest.param([HEADER, "ES21,mipex-r,overall,,77,,not an iri"], "row 2",
                     "is not an IRI", id="source-not-an-iri"),
        pytest.param([HEADER, f"ES21,mipex-r,overall,,77,,{ID}publication/nowhere"], "row 2",
                     "unknown source", id="source-not-a-known-publication"),
        pytest.param([HEADER, "ES21,mipex-r,overall,,77"], "row 2",
                     "has 5 fields, the header has 7", id="short-row"),
        pytest.param([""], "row 1", "no header row", id="blank-first-line"),
    ],
)
def test_malformed_csv_is_refused_naming_the_row(tmp_path: Path, reference: Reference,
                                                 lines: list[str], place: str,
                                                 fragment: str) -> None:
    path = write(tmp_path, *lines)
    with pytest.raises(LoadError) as raised:
        load_scores_csv(path, reference)
    problems = raised.value.problems
    assert any(p.file == "scores.csv" and p.place == place and fragment in p.message
               for p in problems), [str(p) for p in problems]


def test_two_publications_may_report_the_same_score(tmp_path: Path,
                                                    reference: Reference) -> None:
    """Each in its own data set: not a duplicate (Data Cube IC-12 holds per data set)."""
    path = write(tmp_path, HEADER, f"ES21,mipex-r,overall,2021,77,,{BASQUE}",
                 f"ES21,mipex-r,overall,2021,78,,{EVIDENCE}")
    rows = read_score_rows(path, reference)
    assert len({r.node for r in rows}) == 2
    datasets = {t.object for t in load_scores_csv(path, reference) if t.predicate == QB.dataSet}
    assert datasets == {n("dataset/reported/integration-diverse-basque-country-mipex-r"),
                        n("dataset/reported/production-of-evidence-migrant-integration-policy-eu")}


def test_every_problem_of_the_file_is_reported_at_once(tmp_path: Path,
                                                       reference: Reference) -> None:
    path = write(tmp_path, HEADER,
                 f"XX99,mipex-r,overall,,77,,{BASQUE}",
                 f"ES21,mipex-r,overall,,abc,,{BASQUE}",
                 f"AT13,mipex-r,overall,2019,101,,{BASQUE}",
                 f"PT20,mipex-r,overall,,50,,{BASQUE}")
    with pytest.raises(LoadError) as raised:
        load_scores_csv(path, reference)
    assert [p.place for p in raised.value.problems] == ["row 2", "row 3", "row 4"]
    assert "row 3" in str(raised.value)


def test_a_row_with_several_faults_reports_each(tmp_path: Path, reference: Reference) -> None:
    path = write(tmp_path, HEADER, "XX99,mipex-r,overall,3000,abc,,not an iri")
    with pytest.raises(LoadError) as raised:
        load_scores_csv(path, reference)
    messages = " | ".join(p.message for p in raised.value.problems)
    for fragment in ("unknown jurisdiction", "year '3000'", "not a number", "not an IRI"):
        assert fragment in messages


def test_empty_file_is_refused(tmp_path: Path, reference: Reference) -> None:
    path = tmp_path / "scores.csv"
    path.write_bytes(b"")
    with pytest.raises(LoadError, match="row 1: the file is empty"):
        load_scores_csv(path, reference)


def test_not_utf8_is_refused(tmp_path: Path, reference: Reference) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\nES21,mipex-r,overall,,77,Año,x\n").encode("latin-1"))
    with pytest.raises(LoadError, match="not UTF-8"):
        load_scores_csv(path, reference)
