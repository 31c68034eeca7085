"""RDF Data Cube integrity: the spec editor's fixtures, the whole store, IC-12 both ways."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.publish.cube import (
    CONSTRAINTS,
    check_cube,
    ic12_pairwise,
    integrity_report,
    normalised_copy,
    run_constraints,
)

from tests.conftest import CONFORMANCE

FIXTURES = CONFORMANCE / "datacube" / "ukgovld-test-fixtures"
ID = "https://w3id.org/mipex-kg/id/"

# The editor's own test table (UKGovLD/publishing-statistical-data, TestWF.java): for each
# constraint, fixture files that must pass it and combinations that must fail it.
CASES = [
    ("IC-1", ["abbrv-cube.ttl"], True),
    ("IC-1", ["abbrv-cube.ttl", "missing-ds.ttl"], False),
    ("IC-1", ["abbrv-cube.ttl", "extra-ds.ttl"], False),
    ("IC-2", ["abbrv-cube.ttl"], True),
    ("IC-2", ["abbrv-cube.ttl", "missing-dsd.ttl"], False),
    ("IC-2", ["abbrv-cube.ttl", "extra-dsd.ttl"], False),
    ("IC-3", ["abbrv-cube.ttl"], True),
    ("IC-3", ["missing-measure.ttl"], False),
    ("IC-4", ["abbrv-cube.ttl"], True),
    ("IC-4", ["missing-range.ttl"], False),
    ("IC-5", ["abbrv-cube.ttl"], True),
    ("IC-5", ["missing-codelist.ttl"], False),
    ("IC-6", ["abbrv-cube.ttl"], True),
    ("IC-6", ["bad-component-required.ttl"], False),
    ("IC-7", ["abbrv-cube.ttl"], True),
    ("IC-7", ["bad-slicekey.ttl"], False),
    ("IC-8", ["abbrv-cube.ttl"], True),
    ("IC-8", ["bad-slicekey2.ttl"], False),
    ("IC-9", ["abbrv-cube.ttl"], True),
    ("IC-9", ["missing-slicekey.ttl"], False),
    ("IC-9", ["duplicate-slicekey.ttl"], False),
    ("IC-10", ["abbrv-cube.ttl"], True),
    ("IC-10", ["abbrv-cube.ttl", "missing-slicedim.ttl"], False),
    ("IC-11", ["abbrv-cube.ttl"], True),
    ("IC-11", ["abbrv-cube.ttl", "missing-obs-dim-value.ttl"], False),
    ("IC-12", ["abbrv-cube.ttl"], True),
    ("IC-12", ["abbrv-cube.ttl", "duplicate-observation.ttl"], False),
    ("IC-13", ["abbrv-cube.ttl"], True),
    ("IC-13", ["abbrv-cube.ttl", "missing-required-attr.ttl"], False),
    ("IC-14", ["abbrv-cube.ttl"], True),
    ("IC-14", ["abbrv-cube.ttl", "missing-measure-on-obs.ttl"], False),
    ("IC-14", ["mt-cube.ttl"], True),
    ("IC-15", ["mt-cube.ttl"], True),
    ("IC-15", ["mt-cube.ttl", "mt-missing-measure.ttl"], False),
    ("IC-16", ["mt-cube.ttl"], True),
    ("IC-16", ["mt-cube.ttl", "mt-extra-measure.ttl"], False),
    ("IC-17", ["mt-cube.ttl"], True),
    ("IC-17", ["mt-cube-3-measures.ttl"], True),
    ("IC-17", ["mt-cube-with-missing-points.ttl"], False),
    ("IC-18", ["abbrv-cube.ttl"], True),
    ("IC-18", ["abbrv-cube.ttl", "observation-bad-dataset.ttl"], False),
    ("IC-19", ["abbrv-cube.ttl", "codelist-complete.ttl"], True),
    ("IC-19", ["abbrv-cube.ttl", "codelist-partial.ttl"], False),
    ("IC-19", ["abbrv-cube.ttl", "collection-complete.ttl"], True),
    ("IC-19", ["abbrv-cube.ttl", "collection-partial.ttl"], False),
    ("IC-20", ["abbrv-cube.ttl", "hierarchy-good.ttl"], True),
    ("IC-20", ["abbrv-cube.ttl", "hierarchy-good-multiroot.ttl"], True),
    ("IC-20", ["abbrv-cube.ttl", "hierarchy-bad.ttl"], False),
    ("IC-21", ["abbrv-cube.ttl", "hierarchy-good-inverse.ttl"], True),
    ("IC-21", ["abbrv-cube.ttl", "hierarchy-bad-inverse.ttl"], False),
]


def _fixture_store(files: list[str]) -> ox.Store:
    store = ox.Store()
    for name in files:  # each file in a graph of its own: the check sees their union
        store.load(path=str(FIXTURES / name), format=ox.RdfFormat.TURTLE,
                   to_graph=ox.NamedNode(f"urn:fixture:{name}"))
    return store


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"no fixtures in {FIXTURES}")
@pytest.mark.parametrize(("constraint", "files", "passes"), CASES,
                         ids=[f"{c}-{'+'.join(f.removesuffix('.ttl') for f in fs)}"
                              for c, fs, _ in CASES])
def test_the_checker_agrees_with_the_spec_editors_fixtures(constraint: str, files: list[str],
                                                          passes: bool) -> None:
    report = integrity_report(_fixture_store(files), only=[constraint])
    found = report.violations[constraint]
    assert (not found) == passes, "\n".join(v.describe() for v in found)


def test_every_constraint_has_a_bad_fixture_it_catches() -> None:
    caught = {c for c, _, passes in CASES if not passes}
    assert caught == {c.id for c in CONSTRAINTS}


def test_violations_name_the_offending_node_and_value() -> None:
    report = integrity_report(_fixture_store(["abbrv-cube.ttl", "duplicate-observation.ttl",
                                              "missing-obs-dim-value.ttl"]),
                              only=["IC-11", "IC-12"])
    text = report.to_text()
    assert "IC-11" in text and "http://example.com/abbrv-cube/y1x4" in text
    assert "IC-12" in text and "2 observations share the dimension values" in text
    assert not report.conforms


@pytest.fixture
def swedish_sample(real_store: KnowledgeStore, reference_store: KnowledgeStore) -> ox.Store:
    """The reference data and Sweden's 2019 scores from the real store, normalised."""
    sample = ox.Store()
    sample.bulk_load(reference_store.oxigraph.dump(format=ox.RdfFormat.N_QUADS),
                     ox.RdfFormat.N_QUADS)
    picked = real_store.query(
        f"CONSTRUCT {{ ?obs ?p ?o }} WHERE {{ ?obs qb:dataSet <{ID}edition/mipex-2020> ; "
        f"mkg:jurisdiction <{ID}country/SWE> ; mkg:refPeriod <{ID}period/2019> ; ?p ?o }}")
    sample.bulk_load(picked.serialize(format=ox.RdfFormat.N_TRIPLES) or b"",
                     ox.RdfFormat.N_TRIPLES)
    normalised, _ = normalised_copy(sample)
    return normalised


