"""The sandbox on its own: a locked process cannot connect, whatever asks it to.

A real TCP listener on 127.0.0.1 counts connections. The same pyoxigraph ``SERVICE``
query is run in a child process once without the lock (it connects: the test can
fail) and once with it (refused by the kernel, nothing reaches the listener).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from mipex_kg.engine.sandbox import network_filter

CHILD = """
import socket, sys
import pyoxigraph as ox
if sys.argv[2] == "locked":
    from mipex_kg.engine.sandbox import lock_network
    lock_network()
try:
    list(ox.Store().query("SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"))
except Exception as error:
    print("service:", type(error).__name__)
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    print("socket: connected")
except OSError as error:
    print("socket:", error.errno)
a, b = socket.socketpair()  # Unix sockets (how a worker talks to the service) still work
print("unix: ok")
"""


class Canary:
    """A TCP listener on 127.0.0.1 that counts connections (and closes them)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def canary() -> Iterator[Canary]:
    listener = Canary()
    yield listener
    listener.close()


def run_child(port: int, mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", CHILD.format(port=port), str(port), mode],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_unlocked_process_reaches_the_canary(canary: Canary) -> None:
    out = run_child(canary.port, "open")
    assert "socket: connected" in out
    assert canary.connections >= 2  # the SERVICE call and the plain socket


def test_a_locked_process_cannot_connect_and_still_talks_over_unix_sockets(
        canary: Canary) -> None:
    out = run_child(canary.port, "locked")
    assert "service: PermissionError" in out and "socket: 13" in out and "unix: ok" in out
    assert canary.connections == 0


def test_the_filter_exists_for_the_supported_machines_only() -> None:
    assert len(network_filter("x86_64")) % 8 == 0 and len(network_filter("aarch64")) % 8 == 0
    with pytest.raises(OSError):
        network_filter("riscv64")
