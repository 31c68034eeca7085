"""The bounded engine over HTTP: time limits stop queries, heavy clients cannot starve
the others, each client has a limit, abandoned queries stop, and sizes are bounded.

A real service on 127.0.0.1 with three workers (one kept for short queries). Clients
are told apart by ``X-Forwarded-For``, which the service honours here because the
test's own address (127.0.0.1) is configured as a trusted proxy.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from mipex_kg.engine.clients import ClientIdentity

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests

EX = "http://example.org/"
# 3 x 2000 triples: the three-way cross join below has 8e9 solutions to count
MANY = "".join(f"GRAPH <{EX}g> {{ <{EX}s{i}> <{EX}p> {i} }}\n" for i in range(2000))
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MAX_WRITE = 20_000


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    settings = settings_for_tests(
        query_timeout=4.0, query_workers=3, fast_lane_workers=1, fast_lane_timeout=0.3,
        client_max_in_flight=2, trusted_proxies=["127.0.0.1"], max_query_bytes=10_000,
        max_write_bytes=MAX_WRITE,
    )
    with live_server(settings) as running:
        running.fill(MANY)
        running.app.state.engine.warm()
        yield running


def ask(server: LiveServer, query: str, client: str = "198.51.100.1", **params: str
        ) -> httpx.Response:
    return server.http.get(server.endpoint, params={"query": query, **params},
                           headers={"X-Forwarded-For": client}, timeout=30)


def in_background(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except httpx.HTTPError as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        time.sleep(0.02)


def test_a_query_past_its_time_limit_is_stopped_and_its_worker_replaced(
        server: LiveServer) -> None:
    pool = server.app.state.engine.pool
    before = set(pool.worker_pids())
    response = ask(server, RUNAWAY, timeout="1")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "query_timeout" and "1 s" in body["detail"]
    wait_for(lambda: len(set(pool.worker_pids()) - before) == 1)
    killed = before - set(pool.worker_pids())
    assert len(killed) == 1 and len(pool.worker_pids()) == 1  # three workers, one process
    with pytest.raises(ProcessLookupError):
        os.kill(killed.pop(), 0)
    assert ask(server, f"ASK {{ <{EX}s1999> <{EX}p> 1999 }}").json()["boolean"] is True


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_a_bad_timeout_parameter_is_named(server: LiveServer, value: str) -> None:
    response = ask(server, "ASK {}", timeout=value)
    assert response.status_code == 400 and "'timeout'" in response.json()["detail"]


def test_short_queries_are_answered_while_heavy_clients_hold_the_long_workers(
        server: LiveServer) -> None:
    admission = server.app.state.engine.admission
    heavy = [in_background(lambda c=client: ask(server, RUNAWAY, c))
             for client in ("203.0.113.1", "203.0.113.2") for _ in range(2)]
    # both heavy clients' first queries turn long; their second ones wait for a slot
    wait_for(lambda: admission.long_running() == 2)
    for i in range(5):
        polite = ask(server, f"ASK {{ <{EX}s{i}> <{EX}p> {i} }}", "198.51.100.7")
        assert polite.status_code == 200 and polite.json()["boolean"] is True
    assert any(thread.is_alive() for thread, _ in heavy)  # answered during the flood
    for thread, _ in heavy:
        thread.join()
    statuses = sorted(r.status_code for _, [r] in heavy if isinstance(r, httpx.Response))
    assert statuses and set(statuses) <= {503}  # stopped at the limit, or no slot


def test_a_client_over_its_limit_gets_429_with_retry_after(server: LiveServer) -> None:
    admission = server.app.state.engine.admission
    held = [in_background(lambda: ask(server, RUNAWAY, "192.0.2.9", timeout="2"))
            for _ in range(2)]
    wait_for(lambda: admission.in_flight("192.0.2.9") == 2)
    refused = ask(server, "ASK {}", "192.0.2.9")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert ask(server, "ASK {}", "192.0.2.10").status_code == 200  # another client
    for thread, _ in held:
        thread.join()


def test_a_query_whose_client_leaves_is_stopped(server: LiveServer) -> None:
    pool = server.app.state.engine.pool
    before = set(pool.worker_pids())
    with pytest.raises(httpx.ReadTimeout):
        server.http.get(server.endpoint, params={"query": RUNAWAY},
                        headers={"X-Forwarded-For": "192.0.2.77"}, timeout=0.5)
    # the worker is killed long before the 4 s limit would have stopped it
    wait_for(lambda: len(before - set(pool.worker_pids())) == 1, seconds=3.0)


def test_too_long_texts_and_bodies_get_413(server: LiveServer) -> None:
    long_query = "ASK {} #" + "x" * 10_000
    assert ask(server, long_query).status_code == 413
    posted = server.http.post(server.endpoint, content=long_query,
                              headers={"Content-Type": "application/sparql-query"})
    assert posted.status_code == 413 and "MIPEX_KG_MAX_QUERY_BYTES" in posted.json()["detail"]
    graph = "".join(f"<{EX}n{i}> <{EX}p> {i} .\n" for i in range(2000)).encode()
    assert len(graph) > MAX_WRITE
    version = server.store.version

    def chunks() -> Iterator[bytes]:  # streamed: no Content-Length to refuse it early
        for start in range(0, len(graph), 4096):
            yield graph[start:start + 4096]

    put = server.http.put(server.graph_store, params={"graph": f"{EX}big"}, content=chunks(),
                          headers={"Content-Type": "application/n-triples",
                                   "Authorization": f"Bearer {TOKEN}"})
    assert put.status_code == 413 and "MIPEX_KG_MAX_WRITE_BYTES" in put.json()["detail"]
    assert server.store.version == version


# -- who the client is ---------------------------------------------------------------


def scope(peer: str, *forwarded: str) -> dict[str, object]:
    return {"client": (peer, 5000),
            "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded]}


def test_x_forwarded_for_counts_only_from_trusted_proxies() -> None:
    identity = ClientIdentity(["10.0.0.0/8", "127.0.0.1"])
    assert identity.of(scope("192.0.2.1", "203.0.113.5")) == "192.0.2.1"  # not a proxy
    assert identity.of(scope("10.1.2.3", "203.0.113.5")) == "203.0.113.5"
    # the client wrote its own header: only the address our proxy saw counts
    assert identity.of(scope("10.1.2.3", "1.2.3.4, 203.0.113.5")) == "203.0.113.5"
    assert identity.of(scope("10.1.2.3", "203.0.113.5, 10.9.9.9")) == "203.0.113.5"
    assert identity.of(scope("127.0.0.1")) == "127.0.0.1"  # no header
    assert ClientIdentity().of(scope("127.0.0.1", "203.0.113.5")) == "127.0.0.1"
