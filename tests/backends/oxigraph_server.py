"""A real Oxigraph server for the tests: ``oxigraph serve`` (the ``oxigraph`` pip
package's command line) on 127.0.0.1 at a free port, on a temporary folder.

``OxigraphServer.start(folder)`` waits until the server answers and ``stop`` ends it
(SIGTERM, then SIGKILL). The session fixture ``oxigraph_server`` keeps one server for
the whole run (it starts in well under a second); ``remote_store`` gives each test a
``RemoteStore`` on it, emptied first.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mipex_kg.graph.remote_config import RemoteEndpoints
from mipex_kg.graph.remote_store import RemoteStore
from mipex_kg.settings import Settings

from tests.backends.processes import free_port


def oxigraph_command() -> str:
    """The ``oxigraph`` executable beside this Python (the test extras install it)."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if found is None:
        raise RuntimeError("no oxigraph command: pip install oxigraph (in the test extras)")
    return found


@dataclass
class OxigraphServer:
    """One running ``oxigraph serve``."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, folder: Path, *extra: str) -> OxigraphServer:
        port = free_port()
        process = subprocess.Popen(
            [oxigraph_command(), "serve", "--location", str(folder),
             "--bind", f"127.0.0.1:{port}", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(server.url + "/query", params={"query": "ASK {}"}, timeout=2,
                          trust_env=False)
                return server
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError("oxigraph serve did not start: "
                                       f"{process.stderr.read().decode() if process.stderr else ''}"
                                       ) from None
                time.sleep(0.05)

    def settings(self, **overrides: Any) -> Settings:
        """Settings that name this server as the store."""
        return Settings(store=self.url, **overrides)

    def store(self, **overrides: Any) -> RemoteStore:
        """A new client of this server (``overrides``: ``store_*`` settings)."""
        return RemoteStore(RemoteEndpoints.from_settings(self.settings(**overrides)))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    server = OxigraphServer.start(tmp_path_factory.mktemp("oxigraph-server"))
    try:
        yield server
    finally:
        server.stop()


def emptied(store: RemoteStore) -> RemoteStore:
    """``store`` with every graph dropped (through its own API: its version changes).

    Graph by graph: Virtuoso's ``DROP ALL`` leaves the data (it would drop its own
    graphs too); the default graph only where the engine keeps it apart.
    """
    drops = [f"DROP SILENT GRAPH {graph}" for graph in store.named_graphs()]
    if store.endpoints.union_parameter:
        drops.append("DROP SILENT DEFAULT")
    if drops:
        store.update(" ;\n".join(drops))
    return store


@pytest.fixture
def remote_store(oxigraph_server: OxigraphServer) -> Iterator[RemoteStore]:
    """An empty store on the session's Oxigraph server."""
    store = emptied(oxigraph_server.store())
    try:
        yield store
    finally:
        store.close()


#: ``params`` for a fixture that runs its tests on each kind of store.
BACKENDS = ["embedded", pytest.param("oxigraph", marks=pytest.mark.engines)]


def store_for(request: pytest.FixtureRequest) -> RemoteStore | None:
    """For a fixture with ``params=BACKENDS``: None (embedded: the caller's default
    store) or an emptied ``RemoteStore`` on the session's Oxigraph server."""
    if request.param == "embedded":
        return None
    server: OxigraphServer = request.getfixturevalue("oxigraph_server")
    return emptied(server.store())
