"""Reported-score CSVs through the load pipeline: reference data from the store,
provenance, the SHACL gate, atomic replacement of ``graph/reported/<stem>``.

Every malformed file must be refused naming its row, and leave the store exactly as it
was (compared as sorted N-Quads dumps); the command line exits 1 for such a file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph.namespaces import ID
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.errors import LoadError
from mipex_kg.loaders.pipeline import Loader, reported_graph

BASQUE = ID + "publication/integration-diverse-basque-country-mipex-r"
EVIDENCE = ID + "publication/production-of-evidence-migrant-integration-policy-eu"
HEADER = "jurisdiction,system,indicator,year,score,comment,source"
GRAPH = "https://w3id.org/mipex-kg/graph/reported/"



@pytest.fixture
def reference_store(any_reference_store: QuadStore) -> QuadStore:
    """Each test runs on the embedded store and on an Oxigraph server."""
    return any_reference_store

def write(folder: Path, *lines: str, name: str = "scores.csv") -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(store: KnowledgeStore) -> bytes:
    return b"\n".join(sorted((store.dump(None, ox.RdfFormat.N_QUADS) or b"").splitlines()))


def rows(store: KnowledgeStore, query: str) -> list[dict[str, str]]:
    result = store.query(query)
    names = [v.value for v in result.variables]
    return [{n: (r[n].value if r[n] is not None else None) for n in names} for r in result]


# -- a valid file ------------------------------------------------------------------------


def test_a_valid_csv_loads_with_its_source_publication(reference_store: KnowledgeStore,
                                                       tmp_path: Path) -> None:
    path = write(tmp_path, HEADER,
                 f"AT13,mipex-r,area-housing,2021,55.5,as reported,{BASQUE}",
                 f"PT20,mipex-r,overall,,61,,{EVIDENCE}", name="Reported_2024.csv")
    report = Loader(reference_store).load_scores_csv(path)
    assert report.status == "loaded" and report.observations == 2
    assert report.graph == GRAPH + "reported-2024"

    found = rows(reference_store, """
        SELECT ?g ?j ?score ?year ?pub ?title ?dataset ?status WHERE {
          GRAPH ?g { ?obs a qb:Observation, mkg:ReportedObservation ; mkg:jurisdiction ?j ;
                          mkg:score ?score ; mkg:refPeriod ?period ; qb:dataSet ?dataset ;
                          sdmx-attribute:obsStatus ?status ; prov:wasDerivedFrom ?pub .
                     ?dataset a mkg:ReportedDataSet ; dct:source ?pub ;
                              qb:structure <https://w3id.org/mipex-kg/id/dsd/mipex-scores> . }
          ?pub a mkg:Publication ; dct:title ?title .
          OPTIONAL { ?period mkg:year ?year }
          FILTER(STRSTARTS(STR(?g), "https://w3id.org/mipex-kg/graph/reported/"))
        } ORDER BY ?j""")
    assert [(r["g"], r["j"].removeprefix(ID), r["score"], r["year"], r["pub"], r["dataset"],
             r["status"]) for r in found] == [
        (GRAPH + "reported-2024", "region/AT13", "55.5", "2021", BASQUE,
         ID + "dataset/reported/integration-diverse-basque-country-mipex-r",
         ID + "status/reported"),
        (GRAPH + "reported-2024", "region/PT20", "61", None, EVIDENCE,
         ID + "dataset/reported/production-of-evidence-migrant-integration-policy-eu",
         ID + "status/reported"),
    ]
    assert found[0]["title"].startswith("Integration in a diverse Basque Country")

    # The graph carries its own provenance: the CSV file and the load that read it.
    provenance = rows(reference_store, f"""
        SELECT ?title ?format WHERE {{ GRAPH <{GRAPH}reported-2024> {{
          ?file a mkg:SourceFile ; dct:title ?title ; dct:format ?format .
          ?load a mkg:LoadActivity ; prov:used ?file ;
                mkg:targetGraph <{GRAPH}reported-2024> }} }}""")
    assert provenance == [{"title": "Reported_2024.csv", "format":
                           "http://publications.europa.eu/resource/authority/file-type/CSV"}]


def test_every_reported_score_derives_from_its_data_sets_publication(
        reference_store: KnowledgeStore, tmp_path: Path) -> None:
    """The two-step rule the shapes cannot say: obs -> data set -> dct:source = obs's origin."""
    path = write(tmp_path, HEADER, f"AT13,mipex-r,overall,,80,,{BASQUE}",
                 f"AT13,mipex-r,overall,,79,,{EVIDENCE}")
    Loader(reference_store).load_scores_csv(path)
    reported = rows(reference_store, "SELECT (COUNT(?o) AS ?n) WHERE { ?o sdmx-attribute:obsStatus "
                                     "<https://w3id.org/mipex-kg/id/status/reported> }")
    assert int(reported[0]["n"]) == 3  # the curated Basque score and the two rows
    mismatched = rows(reference_store, """
        SELECT ?o WHERE { ?o a mkg:ReportedObservation ; qb:dataSet ?d ; prov:wasDerivedFrom ?p .
                          FILTER NOT EXISTS { ?d dct:source ?p } }""")
    assert mismatched == []
    # Two publications, the same jurisdiction, indicator and period: two data sets (IC-12).
    per_dataset = rows(reference_store, """
        SELECT ?d (COUNT(?o) AS ?n) WHERE { ?o qb:dataSet ?d ; mkg:jurisdiction ?j ;
          mkg:indicator ?i ; mkg:refPeriod ?p } GROUP BY ?d ?j ?i ?p HAVING (COUNT(?o) > 1)""")
    assert per_dataset == []


def test_an_unchanged_file_is_not_loaded_again(reference_store: KnowledgeStore,
                                               tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, f"AT13,mipex-r,overall,,80,,{BASQUE}")
    loader = Loader(reference_store)
    assert loader.load_scores_csv(path).status == "loaded"
    before = snapshot(reference_store)
    again = loader.load_scores_csv(path)
    assert again.status == "unchanged" and "nothing changed" in again.summary()
    assert snapshot(reference_store) == before


def test_a_changed_file_replaces_its_graph(reference_store: KnowledgeStore,
                                           tmp_path: Path) -> None:
    loader = Loader(reference_store)
    loader.load_scores_csv(write(tmp_path, HEADER, f"AT13,mipex-r,overall,,80,,{BASQUE}"))
    loader.load_scores_csv(write(tmp_path, HEADER, f"PT20,mipex-r,overall,,40,,{BASQUE}"))
    found = rows(reference_store, f"SELECT ?j WHERE {{ GRAPH <{GRAPH}scores> "
                                  "{ ?o mkg:jurisdiction ?j } }")
    assert found == [{"j": ID + "region/PT20"}]
    assert reported_graph(tmp_path / "scores.csv").value == GRAPH + "scores"


# -- malformed files: refused, naming the row, with the store untouched -------------------


MALFORMED = {
    "unknown-jurisdiction": ([HEADER, f"AT13,mipex-r,overall,,80,,{BASQUE}",
                              f"XX99,mipex-r,overall,,77,,{BASQUE}"],
                             "row 3", "unknown jurisdiction 'XX99'"),
    "missing-column": (["jurisdiction,system,indicator,year,comment,source",
                        f"ES21,mipex-r,overall,,,{BASQUE}"], "row 1", "missing column 'score'"),
    "score-out-of-range": ([HEADER, f"ES21,mipex-r,overall,2020,101,,{BASQUE}"], "row 2",
                           "out of range"),
    "duplicate-row": ([HEADER, f"AT13,mipex-r,overall,2021,80,,{BASQUE}",
                       f"PT20,mipex-r,overall,2021,50,,{BASQUE}",
                       f"AT13,mipex-r,overall,2021,81,,{BASQUE}"], "row 4", "duplicate of row 2"),
    "text-score": ([HEADER, f"ES21,mipex-r,overall,,seventy-seven,,{BASQUE}"], "row 2",
                   "is not a number"),
    # Passes the row checks, refused by the SHACL gate: the curated evidence already
    # gives this observation (same publication, region, indicator, period) 77.
    "conflicts-with-the-curated-score": ([HEADER, f"PT20,mipex-r,overall,,50,,{BASQUE}",
                                          f"ES21,mipex-r,overall,,78,,{BASQUE}"], "row 3",
                                         "exactly one value of mkg:score"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_csv_is_refused_and_changes_nothing(reference_store: KnowledgeStore,
                                                        tmp_path: Path, case: str) -> None:
    loader = Loader(reference_store)
    # A first, valid version of the same file is in the store: it must survive.
    loader.load_scores_csv(write(tmp_path, HEADER, f"ITF3,mipex-r,overall,,66,,{EVIDENCE}"))
    before = snapshot(reference_store)
    lines, place, fragment = MALFORMED[case]
    with pytest.raises(LoadError) as raised:
        loader.load_scores_csv(write(tmp_path, *lines))
    problems = raised.value.problems
    assert any(p.file == "scores.csv" and p.place.startswith(place) and fragment in p.message
               for p in problems), [str(p) for p in problems]
    assert place in str(raised.value)
    assert snapshot(reference_store) == before


def test_two_files_cannot_give_one_observation_two_scores(reference_store: KnowledgeStore,
                                                           tmp_path: Path) -> None:
    loader = Loader(reference_store)
    loader.load_scores_csv(write(tmp_path, HEADER, f"AT13,mipex-r,overall,2021,80,,{EVIDENCE}",
                                 name="a.csv"))
    before = snapshot(reference_store)
    with pytest.raises(LoadError, match="row 2"):
        loader.load_scores_csv(write(tmp_path, HEADER,
                                     f"AT13,mipex-r,overall,2021,81,,{EVIDENCE}", name="b.csv"))
    assert snapshot(reference_store) == before
    # The same figure from another file is the same observation, and is accepted.
    assert loader.load_scores_csv(write(tmp_path, HEADER,
                                        f"AT13,mipex-r,overall,2021,80,,{EVIDENCE}",
                                        name="c.csv")).status == "loaded"


def test_a_store_without_reference_data_is_refused(tmp_path: Path) -> None:
    store = KnowledgeStore()
    with pytest.raises(LoadError, match="no reference data"):
        Loader(store).load_scores_csv(write(tmp_path, HEADER,
                                            f"ES21,mipex-r,overall,,77,,{BASQUE}"))
    assert len(store) == 0


# -- the command line --------------------------------------------------------------------


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mipex_kg.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_the_command_line_loads_a_csv_and_refuses_a_malformed_one(tmp_path: Path) -> None:
    store = tmp_path / "store"
    good = write(tmp_path, HEADER, f"AT13,mipex-r,overall,,80,,{BASQUE}", name="good.csv")
    result = run("load", "--store", store, "--quiet", good)
    assert result.returncode == 0, result.stderr
    assert "1 observations" in result.stdout and GRAPH + "good" in result.stdout

    bad = write(tmp_path, HEADER, f"AT13,mipex-r,overall,,80,,{BASQUE}",
                f"ES21,mipex-r,overall,,abc,,{BASQUE}", name="bad.csv")
    result = run("load", "--store", store, "--quiet", bad)
    assert result.returncode == 1
    assert "bad.csv, row 3" in result.stderr and "not a number" in result.stderr
    assert "Traceback" not in result.stderr

    graphs = run("graphs", "--store", store)
    assert GRAPH + "good" in graphs.stdout and GRAPH + "bad" not in graphs.stdout
