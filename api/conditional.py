"""Answering a read with an ETag, a 304 when the client has it, or the LRU cache.

The ETag is known before any work (store version + canonical request), so a
matching ``If-None-Match`` on GET/HEAD costs nothing. POST requests get the ETag
and the cache too, but never a 304 (RFC 9110 §13.1.2 only allows it for GET/HEAD).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response

from mipex_kg.api.cache import CachedResponse, ResponseCache, cache_key, etag_for, etag_matches
from mipex_kg.graph.store import KnowledgeStore


def respond(
    request: Request,
    store: KnowledgeStore,
    cache: ResponseCache,
    key_parts: tuple[object, ...],
    build: Callable[[], CachedResponse],
    *,
    cacheable: bool = True,
) -> Response:
    """The response for a read whose answer depends only on ``key_parts`` and the data.

    Args:
        request: the HTTP request (its method and If-None-Match).
        store: the store (its version is part of the key).
        cache: the response cache.
        key_parts: everything else the answer depends on, including the media type.
        build: makes the answer when it is not cached (blocking; may raise ApiError).
        cacheable: False when the answer depends on more than the store (a federated
            query): no ETag, no cache, ``Cache-Control: no-store``.
    """
    if not cacheable:
        answer = build()
        headers = {"Vary": "Accept", "Cache-Control": "no-store", **answer.headers}
        return Response(answer.body, media_type=answer.media_type, headers=headers)
    version = store.version
    key = cache_key(version, *key_parts)
    headers = {"ETag": etag_for(key), "Vary": "Accept", "Cache-Control": "no-cache"}
    if request.method in ("GET", "HEAD") and etag_matches(
        request.headers.get("if-none-match"), headers["ETag"]
    ):
        return Response(status_code=304, headers=headers)
    entry = cache.get(version, key)
    if entry is None:
        entry = build()
        if store.version == version:  # a write meanwhile: the answer may be newer than the key
            cache.put(version, key, entry)
    return Response(entry.body, media_type=entry.media_type, headers={**headers, **entry.headers})
