"""A service killed with SIGKILL leaves its workers' snapshots; the next one removes them.

Real ``mipex-kg serve`` processes on 127.0.0.1 over a small store folder, with their
own temporary folder (``TMPDIR``), where the query engine keeps its snapshots.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mipex_kg.engine.pool import SNAPSHOT_FOLDER_PREFIX
from mipex_kg.graph.store import KnowledgeStore

from tests.faults.processes import SIGKILLED, service

pytestmark = pytest.mark.faults


def snapshot_folders(temp: Path) -> list[Path]:
    return sorted(temp.glob(f"{SNAPSHOT_FOLDER_PREFIX}*"))


def test_the_next_service_removes_the_snapshots_of_a_killed_one(tmp_path: Path) -> None:
    store = KnowledgeStore(tmp_path / "store")
    store.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> "
                 "<http://example.org/p> 1 } }")
    store.close()
    temp = tmp_path / "temp"
    temp.mkdir()
    with service(tmp_path / "store", temp / "first.log") as first:
        assert first.select("SELECT ?o { <http://example.org/s> ?p ?o }") == [{"o": "1"}]
        left = snapshot_folders(temp)
        assert len(left) == 1 and list(left[0].glob("snapshot-*.nq"))
        first.process.kill()
        assert first.process.wait(timeout=30) == SIGKILLED
    assert snapshot_folders(temp) == left  # a killed process cleans up nothing
    with service(tmp_path / "store", temp / "second.log") as second:
        assert second.select("SELECT ?o { <http://example.org/s> ?p ?o }") == [{"o": "1"}]
        now = snapshot_folders(temp)
        assert len(now) == 1 and now != left
    assert snapshot_folders(temp) == []  # stopped gracefully: its folder is gone too
