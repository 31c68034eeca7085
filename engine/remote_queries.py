"""The engine's path for a remote store: each query is forwarded to the store's
query endpoint (no worker processes: the store's engine does the work).

What a ``QueryTask`` means does not change (``graph.remote_protocol`` turns its
pyoxigraph options into text and protocol parameters): its dataset is sent as
``default-graph-uri`` / ``named-graph-uri``, the union default graph as the engine's
parameter for it, its substitutions as a ``VALUES`` block, its prefixes and base IRI
as declarations. The answer is read as it streams in:

* SELECT: asked for as TSV, read line by line until one row past the cap (then the
  connection is closed: the rest is never transferred), and written in the asked
  format by pyoxigraph, as a worker does (``worker.tsv_results_as``);
* CONSTRUCT / DESCRIBE: the same with N-Triples (``worker.ntriples_as``);
* ASK: asked for in the asked format directly.

The time limit is sent to the store when the engine has a parameter for it
(``MIPEX_KG_STORE_TIMEOUT_PARAMETER``) and always cuts the HTTP request: past it the
connection is closed and the client gets 503. A query whose client goes away is
cancelled the same way. At most ``MIPEX_KG_QUERY_WORKERS`` queries of this service
copy are at the store at once; more wait in the engine's queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
    tsv_results_as,
)
from mipex_kg.graph.remote_protocol import bind_values, dataset_params, declarations
from mipex_kg.graph.remote_store import N_TRIPLES, RemoteStore

TSV = "text/tab-separated-values"

Reply = tuple[object, ...]


class RemoteQueries:
    """Forwards the engine's queries to a remote store's query endpoint."""

    def __init__(self, store: RemoteStore, concurrency: int) -> None:
        self.store = store
        self.endpoints = store.endpoints
        self.concurrency = max(concurrency, 1)
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
        form = query_form(text)
        async with asyncio.timeout(limit):
            with waiting():
                await slots.acquire()
            try:
                if form == "ASK":
                    body, _ = await self._fetch(client, text, params, task.results_format, 0)
                    return ("ok", "results", body, False)
                if form in ("CONSTRUCT", "DESCRIBE"):
                    ntriples, cut = await self._fetch(client, text, params, N_TRIPLES,
                                                      task.row_limit)
                    fmt = ox.RdfFormat.from_media_type(task.rdf_format)
                    assert fmt is not None
                    return ("ok", "rdf", ntriples_as(ntriples, fmt, task.prefixes), cut)
                header = 1 if task.row_limit > 0 else 0
                tsv, cut = await self._fetch(client, text, params, TSV, task.row_limit + header)
                fmt_results = ox.QueryResultsFormat.from_media_type(task.results_format)
                assert fmt_results is not None
                return ("ok", "results", tsv_results_as(tsv, fmt_results), cut)
            finally:
                slots.release()

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

    async def _fetch(self, client: httpx.AsyncClient, text: str, params: list[tuple[str, str]],
                     accept: str, max_lines: int) -> tuple[bytes, bool]:
        """The answer's bytes, at most ``max_lines`` lines of it (0: all), and whether
        there were more."""
        url = self.endpoints.query_url
        try:
            async with client.stream("POST", url, params=params, data={"query": text},
                                     headers={"Accept": accept}) as response:
                if not response.is_success:
                    await response.aread()
                    raise _failure(response)
                if max_lines <= 0:
                    return await response.aread(), False
                buffer = LineBuffer(max_lines)
                try:
                    async for chunk in response.aiter_bytes():
                        buffer.write(chunk)
                except BufferFull:
                    return buffer.kept, True
                return buffer.kept, False
        except httpx.HTTPError as error:
            raise QueryFailed(f"the store at {url} cannot be reached: "
                              f"{type(error).__name__}") from None


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
