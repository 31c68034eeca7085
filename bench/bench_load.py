"""Benchmark of loading the official workbooks (2007-2019, 2020-2024 and the MIPEX 2015
edition, side by side in one run), and of SHACL validation.

    python bench/bench_load.py [--data ../shared/data/mipex] [--runs 3] [--pyshacl]
    python bench/bench_load.py --full [--runs 3] [--against OTHER_VENV/bin/python]

``--full`` (only this part): the ratio issue #13 sets a goal for. Loading both 2020
workbooks into a fresh store on disk as a first start does it (``ensure_loaded``:
reference data, both workbooks: parse, build, gate, commit; the recomputation; the
snapshot on disk),
in a process of its own, against a raw ``bulk_load`` of the quads it produced into a
fresh on-disk store, right after, in this process: the ratio of the two, per run,
and its median. With ``--against``, the same full load with that interpreter's
mipex-kg (e.g. a venv holding main) takes turns with this checkout's in every run,
each against its own raw load, so that before and after compare in one run. CPU
seconds (every thread, user and system) of both are given too, with their ratio: on
a machine whose other jobs hold a core, a load that overlaps work on two threads
waits for the core, and the CPU ratio moves less with the other jobs than the wall one.

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
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph.shacl import validate
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.pipeline import Loader
from mipex_kg.loaders.validation import project_constraints, shapes_text

FILES = ("mipex_core_2007-2019.xlsx", "mipex_EU_2020-2024.xlsx", "policy_indicators_finalwebsite.xlsx")
#: What ``--full`` loads: the two workbooks of the 2020 edition.
FULL_FILES = FILES[:2]


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
    """Both 2020 workbooks into a fresh store at ``folder/store``, as a first start does it.

    ``ensure_loaded`` (what ``mipex-kg serve`` runs on an empty store) on a folder that
    holds links to the two workbooks; seconds of the whole and of the loaders' steps.
    """
    from mipex_kg.loaders.bootstrap import ensure_loaded

    workbooks = folder / "workbooks"
    workbooks.mkdir()
    for name in FULL_FILES:
        (workbooks / name).symlink_to((data / name).resolve())
    mark, cpu_mark = time.perf_counter(), cpu_seconds()
    store = KnowledgeStore(folder / "store")
    reports = ensure_loaded(store, workbooks)
    store.close()
    steps = {"total": time.perf_counter() - mark, "cpu": cpu_seconds() - cpu_mark}
    for step in ("parse", "build", "validate", "commit"):
        steps[step] = sum(r.seconds.get(step, 0.0) for r in reports)
    steps["recompute and snapshot"] = steps["total"] - sum(
        steps[s] for s in ("parse", "build", "validate", "commit"))
    return steps


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raw_bulk_load(folder: Path) -> tuple[float, float, int]:
    """Seconds and CPU seconds to bulk-load the quads of ``folder/store`` into a fresh
    on-disk store; quads."""
    source = ox.Store.read_only(str(folder / "store"))
    nquads = source.dump(format=ox.RdfFormat.N_QUADS)
    count = len(source)
    del source
    mark, cpu_mark = time.perf_counter(), cpu_seconds()
    target = ox.Store(str(folder / "raw"))
    target.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    target.flush()
    del target
    return time.perf_counter() - mark, cpu_seconds() - cpu_mark, count


def full_comparison(data: Path, runs: int, against: str | None) -> None:
    """``--full``: every run, each interpreter's full load (own process), then its raw load."""
    import json
    import subprocess

    pythons = {"this": sys.executable, **({"against": against} if against else {})}
    found: dict[str, list[dict[str, float]]] = {name: [] for name in pythons}
    for run in range(runs):
        order = list(pythons) if run % 2 == 0 else list(reversed(pythons))
        for name in order:
            with tempfile.TemporaryDirectory() as folder:
                done = subprocess.run([pythons[name], __file__, "--data", str(data),
                                       "--full-once", folder],
                                      capture_output=True, text=True, check=True)
                steps = json.loads(done.stdout.strip().splitlines()[-1])
                steps["raw"], steps["raw cpu"], steps["quads"] = raw_bulk_load(Path(folder))
                steps["ratio"] = steps["total"] / steps["raw"]
                steps["cpu ratio"] = steps["cpu"] / steps["raw cpu"]
                found[name].append(steps)
                print(f"run {run + 1} {name}: " + ", ".join(f"{k} {v:.2f}" for k, v in
                                                           steps.items()), file=sys.stderr)
    for name, results in found.items():
        median = {k: statistics.median(r[k] for r in results) for k in results[0]}
        print(f"{name} ({pythons[name]}): full load of {' + '.join(FULL_FILES)} into a fresh "
              f"store on disk, median of {runs}: {median['total']:.1f} s (parse "
              f"{median['parse']:.1f}, build {median['build']:.1f}, validate "
              f"{median['validate']:.1f}, commit {median['commit']:.1f}, recompute and "
              f"snapshot {median['recompute and snapshot']:.1f}); raw bulk_load "
              f"of its {int(median['quads']):,} quads {median['raw']:.1f} s; ratio "
              f"{median['ratio']:.2f}x (per run: "
              + ", ".join(f"{r['ratio']:.2f}" for r in results) + "); CPU seconds "
              f"{median['cpu']:.1f} against {median['raw cpu']:.1f}, ratio "
              f"{median['cpu ratio']:.2f}x (per run: "
              + ", ".join(f"{r['cpu ratio']:.2f}" for r in results) + ")")


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
                        help="only the full load of both 2020 workbooks against a raw bulk load")
    parser.add_argument("--against", help="with --full: another interpreter's mipex-kg too")
    parser.add_argument("--full-once", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.full_once:
        import json

        print(json.dumps(full_load(args.data, args.full_once)))
        return
    if args.full:
        full_comparison(args.data, args.runs, args.against)
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
