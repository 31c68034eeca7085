"""Real processes for the fault tests: the command line, the service, a store's dataset.

``mipex_kg(...)`` runs the command line in a subprocess; ``service(...)`` runs ``mipex-kg
serve`` as a subprocess on 127.0.0.1 (a free port it picks itself, read from its log)
and stops it, or finds it killed, when the block ends. ``nquads(path)`` reads the
quads of a store folder the way a reader does, ``opened_nquads(path)`` the way the
next writer does (which repairs an interrupted swap first); ``canonical`` makes
N-Quads comparable whole (RDFC-1.0 blank-node labels, sorted lines).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from mipex_kg.graph.crash_points import ENVIRONMENT_VARIABLE
from mipex_kg.graph.store import KnowledgeStore

TOKEN = "faults-test-token"
SIGKILLED = -signal.SIGKILL
_STARTED = re.compile(rb"Uvicorn running on (http://127\.0\.0\.1:\d+)")


def environment(crash_at: str | None = None, temp: Path | None = None,
                **settings: str) -> dict[str, str]:
    """This process's environment, with ``MIPEX_KG_CRASH_AT``, settings (``store=...``),
    and ``TMPDIR`` (a killed service leaves its query snapshots there)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MIPEX_KG_")}  # only what a test sets
    env.update({f"MIPEX_KG_{name.upper()}": value for name, value in settings.items()})
    if crash_at is not None:
        env[ENVIRONMENT_VARIABLE] = crash_at
    if temp is not None:
        env["TMPDIR"] = str(temp)
    return env


def mipex_kg(*args: str | Path, crash_at: str | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``mipex-kg ARGS`` to its end (or its crash point)."""
    return subprocess.run([sys.executable, "-m", "mipex_kg.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          env=environment(crash_at))


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs, and so on (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it exited meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    """Poll ``condition`` until it is true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Service:
    """A running ``mipex-kg serve``, its base URL and a client that sends the write token."""

    process: subprocess.Popen[bytes]
    url: str
    http: httpx.Client

    def put_graph(self, graph: str, ntriples: bytes) -> httpx.Response:
        return self.http.put(f"{self.url}/rdf-graphs/service", params={"graph": graph},
                             content=ntriples, headers={"Content-Type": "application/n-triples"})

    def update(self, sparql_update: str) -> httpx.Response:
        return self.http.post(f"{self.url}/sparql", content=sparql_update.encode(),
                              headers={"Content-Type": "application/sparql-update"})

    def select(self, query: str) -> list[dict[str, str]]:
        """The rows of a SELECT, each variable's value as text."""
        answer = self.http.post(f"{self.url}/sparql", data={"query": query},
                                headers={"Accept": "application/sparql-results+json"})
        answer.raise_for_status()
        return [{k: v["value"] for k, v in row.items()}
                for row in answer.json()["results"]["bindings"]]


@contextmanager
def service(store: Path, log: Path, crash_at: str | None = None) -> Iterator[Service]:
    """Run ``mipex-kg serve --store STORE --port 0`` until the block ends.

    The service is stopped with SIGTERM (uvicorn's graceful shutdown) unless it is
    already gone, killed at a crash point; its log (stderr) goes to ``log``.
    """
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mipex_kg.cli", "serve", "--store", str(store), "--port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            env=environment(crash_at, log.parent, update_token=TOKEN))
    workers: list[int] = []
    try:
        wait_for(lambda: process.poll() is not None or _STARTED.search(log.read_bytes()),
                 "the service to start")
        started = _STARTED.search(log.read_bytes())
        assert started, f"the service exited ({process.returncode}): {log.read_text()}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        workers = descendants(process.pid)  # the query workers, started with the app
        with httpx.Client(timeout=60, headers=headers) as http:
            yield Service(process, started.group(1).decode(), http)
    finally:
        process.terminate()  # uvicorn's graceful shutdown; nothing if it is gone already
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        process.kill()  # nothing if it has stopped
        process.wait()
        # the workers stop when their socket closes, also when the service was killed
        wait_for(lambda: not any(alive(pid) for pid in workers), "the query workers to exit")


def copy_store(source: Path, folder: Path) -> Path:
    """A copy of the store folder ``source`` as ``folder/store``."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copytree(source, folder / "store"))


def canonical(nquads: bytes, normalise: Callable[[bytes], bytes] | None = None) -> list[str]:
    """N-Quads as canonical lines (RDFC-1.0 blank-node labels), sorted.

    ``normalise`` rewrites the text first (to blank out what differs on every run).
    """
    text = normalise(nquads) if normalise else nquads
    dataset = ox.Dataset(ox.parse(text, format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(f"{quad} ." for quad in dataset)


def nquads(path: Path) -> bytes:
    """The dataset a reader of the folder sees (a read-only open, which repairs nothing)."""
    return KnowledgeStore(path, read_only=True).dump(None, ox.RdfFormat.N_QUADS) or b""


def opened_nquads(path: Path) -> bytes:
    """The dataset the next writer of the folder sees, after it repaired any interrupted swap."""
    store = KnowledgeStore(path)
    try:
        return store.dump(None, ox.RdfFormat.N_QUADS) or b""
    finally:
        store.close()


def leftovers(path: Path) -> list[str]:
    """What lies beside the store folder besides the folder and its lock file."""
    expected = {path.name, f".{path.name}.lock"}
    return sorted(p.name for p in path.parent.iterdir()
                  if p.name.startswith((path.name, f".{path.name}")) and p.name not in expected)
