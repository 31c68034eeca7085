"""The compiled validator gives exactly pySHACL's results with the project's own shapes.

Inputs: a tiny workbook loaded with the reference data, then broken on purpose in
ways the shapes must catch. Both validators see the same union graph; their results
are compared as sets of (focus node, path, constraint component, value).
"""

from __future__ import annotations

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from mipex_kg.graph.shacl import validate
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.pipeline import Loader
from mipex_kg.loaders.validation import project_constraints, shapes_text

from tests.workbook_builder import sheet, write_workbook

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SCORE = "<https://w3id.org/mipex-kg/id/score/mipex-2020/SWE/2019/aa1>"
GRAPH = "<https://w3id.org/mipex-kg/graph/w>"
BREAKAGES = {
    "intact": "",
    "score-120": f"DELETE {{ GRAPH {GRAPH} {{ {SCORE} mkg:score ?v }} }} INSERT {{ GRAPH {GRAPH} "
                 f"{{ {SCORE} mkg:score 120.0 }} }} WHERE {{ GRAPH {GRAPH} {{ {SCORE} mkg:score ?v }} }}",
    "score-as-text": f"INSERT DATA {{ GRAPH {GRAPH} {{ {SCORE} mkg:score \"fifty\" }} }}",
    "no-jurisdiction": f"DELETE WHERE {{ GRAPH {GRAPH} {{ {SCORE} mkg:jurisdiction ?j }} }}",
    "two-periods": f"INSERT DATA {{ GRAPH {GRAPH} {{ {SCORE} mkg:refPeriod <https://w3id.org/mipex-kg/id/period/2014> }} }}",
    "no-provenance": f"DELETE WHERE {{ GRAPH {GRAPH} {{ {SCORE} prov:wasDerivedFrom ?f }} }}",
    "unknown-jurisdiction": f"DELETE {{ GRAPH {GRAPH} {{ {SCORE} mkg:jurisdiction ?j }} }} INSERT {{ GRAPH "
                            f"{GRAPH} {{ {SCORE} mkg:jurisdiction <https://w3id.org/mipex-kg/id/country/XXX> }} }} "
                            f"WHERE {{ GRAPH {GRAPH} {{ {SCORE} mkg:jurisdiction ?j }} }}",
    "indicator-without-notation": "DELETE WHERE { GRAPH ?g { <https://w3id.org/mipex-kg/id/indicator/mipex/aa1> skos:notation ?n } }",
    "bad-sha": "DELETE { GRAPH ?g { ?f mkg:sha256 ?s } } INSERT { GRAPH ?g { ?f mkg:sha256 \"xyz\" } } "
               "WHERE { GRAPH ?g { ?f a mkg:SourceFile ; mkg:sha256 ?s } }",
    # evidence-shapes.ttl: sh:targetNode with an inverse path, and the evidence classes
    "reported-untyped": "DELETE WHERE { GRAPH ?g { ?o a mkg:ReportedObservation } }",
    "reported-from-a-file": "DELETE { GRAPH ?g { ?o prov:wasDerivedFrom ?p } } INSERT { GRAPH ?g "
                            "{ ?o prov:wasDerivedFrom ?f } } WHERE { GRAPH ?g { ?o a "
                            "mkg:ReportedObservation ; prov:wasDerivedFrom ?p } "
                            "GRAPH ?h { ?f a mkg:SourceFile } }",
    "rank-zero": "DELETE { GRAPH ?g { ?r mkg:rank ?n } } INSERT { GRAPH ?g { ?r mkg:rank 0 } } "
                 "WHERE { GRAPH ?g { ?r mkg:rank 1 } }",
    "axis-without-system": "DELETE WHERE { GRAPH ?g { ?a mkg:axisOf ?s } }",
}


@pytest.fixture(scope="module")
def tiny_dump(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = write_workbook(tmp_path_factory.mktemp("eq") / "w.xlsx", {"SE": sheet()})
    store = KnowledgeStore()
    Loader(store).load_reference_data()
    Loader(store).load_workbook(path)
    return store.dump(None, ox.RdfFormat.N_QUADS) or b""


def _key(term: object) -> str:
    text = str(term)
    return text.strip("<>") if not isinstance(term, rdflib.Literal) else text


def pyshacl_results(nquads: bytes) -> set[tuple[str, str, str, str]]:
    dataset = rdflib.Dataset()
    dataset.parse(data=nquads, format="nquads")
    union = rdflib.Graph()
    for s, p, o, _g in dataset.quads():
        union.add((s, p, o))
    shapes = rdflib.Graph().parse(data=shapes_text(), format="turtle")
    _conforms, report, _text = pyshacl.validate(union, shacl_graph=shapes, inference="none")
    found = set()
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        if isinstance(path, rdflib.BNode):  # [ sh:inversePath p ], written ^p by the compiler
            path = f"^{report.value(path, SH.inversePath)}"
        value = report.value(result, SH.value)
        found.add((_key(report.value(result, SH.focusNode)), "" if path is None else _key(path),
                   _key(report.value(result, SH.sourceConstraintComponent)),
                   "" if value is None else _key(value)))
    return found


def compiled_results(store: ox.Store) -> set[tuple[str, str, str, str]]:
    found = set()
    for r in validate(store, project_constraints()).results:
        value = "" if r.value is None else r.value.value if not isinstance(r.value, ox.Literal) else r.value.value
        found.add((r.focus_node.value, r.result_path or "", r.constraint_component, value))
    return found


def _literal_text(found: set[tuple[str, str, str, str]]) -> set[tuple[str, str, str, str]]:
    return {(f, p, c, v.split("^^")[0].strip('"')) for f, p, c, v in found}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_same_results_as_pyshacl(tiny_dump: bytes, breakage: str) -> None:
    store = KnowledgeStore()
    store.oxigraph.load(tiny_dump, ox.RdfFormat.N_QUADS)
    if BREAKAGES[breakage]:
        store.update(BREAKAGES[breakage])
    nquads = store.dump(None, ox.RdfFormat.N_QUADS) or b""
    expected = _literal_text(pyshacl_results(nquads))
    actual = _literal_text(compiled_results(store.oxigraph))
    assert actual == expected
    assert (breakage == "intact") == (not actual)
