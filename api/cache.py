"""ETags and a small LRU cache of serialised responses, both always right.

Both are keyed by the store's ``version`` (it changes on every write) and the
canonical request: what is asked (query text, dataset parameters, base IRI) and the
negotiated media type. A write changes the version, so nothing cached before it can
be served after it, and an old ETag no longer matches.

    key = cache_key(store.version, "query", text, dataset..., media_type)
    etag = etag_for(key)                       # '"3f2a..."' (a strong validator)
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field


def cache_key(*parts: object) -> str:
    """One string for the parts, unambiguous (JSON), then hashed to a fixed length."""
    canonical = json.dumps(parts, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def etag_for(key: str) -> str:
    """The quoted strong ETag of a cache key."""
    return f'"{key[:32]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches ``etag`` (weak comparison, RFC 9110)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


@dataclass(frozen=True)
class CachedResponse:
    """A response body with the headers that belong to it."""

    body: bytes
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


class ResponseCache:
    """A thread-safe LRU of responses, bounded by the total size of their bodies."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_entry_bytes: int = 8 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._size = 0
        self._version: str | None = None
        self._lock = threading.Lock()

    def get(self, version: str, key: str) -> CachedResponse | None:
        with self._lock:
            if version != self._version:
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, version: str, key: str, response: CachedResponse) -> None:
        """Keep ``response``; entries of an older store version are dropped at once."""
        if len(response.body) > self.max_entry_bytes:
            return
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._size = 0
                self._version = version
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._entries[key] = response
            self._size += len(response.body)
            while self._size > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)
