"""How deeply a SPARQL text nests, decided before any engine parses it.

Oxigraph's parser and optimiser recurse once per level of nesting: a query of 4,000
nested groups (``{{{{...}}}}``, 8 kB of text) overflowed an 8 MiB thread stack and
killed its process. Queries run in worker processes, so a crash there costs a worker
(the query is tried once more, then 503); updates run in the service process, where
a crash ends the service. So a text is refused with 400 when its groups, parentheses
and brackets (outside strings, IRIs and comments) nest deeper than ``MAX_NESTING``
(real queries nest a few levels, generated ones a few dozen). What nests only in the
algebra (thousands of ``BIND``, ``OPTIONAL`` or ``UNION`` one after the other) is
left to deep stacks (``engine.deep_stack``).

The check costs nothing for almost every text: one that holds fewer opening
characters than the limit cannot nest deeper than it; the others are lexed
(``api.sparql_text.lexemes``), so that brackets in strings, IRIs and comments do not
count.

JSON-LD bodies of Graph Store writes get the same check for their objects and arrays
(``check_json_nesting``): Oxigraph's JSON-LD parser recurses too (10,000 levels, 200 kB,
crashed it), while its Turtle, TriG, N3 and RDF/XML parsers read 50,000 levels fine.
"""

from __future__ import annotations

import re

from mipex_kg.api.errors import ProtocolError
from mipex_kg.api.sparql_text import lexemes

#: The deepest nesting of ``{``, ``(`` and ``[`` (together) that a text may have.
MAX_NESTING = 128

_OPENING = {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}


class NestedTooDeeply(ProtocolError):
    """The text nests groups, parentheses or brackets deeper than the service allows (400)."""

    code = "nested_too_deeply"


def check_nesting(text: str, limit: int = MAX_NESTING) -> None:
    """Refuse ``text`` when it nests deeper than ``limit``.

    >>> check_nesting("SELECT * { ?s ?p ?o FILTER(?o IN (1, 2)) }")
    >>> check_nesting("ASK " + "{" * 200 + "}" * 200)
    Traceback (most recent call last):
    ...
    mipex_kg.engine.nesting.NestedTooDeeply: the text nests groups, parentheses or brackets more than 128 deep (at line 1, column 133); at most 128 levels are allowed
    """
    if text.count("{") + text.count("(") + text.count("[") <= limit:
        return
    depth = 0
    for kind, start, end in lexemes(text):
        if kind in ("open", "close", "other") and end - start == 1:
            depth += _OPENING.get(text[start], 0)
            if depth > limit:
                line = text.count("\n", 0, start) + 1
                column = start - (text.rfind("\n", 0, start) + 1) + 1
                raise NestedTooDeeply(
                    f"the text nests groups, parentheses or brackets more than {limit} deep "
                    f"(at line {line}, column {column}); at most {limit} levels are allowed")


#: A JSON string (its escapes included), or one of the characters that open or close.
_JSON_PIECE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def check_json_nesting(body: bytes, limit: int = MAX_NESTING) -> None:
    """Refuse a JSON document whose objects and arrays nest deeper than ``limit``.

    >>> check_json_nesting(b'{"@id": "http://x/", "p": [{"@value": "[[[["}]}')
    """
    if body.count(b"{") + body.count(b"[") <= limit:
        return
    depth = 0
    for piece in _JSON_PIECE.finditer(body):
        bracket = piece.group()
        if len(bracket) == 1:
            depth += 1 if bracket in (b"{", b"[") else -1
            if depth > limit:
                raise NestedTooDeeply(
                    f"the JSON-LD body nests objects or arrays more than {limit} deep (at byte "
                    f"{piece.start()}); at most {limit} levels are allowed")
