"""A write that Virtuoso ends as a deadlock victim is sent again; nothing else is.

Under REPEATABLE READ (``DefaultIsolation = 4``, which the service needs: readers
never see half a ``MOVE``) Virtuoso ends one of two transactions that lock the same
rows in opposite orders with SQLSTATE 40001 and rolls it back. It answers::

    HTTP/1.1 500 Internal Server Error
    Content-Type: text/plain

    Virtuoso 40001 Error SR172: Transaction deadlocked

    SPARQL query:
    define sql:big-data-const 0 <the update>

(seen from the real server: bench/virtuoso_deadlocks.py makes writers that update
two graphs in opposite orders deadlock for real, and checks that every update is
applied exactly once; an experiment, not a test, since how soon the server picks a
victim depends on the machine). ``RemoteStore`` sends such an update again, at most
``DEADLOCK_RETRIES`` times (``graph/remote_store.py``). Shown here:

* through a real HTTP proxy in front of the real server that answers the first N
  update requests as Virtuoso answers a deadlock victim (and forwards everything
  else): with N within the allowed tries the write succeeds and the store holds
  exactly the new state; with more, the caller gets an error that says so and the
  store holds exactly the old state;
* the same for the Graph Store uploads that fill a staging graph (a replacement of
  a graph too large for one update is uploaded in parts first);
* an error other than 40001 is not sent again, even when the answer quotes an
  update that contains "40001".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest

from mipex_kg.graph.iris import STAGING_PREFIX
from mipex_kg.graph.remote_config import RemoteEndpoints
from mipex_kg.graph.remote_store import (
    DEADLOCK_RETRIES,
    DeadlockVictim,
    RemoteStore,
    RemoteStoreError,
)
from mipex_kg.settings import Settings

from tests.backends.http_proxy import Answer, Request, forwarding_proxy
from tests.backends.oxigraph_server import emptied
from tests.backends.virtuoso_server import VirtuosoServer

pytestmark = [pytest.mark.virtuoso, pytest.mark.engines, pytest.mark.faults]

G1 = ox.NamedNode("urn:test:deadlock:one")
VALUE = ox.NamedNode("urn:test:deadlock:value")
#: Triples in the graph the writes replace or change.
ROWS = 2_000
VIRTUOSO_SERVER = "Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu"


def store_on(server: VirtuosoServer, base: str | None = None) -> RemoteStore:
    """A remote store on ``server``, or on a proxy at ``base`` in front of it."""
    values = server.settings_values()
    if base is not None:
        values = {key: (base + urlsplit(value).path if key.startswith("store") and
                        isinstance(value, str) and value.startswith(server.base_url) else value)
                  for key, value in values.items()}
    return RemoteStore(RemoteEndpoints.from_settings(Settings(**values)))


@pytest.fixture
def direct(virtuoso_server: VirtuosoServer) -> Iterator[RemoteStore]:
    """A store straight on the server, emptied before and after (the server is the
    session's)."""
    store = emptied(store_on(virtuoso_server))
    try:
        yield store
    finally:
        emptied(store).close()


def numbered(plus: int = 0) -> list[ox.Triple]:
    """``ROWS`` triples ``<urn:test:deadlock:s{i}> VALUE i + plus``."""
    return [ox.Triple(ox.NamedNode(f"urn:test:deadlock:s{i}"), VALUE, ox.Literal(i + plus))
            for i in range(ROWS)]


def values_of(store: RemoteStore, graph: ox.NamedNode) -> dict[str, int]:
    """Each subject's value in ``graph``, as the server holds it now."""
    return {t.subject.value: int(t.object.value) for t in store.triples(graph)}


def expected(plus: int) -> dict[str, int]:
    return {f"urn:test:deadlock:s{i}": i + plus for i in range(ROWS)}


def staging_graphs(store: RemoteStore) -> list[str]:
    rows = store.query(f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} '
                       f'FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}')
    return [row["g"].value for row in rows]


