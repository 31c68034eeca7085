"""The HTTP protocol the service runs under uvicorn: a response's head and body in one send.

    uvicorn.run(app, http=HTTP_PROTOCOL)          # core/cli.py, and the tests' live server

uvicorn's httptools protocol writes a response's head and its body to the socket
with one ``send`` each. On this machine (a virtual machine, where each system call
is a trip to the hypervisor) a send on a loopback TCP connection costs about 40 us
of the server's CPU, as much as the Python of a small query; two segments also make
the client read twice. ``CoalescingHttpToolsProtocol`` gives uvicorn's protocol a
transport that gathers the writes of one turn of the event loop and sends them as
one: the head and the body of a response, which uvicorn writes one after the other.
Nothing else changes: what is written, in what order, and flow control (the
gathered bytes go to the real transport within the same turn, or at once when they
reach ``FLUSH_BYTES``, so a response streamed without pauses is not held in memory).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Gathered bytes are sent at once past this size (a large body gains nothing by waiting).
FLUSH_BYTES = 64 * 1024


class CoalescingTransport:
    """A transport whose writes in one turn of the event loop leave as one send.

    Every other method is the real transport's; ``close`` sends what is gathered first.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes | bytearray | memoryview] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Send what was gathered (nothing once the connection is closing)."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending = []
        self._size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a ``CoalescingTransport``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())
        super().connection_made(coalescing)  # type: ignore[arg-type]


HTTP_PROTOCOL = CoalescingHttpToolsProtocol
