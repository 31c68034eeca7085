"""Scratch folders of killed processes are removed by the next owner; live ones stay.

Owners are real processes (this interpreter run with ``-c``), killed with SIGKILL so
that they clean up nothing.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mipex_kg.engine.pool import SNAPSHOT_FOLDER_PREFIX
from mipex_kg.engine.scratch_folder import ScratchFolder

_OWNER = ("import sys, time; from pathlib import Path; "
          "from mipex_kg.engine.scratch_folder import ScratchFolder; "
          "folder = ScratchFolder(sys.argv[1], Path(sys.argv[2])); "
          "(folder.path / 'snapshot-1.nq').write_text('data'); "
          "print(folder.path, flush=True); time.sleep(600)")


@contextmanager
def owner(parent: Path,
          prefix: str = SNAPSHOT_FOLDER_PREFIX) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A process holding a scratch folder in ``parent``, and the folder; killed after."""
    process = subprocess.Popen([sys.executable, "-c", _OWNER, prefix, str(parent)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    with process.stdout:
        try:
            yield process, Path(process.stdout.readline().strip())
        finally:
            process.kill()
            process.wait()


def test_the_folder_of_a_killed_owner_is_removed_by_the_next(tmp_path: Path) -> None:
    with owner(tmp_path) as (process, folder):
        assert (folder / "snapshot-1.nq").read_text() == "data"
        process.kill()
        process.wait()
        assert folder.exists()  # SIGKILL: nothing was cleaned up
        mine = ScratchFolder(SNAPSHOT_FOLDER_PREFIX, tmp_path)
        try:
            assert not folder.exists()
            assert mine.path.exists() and mine.path.name.startswith(SNAPSHOT_FOLDER_PREFIX)
        finally:
            mine.remove()
    assert list(tmp_path.iterdir()) == []


def test_the_folder_of_a_live_owner_is_kept(tmp_path: Path) -> None:
    with owner(tmp_path) as (process, folder):
        mine = ScratchFolder(SNAPSHOT_FOLDER_PREFIX, tmp_path)
        try:
            assert (folder / "snapshot-1.nq").read_text() == "data"
            assert process.poll() is None
        finally:
            mine.remove()
        assert not mine.path.exists()


def test_folders_that_are_not_scratch_folders_are_left_alone(tmp_path: Path) -> None:
    foreign = tmp_path / f"{SNAPSHOT_FOLDER_PREFIX}by-someone-else"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with owner(tmp_path, "other-prefix-") as (process, folder):
        process.kill()
        process.wait()
        ScratchFolder(SNAPSHOT_FOLDER_PREFIX, tmp_path).remove()
        assert (foreign / "notes.txt").read_text() == "keep"
        assert folder.exists()  # another prefix: not this sweep's to remove


def test_a_process_that_ends_without_removing_its_folder_removes_it_on_exit(
        tmp_path: Path) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from mipex_kg.engine.scratch_folder import ScratchFolder; "
         "folder = ScratchFolder(sys.argv[1], Path(sys.argv[2])); "
         "(folder.path / 'snapshot-1.nq').write_text('data'); print(folder.path)",
         SNAPSHOT_FOLDER_PREFIX, str(tmp_path)], capture_output=True, text=True, check=True)
    assert ended.stdout.strip().startswith(str(tmp_path / SNAPSHOT_FOLDER_PREFIX))
    assert list(tmp_path.iterdir()) == []