# -- injected deadlocks ----------------------------------------------------------------


@dataclass
class DeadlockFirstUpdates:
    """Answers the first ``times`` writes to one endpoint (authenticated requests to
    ``path`` with one of ``methods``: by default updates) as Virtuoso answers a deadlock
    victim, without passing them on; counts those writes (``updates``)."""

    path: str
    times: int
    answer: Callable[[Request], Answer] = field(default=lambda request: deadlock(request))
    methods: tuple[str, ...] = ("POST",)
    updates: int = 0
    injected: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Answer | None:
        authenticated = any(k.lower() == "authorization" for k in request.headers)
        if request.method not in self.methods or not authenticated or \
                urlsplit(request.path).path != self.path:
            return None  # other endpoints, digest challenges: forwarded
        with self._lock:
            self.updates += 1
            if self.injected >= self.times:
                return None
            self.injected += 1
        return self.answer(request)


def deadlock(request: Request) -> Answer:
    """Virtuoso's answer to a deadlock victim, quoting the update as Virtuoso does."""
    body = (b"Virtuoso 40001 Error SR172: Transaction deadlocked\n\nSPARQL query:\n"
            b"define sql:big-data-const 0 " + request.body)
    return Answer(500, {"Content-Type": "text/plain", "Server": VIRTUOSO_SERVER}, body)


@contextmanager
def injecting(server: VirtuosoServer, times: int,
              answer: Callable[[Request], Answer] = deadlock, *, uploads: bool = False,
              ) -> Iterator[tuple[RemoteStore, DeadlockFirstUpdates]]:
    """A store on a proxy in front of ``server`` that answers the first ``times``
    update requests (``uploads``: Graph Store uploads instead) with ``answer``; and
    the proxy's counts."""
    injector = (DeadlockFirstUpdates(urlsplit(server.graph_store_url).path, times, answer,
                                     ("PUT", "POST"))
                if uploads else DeadlockFirstUpdates(urlsplit(server.update_url).path, times,
                                                      answer))
    with forwarding_proxy(server.base_url, injector) as base:
        store = store_on(server, base)
        try:
            yield store, injector
        finally:
            store.close()


def replace_graph(store: RemoteStore, plus: int) -> None:
    """Replace G1 with values ``i + plus`` (staging graph uploads, then one MOVE)."""
    store.replace_graph(G1, numbered(plus))


def update(store: RemoteStore, plus: int) -> None:
    """Set G1's values to ``i + plus`` with one DELETE/INSERT WHERE request."""
    store.update(f"DELETE {{ GRAPH {G1} {{ ?s {VALUE} ?v }} }}\n"
                 f"INSERT {{ GRAPH {G1} {{ ?s {VALUE} ?w }} }}\n"
                 f"WHERE {{ GRAPH {G1} {{ ?s {VALUE} ?v }} BIND(?v + {plus} AS ?w) }}")


WRITES = [pytest.param(replace_graph, id="replace_graph"), pytest.param(update, id="update")]


@pytest.mark.parametrize("write", WRITES)
def test_a_write_succeeds_after_deadlocks_within_the_allowed_tries(
        virtuoso_server: VirtuosoServer, direct: RemoteStore,
        write: Callable[[RemoteStore, int], None]) -> None:
    direct.replace_graph(G1, numbered())
    with injecting(virtuoso_server, DEADLOCK_RETRIES) as (store, injector):
        assert store.engine_name == "virtuoso"  # the proxy passes the engine's Server on
        write(store, 1000)
        assert store.deadlock_retries == DEADLOCK_RETRIES
    assert injector.injected == DEADLOCK_RETRIES
    assert injector.updates == DEADLOCK_RETRIES + 1
    assert values_of(direct, G1) == expected(1000)
    assert staging_graphs(direct) == []


