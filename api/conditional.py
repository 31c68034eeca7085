"""Answering a read with an ETag, a 304 when the client has it, or the LRU cache.

The ETag is known before any work (store version + canonical request), so a
matching ``If-None-Match`` on GET/HEAD costs nothing. POST requests get the ETag
and the cache too, but never a 304 (RFC 9110 §13.1.2 only allows it for GET/HEAD).

``respond`` runs on the event loop: the ETag check and a cache hit are answered
right there, and ``build`` is a coroutine function (it must not block the loop; a
blocking build runs in a thread through ``deps.bounded``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from mipex_kg.api.cache import CachedResponse, ResponseCache, cache_key, etag_for, etag_matches
from mipex_kg.graph.store import KnowledgeStore

_UNCACHEABLE = {"Vary": "Accept", "Cache-Control": "no-store"}


async def respond(
    request: Request,
    store: KnowledgeStore,
    cache: ResponseCache,
    key_parts: tuple[object, ...],
    build: Callable[[], Awaitable[CachedResponse]],
    *,
    cacheable: bool = True,
) -> Response:
    """The response for a read whose answer depends only on ``key_parts`` and the data.

    Runs on the event loop: the ETag check and a cache hit are answered here, without a
    thread; ``build`` is awaited on a miss (a blocking build goes in as
    ``deps.bounded(request, build)``: in a thread, within the engine's limits).

    Args:
        request: the HTTP request (its method and If-None-Match).
        store: the store (its version is part of the key).
        cache: the response cache.
        key_parts: everything else the answer depends on, including the media type.
        build: makes the answer when it is not cached (may raise ApiError).
        cacheable: False when the answer depends on more than the store (a federated
            query): no ETag, no cache, ``Cache-Control: no-store``.
    """
    if not cacheable:
        return _uncacheable(await build())
    version = store.version
    key = cache_key(version, *key_parts)
    headers = _validators(key)
    if _not_modified(request, headers):
        return Response(status_code=304, headers=headers)
    entry = cache.get(version, key)
    if entry is None:
        entry = await build()
        if store.version == version:  # a write meanwhile: the answer may be newer than the key
            cache.put(version, key, entry)
    return _answer(entry, headers)


def _validators(key: str) -> dict[str, str]:
    return {"ETag": etag_for(key), "Vary": "Accept", "Cache-Control": "no-cache"}


def _not_modified(request: Request, headers: dict[str, str]) -> bool:
    return request.method in ("GET", "HEAD") and etag_matches(
        request.headers.get("if-none-match"), headers["ETag"]
    )


def _answer(entry: CachedResponse, headers: dict[str, str]) -> Response:
    if entry.headers:
        headers.update(entry.headers)
    return Response(entry.body, media_type=entry.media_type, headers=headers)


def _uncacheable(answer: CachedResponse) -> Response:
    return Response(answer.body, media_type=answer.media_type,
                    headers={**_UNCACHEABLE, **answer.headers})
