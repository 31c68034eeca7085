"""Benchmark of loading the official workbooks (2007-2019, 2020-2024 and the MIPEX 2015
edition, side by side in one run), and of SHACL validation.

    python bench/bench_load.py [--data ../shared/data/mipex] [--runs 3] [--pyshacl]

For each workbook: the median time to parse, build the triples, validate (compiled
SHACL in Oxigraph) and commit (into a fresh store in memory and on disk), over
``--runs`` runs; the triples and observations; and, with ``--pyshacl``, pySHACL's time
on exactly the same graph (data + ontology + curated context) with the verdicts of
both validators compared. Peak memory (max RSS) of this process at the end.
Not a test: figures go in the notes, timing assertions do not go in unit tests.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph.shacl import validate
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.pipeline import Loader
from mipex_kg.loaders.validation import project_constraints, shapes_text

FILES = ("mipex_core_2007-2019.xlsx", "mipex_EU_2020-2024.xlsx", "policy_indicators_finalwebsite.xlsx")


def load_once(path: Path, on_disk: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store = KnowledgeStore(Path(folder) / "store" if on_disk else None)
        loader = Loader(store)
        loader.load_reference_data()
        report = loader.load_workbook(path)
        seconds = dict(report.seconds)
        seconds["total"] = sum(seconds.values())
        seconds["triples"], seconds["observations"] = report.triples, report.observations
        return seconds


def pyshacl_compare(path: Path) -> str:
    """pySHACL and the compiled validator on the same union graph; times and verdicts."""
    import pyshacl
    import rdflib

    store = KnowledgeStore()
    loader = Loader(store)
    loader.load_reference_data()
    loader.load_workbook(path)
    nquads = store.dump(None, ox.RdfFormat.N_QUADS) or b""
    mark = time.perf_counter()
    dataset = rdflib.Dataset()
    dataset.parse(data=nquads, format="nquads")
    union = rdflib.Graph()  # the union of all graphs, as the gate and `validate` see it
    for subject, predicate, obj, _graph in dataset.quads():
        union.add((subject, predicate, obj))
    parse_seconds = time.perf_counter() - mark
    shapes = rdflib.Graph().parse(data=shapes_text(), format="turtle")
    mark = time.perf_counter()
    conforms, report_graph, _ = pyshacl.validate(union, shacl_graph=shapes, inference="none")
    pyshacl_seconds = time.perf_counter() - mark
    mark = time.perf_counter()
    compiled = validate(store.oxigraph, project_constraints())
    compiled_seconds = time.perf_counter() - mark
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    pyshacl_results = len(list(report_graph.subjects(rdflib.RDF.type, sh.ValidationResult)))
    return (f"{path.name}: {len(union)} triples; pyshacl {pyshacl_seconds:.1f} s (+{parse_seconds:.1f} s "
            f"to parse into rdflib), conforms={conforms}, {pyshacl_results} results; compiled "
            f"{compiled_seconds:.2f} s, conforms={compiled.conforms}, {len(compiled.results)} "
            f"results; ratio {pyshacl_seconds / compiled_seconds:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mipex"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pyshacl", action="store_true")
    args = parser.parse_args()
    for name in FILES:
        path = args.data / name
        for on_disk in (False, True):
            runs = [load_once(path, on_disk) for _ in range(args.runs)]
            steps = ("parse", "build", "validate", "commit", "total")
            medians = {s: statistics.median(r.get(s, 0.0) for r in runs) for s in steps}
            where = "disk" if on_disk else "memory"
            print(f"{name} [{where}] {int(runs[0]['triples'])} triples, "
                  f"{int(runs[0]['observations'])} observations; median of {args.runs}: "
                  + ", ".join(f"{s} {v:.2f} s" for s, v in medians.items()))
        if args.pyshacl:
            print(pyshacl_compare(path))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