@pytest.mark.parametrize("write", WRITES)
def test_a_write_that_deadlocks_every_time_fails_clearly_and_changes_nothing(
        virtuoso_server: VirtuosoServer, direct: RemoteStore,
        write: Callable[[RemoteStore, int], None]) -> None:
    direct.replace_graph(G1, numbered())
    tries = 1 + DEADLOCK_RETRIES
    with injecting(virtuoso_server, tries) as (store, injector):
        with pytest.raises(DeadlockVictim, match=(
                rf"victim of a deadlock {tries} times in a row, rolling it back each time "
                r"\(nothing of it was applied\); try again later\. Last answer: .*"
                r"Virtuoso 40001 Error SR172: Transaction deadlocked")):
            write(store, 1000)
        assert store.deadlock_retries == DEADLOCK_RETRIES
    assert injector.injected == tries
    # the update's tries, then (replace_graph) the one that drops the staging graph
    assert injector.updates == tries + (write is replace_graph)
    assert values_of(direct, G1) == expected(0)
    assert staging_graphs(direct) == []


def test_another_error_is_not_sent_again_even_when_it_quotes_40001(
        virtuoso_server: VirtuosoServer, direct: RemoteStore) -> None:
    """Virtuoso's own answer (500, SQLSTATE 22023) to dropping a graph never created,
    whose name holds "40001"; nothing injected."""
    with injecting(virtuoso_server, 0) as (store, injector):
        with pytest.raises(RemoteStoreError, match=r"HTTP 500 .*Virtuoso 22023 Error") as error:
            store.update("DROP GRAPH <urn:test:deadlock:absent-40001>")
        assert not isinstance(error.value, DeadlockVictim)
        assert store.deadlock_retries == 0
    assert injector.updates == 1


def test_an_injected_error_other_than_40001_is_not_sent_again(
        virtuoso_server: VirtuosoServer, direct: RemoteStore) -> None:
    """A 500 whose first line is another SQLSTATE, though the quoted update says SR172."""
    direct.replace_graph(G1, numbered())

    def other(request: Request) -> Answer:
        answer = deadlock(request)
        return replace(answer, body=answer.body.replace(
            b"40001 Error SR172: Transaction deadlocked", b"42000 Error SR325: Out of memory")
            + b" # SR172 40001")

    with injecting(virtuoso_server, 1, other) as (store, injector):
        with pytest.raises(RemoteStoreError, match="42000 Error SR325") as error:
            update(store, 1000)
        assert not isinstance(error.value, DeadlockVictim)
        assert store.deadlock_retries == 0
    assert injector.updates == 1
    assert values_of(direct, G1) == expected(0)


def test_a_staging_upload_is_sent_again_after_deadlocks(
        virtuoso_server: VirtuosoServer, direct: RemoteStore) -> None:
    """Each part of a staging graph is one Graph Store request, and one of them may be
    a deadlock victim as an update may: the replacement still ends whole."""
    direct.replace_graph(G1, numbered())
    with injecting(virtuoso_server, DEADLOCK_RETRIES, uploads=True) as (store, injector):
        store.upload_bytes = 20_000  # several parts: the first a PUT, the others POSTs
        store.replace_graph(G1, numbered(1000))
        assert store.deadlock_retries == DEADLOCK_RETRIES
    assert injector.injected == DEADLOCK_RETRIES
    assert injector.updates > DEADLOCK_RETRIES + 1
    assert values_of(direct, G1) == expected(1000)
    assert staging_graphs(direct) == []


def test_a_staging_upload_that_deadlocks_every_time_leaves_the_graph_as_it_was(
        virtuoso_server: VirtuosoServer, direct: RemoteStore) -> None:
    direct.replace_graph(G1, numbered())
    tries = 1 + DEADLOCK_RETRIES
    with injecting(virtuoso_server, tries, uploads=True) as (store, injector):
        with pytest.raises(DeadlockVictim, match=rf"this PUT as the victim of a deadlock "
                                                 rf"{tries} times in a row"):
            store.replace_graph(G1, numbered(1000))
    assert injector.injected == tries
    assert values_of(direct, G1) == expected(0)
    assert staging_graphs(direct) == []
