"""Light lexical analysis of SPARQL text, for what the protocol needs before parsing.

pyoxigraph parses and runs a query in one call and exposes no syntax tree, yet the
endpoint must know some things first: the query form (to negotiate the response
format, and answer 406 before any work), whether the query names its own dataset
(``FROM``), and, for an update sent with ``using-graph-uri`` parameters, where to
put the ``USING`` clauses. A tokenizer that knows strings, IRIs, comments and
braces answers these exactly; the real parser still judges the syntax, so a text
this module misreads is refused by pyoxigraph, never run wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mipex_kg.api.errors import ProtocolError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"
              |'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][^\s{}()\[\];,.'"<>=!&|+*/^-]+)
  | (?P<word>(?:[A-Za-z](?:[\w.-]*[\w-])?)?:(?:[^\s{}()\[\];,'"<>.]|\.(?=[^\s{}()\[\];,'"<>.]))*
            |[A-Za-z_]\w*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int
    depth: int  # brace depth at the token (a brace counts at the outer level)

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def lexemes(text: str) -> Iterator[tuple[str, int, int]]:
    """Every piece of ``text`` in order, whitespace and comments included: (kind, start, end).

    Kinds: ws, comment, string, iri (codepoint escapes allowed inside, as SPARQL 1.2
    keeps them there), var, word, open, close, other.
    """
    for match in _TOKEN.finditer(text):
        yield match.lastgroup or "other", match.start(), match.end()


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of ``text`` (no whitespace, no comments)."""
    depth = 0
    for kind, start, end in lexemes(text):
        if kind in ("ws", "comment"):
            continue
        if kind == "close":
            depth = max(depth - 1, 0)
        yield Token(kind, text[start:end], start, end, depth)
        if kind == "open":
            depth += 1


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; None when the text is not a query.

    >>> query_form("PREFIX ex: <http://ex/> # c\\n select * { ?s ?p ?o }")
    'SELECT'
    >>> query_form("INSERT DATA { <a> <b> <c> }") is None
    True
    """
    expect_iri = False
    for token in tokens(text):
        keyword = token.keyword
        if expect_iri:
            expect_iri = token.kind != "iri"
        elif keyword in ("BASE", "PREFIX"):
            expect_iri = True
        elif keyword in QUERY_FORMS:
            return keyword
        else:
            return None
    return None


def has_dataset_clause(text: str) -> bool:
    """Whether a query names its own dataset with FROM or FROM NAMED.

    >>> has_dataset_clause("SELECT * FROM <http://g> { ?s ?p ?o }")
    True
    >>> has_dataset_clause("SELECT * { ?s <http://ex/from> ?o FILTER(?o != 'FROM') }")
    False
    """
    return any(t.depth == 0 and t.keyword == "FROM" for t in tokens(text))


def apply_update_dataset(
    text: str, using: Sequence[str] = (), using_named: Sequence[str] = ()
) -> str:
    """Put the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` into an update.

    Every operation with a WHERE clause gets ``USING <g>`` and ``USING NAMED <g>``
    clauses before its WHERE (SPARQL 1.1 Protocol §2.2.3); the ``DELETE WHERE``
    shorthand, which cannot carry USING, is spelled out first as the equivalent
    ``DELETE { P } USING ... WHERE { P }``. Operations without WHERE are unchanged.

    Raises:
        ProtocolError: the update has its own USING or WITH clause (the protocol says
            that is an error), or a graph IRI is not a valid IRI reference.
    """
    if not using and not using_named:
        return text
    for iri in (*using, *using_named):
        if not re.fullmatch(r"[^<>\"{}|^`\\\x00-\x20]+", iri):
            raise ProtocolError(f"not a valid graph IRI: {iri!r}")
    clauses = "".join(f" USING <{g}>" for g in using)
    clauses += "".join(f" USING NAMED <{g}>" for g in using_named)
    toks = list(tokens(text))
    top = [i for i, t in enumerate(toks) if t.depth == 0]
    for i in top:
        if toks[i].keyword in ("USING", "WITH"):
            raise ProtocolError(
                "the update has its own USING or WITH clause; it cannot be combined with "
                "using-graph-uri or using-named-graph-uri parameters"
            )
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in text order
    previous = ""
    for i in top:
        token = toks[i]
        if token.keyword == "WHERE":
            if previous == "DELETE":
                body = _group_text(text, toks, i + 1)
                edits.append((token.start, token.end, f"{body}{clauses} WHERE"))
            else:
                edits.append((token.start, token.start, f"{clauses.strip()} "))
        previous = token.keyword if token.kind == "word" else token.text
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text


def _group_text(text: str, toks: list[Token], index: int) -> str:
    """The text of the ``{ ... }`` group that starts at token ``index``."""
    if index >= len(toks) or toks[index].kind != "open":
        raise ProtocolError("DELETE WHERE must be followed by a { ... } pattern")
    depth = toks[index].depth
    for token in toks[index + 1:]:
        if token.kind == "close" and token.depth == depth:
            return text[toks[index].start:token.end]
    raise ProtocolError("unbalanced braces in the update")


def keyword_count(text: str, keyword: str) -> int:
    """How often ``keyword`` stands as a keyword (not in a string, IRI, comment or name).

    Names follow the grammar: a keyword is letters only, and a dot ends it (``true.SERVICE``
    is ``true``, ``.``, ``SERVICE``), while a prefixed name or blank node label may hold
    inner dots (``ex:a.SERVICE`` is one name). Codepoint escapes must be decoded first
    (``engine.network_words.decode_escapes``).

    >>> keyword_count("SELECT * { ?s ?p true.SERVICE <x> {} }", "SERVICE")
    1
    >>> keyword_count("SELECT * { ?s <http://ex/service> 'SERVICE <http://x>' }", "SERVICE")
    0
    """
    keyword = keyword.upper()
    return sum(1 for token in tokens(text) if token.keyword == keyword)
