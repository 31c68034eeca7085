"""SIGKILL from outside at random moments while a writer replaces a graph over and over.

The crash points (``test_crash_points``) stop a writer exactly at the steps that
matter; this test checks that nothing between them matters either. A writer
(``replacer``) replaces one graph again and again, each version written to disk
before it says so; the test kills it at a random moment (seeded: the same moments on
every run, and a new seed explores others), then checks that the folder holds
exactly the last version the writer reported, or the one it was writing, and opens
and validates (``atomicity.state_after_crash``). The next round's writer continues
from whatever the folder holds. Where each kill landed is printed (``pytest -s``):
in the middle of a snapshot swap, a half-written copy or a set-aside folder is left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mipex_kg.graph.store import KnowledgeStore

from tests.faults import replacer
from tests.faults.atomicity import Candidate, state_after_crash
from tests.faults.processes import SIGKILLED, environment, leftovers, wait_for

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261202
ROUNDS = 6
#: The longest wait before a kill, after the writer has reported a first version.
LONGEST = 0.4


def _reported(output: Path) -> list[int]:
    return [int(line) for line in output.read_text().split()]


def test_random_kills_leave_the_last_version_or_the_next(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = KnowledgeStore(store)
    first.replace_graph(replacer.GRAPH, replacer.version_triples(0))
    first.close()
    moments = random.Random(SEED)
    version, landed = 0, []
    for round_ in range(ROUNDS):
        output = tmp_path / f"round-{round_}.out"
        with output.open("wb") as stdout:
            writer = subprocess.Popen([sys.executable, "-m", "tests.faults.replacer", str(store)],
                                      cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE,
                                      env=environment())
        try:
            wait_for(lambda writer=writer, output=output: (writer.poll() is not None
                                                           or _reported(output)),
                     "the writer to report a version")
            time.sleep(moments.uniform(0, LONGEST))  # the random moment is the point
            os.kill(writer.pid, signal.SIGKILL)
        finally:
            writer.kill()  # a no-op when it is dead already
            _, errors = writer.communicate(timeout=30)
        assert writer.returncode == SIGKILLED, errors.decode()
        reported = _reported(output)
        assert reported and reported[0] == version + 1
        last = reported[-1]
        landed.append(", ".join(leftovers(store)) or "between snapshots")
        candidates = {str(k): Candidate.of(replacer.version_quads(k)) for k in (last, last + 1)}
        version = int(state_after_crash(store, candidates))
    print(f"\nseed {SEED}: kills landed at: " + "; ".join(landed))
