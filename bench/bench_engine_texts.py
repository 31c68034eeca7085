"""The named queries' engine-specific texts on real data: same rows? how fast?

    python bench/bench_engine_texts.py --store FOLDER

FOLDER is an embedded store holding the data, e.g. one made by
``mipex-kg load --store FOLDER --reference ../shared/data/mipex/mipex_*.xlsx``. The
script starts a private Virtuoso as the tests do (``tests/backends/virtuoso_server.py``,
its cost-estimate limit included), copies every graph of FOLDER into it, and for each
engine text of the registry (``queries/engines/virtuoso/``) prints, unbound: the
shared text on the embedded store, the engine text on Virtuoso, and the engine text
on the embedded store (rows, whether the row set is the shared text's, seconds).
Twice: with no dataset (the union of every graph, on both stores), and with the
dataset the service names (``graph/recomputed`` left out, once it exists). Rows are
compared as ``tests/backends/test_engine_texts.py`` compares them (literals by value).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mipex_kg.api.query_registry import QueryRegistry  # noqa: E402
from mipex_kg.graph.quad_store import QuadStore  # noqa: E402
from mipex_kg.graph.remote_config import RemoteEndpoints  # noqa: E402
from mipex_kg.graph.remote_store import RemoteStore  # noqa: E402
from mipex_kg.graph.store import KnowledgeStore  # noqa: E402
from mipex_kg.settings import Settings  # noqa: E402

from tests.backends.processes import stop  # noqa: E402
from tests.backends.test_engine_texts import by_value  # noqa: E402
from tests.backends.virtuoso_server import start_virtuoso  # noqa: E402


def run(registry: QueryRegistry, store: QuadStore, name: str, engine: str,
        dataset: bool) -> tuple[set[tuple[Any, ...]] | None, str]:
    """The row set of one run and how it went ("6 rows 0.94 s", or the error)."""
    began = time.monotonic()
    try:
        if dataset:
            rows = registry.run(store, name, {}, engine=engine)
            columns, solutions = rows.columns, rows.solutions
        else:
            results = store.query(registry.prepare(store, name, {}, engine=engine).sparql)
            columns, solutions = [v.value for v in results.variables], list(results)
    except Exception as error:  # noqa: BLE001  (reported, e.g. the cost estimator's refusal)
        return None, f"error: {str(error).splitlines()[0][:160]}"
    found = {tuple(by_value(s[c]) for c in columns) for s in solutions}
    return found, f"{len(solutions)} rows {time.monotonic() - began:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="embedded store folder")
    args = parser.parse_args()
    registry = QueryRegistry.load()
    texts = [(name, engine) for name, query in sorted(registry.queries.items())
             for engine in sorted(query.engine_texts)]
    embedded = KnowledgeStore(args.store, read_only=True)
    with tempfile.TemporaryDirectory() as folder:
        process, server = start_virtuoso(Path(folder))
        try:
            virtuoso = RemoteStore(RemoteEndpoints.from_settings(
                Settings(**server.settings_values())))
            began = time.monotonic()
            for graph in embedded.named_graphs():
                virtuoso.replace_graph(graph, embedded.triples(graph))
            print(f"copied {len(embedded)} quads to Virtuoso in "
                  f"{time.monotonic() - began:.0f} s")
            for name, engine in texts:
                assert engine == virtuoso.engine_name, f"no server here for {engine!r}"
                for dataset in (False, True):
                    shared, shared_note = run(registry, embedded, name, "", dataset)
                    print(f"{name} ({'dataset named' if dataset else 'no dataset'}): "
                          f"shared text, embedded: {shared_note}")
                    for label, store in (("Virtuoso", virtuoso), ("embedded", embedded)):
                        rows, note = run(registry, store, name, engine, dataset)
                        same = "same rows" if rows == shared else "OTHER ROWS"
                        print(f"  {engine} text, {label}: {note}, "
                              f"{same if rows is not None else ''}")
            virtuoso.close()
        finally:
            stop(process)


if __name__ == "__main__":
    main()