def test_the_whole_loaded_store_passes_ic1_to_ic21(real_store: KnowledgeStore) -> None:
    mark = time.perf_counter()
    text, conforms = check_cube(real_store)
    seconds = time.perf_counter() - mark
    print(f"\ncube check on the full store: {seconds:.2f} s\n{text}")
    assert conforms, text
    for constraint in CONSTRAINTS:
        assert f"{constraint.id} " in text


def test_a_duplicate_and_a_missing_dimension_in_real_data_are_reported(
        swedish_sample: ox.Store) -> None:
    scratch = swedish_sample
    assert run_constraints(scratch).conforms
    original = ox.NamedNode(f"{ID}score/mipex-2020/SWE/2019/aa1")
    copy = ox.NamedNode(f"{ID}score/test/duplicate")
    lacking = ox.NamedNode(f"{ID}score/test/no-period")
    for quad in list(scratch.quads_for_pattern(original, None, None)):
        scratch.add(ox.Quad(copy, quad.predicate, quad.object, quad.graph_name))
        if quad.predicate.value != "https://w3id.org/mipex-kg/def#refPeriod":
            scratch.add(ox.Quad(lacking, quad.predicate, quad.object, quad.graph_name))
    report = run_constraints(scratch, only=["IC-11", "IC-12"])
    assert {v.focus for v in report.violations["IC-11"]} == {str(lacking)}
    duplicates = report.violations["IC-12"]
    assert len(duplicates) == 1 and duplicates[0].value == "2"
    assert duplicates[0].focus in (str(original), str(copy))


def test_ic12_aggregate_and_pairwise_agree_on_real_observations(
        swedish_sample: ox.Store) -> None:
    clean = swedish_sample
    assert not run_constraints(clean, only=["IC-12"]).violations["IC-12"]
    assert ic12_pairwise(clean) is False
    original = ox.NamedNode(f"{ID}score/mipex-2020/SWE/2019/aa1")
    for quad in list(clean.quads_for_pattern(original, None, None)):
        clean.add(ox.Quad(ox.NamedNode(f"{ID}score/test/dup"), quad.predicate, quad.object))
    assert len(run_constraints(clean, only=["IC-12"]).violations["IC-12"]) == 1
    assert ic12_pairwise(clean) is True


def test_validate_cube_on_the_command_line(tmp_path: Path) -> None:
    from mipex_kg.loaders.pipeline import Loader

    store = KnowledgeStore(tmp_path / "store")
    Loader(store).load_reference_data()
    store.flush()
    del store
    result = subprocess.run([sys.executable, "-m", "mipex_kg.cli", "validate", "--cube",
                             "--store", str(tmp_path / "store")],
                            check=False, capture_output=True, text=True, timeout=120)
    assert "RDF Data Cube integrity" in result.stdout, result.stderr
    assert "IC-12" in result.stdout and "IC-21" in result.stdout
