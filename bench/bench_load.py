"""Benchmark of loading the official workbooks, and of SHACL validation.

    python bench/bench_load.py [--data ../shared/data/mipex] [--runs 3] [--pyshacl] [--full]

``--full`` (only this part): the first load of both workbooks into a fresh store on
disk, as ``mipex-kg load`` does it (reference data, both workbooks, the gate, the
snapshot, the recomputation), against a raw ``bulk_load`` of the quads it produced
into a fresh on-disk store; the two alternate within one run, and the ratio is the
median of the per-run ratios (the machine is shared: only ratios compare).

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

FILES = ("mipex_core_2007-2019.xlsx", "mipex_EU_2020-2024.xlsx")


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


def full_load(data: Path, folder: Path) -> dict[str, float]:
    """Both workbooks into a fresh on-disk store, gate and recompute included; seconds."""
    from mipex_kg.loaders.bootstrap import recompute_after

    mark = time.perf_counter()
    store = KnowledgeStore(folder / "store")
    loader = Loader(store)
    with store.batch():
        reports = loader.load_reference_data()
        reports += [loader.load_workbook(data / name) for name in FILES]
        recompute_after(store, reports)
        persist = time.perf_counter()
    total = time.perf_counter() - mark
    store.close()
    steps = {"total": total, "snapshot": total - (persist - mark)}
    for step in ("parse", "build", "validate", "commit"):
        steps[step] = sum(r.seconds.get(step, 0.0) for r in reports)
    return steps


def raw_bulk_load(folder: Path) -> float:
    """Seconds to bulk-load the quads of ``folder/store`` into a fresh on-disk store."""
    source = ox.Store.read_only(str(folder / "store"))
    nquads = source.dump(format=ox.RdfFormat.N_QUADS)
    del source
    mark = time.perf_counter()
    target = ox.Store(str(folder / "raw"))
    target.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    target.flush()
    del target
    return time.perf_counter() - mark


def full_comparison(data: Path, runs: int) -> None:
    full, raw = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            full.append(full_load(data, Path(folder)))
            raw.append(raw_bulk_load(Path(folder)))
    ratios = [f["total"] / r for f, r in zip(full, raw)]
    steps = ", ".join(f"{s} {statistics.median(f[s] for f in full):.2f} s"
                      for s in ("parse", "build", "validate", "commit", "snapshot"))
    print(f"full load of {' + '.join(FILES)} (gate, snapshot and recompute included), "
          f"median of {runs}: {statistics.median(f['total'] for f in full):.2f} s ({steps}); "
          f"raw bulk_load of its quads into a fresh on-disk store: {statistics.median(raw):.2f} s; "
          f"ratio {statistics.median(ratios):.2f}x (per run: "
          + ", ".join(f"{x:.2f}" for x in ratios) + ")")


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
    parser.add_argument("--full", action="store_true",
                        help="only the full load of both workbooks against a raw bulk load")
    args = parser.parse_args()
    if args.full:
        full_comparison(args.data, args.runs)
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        return
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
