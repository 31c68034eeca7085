"""Federated queries: our graph joined with EU SPARQL endpoints through ``SERVICE``.

The named queries ``queries/federated-*.rq`` are plain SPARQL 1.1 federated queries,
written for the real EU endpoints (``SERVICE <https://publications.europa.eu/webapi/
rdf/sparql>`` ...): any SPARQL 1.1 engine with federation can run them as they are,
and pyoxigraph itself can too (its wheels include an HTTP client: ``SERVICE`` works,
checked). ``run_federated`` runs them here, with two things pyoxigraph's own
``SERVICE`` does not give:

* **the endpoint comes from the settings**: each known EU endpoint IRI written in a
  query (``ENDPOINTS``) is replaced by the address configured in
  ``Settings.eu_country_endpoint`` / ``eu_nuts_endpoint`` / ``cordis_endpoint`` (a
  mirror, a test stand-in ...); other IRIs are called as written;
* **a time limit and a clear error**: pyoxigraph's ``SERVICE`` has no time limit (a
  silent endpoint blocks the query for good) and reports a refused connection as a
  bare ``ConnectionRefusedError``. Here each remote call goes through httpx with
  ``Settings.federation_timeout`` and any failure is a ``FederationError`` that names
  the endpoint and what went wrong (``SERVICE SILENT`` turns it into "no solutions
  from that service" as SPARQL says).

How a query is evaluated (a bind join, done in Python):

1. find the first ``SERVICE <iri> { P }`` block (comments, strings and IRIs are
   skipped by a small scanner; nested ``SERVICE`` blocks go to the remote as they are);
2. **probe** the local store for the values of the variables that ``P`` shares with
   the rest of the query: the query's WHERE clause with every ``SERVICE`` block
   emptied, projecting just those variables (``SELECT DISTINCT``); when the probe
   finds nothing, the join is empty and the endpoint is not called at all;
3. send ``SELECT * WHERE { VALUES (shared vars) { probed rows } P }`` to the endpoint
   (SPARQL protocol, POST, JSON results), so the remote only looks up what we have
   (without the VALUES block when more than ``MAX_BOUND_ROWS`` rows were probed);
4. replace the block in the query by ``{ VALUES (vars) { remote rows } }``;
5. repeat for the next ``SERVICE`` block, then run the rewritten query locally.

``retarget`` only swaps the endpoint addresses, for running a query with pyoxigraph's
own ``SERVICE`` where something else bounds the time (the query workers of the HTTP
service kill a query past its limit); both ways give the same rows (tested).

A rule for writing federated queries that follows from step 2: conditions on the
remote variables belong inside the ``SERVICE`` block (a FILTER outside it on a remote
variable would empty the probe). Blank nodes in remote answers cannot be written into
``VALUES``: they become UNDEF.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyoxigraph as ox

from mipex_kg.graph.namespaces import PREFIXES, sparql_prologue
from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.settings import Settings

#: The EU endpoints the named queries are written for -> the setting that may move them.
ENDPOINTS: dict[str, str] = {
    "https://publications.europa.eu/webapi/rdf/sparql": "eu_country_endpoint",
    "http://publications.europa.eu/webapi/rdf/sparql": "eu_country_endpoint",
    "https://data.europa.eu/sparql": "eu_nuts_endpoint",
    "https://cordis.europa.eu/datalab/sparql": "cordis_endpoint",
}

#: Above this many probed rows the remote query is sent without a VALUES block.
MAX_BOUND_ROWS = 500
JSON_RESULTS = "application/sparql-results+json"


class FederationError(RuntimeError):
    """A remote SPARQL endpoint could not answer; the message says which and why."""

    def __init__(self, service: str, endpoint: str, reason: str) -> None:
        where = endpoint if endpoint == service else f"{endpoint} (for SERVICE <{service}>)"
        super().__init__(f"the SPARQL endpoint {where} {reason}")
        self.service, self.endpoint, self.reason = service, endpoint, reason


@dataclass(frozen=True)
class ServiceBlock:
    """One ``SERVICE [SILENT] <iri> { ... }`` in a query's text."""

    start: int  # index of the SERVICE keyword
    end: int  # index after the closing brace
    iri: str | None  # None when the service is named by a variable
    silent: bool
    body: str  # the text between the braces


