"""Shared fixtures: paths to ../shared, a store with the reference data, the real store.

The real workbooks are loaded once per session (``real_store``); tests that need them
are skipped with a clear reason when ../shared/data is absent.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.bootstrap import crosswalk_after, recompute_after
from mipex_kg.loaders.pipeline import Loader, LoadReport

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MIPEX_DATA = SHARED / "data" / "mipex"
CORE_WORKBOOK = MIPEX_DATA / "mipex_core_2007-2019.xlsx"
EU_WORKBOOK = MIPEX_DATA / "mipex_EU_2020-2024.xlsx"
EDITION_2015_WORKBOOK = MIPEX_DATA / "policy_indicators_finalwebsite.xlsx"
CONFORMANCE = SHARED / "conformance"

#: The slow parts, each a marker; every test with one of them is also marked ``slow``, so
#: ``pytest -m "not slow"`` is the quick subset while working (CI runs everything).
SLOW_MARKERS = ("realdata", "live", "browser", "engines", "faults")
#: Fixtures that start another SPARQL engine (``oxigraph serve``, Virtuoso).
ENGINE_FIXTURES = {"standin", "allowed_endpoint", "virtuoso_server", "oxigraph_server",
                   "oxigraph_base"}
#: Helpers of tests/api/live.py that start the service under uvicorn on 127.0.0.1.
LIVE_HELPERS = ("live_server", "serving", "LiveServer")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what a test needs, read from what it uses: the real workbooks (the
    ``real_load`` fixture), a live server (a module that uses tests/api/live.py's helpers,
    or a fixture that does), another engine; then ``slow`` for any of the slow markers."""
    from tests.api import live

    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        module = getattr(item, "module", None)
        if "real_load" in fixtures:
            item.add_marker(pytest.mark.realdata)
        if fixtures & ENGINE_FIXTURES:
            item.add_marker(pytest.mark.engines)
        if any(getattr(module, name, None) is getattr(live, name) for name in LIVE_HELPERS) \
                or fixtures & ENGINE_FIXTURES or "running_service" in fixtures:
            item.add_marker(pytest.mark.live)
        if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def reference_dump() -> bytes:
    """The ontology and curated graphs, loaded once, as N-Quads."""
    store = KnowledgeStore()
    Loader(store).load_reference_data()
    return store.dump(None, ox.RdfFormat.N_QUADS) or b""


@pytest.fixture
def reference_store(reference_dump: bytes) -> KnowledgeStore:
    """A fresh in-memory store holding only the ontology and the curated graphs."""
    store = KnowledgeStore()
    store.oxigraph.load(reference_dump, ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="session")
def real_load(reference_dump: bytes) -> tuple[KnowledgeStore, list[LoadReport]]:
    """The official workbooks (2007-2019, 2020-2024 and the 2015 edition) loaded into one
    in-memory store, once per session."""
    if not all(p.is_file() for p in (CORE_WORKBOOK, EU_WORKBOOK, EDITION_2015_WORKBOOK)):
        pytest.skip(f"the official workbooks are not in {MIPEX_DATA}")
    store = KnowledgeStore()
    store.oxigraph.load(reference_dump, ox.RdfFormat.N_QUADS)
    loader = Loader(store)
    reports = [loader.load_workbook(CORE_WORKBOOK), loader.load_workbook(EU_WORKBOOK),
               loader.load_workbook(EDITION_2015_WORKBOOK)]
    # as `mipex-kg load` and `serve` do: recomputed scores and the crosswalk sit beside
    # the published ones, so every test over the real store sees what a user sees
    assert recompute_after(store, reports)
    assert crosswalk_after(store, reports)
    return store, reports


@pytest.fixture(scope="session")
def real_store(real_load: tuple[KnowledgeStore, list[LoadReport]]) -> KnowledgeStore:
    return real_load[0]
