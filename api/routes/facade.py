"""What every REST route and named-query endpoint shares.

``Facade`` holds the store, the named queries and the store's known codes, and
runs a named query with request parameters. The rest turns a request into
parameters (unknown or repeated parameters are refused, ``limit``/``offset``/
``format`` read), chooses the response format (``format=`` first, then ``Accept``),
and writes one table of rows as JSON (``{"items": [...], "links": {...}}``), CSV,
or a SPARQL result format, with ``Link`` headers for the pages.

Every refusal is an ``ApiError`` (the service's one JSON error body); a parameter
that does not fit is ``InvalidParameter`` (422), whose ``problems`` name it as
``query.<name>`` or ``path.<name>``.
"""

from __future__ import annotations

import contextvars
import csv
import functools
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio.from_thread
import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import Response

from mipex_kg.api.errors import ApiError, NotAcceptable
from mipex_kg.api.negotiation import negotiate
from mipex_kg.api.overview import MISSING_DATA_HINT, scores_loaded
from mipex_kg.api.query_params import VocabularyCache
from mipex_kg.api.query_registry import (
    MAX_PAGE,
    InvalidParameters,
    PreparedQuery,
    QueryRegistry,
    Rows,
)
from mipex_kg.api.urls import public_url
from mipex_kg.engine.federation import retarget
from mipex_kg.engine.network_words import may_connect
from mipex_kg.engine.query_engine import QueryEngine
from mipex_kg.engine.worker import QueryTask
from mipex_kg.graph.namespaces import PREFIXES, XSD
from mipex_kg.graph.quad_store import QuadStore

Row = dict[str, Any]
MAX_OFFSET = 1_000_000

TABLE_FORMATS = {
    "json": "application/json",
    "csv": "text/csv",
    "srj": "application/sparql-results+json",
    "srx": "application/sparql-results+xml",
    "tsv": "text/tab-separated-values",
}
REST_FORMATS = ("json", "csv")

_INTEGERS = {XSD[t].value for t in ("integer", "int", "long", "short", "nonNegativeInteger",
                                    "positiveInteger", "unsignedInt", "unsignedLong")}
_NUMBERS = {XSD[t].value for t in ("decimal", "double", "float")}
_BOOLEAN = XSD.boolean.value


class InvalidParameter(ApiError):
    """422: one or more request parameters do not fit; ``problems`` name each."""

    status, code = 422, "invalid_parameters"

    @classmethod
    def of(cls, problems: Sequence[tuple[str, str]], note: str = "") -> InvalidParameter:
        """The error for ``problems``; ``note`` (if any) follows the detail as a sentence."""
        detail = "; ".join(f"parameter {where.split('.', 1)[-1]!r}: {message}"
                           for where, message in problems)
        return cls(f"{detail}. {note}" if note else detail,
                   problems=[f"{where}: {message}" for where, message in problems],
                   invalid_params=[{"name": where.split(".", 1)[-1],
                                    "in": where.split(".", 1)[0] if "." in where else "query",
                                    "reason": message} for where, message in problems])


