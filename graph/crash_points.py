"""Named crash points: the steps of a write where a test can kill this process.

A claim such as "after a crash the store on disk is the old dataset or the new one,
never a mix" is only as good as the crashes it was tested against. Killing a process
at a random moment seldom lands between two renames a few microseconds apart, and a
test that relies on luck proves little. Databases therefore name the steps of a write
and let a test stop the process exactly there (SQLite's crash tests, FoundationDB's
simulation, failpoints in TiKV and etcd). ``crash_point(name)`` is one such step:

    crash_point("snapshot.after-first-rename")

When the environment variable ``MIPEX_KG_CRASH_AT`` names that point, the process
sends itself SIGKILL right there: no ``finally`` blocks, no flushing, no exit
handlers, as a power cut of the process (the OOM killer, ``kill -9``) would do. The
operating system keeps what was already written, so what is tested is the order of
the steps, which is what atomicity depends on. Otherwise a call costs one comparison.

The variable is read once, when this module is imported: it is a test hook for
whole processes (``mipex-kg load``, ``mipex-kg serve``), not a setting, so it is not
part of ``Settings``. ``POINTS`` lists every point with what has happened when it
is reached; a name that is not listed is refused at once.
"""

from __future__ import annotations

import os
import signal

ENVIRONMENT_VARIABLE = "MIPEX_KG_CRASH_AT"

#: Every crash point, and the state of the write when it is reached.
POINTS: dict[str, str] = {
    "load.validated": "a loader validated the new graphs; nothing is replaced yet",
    "store.replaced": "a graph was replaced in memory (a store served from its folder: the "
                      "replacement is ready, not yet applied); nothing is written to disk yet",
    "store.updated": "a SPARQL update was applied in memory (a store served from its folder: "
                     "it is ready, not yet applied); nothing is written to disk yet",
    "delta.opened": "a change is about to be written in place; the folder is unchanged",
    "delta.written": "a change was written in place, one transaction; the folder is new",
    "snapshot.fresh-created": "the new snapshot folder exists, still empty",
    "snapshot.fresh-written": "the new snapshot folder is complete; the old one is in place",
    "snapshot.after-first-rename": "the old folder is set aside; the store folder is missing",
    "snapshot.after-second-rename": "the new folder is in place; the old one is still beside it",
}

_target = os.environ.get(ENVIRONMENT_VARIABLE) or None
if _target is not None and _target not in POINTS:
    raise ValueError(f"{ENVIRONMENT_VARIABLE}={_target!r} names no crash point; "
                     f"known points: {', '.join(POINTS)}")


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL if ``MIPEX_KG_CRASH_AT`` is ``name``."""
    if _target == name:
        os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["ENVIRONMENT_VARIABLE", "POINTS", "crash_point"]