@dataclass
class FederatedRun:
    """What ``run_federated`` did: the rewritten query and each remote call."""

    sparql: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)


# -- scanning SPARQL text -------------------------------------------------------------

_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_PNAME = re.compile(r"([A-Za-z][\w.-]*)?:([\w.-]*)")
_VAR = re.compile(r"[?$]([A-Za-z_]\w*)")
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def _skip(text: str, i: int) -> int | None:
    """If a comment, string or IRI starts at ``i``, the index after it; else None."""
    char = text[i]
    if char == "#":
        end = text.find("\n", i)
        return len(text) if end < 0 else end + 1
    if char in "\"'":
        long = text.startswith(char * 3, i)
        quote = char * 3 if long else char
        j = i + len(quote)
        while j < len(text):
            if text[j] == "\\":
                j += 2
                continue
            if text.startswith(quote, j):
                return j + len(quote)
            if not long and text[j] == "\n":
                break
            j += 1
        return len(text)
    if char == "<":
        match = _IRI.match(text, i)
        return match.end() if match else None
    return None


def _matching_brace(text: str, open_at: int) -> int:
    """The index of the brace that closes the one at ``open_at``."""
    depth, i = 0, open_at
    while i < len(text):
        skipped = _skip(text, i)
        if skipped is not None:
            i = skipped
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise SyntaxError("unbalanced braces in the query")


def _code_positions(text: str):  # type: ignore[no-untyped-def]
    """Indices of characters outside comments, strings and IRIs."""
    i = 0
    while i < len(text):
        skipped = _skip(text, i)
        if skipped is not None:
            i = skipped
            continue
        yield i
        i += 1


def _prefixes(text: str) -> dict[str, str]:
    declared = dict(PREFIXES)
    declared.update({(p or ""): iri for p, iri in _PREFIX_DECL.findall(text)})
    return declared


def find_services(text: str) -> list[ServiceBlock]:
    """The outermost SERVICE blocks of a query, in text order."""
    blocks: list[ServiceBlock] = []
    prefixes = _prefixes(text)
    positions = _code_positions(text)
    for i in positions:
        if blocks and i < blocks[-1].end:
            continue
        if not (text[i] in "Ss" and text[i:i + 7].upper() == "SERVICE"
                and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_?$:"))
                and not (i + 7 < len(text) and (text[i + 7].isalnum() or text[i + 7] == "_"))):
            continue
        j = _skip_space(text, i + 7)
        silent = text[j:j + 6].upper() == "SILENT" and not text[j + 6:j + 7].isalnum()
        if silent:
            j = _skip_space(text, j + 6)
        iri: str | None
        if text[j] == "<":
            match = _IRI.match(text, j)
            if not match:
                raise SyntaxError(f"bad IRI after SERVICE at character {j}")
            iri, j = match.group(0)[1:-1], match.end()
        elif text[j] in "?$":
            match = _VAR.match(text, j)
            iri, j = None, match.end() if match else j + 1
        else:
            match = _PNAME.match(text, j)
            if not match or (match.group(1) or "") not in prefixes:
                raise SyntaxError(f"unknown prefixed name after SERVICE at character {j}")
            iri, j = prefixes[match.group(1) or ""] + match.group(2), match.end()
        j = _skip_space(text, j)
        if text[j] != "{":
            raise SyntaxError(f"expected '{{' after SERVICE at character {j}")
        close = _matching_brace(text, j)
        blocks.append(ServiceBlock(i, close + 1, iri, silent, text[j + 1:close]))
    return blocks


