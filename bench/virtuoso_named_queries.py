"""Every named query on the real data: does Virtuoso give the embedded store's rows?

    python bench/virtuoso_named_queries.py --nquads FILE [--skip ranking ...]

FILE holds the service's quads (e.g. the dump of a store made by ``mipex-kg load``
with the reference data and both 2020 workbooks, recomputed scores included). The
script loads them into an in-memory embedded store, starts a private Virtuoso as the
tests do (``tests/backends/virtuoso_server.py``: Debian's cost-estimate limit of 400 s
kept), copies every graph into it, and runs each named query that calls no other
endpoint with its parameters' examples (the dataset the service names, the text the
engine gets: ``QueryRegistry.run``) on both. Per query: seconds on Virtuoso, rows on
each, and whether the row sets are the same (literals by value and a GROUP_CONCAT's
parts in any order, as ``tests/backends/test_engine_texts.py`` compares them; here
also ``""`` as no value: ``comparable``), or Virtuoso's error.
``--skip`` leaves out queries (e.g. one Virtuoso does not finish). ``--restart``
restarts Virtuoso once the graphs are in (its cost estimator, on a database just
loaded, can estimate 10^5 times higher than after a restart). Results:
docs/backends.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mipex_kg.api.query_params import Vocabulary  # noqa: E402
from mipex_kg.api.query_registry import QueryRegistry  # noqa: E402
from mipex_kg.graph.quad_store import QuadStore  # noqa: E402
from mipex_kg.graph.remote_config import RemoteEndpoints  # noqa: E402
from mipex_kg.graph.remote_store import RemoteStore  # noqa: E402
from mipex_kg.graph.store import KnowledgeStore  # noqa: E402
from mipex_kg.settings import Settings  # noqa: E402

from tests.backends.processes import stop  # noqa: E402
from tests.backends.test_engine_texts import by_value  # noqa: E402
from tests.backends.virtuoso_server import restart_virtuoso, start_virtuoso  # noqa: E402


def comparable(term: object) -> object:
    """A term as the two engines' rows are compared: by value, a GROUP_CONCAT's parts in
    any order (``by_value``), and an empty plain string as no value. Virtuoso gives ``""`` where a ``GROUP_CONCAT`` in an
    OPTIONAL subquery had nothing to join, Oxigraph leaves the column unbound
    (docs/backends.md); no named query has an empty string as a value of its own."""
    value = by_value(term)
    return None if value == ("text", ("",)) else value


def row_list(registry: QueryRegistry, store: QuadStore, name: str, vocab: Vocabulary,
             engine: str) -> list[tuple[Any, ...]]:
    """The rows of ``name`` with its parameters' examples, sorted, compared as
    ``comparable`` says."""
    query = registry.queries[name]
    bound = query.parse_params({param: str(spec.example) for param, spec in query.params.items()
                                if spec.example is not None}, vocab)
    rows = registry.run(store, name, bound, engine=engine)
    return sorted(tuple(repr(comparable(s[c])) for c in rows.columns) for s in rows.solutions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nquads", type=Path, required=True)
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--restart", action="store_true")
    args = parser.parse_args()
    registry = QueryRegistry.load()
    embedded = KnowledgeStore()
    embedded.oxigraph.bulk_load(path=str(args.nquads), format=ox.RdfFormat.N_QUADS)
    vocab = Vocabulary.of(embedded)
    with tempfile.TemporaryDirectory() as folder:
        process, server = start_virtuoso(Path(folder))
        try:
            virtuoso = RemoteStore(RemoteEndpoints.from_settings(
                Settings(**server.settings_values())))
            for graph in embedded.named_graphs():
                virtuoso.replace_graph(graph, embedded.triples(graph))
            if args.restart:
                virtuoso.close()
                process = restart_virtuoso(process, server)
                virtuoso = RemoteStore(RemoteEndpoints.from_settings(
                    Settings(**server.settings_values())))
            print("| query | Virtuoso s | rows (embedded) | same rows |\n|---|---|---|---|")
            for name, query in sorted(registry.queries.items()):
                if query.federated or name in args.skip:
                    continue
                expected = row_list(registry, embedded, name, vocab, "")
                began = time.monotonic()
                try:
                    found = row_list(registry, virtuoso, name, vocab, virtuoso.engine_name)
                    note = f"{len(found)} ({len(expected)}) | {'yes' if found == expected else 'NO'}"
                except Exception as error:  # noqa: BLE001 - reported: the engine's refusal
                    note = f"({len(expected)}) | error: {str(error).splitlines()[0][-90:]}"
                print(f"| {name} | {time.monotonic() - began:.2f} | {note} |", flush=True)
            virtuoso.close()
        finally:
            stop(process)


if __name__ == "__main__":
    main()
