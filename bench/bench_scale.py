"""How the costs grow with the data: load time, memory and query latency at 1x, 2x, 4x ...

    python bench/bench_scale.py [--data ../shared/data/mipex] [--scales 1,2,4] [--queries 40]
    python bench/bench_scale.py --latency-only [--scales 1,2,4,6,8,10] [--queries 40]

At scale k the store holds the real data (reference data and both 2020 workbooks)
and k-1 synthetic copies of its country-years: copy j of each workbook graph holds
every published score and reference period of the workbook with the years moved
(copy 1 by -19: ``score/mipex-2020/SWE/2019/g`` -> ``score/mipex-2020/SWE/2000/g``,
period 2019 -> 2000; see ``offset``), so the store has k times the country-years, each with its own
observations, and the recomputation has k times the composites. The copies go
through the real load path (``Loader.commit``: provenance, the validation gate with
the workbook's concepts as context, the graph replacement), then the recomputation,
then the snapshot on disk, all in one ``with store.batch()`` as ``mipex-kg load``.

Each scale runs in its own process, which reports:

* load: seconds for everything above, into a fresh folder on disk, and the ratio
  to a raw ``bulk_load`` of the resulting quads into a fresh on-disk store (the same
  process, right after: Oxigraph's own cost for that data);
* memory: the process's peak RSS while loading;
* query latency: the median over ``--queries`` variants of each of
  ``bench_sparql.QUERIES``, by pyoxigraph in process over an in-memory copy of the
  loaded store, as the service's query workers hold it (the variants use the real
  years, so ``ranking`` and ``provenance`` find the same answers at every scale while
  ``area-averages`` reads every score);
* write: median seconds to write a new 100-triple graph into the store on disk
  (``KnowledgeStore.replace_graph``, in place; bench/bench_write.py does it over HTTP).

Costs that grow linearly show a constant per-quad figure across the table.

``--latency-only`` skips the load path for a quick curve of query latency alone: one
real load at 1x, then per scale an in-memory store with that data and the k-1 copies
(``copy_of``) bulk-loaded, without the gate or the recomputation (so the composites
are not copied), each scale in its own process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import raw_bulk_load
from bench_sparql import QUERIES, variants

from mipex_kg.graph.iris import workbook_graph
from mipex_kg.graph.namespaces import ID
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.pipeline import GraphLoad, Loader, LoadReport, _bytes_source
from mipex_kg.loaders.recompute import recompute_store

FILES = ("mipex_core_2007-2019.xlsx", "mipex_EU_2020-2024.xlsx")
SCORE, PERIOD = ID + "score/", ID + "period/"
YEAR = ox.NamedNode("https://w3id.org/mipex-kg/def#year")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
#: The graphs the two 2020 workbooks load into (``--latency-only`` copies them).
WORKBOOK_GRAPHS = tuple(workbook_graph(Path(name)).value for name in FILES)


def shifted(term: ox.NamedNode | ox.Literal | ox.BlankNode, years: int
            ) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """A score or period IRI with its year moved by ``years``; any other term as it is."""
    if isinstance(term, ox.NamedNode) and term.value.startswith((SCORE, PERIOD)):
        parts = term.value.split("/")
        parts = [str(int(p) + years) if len(p) == 4 and p.isdigit() else p for p in parts]
        return ox.NamedNode("/".join(parts))
    return term


def offset(number: int) -> int:
    """Years copy ``number`` moves by: the real years are 2007-2024 and the shapes allow
    1900-2100, so copies 1-5 go back 19 years each, copies 6-9 forward (at most 10x)."""
    if not 1 <= number <= 9:
        raise ValueError("the years 1900-2100 hold at most 9 copies of 2007-2024 (10x)")
    return -19 * number if number <= 5 else 19 * (number - 5)


def copy_of(quads: list[ox.Quad], number: int) -> tuple[list[ox.Triple], list[ox.Quad]]:
    """Copy ``number`` of a workbook graph: (its scores and periods moved, the concepts).

    The concepts (indicators, areas) stay in the real graph; they are the copy's
    validation context.
    """
    years = offset(number)
    triples, concepts = [], []
    for quad in quads:
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith((SCORE, PERIOD)):
            obj = quad.object
            if subject.value.startswith(PERIOD) and quad.predicate in (YEAR, LABEL):
                obj = ox.Literal(str(int(obj.value) + years), datatype=obj.datatype)
            triples.append(ox.Triple(shifted(subject, years), quad.predicate,
                                     shifted(obj, years)))
        else:
            concepts.append(quad)
    return triples, concepts


def build_store(data: Path, path: Path, scale: int) -> KnowledgeStore:
    """The real data and ``scale``-1 copies into a fresh store at ``path`` (left open)."""
    store = KnowledgeStore(path)
    loader = Loader(store)
    with store.batch():
        reports = loader.load_reference_data()
        reports += [loader.load_workbook(data / name) for name in FILES]
        for report in reports[-len(FILES):]:
            graph = ox.NamedNode(report.graph)
            quads = list(store.oxigraph.quads_for_pattern(None, None, None, graph))
            for number in range(1, scale):
                triples, concepts = copy_of(quads, number)
                name = f"{graph.value.rsplit('/', 1)[-1]}-copy-{number}"
                copy = ox.NamedNode(f"{graph.value}-copy-{number}")
                source = _bytes_source(name.encode(), name)
                loader.commit([GraphLoad(copy, triples, source, LoadReport(copy.value, name, ""),
                                         context=concepts)], name)
        recompute_store(store)
    return store


def load_at_scale(data: Path, folder: Path, scale: int, queries: int) -> dict[str, float]:
    """``build_store`` into a fresh folder, timed, then a write, the queries on an
    in-memory copy, the raw load."""
    mark = time.perf_counter()
    store = build_store(data, folder / "store", scale)
    seconds = {"load": time.perf_counter() - mark, "quads": len(store)}
    seconds["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds["write"] = small_write(store)
    nquads = store.oxigraph.dump(format=ox.RdfFormat.N_QUADS)
    store.close()
    seconds["latency"] = query_latencies(in_memory(nquads), queries)  # type: ignore[assignment]
    del nquads
    seconds["raw"] = raw_bulk_load(folder)[0]
    return seconds


def in_memory(nquads: bytes) -> ox.Store:
    """An in-memory store with ``nquads``: the data as a query worker holds it."""
    memory = ox.Store()
    memory.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    return memory


def latency_at_scale(nquads: Path, scale: int, queries: int) -> dict[str, float]:
    """``--latency-only``: the quads of a 1x load and ``scale``-1 copies of its workbook
    graphs, bulk-loaded into memory; the query latencies there."""
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    for name in WORKBOOK_GRAPHS:
        graph = ox.NamedNode(name)
        quads = list(store.quads_for_pattern(None, None, None, graph))
        for number in range(1, scale):
            copy = ox.NamedNode(f"{name}-copy-{number}")
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, copy)
                              for t in copy_of(quads, number)[0])
    return {"quads": len(store), "latency": query_latencies(store, queries)}  # type: ignore[dict-item]


def query_latencies(store: ox.Store, count: int) -> dict[str, float]:
    """Median milliseconds of ``count`` variants of each benchmark query, in process
    (the union default graph, as the service asks)."""
    medians = {}
    for name in QUERIES:
        times = []
        for text, _ in zip(variants(name), range(count), strict=False):
            mark = time.perf_counter()
            list(store.query(text, use_default_graph_as_union=True))
            times.append(time.perf_counter() - mark)
        medians[name] = 1000 * statistics.median(times)
    return medians


def small_write(store: KnowledgeStore, writes: int = 5) -> float:
    """Median seconds to write a new 100-triple graph into the store on disk.

    A warm-up write first: the first write after a load counts the store once.
    """
    times = []
    for number in range(writes + 1):
        graph = ox.NamedNode(f"https://w3id.org/mipex-kg/graph/bench-write-{number}")
        triples = [ox.Triple(ox.NamedNode(f"{ID}bench/s{i}"), ox.NamedNode(f"{ID}bench/p"),
                             ox.Literal(f"value {i}")) for i in range(100)]
        mark = time.perf_counter()
        store.replace_graph(graph, triples)
        times.append(time.perf_counter() - mark)
    return statistics.median(times[1:])


def table(rows: list[tuple[int, dict]]) -> str:
    """The curve as a Markdown table."""
    names = list(QUERIES)
    lines = ["| scale | quads | load s | raw bulk_load s | ratio | load us/quad | peak RSS MiB | "
             "RSS B/quad | " + " | ".join(f"{n} ms" for n in names) + " | 100-triple write s |",
             "|" + "---|" * (9 + len(names))]
    for scale, r in rows:
        lines.append(
            f"| {scale}x | {int(r['quads']):,} | {r['load']:.1f} | {r['raw']:.1f} | "
            f"{r['load'] / r['raw']:.2f} | {1e6 * r['load'] / r['quads']:.1f} | "
            f"{r['peak_rss_mib']:.0f} | {r['peak_rss_mib'] * 2**20 / r['quads']:.0f} | "
            + " | ".join(f"{r['latency'][n]:.1f}" for n in names) + f" | {r['write']:.2f} |")
    return "\n".join(lines)


def latency_table(rows: list[tuple[int, dict]]) -> str:
    """``--latency-only``: the curve as a Markdown table, with each latency per quad."""
    names = list(QUERIES)
    lines = ["| scale | quads | " + " | ".join(f"{n} ms (ns/quad)" for n in names) + " |",
             "|" + "---|" * (2 + len(names))]
    for scale, r in rows:
        cells = [f"{r['latency'][n]:.2f} ({1e6 * r['latency'][n] / r['quads']:.1f})"
                 for n in names]
        lines.append(f"| {scale}x | {int(r['quads']):,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/data/mipex"))
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--queries", type=int, default=40,
                        help="variants of each query timed at each scale")
    parser.add_argument("--latency-only", action="store_true",
                        help="query latency alone, on copies bulk-loaded into memory")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one scale, in this process
    parser.add_argument("--nquads", type=Path, help=argparse.SUPPRESS)  # --latency-only's 1x
    args = parser.parse_args()
    if args.one:
        if args.nquads:
            print(json.dumps(latency_at_scale(args.nquads, args.one, args.queries)))
            return
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(load_at_scale(args.data, Path(folder), args.one, args.queries)))
        return
    with tempfile.TemporaryDirectory() as folder:
        extra = []
        if args.latency_only:  # one real load, whose quads every scale starts from
            store = build_store(args.data, Path(folder) / "store", 1)
            nquads = Path(folder) / "1x.nq"
            store.oxigraph.dump(str(nquads), ox.RdfFormat.N_QUADS)
            store.close()
            extra = ["--nquads", str(nquads)]
        rows = []
        for scale in (int(s) for s in args.scales.split(",")):
            run = subprocess.run([sys.executable, __file__, "--data", str(args.data), "--one",
                                  str(scale), "--queries", str(args.queries), *extra],
                                 capture_output=True, text=True, check=True)
            rows.append((scale, json.loads(run.stdout.strip().splitlines()[-1])))
            print(f"{scale}x done: {rows[-1][1]}", file=sys.stderr)
    print(latency_table(rows) if args.latency_only else table(rows))


if __name__ == "__main__":
    main()
