"""Limits and guards: the result cap says so, and writes need the right token.

(The time limit and fair sharing: tests/engine/test_sharing.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests
from tests.backends.oxigraph_server import BACKENDS, store_for

EX = "http://example.org/"
ROW_LIMIT = 10


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    settings = settings_for_tests(query_timeout=1.0, max_result_rows=ROW_LIMIT)
    with live_server(settings, store_for(request)) as running:
        yield running


def ask(server: LiveServer, query: str) -> bool:
    response = server.http.get(server.endpoint, params={"query": query}, timeout=10)
    assert response.status_code == 200, response.text
    value = response.json()["boolean"]
    assert isinstance(value, bool)
    return value


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


def test_values_that_look_like_row_breaks_do_not_cut_an_answer(server: LiveServer) -> None:
    """SPARQL JSON is written directly while it provably holds no more rows than the
    cap (counting the ``},{`` between rows); a literal full of them must not make a
    one-row answer look truncated."""
    value = "},{" * (3 * ROW_LIMIT)
    server.fill(f'GRAPH <{EX}g> {{ <{EX}t> <{EX}q> "{value}" }}')
    response = server.http.get(server.endpoint, params={
        "query": f"SELECT ?o WHERE {{ <{EX}t> <{EX}q> ?o }}"})
    assert response.status_code == 200
    assert "X-Result-Truncated" not in response.headers
    assert [b["o"]["value"] for b in response.json()["results"]["bindings"]] == [value]


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
