"""Proactive content negotiation: an ``Accept`` header against the media types offered.

RFC 9110 §12.5.1: each offered type takes the quality of the *most specific* range
that matches it (``text/turtle`` before ``text/*`` before ``*/*``); a quality of 0
means "not acceptable"; among equal qualities the server's order decides. Media
type parameters other than ``q`` (``charset=utf-8``) are ignored when matching.

>>> negotiate("text/*;q=0.5, text/turtle", ["application/n-triples", "text/turtle"])
'text/turtle'
>>> negotiate("*/*;q=0.1, application/n-triples", ["text/turtle", "application/n-triples"])
'application/n-triples'
>>> negotiate("text/html", ["text/turtle"]) is None
True
>>> negotiate(None, ["text/turtle", "application/n-triples"])
'text/turtle'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header: ``type/subtype`` (either may be ``*``) and q."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How specifically this range matches ``media_type``: 2, 1, 0, or -1 for no match."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0 if self.subtype == "*" else -1
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed elements are skipped.

    An absent or empty header means ``*/*``.
    """
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for element in header.split(","):
        parts = [p.strip() for p in element.split(";")]
        kind, slash, sub = parts[0].lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
                break  # parameters after q are accept-extensions
        ranges.append(MediaRange(kind, sub, q))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The quality the client gives ``media_type`` (0 when no range matches)."""
    best, best_q = -1, 0.0
    for media_range in ranges:
        level = media_range.specificity(media_type)
        if level > best:
            best, best_q = level, media_range.q
    return best_q if best >= 0 else 0.0


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offered media type the client prefers, or None when none is acceptable.

    Args:
        accept: the Accept header (None or empty means anything).
        offers: media types in the server's order of preference (lower case).

    Returns:
        One of ``offers``, or None.
    """
    ranges = parse_accept(accept)
    chosen, chosen_q = None, 0.0
    for offer in offers:
        q = quality(ranges, offer)
        if q > chosen_q:
            chosen, chosen_q = offer, q
    return chosen