def _skip_space(text: str, i: int) -> int:
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] == "#":
            i = _skip(text, i) or len(text)
        else:
            break
    return i


def _variables(text: str) -> set[str]:
    return {m.group(1) for i in _code_positions(text) if text[i] in "?$"
            for m in [_VAR.match(text, i)] if m}


def _outer_where(text: str) -> tuple[int, int]:
    """Start and end (inclusive braces) of the outer query's WHERE group."""
    for i in _code_positions(text):
        if text[i] == "{":
            return i, _matching_brace(text, i)
    raise SyntaxError("the query has no WHERE clause")


# -- terms into SPARQL ------------------------------------------------------------------


def _sparql_term(term: object) -> str:
    """A remote term as SPARQL text (N-Triples syntax is valid SPARQL); UNDEF otherwise."""
    if isinstance(term, ox.NamedNode):
        if re.search(r"[\s<>\"{}|\\^`]", term.value):
            raise ValueError(f"refusing to write IRI {term.value!r}")
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return str(term)
    return "UNDEF"


def _values_block(variables: list[str], rows: list[list[object]]) -> str:
    if not variables:
        return "{}" if rows else "{ FILTER(false) }"
    head = " ".join(f"?{v}" for v in variables)
    body = "\n    ".join("(" + " ".join(_sparql_term(t) for t in row) + ")" for row in rows)
    return f"{{ VALUES ({head}) {{\n    {body}\n  }} }}"


# -- running ----------------------------------------------------------------------------


def endpoint_for(service: str, settings: Settings) -> str:
    """The address to call for a SERVICE IRI: the configured one for the known EU endpoints."""
    setting = ENDPOINTS.get(service)
    return str(getattr(settings, setting)) if setting else service


def remote_select(endpoint: str, query: str, timeout: float, service: str = "",
                  client: httpx.Client | None = None) -> tuple[list[str], list[list[object]]]:
    """Run a SELECT on a SPARQL endpoint; (variables, rows of terms).

    Raises:
        FederationError: unreachable, too slow, an HTTP error, or not SPARQL JSON results.
    """
    service = service or endpoint
    own = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        response = client.post(endpoint, data={"query": query},
                               headers={"Accept": JSON_RESULTS, "User-Agent": "mipex-kg"},
                               timeout=timeout)
    except httpx.TimeoutException as exc:
        raise FederationError(service, endpoint, f"did not answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FederationError(service, endpoint, f"cannot be reached ({exc})") from exc
    finally:
        if own:
            client.close()
    if response.status_code >= 400:
        snippet = " ".join(response.text.split())[:200]
        raise FederationError(service, endpoint,
                              f"answered HTTP {response.status_code}: {snippet}")
    try:
        results = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as exc:
        raise FederationError(service, endpoint,
                              f"did not return SPARQL JSON results ({exc})") from exc
    if not isinstance(results, ox.QuerySolutions):
        raise FederationError(service, endpoint, "answered a SELECT with a boolean")
    variables = [v.value for v in results.variables]
    rows = [[solution[v] for v in variables] for solution in results]
    return variables, rows


def _prologue(text: str) -> str:
    """Our standard prefixes plus the query's own PREFIX and BASE declarations."""
    own = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in _PREFIX_DECL.findall(text))
    base = re.search(r"BASE\s*<[^>]*>", text, re.IGNORECASE)
    return sparql_prologue() + own + (base.group(0) + "\n" if base else "")


def _without_prologue(text: str) -> str:
    return re.sub(r"(?is)^\s*((PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*", "", text)


