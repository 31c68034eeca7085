"""The on-disk copy of a store: read whole at start, brought up to date after each change.

Oxigraph applies a ``MOVE`` of a 540 k-triple graph on disk in about 65 s (measured
here; the same in memory takes under 2 s), so replacing a graph in place on disk is
too slow. The store therefore lives in memory (where queries are also 4-6x faster,
see ../shared/PERFORMANCE.md) and the folder on disk is a snapshot: after each write
the whole dataset is bulk-loaded into a fresh folder beside it, which then takes the
folder's place by two renames. A reader of the folder sees the old or the new
dataset, never a mix (between the renames it reads the old one where it was set
aside, see ``readable``); a crash between the renames is repaired on the next open
by a writer. ``crash_points`` names the steps, so tests can kill a writer at each.

A small change whose quads are known (``delta.Delta``: an HTTP write of a graph, a
SPARQL Update of a few graphs) is written into the folder in place instead
(``write_delta``): one SPARQL update on the on-disk store, which Oxigraph applies as
one RocksDB transaction, so a crash leaves the old dataset or the new one there too,
and the cost follows the change (about 0.2 s for 100 triples, whatever the store's
size) instead of the store (a 100-triple write used to rewrite all 0.86 M quads).

The folder stays a plain Oxigraph (RocksDB) store that ``oxigraph serve --location``
or ``pyoxigraph.Store.read_only`` can open. One process writes a folder at a time:
``WriterLock`` holds an exclusive lock beside it for the writer's lifetime.
"""

from __future__ import annotations

import fcntl
import shutil
import uuid
from pathlib import Path

import pyoxigraph as ox

from mipex_kg.graph.crash_points import crash_point
from mipex_kg.graph.delta import Delta

NQUADS = ox.RdfFormat.N_QUADS


def _previous(path: Path) -> Path:
    return path.with_name(f".{path.name}.previous")


def _is_store(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def recover(path: Path) -> None:
    """Finish or undo a snapshot swap that a crash interrupted; drop half-written folders."""
    previous = _previous(path)
    if not path.exists() and previous.exists():
        previous.rename(path)
    elif previous.exists():
        shutil.rmtree(previous, ignore_errors=True)
    for leftover in path.parent.glob(f".{path.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def readable(path: Path) -> Path:
    """The folder a reader opens: ``path``, or the old dataset set aside beside it.

    Between the two renames of a swap (or after a crash there, until the next writer
    repairs it) ``path`` is missing and the previous folder still holds the whole old
    dataset; a reader opens that rather than fail.
    """
    previous = _previous(path)
    return previous if not path.is_dir() and previous.is_dir() else path


def read_into(memory: ox.Store, path: Path) -> None:
    """Copy every quad of the on-disk store at ``path`` into ``memory``."""
    if not _is_store(path):
        return
    disk = ox.Store.read_only(str(path))
    memory.bulk_load(disk.dump(format=NQUADS), format=NQUADS)
    del disk


def holds_store(path: Path) -> bool:
    """Whether ``path`` holds an on-disk store (a snapshot was written there)."""
    return _is_store(path)


def write_delta(path: Path, delta: Delta) -> None:
    """Apply ``delta`` to the on-disk store at ``path``, in place, as one transaction.

    The caller keeps it for small deltas without blank nodes (``Delta.as_update``).
    """
    disk = ox.Store(str(path))
    crash_point("delta.opened")
    disk.update(delta.as_update())
    disk.flush()
    crash_point("delta.written")
    del disk  # closes the RocksDB handles


def write_snapshot(memory: ox.Store, path: Path) -> None:
    """Replace the on-disk store at ``path`` with the content of ``memory``, atomically."""
    fresh = path.with_name(f".{path.name}.new-{uuid.uuid4().hex[:8]}")
    disk = ox.Store(str(fresh))
    crash_point("snapshot.fresh-created")
    # Straight from store to store: 5.0 s against 6.6 s through N-Quads text for the
    # 0.54 M quads of one workbook (measured side by side), without the text in memory.
    disk.bulk_extend(memory)
    disk.flush()
    del disk  # closes the RocksDB handles before the folder moves
    crash_point("snapshot.fresh-written")
    previous = _previous(path)
    if path.exists():
        path.rename(previous)
        crash_point("snapshot.after-first-rename")
    fresh.rename(path)
    crash_point("snapshot.after-second-rename")
    shutil.rmtree(previous, ignore_errors=True)


class WriterLock:
    """An exclusive lock on ``.<name>.lock`` beside a store folder, held while open."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path.with_name(f".{path.name}.lock"), "a")  # noqa: SIM115
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._file.close()
            raise OSError(f"the store {path} is open for writing by another process "
                          "(stop the service or the other command first)") from exc

    def release(self) -> None:
        if not self._file.closed:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()

    def __del__(self) -> None:
        self.release()


__all__ = ["WriterLock", "holds_store", "read_into", "readable", "recover", "write_delta",
           "write_snapshot"]
