"""The engine's path for a remote store: each query is forwarded to the store's
query endpoint (no worker processes: the store's engine does the work).

What a ``QueryTask`` means does not change (``graph.remote_protocol`` turns its
pyoxigraph options into text and protocol parameters): its dataset is sent as
``default-graph-uri`` / ``named-graph-uri``, the union default graph as the engine's
parameter for it, its substitutions as a ``VALUES`` block, its prefixes and base IRI
as declarations. The answer is read as it streams in, in formats every engine writes
to the standard:

* SELECT / ASK: SPARQL XML, read until one ``</result>`` past the row cap (then the
  connection is closed: the rest is never transferred; the document is closed after
  the last row kept), parsed and written in the asked format by pyoxigraph;
* CONSTRUCT / DESCRIBE: N-Triples, read line by line up to the cap, and written in the
  asked format as a worker does (``worker.ntriples_as``; N-Triples too are written
  again, so that every engine's answer reads alike).

"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pyoxigraph as ox

from mipex_kg.api.errors import QueryEvaluationError, QueryFailed, QuerySyntaxError
from mipex_kg.api.sparql_text import query_form
from mipex_kg.engine.worker import (
    BufferFull,
    LineBuffer,
    QueryTask,
    ntriples_as,
)
from mipex_kg.graph.remote_protocol import (
    N_TRIPLES,
    SPARQL_XML,
    XML_RESULTS_END,
    bind_values,
    dataset_params,
    declarations,
    parse_results,
)
from mipex_kg.graph.remote_store import RemoteStore

RESULT_END = b"</result>"

Reply = tuple[object, ...]


class RemoteQueries:
    """Forwards the engine's queries to a remote store's query endpoint."""

    def __init__(self, store: RemoteStore, concurrency: int) -> None:
        self.store = store
        self.endpoints = store.endpoints
        self.concurrency = max(concurrency, 1)
        self.closed = False
        self._clients: dict[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient,
                                                             asyncio.Semaphore]] = {}

    def _client(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """The HTTP client of the running event loop (a client belongs to one loop)."""
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            limits = httpx.Limits(max_connections=self.concurrency,
                                  max_keepalive_connections=self.concurrency)
            client = httpx.AsyncClient(limits=limits,
                                       **self.endpoints.client_options())  # type: ignore[arg-type]
            self._clients[loop] = (client, asyncio.Semaphore(self.concurrency))
        return self._clients[loop]

    def close(self) -> None:
        """Close the clients (from any thread; a loop that has ended is skipped)."""
        self.closed = True
        for loop, (client, _) in list(self._clients.items()):
            if not loop.is_closed() and loop.is_running():
                asyncio.run_coroutine_threadsafe(client.aclose(), loop)
        self._clients.clear()

    async def answer(self, task: QueryTask, limit: float | None,
                     waiting: Callable[[], Any]) -> Reply:
        """The reply to ``task`` as a worker gives it: ("ok", family, body, truncated).

        ``waiting`` is the admission's queue counter, held while no slot is free.

        Raises:
            QuerySyntaxError, QueryEvaluationError: the store refused the query (400).
            QueryFailed: the store failed or cannot be reached.
            TimeoutError: past ``limit`` seconds (the caller answers 503).
        """
        client, slots = self._client()
        text, params = self.request(task, limit)
        graph_form = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        async with asyncio.timeout(limit):
            with waiting():
                await slots.acquire()
            try:
                async with self._stream(client, text, params,
                                        N_TRIPLES if graph_form else SPARQL_XML) as response:
                    if graph_form:
                        ntriples, cut = await _lines(response, task.row_limit)
                        fmt = ox.RdfFormat.from_media_type(task.rdf_format)
                        assert fmt is not None
                        body = ntriples_as(_canonical(ntriples), fmt, task.prefixes)
                        return ("ok", "rdf", body, cut)
                    xml, cut = await _results(response, task.row_limit)
            finally:
                slots.release()
        results_format = ox.QueryResultsFormat.from_media_type(task.results_format)
        assert results_format is not None
        body = parse_results(xml).serialize(format=results_format) or b""
        return ("ok", "results", body, cut)

    def request(self, task: QueryTask, limit: float | None) -> tuple[str, list[tuple[str, str]]]:
        """The query text and the protocol parameters that ask ``task``."""
        text = declarations(task.prefixes, task.base_iri) + bind_values(
            task.query, task.substitutions)
        params = dataset_params(task.default_graphs, task.named_graphs,
                                union=task.union_default_graph,
                                union_parameter=self.endpoints.union_parameter,
                                every_graph=self.store.named_graphs)
        if limit is not None and self.endpoints.timeout_parameter:
            params.append((self.endpoints.timeout_parameter, str(int(limit * 1000))))
        return text, params

    @contextlib.asynccontextmanager
    async def _stream(self, client: httpx.AsyncClient, text: str, params: list[tuple[str, str]],
                      accept: str) -> AsyncIterator[httpx.Response]:
        """The store's answer, open for reading (closed, unread, when the block ends)."""
        url = self.endpoints.query_url
        try:
            async with client.stream("POST", url, params=tuple(params),
                                     data={"query": text},
                                     headers={"Accept": accept}) as response:
                if not response.is_success:
                    await response.aread()
                    raise _failure(response)
                yield response
        except httpx.HTTPError as error:
            raise QueryFailed(f"the store at {url} cannot be reached: "
                              f"{type(error).__name__}") from None


def _canonical(ntriples: bytes) -> bytes:
    """N-Triples as pyoxigraph writes them (Virtuoso separates terms by tabs)."""
    triples = [quad.triple for quad in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


async def _lines(response: httpx.Response, max_lines: int) -> tuple[bytes, bool]:
    """At most ``max_lines`` lines of the answer (0: all), and whether there were more."""
    if max_lines <= 0:
        return await response.aread(), False
    buffer = LineBuffer(max_lines)
    try:
        async for chunk in response.aiter_bytes():
            buffer.write(chunk)
    except BufferFull:
        return buffer.kept, True
    return buffer.kept, False


async def _results(response: httpx.Response, max_rows: int) -> tuple[bytes, bool]:
    """SPARQL XML results with at most ``max_rows`` results (0: all), and whether there
    were more. (In XML a ``</result>`` can only be the end of one: ``<`` in text is
    escaped, and ``</results>`` differs.)"""
    if max_rows <= 0:
        return await response.aread(), False
    data = bytearray()
    scan = rows = 0
    last_end = 0
    async for chunk in response.aiter_bytes():
        data += chunk
        while (found := data.find(RESULT_END, scan)) >= 0:
            scan = found + len(RESULT_END)
            rows += 1
            if rows > max_rows:
                return bytes(data[:last_end]) + XML_RESULTS_END, True
            last_end = scan
        scan = max(scan, len(data) - len(RESULT_END))
    return bytes(data), False


def _failure(response: httpx.Response) -> Exception:
    """400: the query does not parse; 500: it cannot be evaluated (Oxigraph server answers
    so, e.g., to an unknown function: a 400 of the service, as on the embedded store);
    anything else: the store failed (503)."""
    text = response.text.strip()[:2000]
    if response.status_code == 400:
        return QuerySyntaxError(text or "the store refused the query")
    if response.status_code == 500:
        return QueryEvaluationError(f"the query cannot be evaluated: {text}")
    return QueryFailed(f"the store answered HTTP {response.status_code}: {text}")
