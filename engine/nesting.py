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
"""

from __future__ import annotations

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
