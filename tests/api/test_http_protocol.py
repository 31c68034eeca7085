"""``api.http_protocol``: writes of one event-loop turn leave as one send, and nothing
is held past the turn, past ``FLUSH_BYTES``, or past ``close`` (real sockets, real loop)."""

from __future__ import annotations

import asyncio
import socket

from mipex_kg.api.http_protocol import FLUSH_BYTES, CoalescingTransport


def _received(peer: socket.socket) -> bytes:
    """What has arrived at ``peer`` so far (without waiting for more)."""
    chunks = []
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


async def _settle(peer: socket.socket, size: int) -> bytes:
    data = b""
    for _ in range(200):  # the loopback delivers at once; allow the loop a few turns
        data += _received(peer)
        if len(data) >= size:
            break
        await asyncio.sleep(0.005)
    return data


def test_writes_of_one_turn_are_held_to_its_end_then_sent_together() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ours, peer = socket.socketpair()
        peer.setblocking(False)
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        coalescing = CoalescingTransport(transport, loop)  # type: ignore[arg-type]
        coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
        coalescing.write(b"body")
        assert _received(peer) == b""  # still this turn: nothing sent yet
        assert await _settle(peer, 23) == b"HTTP/1.1 200 OK\r\n\r\nbody"

        large = b"x" * FLUSH_BYTES
        coalescing.write(large)  # at the threshold: sent without waiting for the turn
        first = _received(peer)
        assert first
        assert first + await _settle(peer, len(large) - len(first)) == large

        coalescing.write(b"last")
        coalescing.close()  # what is gathered goes out before the connection closes
        assert await _settle(peer, 4) == b"last"
        peer.close()

    asyncio.run(scenario())