@dataclass
class Facade:
    """The store, the named queries and the store's known codes, for the routes.

    Results are kept in a small LRU cache (``cache_size`` entries; 0 switches it
    off), keyed by query, bound terms and page, and emptied whenever the store's
    version changes: the data is read-mostly, and some answers (coverage counts,
    the first pages of unfiltered lists) cost a scan of every observation.
    """

    store: QuadStore
    registry: QueryRegistry
    engine: QueryEngine
    cache_size: int = 256
    vocabulary: VocabularyCache = field(init=False)
    _cache: OrderedDict[Hashable, Rows] = field(init=False, default_factory=OrderedDict)
    _cache_version: str = field(init=False, default="")
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _scores_checked: str | None = field(init=False, default=None)
    _has_scores: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.vocabulary = VocabularyCache(self.store)

    def missing_data_note(self) -> str:
        """How to load the workbooks, when the store has no scores (else empty): an
        "unknown indicator" on a store with the reference data only says why."""
        version = self.store.version
        if self._scores_checked != version:
            self._has_scores = scores_loaded(self.store)
            self._scores_checked = version
        return "" if self._has_scores else MISSING_DATA_HINT

    def run(self, name: str, values: Mapping[str, str | None], *, location: str = "query",
            limit: int | None = None, offset: int = 0) -> Rows:
        """Run one named query with request values (text), checked and bound.

        Raises:
            InvalidParameter: a value does not fit its parameter.
        """
        query = self.registry[name]
        try:
            bound = query.parse_params(values, self.vocabulary.get(), location)
        except InvalidParameters as exc:
            raise InvalidParameter.of(exc.problems, self.missing_data_note()) from None
        key = (name, tuple((k, tuple(map(str, v)) if v else None) for k, v in bound.items()),
               limit, offset)
        version = self.store.version
        with self._lock:
            if version != self._cache_version:
                self._cache.clear()
                self._cache_version = version
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rows = self._through_engine(self.registry.prepare(self.store, name, bound, limit, offset))
        if self.cache_size > 0:
            with self._lock:
                if version == self._cache_version:
                    self._cache[key] = rows
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return rows


    def _through_engine(self, prepared: PreparedQuery) -> Rows:
        """Run a prepared query in the engine, from a route's worker thread.

        The engine (its time limit, its fair share of workers for the request's
        client, ``CLIENT``) answers in TSV, which keeps every term as it is.
        """
        sparql = prepared.sparql
        if may_connect(sparql):  # a federated named query: to the configured endpoints
            sparql = retarget(sparql, self.engine.settings)
        task = QueryTask(
            query=sparql, results_format=TSV, rdf_format="application/n-triples",
            row_limit=0, default_graphs=prepared.default_graphs,
            union_default_graph=True, prefixes=PREFIXES,
            substitutions={v.value: t for v, t in prepared.substitutions.items()} or None)
        outcome = anyio.from_thread.run(
            functools.partial(self.engine.run, task, client=CLIENT.get()))
        results = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.TSV)
        assert isinstance(results, ox.QuerySolutions)
        return prepared.rows([v.value for v in results.variables], list(results))


#: The client of the request being answered (set by ``remember_client`` per request).
CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("client", default="internal")
TSV = "text/tab-separated-values"


async def remember_client(request: Request) -> None:
    """Route dependency: note the request's client for the engine (an async one, so
    that the value is visible to the route's worker thread)."""
    CLIENT.set(request.app.state.engine.clients.of(request.scope))


# -- reading the request -------------------------------------------------------------


@dataclass
class Page:
    """The ``limit`` and ``offset`` of a request."""

    limit: int
    offset: int


def request_params(request: Request, allowed: Sequence[str]) -> dict[str, str]:
    """The query parameters, refusing unknown ones and repeats (422)."""
    problems = []
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed:
            problems.append((f"query.{name}", f"unknown parameter; this route takes: "
                             f"{', '.join(allowed) or 'none'}"))
        elif name in values:
            problems.append((f"query.{name}", "given more than once (for a list, separate "
                             "values with commas)"))
        else:
            values[name] = value
    if problems:
        raise InvalidParameter.of(problems)
    return values


def read_page(values: Mapping[str, str], default: int) -> Page:
    """``limit`` (1 to ``MAX_PAGE``) and ``offset`` (0 or more) from request values."""
    problems = []
    limit, offset = default, 0
    for name, low, high in (("limit", 1, MAX_PAGE), ("offset", 0, MAX_OFFSET)):
        raw = values.get(name)
        if raw is None:
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            problems.append((f"query.{name}", f"must be an integer from {low} to {high}"))
        elif name == "limit":
            limit = int(raw)
        else:
            offset = int(raw)
    if problems:
        raise InvalidParameter.of(problems)
    return Page(limit, offset)


def choose_format(request: Request, values: Mapping[str, str], offered: Sequence[str]) -> str:
    """The short name of the response format: ``format=`` first, then ``Accept``.

    Raises:
        InvalidParameter: an unknown ``format=``.
        NotAcceptable: nothing offered satisfies Accept.
    """
    if "format" in values:
        if values["format"] not in offered:
            raise InvalidParameter.of([("query.format", f"must be one of {', '.join(offered)}")])
        return values["format"]
    media = negotiate(request.headers.get("accept"), [TABLE_FORMATS[f] for f in offered])
    if media is None:
        raise NotAcceptable(f"none of the types in Accept is available here; offered: "
                            f"{', '.join(TABLE_FORMATS[f] for f in offered)} (or format=)")
    return next(f for f in offered if TABLE_FORMATS[f] == media)


# -- values and rows -----------------------------------------------------------------


