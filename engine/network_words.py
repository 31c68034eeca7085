"""Whether a SPARQL text can name SERVICE or LOAD at all: the network decision's first step.

Nearly every query and update never mentions either keyword, and saying so needs no
parser: decode SPARQL's codepoint escapes (§19.2: ``\\u0053ERVICE`` is the keyword
SERVICE), fold to lower case, leave out IRI references, and look for the words. When
they are absent the text cannot call anywhere (certain); when present, the real
parse decides (``engine.guard``). Light on purpose (the standard library only): the
query workers and the store's in-process writes (``graph.quad_store.stay_offline``)
use it without importing a parser or the web framework.
"""

from __future__ import annotations

import re

#: SPARQL's codepoint escapes (§19.2), decoded anywhere in a text before it is parsed.
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def decode_escapes(text: str) -> str:
    r"""The text with SPARQL's codepoint escapes decoded (§19.2), as a parser sees it.

    >>> decode_escapes(r"\u0053ERVICE <x>")
    'SERVICE <x>'
    """
    def codepoint(match: re.Match[str]) -> str:
        value = int(match.group(1) or match.group(2), 16)
        return chr(value) if value <= 0x10FFFF else match.group(0)

    return _ESCAPE.sub(codepoint, text) if "\\" in text else text


#: An IRI reference (SPARQL's IRIREF): no spaces, no braces, no angle brackets inside.
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')


def may_connect(text: str, *, update: bool = False) -> bool:
    """Whether ``text`` may hold a SERVICE (or, in an update, a LOAD) at all.

    False is certain: decoded, folded to lower case and without its IRI references,
    the text lacks the word. (IRIs are left out because the service's own prefix
    ``sd:`` names the ``sparql-service-description`` vocabulary. A SERVICE keyword
    cannot hide in a span that looks like an IRI: it is followed, before its ``{``, by
    a space, ``<`` or ``{`` - none of which such a span may hold - or by a variable
    or prefixed name and a ``{``, with no ``>`` between that could end the span.)

    >>> may_connect("PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> ASK {}")
    False
    >>> may_connect("ASK { \\u0053ERVICE <http://x/> { } }")
    True
    """
    lowered = decode_escapes(text).lower()
    return _outside_iris(lowered, "service") or (update and _outside_iris(lowered, "load"))


def _outside_iris(lowered: str, word: str) -> bool:
    """Whether ``word`` occurs in ``lowered`` other than inside an IRI-shaped ``<...>``."""
    start = lowered.find(word)
    while start >= 0:
        opening = lowered.rfind("<", 0, start)
        closing = lowered.find(">", start)
        if opening < 0 or closing < 0 or not _IRIREF.fullmatch(lowered, opening, closing + 1):
            return True
        start = lowered.find(word, closing)
    return False
