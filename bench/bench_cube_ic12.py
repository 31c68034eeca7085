"""Benchmark of the Data Cube constraint IC-12 two ways, side by side in one run.

    python bench/bench_cube_ic12.py --store ./mipex-kg-store [--sizes 1 5 20 100] [--pairwise-up-to 20]

The check of ``mipex-kg validate --cube`` (publish/cube.py) finds duplicate
observations with one aggregate query per data structure definition; the
specification's own formulation compares every pair of observations of a data set.
For each n in ``--sizes``: a normalised scratch store with everything but the
observations, plus the first n observations (by IRI) of each data set; both
formulations run on it (the pairwise one only up to ``--pairwise-up-to``), and the
table shows their seconds, the ratio and whether their verdicts agree.
Not a test: figures go in the notes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.publish.cube import PROLOGUE, ic12_pairwise, normalised_copy, run_constraints


def first_observations(store: ox.Store, n: int) -> list[ox.NamedNode | ox.BlankNode]:
    """The first ``n`` observations (in IRI order) of every data set."""
    by_dataset: dict[str, list[ox.NamedNode | ox.BlankNode]] = {}
    results = store.query(PROLOGUE + "SELECT ?ds ?obs WHERE { ?obs qb:dataSet ?ds } "
                          "ORDER BY ?ds ?obs")
    assert isinstance(results, ox.QuerySolutions)
    for row in results:
        kept = by_dataset.setdefault(str(row["ds"]), [])
        if len(kept) < n:
            kept.append(row["obs"])
    return [obs for kept in by_dataset.values() for obs in kept]


def sample(scratch: ox.Store, skeleton: bytes, n: int) -> tuple[ox.Store, int]:
    """Everything but the observations, plus the first ``n`` of each data set."""
    store = ox.Store()
    store.bulk_load(skeleton, ox.RdfFormat.N_TRIPLES)
    kept = first_observations(scratch, n)
    for iri in kept:
        store.extend(scratch.quads_for_pattern(iri, None, None))
    return store, len(kept)


def measure(source: ox.Store, sizes: Sequence[int], pairwise_up_to: int) -> list[dict[str, float]]:
    scratch, _ = normalised_copy(source)
    skeleton = scratch.query(PROLOGUE + "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
                             "FILTER NOT EXISTS { ?s qb:dataSet [] } }")
    assert isinstance(skeleton, ox.QueryTriples)
    skeleton_nt = skeleton.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
    rows = []
    for n in sizes:
        store, observations = sample(scratch, skeleton_nt, n)
        mark = time.perf_counter()
        aggregate = run_constraints(store, only=["IC-12"]).violations["IC-12"]
        row = {"n": n, "observations": observations, "aggregate_s": time.perf_counter() - mark}
        if n <= pairwise_up_to:
            mark = time.perf_counter()
            pairwise = ic12_pairwise(store)
            row["pairwise_s"] = time.perf_counter() - mark
            row["agree"] = float(pairwise == bool(aggregate))
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a loaded store folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 20, 100])
    parser.add_argument("--pairwise-up-to", type=int, default=20)
    args = parser.parse_args()
    store = KnowledgeStore(args.store, read_only=True)
    print(f"{'n':>5} {'observations':>12} {'aggregate s':>12} {'pairwise s':>11} "
          f"{'pairwise/aggregate':>18} agree")
    for row in measure(store.oxigraph, args.sizes, args.pairwise_up_to):
        pairwise = row.get("pairwise_s")
        ratio = f"{pairwise / row['aggregate_s']:.1f}x" if pairwise is not None else "-"
        shown = f"{pairwise:.3f}" if pairwise is not None else "-"
        agree = {1.0: "yes", 0.0: "NO"}.get(row.get("agree", -1.0), "-")
        print(f"{row['n']:>5} {row['observations']:>12} {row['aggregate_s']:>12.3f} "
              f"{shown:>11} {ratio:>18} {agree}")


if __name__ == "__main__":
    main()