def to_python(term: Any) -> Any:
    """A term as a JSON value: IRIs and strings as text, numbers, booleans."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in _INTEGERS:
                return int(term.value)
            if datatype in _NUMBERS:
                number = float(term.value)
                return number if math.isfinite(number) else term.value
        except ValueError:
            return term.value
        if datatype == _BOOLEAN:
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def to_text(term: Any) -> str:
    """A term as CSV text: the IRI or the literal's lexical form."""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else str(term.value)


def rows_of(rows: Rows) -> list[Row]:
    """Every solution as a dict of JSON values (unbound: None)."""
    columns = rows.columns
    return [{c: to_python(s[c]) for c in columns} for s in rows.solutions]


# -- writing the response ------------------------------------------------------------


def page_links(request: Request, page: Page | None, has_more: bool) -> dict[str, str]:
    """Absolute links to this page and its neighbours."""
    links = {"self": public_url(request)}
    if page is None:
        return links

    def at(offset: int) -> str:
        return public_url(request, request.url.include_query_params(limit=page.limit,
                                                                     offset=offset))

    links["first"] = at(0)
    if page.offset > 0:
        links["prev"] = at(max(0, page.offset - page.limit))
    if has_more:
        links["next"] = at(page.offset + page.limit)
    return links


def link_header(links: Mapping[str, str]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if rel != "self")


def json_response(body: Mapping[str, Any], links: Mapping[str, str] | None = None) -> Response:
    headers = {"Link": link_header(links)} if links and link_header(links) else None
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                    media_type="application/json", headers=headers)


def csv_response(columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
                 links: Mapping[str, str] | None = None) -> Response:
    """RFC 4180 CSV, one header line; IRIs and literals by their text, unbound empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _csv_value(row[c]) for c in columns])
    headers = {"Link": link_header(links)} if links and link_header(links) else None
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers=headers)


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sparql_json(rows: Rows) -> dict[str, Any]:
    """SPARQL 1.1 Query Results JSON of the rows."""
    bindings = []
    for solution in rows.solutions:
        binding = {}
        for name in rows.columns:
            term = solution[name]
            if term is not None:
                binding[name] = _json_term(term)
        bindings.append(binding)
    return {"head": {"vars": rows.columns}, "results": {"bindings": bindings}}


def _json_term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    result = {"type": "literal", "value": term.value}
    if term.language:
        result["xml:lang"] = term.language
    elif term.datatype != XSD.string:
        result["datatype"] = term.datatype.value
    return result


def sparql_response(rows: Rows, fmt: str, links: Mapping[str, str]) -> Response:
    """The rows in a SPARQL result format (JSON written here; XML and TSV by pyoxigraph)."""
    body = json.dumps(sparql_json(rows), ensure_ascii=False).encode("utf-8")
    if fmt != "srj":
        target = {"srx": ox.QueryResultsFormat.XML, "tsv": ox.QueryResultsFormat.TSV}[fmt]
        parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        body = parsed.serialize(format=target) or b""
    headers = {"Link": link_header(links)} if link_header(links) else None
    media = TABLE_FORMATS[fmt]
    return Response(body, media_type=f"{media}; charset=utf-8" if media.startswith("text/")
                    else media, headers=headers)


def table_response(request: Request, fmt: str, rows: Rows, *, page: Page | None,
                   extra: Mapping[str, Any] | None = None) -> Response:
    """One table of solutions in the chosen format, with page links."""
    links = page_links(request, page, rows.has_more)
    if fmt in ("srj", "srx", "tsv"):
        return sparql_response(rows, fmt, links)
    if fmt == "csv":  # the lexical forms, exactly as in the graph
        lexical = [{c: None if s[c] is None else to_text(s[c]) for c in rows.columns}
                   for s in rows.solutions]
        return csv_response(rows.columns, lexical, links)
    items = rows_of(rows)
    return json_response(envelope(items, rows.columns, page, links, extra), links)


def envelope(items: list[Row], columns: Sequence[str], page: Page | None,
             links: Mapping[str, str], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of a list: items, their columns, the page and its links."""
    body: dict[str, Any] = dict(extra or {})
    body.update({"columns": list(columns), "count": len(items), "items": items})
    if page is not None:
        body.update({"limit": page.limit, "offset": page.offset})
    body["links"] = dict(links)
    return body


def slice_page(items: list[Any], page: Page) -> tuple[list[Any], bool]:
    """One page of a list computed whole (small lists), and whether more follow."""
    return items[page.offset:page.offset + page.limit], len(items) > page.offset + page.limit