def rewrite(store: QuadStore, sparql: str, settings: Settings,
            substitutions: Mapping[ox.Variable, Any] | None = None,
            client: httpx.Client | None = None) -> FederatedRun:
    """The query with every SERVICE block replaced by the remote answers (see module doc)."""
    run = FederatedRun()
    prologue = _prologue(sparql)
    text = _without_prologue(sparql)
    fixed = {v.value: t for v, t in (substitutions or {}).items()}
    while True:
        blocks = [b for b in find_services(text) if b.iri is not None]
        if not blocks:
            break
        block = blocks[0]
        service = block.iri or ""
        endpoint = endpoint_for(service, settings)
        mark = time.perf_counter()
        try:
            variables, rows = _call(store, prologue, text, blocks, block, endpoint, settings,
                                    fixed, client)
        except FederationError:
            if not block.silent:
                raise
            variables, rows = [], [[]]
        run.calls.append({"service": service, "endpoint": endpoint, "rows": len(rows),
                          "seconds": time.perf_counter() - mark})
        text = text[:block.start] + _values_block(variables, rows) + text[block.end:]
    run.sparql = prologue + text
    return run


def _call(store: QuadStore, prologue: str, text: str, blocks: list[ServiceBlock],
          block: ServiceBlock, endpoint: str, settings: Settings, fixed: dict[str, Any],
          client: httpx.Client | None) -> tuple[list[str], list[list[object]]]:
    """Probe the local join values, then ask the endpoint for the block's solutions."""
    where_start, where_end = _outer_where(text)
    local = text[where_start:where_end + 1]
    for other in sorted(blocks, key=lambda b: b.start, reverse=True):
        if where_start <= other.start and other.end <= where_end + 1:
            s, e = other.start - where_start, other.end - where_start
            local = local[:s] + "{}" + local[e:]
    shared = sorted(_variables(block.body) & _variables(local))
    remote = f"SELECT * WHERE {{\n{block.body}\n}}"
    if shared:
        bound = {ox.Variable(v): fixed[v] for v in shared if v in fixed}
        projection = " ".join(f"?{v}" for v in shared)
        results = store.query(f"{prologue}SELECT DISTINCT {projection} WHERE {local}",
                              prologue=False,
                              substitutions=bound or None)
        rows = [[row[v] for v in shared] for row in results]
        if not rows:  # nothing here to join with: the remote is not asked at all
            return shared, []
        if len(rows) <= MAX_BOUND_ROWS:
            values = _values_block(shared, rows)[1:-1].strip()
            remote = f"SELECT * WHERE {{\n  {values}\n{block.body}\n}}"
    return remote_select(endpoint, prologue + remote, settings.federation_timeout,
                         block.iri or endpoint, client)


def retarget(sparql: str, settings: Settings) -> str:
    """The query with each known EU endpoint IRI of a SERVICE replaced by its setting.

    For running a federated query with pyoxigraph's own SERVICE (for example in a
    query worker whose time limit stops a silent endpoint): only the addresses change.
    """
    for block in sorted(find_services(sparql), key=lambda b: b.start, reverse=True):
        if block.iri is None or block.iri not in ENDPOINTS:
            continue
        target = endpoint_for(block.iri, settings)
        if re.search(r"[\s<>\"{}|\\^`]", target):
            raise ValueError(f"not an IRI: {target!r}")
        open_brace = block.end - len(block.body) - 2
        keyword = "SERVICE SILENT" if block.silent else "SERVICE"
        sparql = sparql[:block.start] + f"{keyword} <{target}> " + sparql[open_brace:]
    return sparql


def run_federated(store: QuadStore, sparql: str, settings: Settings,
                  substitutions: Mapping[ox.Variable, Any] | None = None,
                  client: httpx.Client | None = None) -> tuple[Any, FederatedRun]:
    """Run a federated SELECT; returns (pyoxigraph solutions, what was called).

    Raises:
        FederationError: a (non-SILENT) endpoint failed.
        SyntaxError: the query does not parse.
    """
    run = rewrite(store, sparql, settings, substitutions, client)
    results = store.query(run.sparql, prologue=False,
                          substitutions=dict(substitutions) if substitutions else None)
    return results, run
