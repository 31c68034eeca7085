"""Fixtures of the named-query tests: the fixture graph (read-only, built once)."""

from __future__ import annotations

import pytest

from mipex_kg.api.query_registry import QueryRegistry
from mipex_kg.graph.store import KnowledgeStore

from tests.queries.fixture_graph import build_fixture_store


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory: pytest.TempPathFactory,
                  reference_dump: bytes) -> KnowledgeStore:
    """Reference data plus the tiny workbook; tests must not write to it."""
    return build_fixture_store(tmp_path_factory.mktemp("fixture-graph"), reference_dump)


@pytest.fixture(scope="session")
def registry() -> QueryRegistry:
    return QueryRegistry.load()
