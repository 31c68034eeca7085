"""Limits and guards: the query time limit really stops a query, the result cap says
so, and writes need the right token.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mipex_kg.api.errors import QueryTimeout, WorkersBusy
from mipex_kg.api.query_pool import QueryPool
from mipex_kg.api.query_worker import QueryTask
from tests.api.live import TOKEN, LiveServer, fill_store, live_server, settings_for_tests

EX = "http://example.org/"
ROW_LIMIT = 10
# 3 x 2000 triples: the three-way cross join below has 8e9 solutions to count
MANY = "".join(f"GRAPH <{EX}g> {{ <{EX}s{i}> <{EX}p> {i} }}\n" for i in range(2000))
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    settings = settings_for_tests(query_timeout=1.0, max_result_rows=ROW_LIMIT)
    with live_server(settings) as running:
        yield running


def ask(server: LiveServer, query: str) -> bool:
    response = server.http.get(server.endpoint, params={"query": query}, timeout=10)
    assert response.status_code == 200, response.text
    value = response.json()["boolean"]
    assert isinstance(value, bool)
    return value


# -- the time limit ---------------------------------------------------------------------


def test_a_runaway_query_is_stopped_while_others_are_served(server: LiveServer) -> None:
    server.fill(MANY)
    pool = server.app.state.query_pool
    pool.warm()  # both workers load the data now, not during the test
    workers_before = set(pool.worker_pids())
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        response = server.http.post(server.endpoint, content=RUNAWAY,
                              headers={"Content-Type": "application/sparql-query"}, timeout=30)
        outcome.update(response=response, seconds=time.monotonic() - started)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    for i in range(5):  # a second client meanwhile
        started = time.monotonic()
        assert ask(server, f"ASK {{ <{EX}s{i}> <{EX}p> {i} }}")
        # served while the runaway query still runs (it is stopped only at 1 s)
        assert time.monotonic() - started < 1.0
    thread.join()

    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "query_timeout"
    assert "1 s" in body["detail"] and "MIPEX_KG_QUERY_TIMEOUT" in body["detail"]
    assert 1.0 <= outcome["seconds"] < 5.0  # type: ignore[operator]

    # the worker that ran it was killed and replaced; the service goes on
    killed = workers_before - set(pool.worker_pids())
    assert len(killed) == 1 and len(pool.worker_pids()) == 2
    with pytest.raises(ProcessLookupError):
        os.kill(killed.pop(), 0)
    assert ask(server, f"ASK {{ <{EX}s1999> <{EX}p> 1999 }}")


def test_a_request_waits_for_a_worker_only_as_long_as_the_limit() -> None:
    from mipex_kg.graph.store import KnowledgeStore

    store = KnowledgeStore()
    fill_store(store, MANY)
    pool = QueryPool(store, workers=1, timeout=1.0)
    pool.warm()
    errors: list[Exception] = []

    def run(query: str) -> None:
        try:
            pool.run(QueryTask(query, "application/sparql-results+json", "text/turtle", 100))
        except (QueryTimeout, WorkersBusy) as error:
            errors.append(error)

    try:
        threads = [threading.Thread(target=run, args=(q,)) for q in (RUNAWAY, RUNAWAY, "ASK {}")]
        for thread in threads:  # the third waits while the second holds the only worker
            thread.start()
            time.sleep(0.2)
        for thread in threads:
            thread.join()
    finally:
        pool.close()
    kinds = sorted(type(e).__name__ for e in errors)
    assert kinds == ["QueryTimeout", "QueryTimeout", "WorkersBusy"]


# -- the result cap ---------------------------------------------------------------------

ROWS = "".join(f"GRAPH <{EX}g> {{ <{EX}s{i:02}> <{EX}p> {i} }}\n" for i in range(25))


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/tab-separated-values",
                                    "application/sparql-results+xml", "text/csv"])
def test_a_select_over_the_cap_is_cut_and_says_so(server: LiveServer, accept: str) -> None:
    server.fill(ROWS)
    query = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?o"
    response = server.http.get(server.endpoint, params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Row-Limit"] == str(ROW_LIMIT)
    if accept.endswith("json"):
        values = [int(b["o"]["value"]) for b in response.json()["results"]["bindings"]]
        assert values == list(range(ROW_LIMIT))  # the first rows in ORDER BY order
    elif accept.endswith("xml"):
        assert response.text.count("<result>") == ROW_LIMIT
    else:
        assert len(response.text.strip().splitlines()) == ROW_LIMIT + 1


@pytest.mark.parametrize("limit", [5, ROW_LIMIT])
def test_a_select_within_the_cap_is_whole(server: LiveServer, limit: int) -> None:
    server.fill(ROWS)
    query = f"SELECT ?s WHERE {{ ?s <{EX}p> ?o }} LIMIT {limit}"
    response = server.http.get(server.endpoint, params={"query": query})
    assert response.status_code == 200
    assert "X-Result-Truncated" not in response.headers
    assert len(response.json()["results"]["bindings"]) == limit


def test_a_construct_over_the_cap_is_cut_and_says_so(server: LiveServer) -> None:
    server.fill(ROWS)
    response = server.http.get(server.endpoint, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                         headers={"Accept": "application/n-triples"})
    assert response.headers["X-Result-Truncated"] == "true"
    assert len(response.text.strip().splitlines()) == ROW_LIMIT


# -- writes need the token --------------------------------------------------------------

INSERT = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}new> <{EX}p> 1 }} }}"
WROTE = f"ASK {{ <{EX}new> ?p ?o }}"


@pytest.mark.parametrize(("authorization", "status"), [
    (None, 401), ("Bearer", 401), ("Basic dXNlcjpwYXNz", 401), ("Bearer wrong-token", 403),
    (f"Bearer {TOKEN}x", 403),
])
def test_an_update_without_the_right_token_changes_nothing(
    server: LiveServer, authorization: str | None, status: int
) -> None:
    server.fill(ROWS)
    version = server.store.version
    headers = {"Content-Type": "application/sparql-update"}
    if authorization:
        headers["Authorization"] = authorization
    response = server.http.post(server.endpoint, content=INSERT, headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == ("unauthorized" if status == 401 else "forbidden")
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    form = server.http.post(server.endpoint, data={"update": INSERT},
                      headers={"Authorization": authorization} if authorization else {})
    assert form.status_code == status
    assert server.store.version == version and not ask(server, WROTE)


def test_an_update_with_the_token_is_applied(server: LiveServer) -> None:
    server.fill(ROWS)
    response = server.http.post(server.endpoint, content=INSERT, headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 204
    assert ask(server, WROTE)


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize(("authorization", "status"), [(None, 401), ("Bearer wrong", 403)])
def test_graph_store_writes_need_the_token(
    server: LiveServer, method: str, authorization: str | None, status: int
) -> None:
    server.fill(ROWS)
    headers = {"Content-Type": "text/turtle"}
    if authorization:
        headers["Authorization"] = authorization
    body = f"<{EX}new> <{EX}p> 1 ." if method != "DELETE" else None
    response = server.http.request(method, server.graph_store, params={"graph": f"{EX}g"},
                             content=body, headers=headers)
    assert response.status_code == status
    assert ask(server, f"ASK {{ <{EX}s01> ?p ?o }}") and not ask(server, WROTE)


def test_a_service_without_a_token_is_read_only() -> None:
    with live_server(settings_for_tests(update_token=None)) as server:
        response = server.http.post(server.endpoint, content=INSERT, headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 403
        assert "read-only" in response.json()["detail"]
        assert not ask(server, WROTE)
        description = server.http.get(server.endpoint).text
        assert "SPARQL11Query" in description and "SPARQL11Update" not in description
