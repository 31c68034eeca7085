"""Reading one SPARQL operation from an HTTP request (SPARQL 1.1 Protocol §2).

    GET  /sparql?query=...                              query
    POST /sparql  application/x-www-form-urlencoded     query=... or update=...
    POST /sparql  application/sparql-query              the body is the query
    POST /sparql  application/sparql-update             the body is the update
    GET  /sparql                                        the service description

Dataset parameters: ``default-graph-uri`` / ``named-graph-uri`` for queries,
``using-graph-uri`` / ``using-named-graph-uri`` for updates (repeatable, in the URL
or, for form posts, in the body too). Response format parameters: ``format`` and
``output``.

Refused with 400: two queries, two updates, a query and an update together, an
update by GET, a missing query or update, a dataset parameter of the other kind, a
graph IRI that is not absolute, a body that is not UTF-8. Refused with 415: a POST
without a Content-Type, of another type, or declaring a charset other than UTF-8.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import Request

from mipex_kg.api.bodies import check_size, read_body
from mipex_kg.api.errors import ProtocolError, UnsupportedMediaType
from mipex_kg.api.sparql_text import QUERY_FORMS, has_dataset_clause, query_form

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"

_QUERY_DATASET = ("default-graph-uri", "named-graph-uri")
_UPDATE_DATASET = ("using-graph-uri", "using-named-graph-uri")
_FORMAT_PARAMETERS = ("format", "output")
_SIZE_SETTING = "MIPEX_KG_MAX_QUERY_BYTES"


@dataclass(frozen=True)
class SparqlOperation:
    """A query, an update, or a request for the service description."""

    kind: Literal["query", "update", "description"]
    text: str = ""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()
    format_values: tuple[str, ...] = ()
    timeout: float | None = None  # the request's own time limit, in seconds

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


async def read_operation(request: Request, max_bytes: int) -> SparqlOperation:
    """The operation an HTTP request asks for.

    ``max_bytes`` bounds the query string and the body (413 beyond).

    Raises:
        PayloadTooLarge: the request is longer than ``max_bytes`` (413).
        ProtocolError: the request breaks the protocol (400).
        UnsupportedMediaType: a POST body of a type the endpoint does not read (415).
    """
    query_string: bytes = request.scope.get("query_string", b"")
    check_size(query_string, max_bytes, "a query string", _SIZE_SETTING)
    if query_string.isascii():  # what Starlette's request.query_params would give
        params = form_pairs(query_string, errors="replace")
    else:
        params = list(request.query_params.multi_items())
    if request.method in ("GET", "HEAD"):
        if _values(params, "update"):
            raise ProtocolError("SPARQL Update must be sent with POST, not GET")
        if not _values(params, "query"):
            if any(_values(params, name) for name in _QUERY_DATASET):
                raise ProtocolError("dataset parameters were given without a query")
            return SparqlOperation("description", format_values=_format_values(params))
        return _operation(params)
    media_type = _content_type(request.headers.get("content-type"))
    body = await read_body(request, max_bytes, "a SPARQL request body", _SIZE_SETTING)
    if media_type == FORM:
        try:
            form = form_pairs(body, errors="strict")
        except UnicodeDecodeError as error:
            raise ProtocolError("the form body is not UTF-8 text") from error
        return _operation(params + form)
    if media_type in (QUERY, UPDATE):
        name = "query" if media_type == QUERY else "update"
        if _values(params, "query") or _values(params, "update"):
            raise ProtocolError(
                f"a direct POST of {media_type} carries the {name} in its body; "
                "the URL must not have query= or update= too"
            )
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError(f"the {name} is not UTF-8 text") from error
        return _operation([*params, (name, text)])
    raise UnsupportedMediaType(
        f"a POST to the SPARQL endpoint must have Content-Type {FORM}, {QUERY} or {UPDATE}"
        + (f", not {media_type}" if media_type else "")
    )


_escape_decode: Callable[[bytes], tuple[bytes, int]] | None = getattr(codecs, "escape_decode", None)


def form_pairs(data: bytes, *, errors: str) -> list[tuple[str, str]]:
    """``parse_qsl(data.decode(), keep_blank_values=True, errors=errors)``, faster.

    urllib decodes percent escapes one by one in Python (about 40 us for a query
    with the usual PREFIX lines, a tenth of a small request). For ASCII data, the
    same bytes come from C: "+" to space, then every "%" turned into a "\\x" escape
    (backslashes doubled first) for ``codecs.escape_decode``. A "%" without two hex
    digits, which urllib keeps as it is, makes that fail: then urllib decodes.

    Raises:
        UnicodeDecodeError: with ``errors="strict"``, an escape is not UTF-8.
    """
    if _escape_decode is None or not data.isascii():
        return parse_qsl(data.decode("utf-8" if errors == "strict" else "latin-1"),
                         keep_blank_values=True, errors=errors)
    pairs = []
    try:
        for field in data.split(b"&"):
            if not field:
                continue
            name, _, value = field.partition(b"=")
            pairs.append((_unquote(name), _unquote(value)))
    except _BadEscape:
        return parse_qsl(data.decode("ascii"), keep_blank_values=True, errors=errors)
    return [(name.decode("utf-8", errors), value.decode("utf-8", errors)) for name, value in pairs]


class _BadEscape(Exception):
    pass


def _unquote(data: bytes) -> bytes:
    data = data.replace(b"+", b" ")
    if b"%" not in data:
        return data
    assert _escape_decode is not None
    try:
        return _escape_decode(data.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError as error:
        raise _BadEscape from error


def _content_type(header: str | None) -> str:
    """The media type of a body; no type, or a charset other than UTF-8, is a 415."""
    if not header or not header.strip():
        raise UnsupportedMediaType(
            f"a POST to the SPARQL endpoint needs a Content-Type: {FORM}, {QUERY} or {UPDATE}"
        )
    media_type, *params = (part.strip() for part in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset not in (None, "utf-8", "utf8", "us-ascii"):
        raise UnsupportedMediaType(f"the body must be UTF-8, not {charset}")
    return media_type.lower()


def _values(params: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in params if key == name]


def _format_values(params: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(v for name in _FORMAT_PARAMETERS for v in _values(params, name) if v.strip())


def _graphs(params: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    graphs = _values(params, name)
    for iri in graphs:
        try:
            ox.NamedNode(iri)
        except ValueError as error:
            raise ProtocolError(f"{name} is not an absolute IRI: {iri!r}") from error
    return tuple(graphs)


def _timeout(params: list[tuple[str, str]]) -> float | None:
    """The ``timeout`` parameter: seconds, a positive number (as Virtuoso and QLever take)."""
    values = _values(params, "timeout")
    if not values:
        return None
    try:
        seconds = float(values[-1])
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise ProtocolError(f"parameter 'timeout' must be a positive number of seconds, "
                            f"not {values[-1]!r}")
    return seconds


def _operation(params: list[tuple[str, str]]) -> SparqlOperation:
    queries, updates = _values(params, "query"), _values(params, "update")
    if queries and updates:
        raise ProtocolError("a request carries either a query or an update, not both")
    if len(queries) > 1 or len(updates) > 1:
        raise ProtocolError("a request carries exactly one query or update, not several")
    if not queries and not updates:
        raise ProtocolError("the request has no query= or update= parameter")
    if queries:
        if any(_values(params, name) for name in _UPDATE_DATASET):
            raise ProtocolError("using-graph-uri and using-named-graph-uri apply to updates")
        return SparqlOperation(
            "query",
            queries[0],
            default_graphs=_graphs(params, "default-graph-uri"),
            named_graphs=_graphs(params, "named-graph-uri"),
            format_values=_format_values(params),
            timeout=_timeout(params),
        )
    if any(_values(params, name) for name in _QUERY_DATASET):
        raise ProtocolError(
            "default-graph-uri and named-graph-uri apply to queries; "
            "updates take using-graph-uri and using-named-graph-uri"
        )
    return SparqlOperation(
        "update",
        updates[0],
        using_graphs=_graphs(params, "using-graph-uri"),
        using_named_graphs=_graphs(params, "using-named-graph-uri"),
    )


# -- what the endpoint must know about a query before running it ------------------------


@dataclass(frozen=True)
class QueryFacts:
    """The query form, and whether the query names its dataset (FROM)."""

    form: str | None
    has_dataset_clause: bool


_IRI = r"""<[^<>"{}|^`\\\x00-\x20]*>"""
#: The prologue (BASE, PREFIX, whitespace, comments) and the keyword after it. Where it
#: matches, ``sparql_text.query_form`` finds the same keyword; elsewhere it is asked.
_PROLOGUE_AND_FORM = re.compile(
    rf"(?:\s|\#[^\n\r]*+|BASE\s*{_IRI}|PREFIX\s+(?:[A-Za-z_][\w.-]*)?:\s*{_IRI})*+"
    r"(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w.:-])",
    re.IGNORECASE,
)
# Every text in which the tokenizer finds the keyword has a match of these (in lower
# case) that is not preceded by a letter or "_" (a keyword token is never preceded by
# one, nor followed by a name character or ":"); such texts are tokenized to be sure
# (the word may be in a string, an IRI, a comment). Lookbehind in the pattern itself
# would cost the search its literal-prefix scan (30x slower).
_FROM = re.compile(r"from(?![\w.:-])")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyz_")


def _may_have_keyword(lowered: str, pattern: re.Pattern[str]) -> bool:
    return any(m.start() == 0 or lowered[m.start() - 1] not in _NAME_START
               for m in pattern.finditer(lowered))


_FACTS_MEMO: dict[str, QueryFacts] = {}
_FACTS_MEMO_SIZE = 1024
_FACTS_MEMO_MAX_TEXT = 16 * 1024
_facts_lock = threading.Lock()


def query_facts(text: str) -> QueryFacts:
    """What ``sparql_text`` says about ``text``, without tokenizing it when avoidable.

    The tokenizer costs about 0.1 ms per kilobyte per question (a query with the
    usual PREFIX lines: 0.5-0.8 ms for the three), more than the rest of a small
    request. A prologue regex answers the form; FROM is looked for only in texts
    that contain the word. Non-ASCII texts (case folding differs between
    ``re.IGNORECASE`` and ``str.upper``) always take the tokenizer. Recent answers
    are remembered by text.
    """
    facts = _FACTS_MEMO.get(text)
    if facts is not None:
        return facts
    facts = _analyse(text)
    if len(text) <= _FACTS_MEMO_MAX_TEXT:
        with _facts_lock:
            if len(_FACTS_MEMO) >= _FACTS_MEMO_SIZE:
                _FACTS_MEMO.pop(next(iter(_FACTS_MEMO)))  # the oldest entry
            _FACTS_MEMO[text] = facts
    return facts


def _analyse(text: str) -> QueryFacts:
    if not text.isascii():
        return QueryFacts(query_form(text), has_dataset_clause(text))
    match = _PROLOGUE_AND_FORM.match(text)
    form = match.group(1).upper() if match else None
    if form not in QUERY_FORMS:
        form = query_form(text)
    lowered = text.lower()  # ASCII: exactly A-Z to a-z
    dataset = _may_have_keyword(lowered, _FROM) and has_dataset_clause(text)
    return QueryFacts(form, dataset)
