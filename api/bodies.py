"""Request bodies read with a size limit: a body of any size cannot exhaust memory.

The body is read as it streams in and refused with 413 as soon as it passes the
limit (a ``Content-Length`` over it is refused before anything is read).
"""

from __future__ import annotations

from fastapi import Request

from mipex_kg.api.errors import PayloadTooLarge


async def read_body(request: Request, limit: int, what: str, setting: str) -> bytes:
    """The whole body of ``request``, at most ``limit`` bytes (413 beyond).

    ``what`` names the body in the error ("a query", "a graph"), ``setting`` the
    setting that raises the limit.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(what, limit, setting)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(what, limit, setting)
        chunks.append(chunk)
    return b"".join(chunks)


def check_size(text: str | bytes, limit: int, what: str, setting: str) -> None:
    """Refuse ``text`` (413) when it is longer than ``limit`` bytes."""
    if len(text) > limit:
        raise _too_large(what, limit, setting)


def _too_large(what: str, limit: int, setting: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"{what} may be at most {limit:,} bytes (setting {setting})")
