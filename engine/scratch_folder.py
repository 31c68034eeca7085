"""A temporary folder that outlives no process: the next one removes it if its owner died.

The query engine writes its workers' snapshots (a dump of the whole store: hundreds
of megabytes with the real workbooks) into a temporary folder and deletes it when it
closes. A service killed with SIGKILL (by an operator, the OOM killer, a test of
faults) cannot delete anything, and each such death used to leave its folder behind.

So the owner holds an exclusive ``flock`` on a file in its folder for as long as it
lives; the kernel drops the lock when the process ends, however it ends. Whoever
claims a new folder first removes every folder of the same prefix whose lock it can
take: their owners are gone. A folder is locked before it gets the name the sweep
looks for (it is created under another name and renamed), so a sweep never removes
a folder that is being set up. Folders without a lock file (made by another program
or an older version) are left alone. A process that ends normally without having
called ``remove`` (a library user who never closed the query engine) removes its
folder on the way out (``weakref.finalize`` runs at interpreter exit).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import weakref
from pathlib import Path

_LOCK = "owner.lock"


class ScratchFolder:
    """A temporary folder held by this process until ``remove`` (or its death)."""

    def __init__(self, prefix: str, parent: Path | None = None) -> None:
        """Remove the abandoned folders named ``prefix*`` in ``parent`` (the system's
        temporary folder by default), then create and lock a new one."""
        self.parent = parent if parent is not None else Path(tempfile.gettempdir())
        self.prefix = prefix
        remove_abandoned(self.parent, prefix)
        setup = Path(tempfile.mkdtemp(prefix=f".setup-{prefix}", dir=self.parent))
        self._lock = os.open(setup / _LOCK, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.path = self.parent / setup.name.removeprefix(".setup-")
        setup.rename(self.path)
        self._remove = weakref.finalize(self, _remove, self.path, self._lock)

    def remove(self) -> None:
        """Delete the folder and everything in it, then let go of the lock (once)."""
        self._remove()


def _remove(path: Path, lock: int) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.close(lock)


def remove_abandoned(parent: Path, prefix: str) -> list[Path]:
    """Remove the folders ``parent/prefix*`` whose owner has died; the ones removed."""
    removed = []
    for folder in parent.glob(f"{prefix}*"):
        try:
            lock = os.open(folder / _LOCK, os.O_RDWR | os.O_CLOEXEC)
        except OSError:  # no lock file, or not a folder: not one of ours
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its owner is alive
            os.close(lock)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(lock)
    return removed
