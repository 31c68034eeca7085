"""A canary: a TCP server that counts every connection it accepts.

A request that makes the service (or its query engine) connect to a canary has
reached the network. The canary counts a connection the moment it accepts it, then
answers an HTTP request with a minimal 200 (an empty SPARQL JSON result for a client
that asks for results, an empty N-Triples document otherwise) and closes, so a client
that got through does not hang until its timeout; anything else (a TLS handshake) is
closed at once. A redirecting canary answers ``307`` to another URL instead.

``connections()`` is exact without sleeping: before reading the count it opens one
connection of its own (a *barrier*). The server accepts in the order the kernel
completed the handshakes and counts before it answers, so once the barrier is
answered every connection opened before it has been counted. Barriers are not
counted.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

BARRIER = b"CANARY-BARRIER\r\n\r\n"
_EMPTY_RESULTS = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
_READ_TIMEOUT = 5.0


def _answer(request_head: bytes, redirect: str | None) -> bytes:
    """A complete HTTP response to a request whose head is ``request_head``."""
    if redirect:
        return (b"HTTP/1.1 307 Temporary Redirect\r\nLocation: " + redirect.encode()
                + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    results = b"sparql-results" in request_head.lower()
    media = b"application/sparql-results+json" if results else b"application/n-triples"
    body = _EMPTY_RESULTS if results else b""
    return (b"HTTP/1.1 200 OK\r\nContent-Type: " + media
            + b"\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n" + body)


def _read_head(sock: socket.socket) -> bytes:
    """The bytes up to the end of an HTTP head, all the peer sent before closing, or
    the first bytes of something that is not HTTP (a TLS handshake, say)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or not chunk[:1].isalpha() and not data:
            return data + chunk
        data += chunk
    return data


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(_READ_TIMEOUT)
        try:
            head = _read_head(sock)
            if head == BARRIER:
                sock.sendall(b"OK")
                return
            if not head[:1].isalpha():
                return  # not HTTP: closing is the quickest answer
            _drain_body(sock, head)
            server = self.server
            assert isinstance(server, _CountingServer)
            sock.sendall(_answer(head, server.redirect))
        except OSError:
            pass  # the peer went away: it has been counted all the same


def _drain_body(sock: socket.socket, head: bytes) -> None:
    """Read a Content-Length body, so closing does not reset the peer's connection."""
    header, _, received = head.partition(b"\r\n\r\n")
    length = 0
    for line in header.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    remaining = length - len(received)
    while remaining > 0:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            return
        remaining -= len(chunk)


class _CountingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], redirect: str | None) -> None:
        super().__init__(address, _Handler)
        self.redirect = redirect
        self.accepted = 0
        self.lock = threading.Lock()

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket],
                        client_address: object) -> None:
        with self.lock:  # counted at accept, before anything is read or answered
            self.accepted += 1
        super().process_request(request, client_address)


@dataclass
class Canary:
    """A running canary: its address and its count of (non-barrier) connections."""

    host: str
    port: int
    _server: _CountingServer
    _barriers: int = 0

    @property
    def url(self) -> str:
        """An HTTP URL on the canary (any path reaches it)."""
        return f"http://{self.host}:{self.port}/"

    def connections(self) -> int:
        """Connections accepted so far, every one opened before this call included."""
        with socket.create_connection((self.host, self.port), timeout=_READ_TIMEOUT) as sock:
            self._barriers += 1
            sock.sendall(BARRIER)
            if sock.recv(2) != b"OK":
                raise RuntimeError(f"the canary on {self.host}:{self.port} did not answer")
        with self._server.lock:
            return self._server.accepted - self._barriers


@dataclass
class Canaries:
    """The two canaries of a run: one on 127.0.0.1, one on another loopback address."""

    first: Canary
    second: Canary
    _seen: int = 0

    def connections(self) -> int:
        """Connections both have accepted so far."""
        return self.first.connections() + self.second.connections()

    def new_connections(self) -> int:
        """Connections accepted since the last call (or since the start)."""
        total = self.connections()
        new, self._seen = total - self._seen, total
        return new


@contextmanager
def canaries(second_host: str = "127.0.0.2") -> Iterator[Canaries]:
    """Run a canary on 127.0.0.1 and one on ``second_host`` until the block ends."""
    with canary("127.0.0.1") as first, canary(second_host) as second:
        yield Canaries(first, second)


@contextmanager
def canary(host: str = "127.0.0.1", redirect: str | None = None) -> Iterator[Canary]:
    """Run a canary on ``host`` (a free port) until the block ends; with ``redirect``,
    it answers every request with a redirect there (a misbehaving allowed endpoint)."""
    server = _CountingServer((host, 0), redirect)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"canary-{host}", daemon=True)
    thread.start()
    try:
        yield Canary(host, server.server_address[1], server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
