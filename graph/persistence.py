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
and the cost follows the change (0.25-0.35 s for 100 triples at 1x, 2x and 4x the data;
bench/bench_scale.py) instead of the store (a 100-triple write used to rewrite all 0.86 M quads).

The folder stays a plain Oxigraph (RocksDB) store that ``oxigraph serve --location``
or ``pyoxigraph.Store.read_only`` can open. One process writes a folder at a time:
``WriterLock`` holds an exclusive lock beside it for the writer's lifetime.
"""

from __future__ import annotations

import fcntl
import queue
import shutil
import threading
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


def _readers(path: Path) -> Path:
    return path.with_name(f".{path.name}.readers")


def recover(path: Path) -> None:
    """Finish or undo a snapshot swap that a crash interrupted; drop half-written folders
    and the copies a writer that was killed left for readers."""
    shutil.rmtree(_readers(path), ignore_errors=True)
    previous = _previous(path)
    if not path.exists() and previous.exists():
        previous.rename(path)
    elif previous.exists():
        shutil.rmtree(previous, ignore_errors=True)
    for leftover in path.parent.glob(f".{path.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def readable(path: Path) -> Path:
    """The folder a reader opens: ``path``, the old dataset set aside beside it, or the
    copy a live writer keeps for readers.

    Between the two renames of a swap (or after a crash there, until the next writer
    repairs it) ``path`` is missing and the previous folder still holds the whole old
    dataset; a reader opens that rather than fail. A writer that keeps the folder open
    (``KnowledgeStore.serve_from_disk``) publishes a copy after each write
    (``publish_for_readers``), since opening a RocksDB folder read-only while another
    process writes it is undefined behaviour; it is used while that writer lives.
    """
    published = _published(path)
    if published is not None and _writer_alive(path):
        return published
    previous = _previous(path)
    return previous if not path.is_dir() and previous.is_dir() else path


def publish_for_readers(disk: ox.Store, path: Path) -> None:
    """Leave a copy of the open on-disk store ``disk`` (at ``path``) for readers.

    A RocksDB checkpoint (``Store.backup``: hard links to the immutable table files,
    milliseconds), numbered, made under a temporary name and then renamed, so a reader
    sees whole copies only; the one before stays for a reader that is opening it.
    """
    folder = _readers(path)
    folder.mkdir(exist_ok=True)
    numbers = _copies(folder)
    number = numbers[-1] + 1 if numbers else 1
    fresh = folder / f"new-{number}"
    shutil.rmtree(fresh, ignore_errors=True)
    disk.backup(str(fresh))
    fresh.rename(folder / str(number))
    for old in numbers[:-1]:
        shutil.rmtree(folder / str(old), ignore_errors=True)


def withdraw_readers(path: Path) -> None:
    """Remove the readers' copies (the writer closes the folder: readers open it again)."""
    shutil.rmtree(_readers(path), ignore_errors=True)


def _copies(folder: Path) -> list[int]:
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())


def _published(path: Path) -> Path | None:
    folder = _readers(path)
    try:
        numbers = _copies(folder)
    except OSError:
        return None
    return folder / str(numbers[-1]) if numbers else None


def _writer_alive(path: Path) -> bool:
    """Whether a process holds the writer's lock on ``path`` (``WriterLock``)."""
    try:
        lock = open(path.with_name(f".{path.name}.lock"))  # noqa: SIM115
    except OSError:
        return False
    with lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        return False


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
    # Committed once the update returns: RocksDB has written it to its log, which the
    # next open (read-only ones too) replays; no flush of the memtable (0.3 s) needed.
    disk.update(delta.as_update())
    crash_point("delta.written")
    del disk  # closes the RocksDB handles


def _fresh_folder(path: Path) -> Path:
    return path.with_name(f".{path.name}.new-{uuid.uuid4().hex[:8]}")


def write_snapshot(memory: ox.Store, path: Path) -> None:
    """Replace the on-disk store at ``path`` with the content of ``memory``, atomically."""
    fresh = _fresh_folder(path)
    disk = ox.Store(str(fresh))
    crash_point("snapshot.fresh-created")
    # Straight from store to store: 5.0 s against 6.6 s through N-Quads text for the
    # 0.54 M quads of one workbook (measured side by side), without the text in memory.
    disk.bulk_extend(memory)
    disk.flush()
    del disk  # closes the RocksDB handles before the folder moves
    crash_point("snapshot.fresh-written")
    _swap(fresh, path)


#: Text for the snapshot ahead: the data, its format, the graph of N-Triples.
Part = tuple[bytes, ox.RdfFormat, ox.NamedNode | None]


class SnapshotAhead:
    """A whole snapshot written in the background while the writer goes on.

    The dataset as it is now is taken at once (an N-Quads dump) and bulk-loaded into
    a fresh folder on a thread of its own (Oxigraph's bulk loader does not hold the
    GIL); ``add`` queues more N-Quads for it (whole graphs written meanwhile), loaded
    in order after it; ``finish(delta)`` then adds what else changed since, and the
    fresh folder takes the store's place as in ``write_snapshot``, with the same crash
    points. A first load starts it at its first graph, so that the snapshot is
    written while the workbooks are parsed and validated and the recomputation runs.
    """

    def __init__(self, memory: ox.Store, path: Path) -> None:
        self.path = path
        self.fresh = _fresh_folder(path)
        self._failure: BaseException | None = None
        self._disk: ox.Store | None = None
        self._parts: queue.SimpleQueue[Part | None] = queue.SimpleQueue()
        self._parts.put((memory.dump(format=NQUADS) or b"", NQUADS, None))  # the dataset as it is now
        disk = ox.Store(str(self.fresh))
        crash_point("snapshot.fresh-created")
        self._thread = threading.Thread(target=self._write, args=(disk,), name="snapshot-ahead")
        self._thread.start()

    def add(self, data: bytes, fmt: ox.RdfFormat = NQUADS,
            graph: ox.NamedNode | None = None) -> None:
        """Queue ``data`` (N-Quads, or N-Triples of ``graph``) to be loaded after
        everything queued before."""
        self._parts.put((data, fmt, graph))

    def _write(self, disk: ox.Store) -> None:
        try:
            while (part := self._parts.get()) is not None:  # None: the end mark
                data, fmt, graph = part
                if data:
                    disk.bulk_load(data, format=fmt, to_graph=graph)
            self._disk = disk
        except BaseException as failure:  # noqa: BLE001 - raised again by finish()
            self._failure = failure

    def finish(self, delta: Delta) -> None:
        """Add ``delta`` (the writes since the start) and put the fresh folder in place."""
        self._parts.put(None)
        self._thread.join()
        if self._failure is not None or self._disk is None:
            self.abort()
            raise self._failure or RuntimeError("the snapshot was not written")
        disk = self._disk
        for quad in delta.removed:
            disk.remove(quad)
        disk.bulk_extend(delta.added)
        disk.flush()
        self._disk = None
        del disk  # closes the RocksDB handles before the folder moves
        crash_point("snapshot.fresh-written")
        _swap(self.fresh, self.path)

    def abort(self) -> None:
        """Drop the fresh folder (the store's folder is untouched)."""
        self._parts.put(None)
        self._thread.join()
        self._disk = None
        shutil.rmtree(self.fresh, ignore_errors=True)


def _swap(fresh: Path, path: Path) -> None:
    """Put the complete folder ``fresh`` in the place of ``path``, by two renames."""
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


__all__ = ["SnapshotAhead", "WriterLock", "holds_store", "publish_for_readers", "read_into",
           "readable", "recover", "withdraw_readers", "write_delta", "write_snapshot"]
