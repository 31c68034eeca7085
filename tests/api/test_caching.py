"""ETags, 304s and the response cache: fast when nothing changed, never stale after a write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from mipex_kg.api.cache import CachedResponse, ResponseCache, etag_matches

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests

EX = "http://example.org/"
DATA = f"GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 1 . <{EX}b> <{EX}p> 2 . }}"
QUERY = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s"
WRITE = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server(settings_for_tests()) as running:
        yield running


@pytest.fixture
def runs(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every query the engine really runs (cache misses)."""
    engine = server.app.state.engine
    seen: list[object] = []
    original: Callable[..., Any] = engine.run

    def counting(task: object, **options: Any) -> Any:
        seen.append(task)
        return original(task, **options)

    monkeypatch.setattr(engine, "run", counting)
    return seen


def get(server: LiveServer, **headers: str) -> httpx.Response:
    return server.http.get(server.endpoint, params={"query": QUERY}, headers=headers)


def values(response: httpx.Response) -> list[str]:
    return [b["o"]["value"] for b in response.json()["results"]["bindings"]]


def test_a_repeated_query_is_answered_from_the_cache(
    server: LiveServer, runs: list[object]
) -> None:
    server.fill(DATA)
    first, second = get(server), get(server)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.headers["ETag"] == second.headers["ETag"]
    assert len(runs) == 1
    assert first.headers["Cache-Control"] == "no-cache" and "Accept" in first.headers["Vary"]


def test_if_none_match_gives_304_without_running_the_query(
    server: LiveServer, runs: list[object]
) -> None:
    server.fill(DATA)
    etag = get(server).headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = get(server, **{"If-None-Match": header})
        assert response.status_code == 304 and response.content == b""
        assert response.headers["ETag"] == etag
    assert get(server, **{"If-None-Match": '"other"'}).status_code == 200
    assert len(runs) == 1


def test_the_etag_depends_on_the_format(server: LiveServer) -> None:
    server.fill(DATA)
    json_tag = get(server).headers["ETag"]
    xml = get(server, Accept="application/sparql-results+xml")
    assert xml.headers["ETag"] != json_tag
    assert get(server, **{"If-None-Match": json_tag, "Accept": "text/csv"}).status_code == 200


def test_a_post_never_gets_304(server: LiveServer) -> None:
    server.fill(DATA)
    etag = get(server).headers["ETag"]
    response = server.http.post(server.endpoint, data={"query": QUERY},
                                headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] == etag


def test_no_stale_answer_after_an_update(server: LiveServer) -> None:
    server.fill(DATA)
    before = get(server)
    assert values(before) == ["1", "2"]
    update = f"DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 1 }} }} ; " \
             f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 10 }} }}"
    assert server.http.post(server.endpoint, content=update, headers=WRITE).status_code == 204
    after = get(server, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and values(after) == ["10", "2"]
    assert after.headers["ETag"] != before.headers["ETag"]


def test_no_stale_answer_after_a_write_outside_http(server: LiveServer) -> None:
    server.fill(DATA)
    assert values(get(server)) == ["1", "2"]
    server.store.replace_graph(ox.NamedNode(f"{EX}g"), [
        ox.Triple(ox.NamedNode(f"{EX}c"), ox.NamedNode(f"{EX}p"), ox.Literal(3))])
    assert values(get(server)) == ["3"]


def test_the_service_description_follows_the_data(server: LiveServer) -> None:
    server.fill(DATA)
    first = server.http.get(server.endpoint)
    same = server.http.get(server.endpoint, headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304
    server.fill(DATA + f"\nGRAPH <{EX}h> {{ <{EX}x> <{EX}y> <{EX}z> }}")
    second = server.http.get(server.endpoint, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and f"<{EX}h>" in second.text


def test_graph_store_reads_follow_writes(server: LiveServer) -> None:
    server.fill(DATA)
    url, params = server.graph_store, {"graph": f"{EX}g"}
    first = server.http.get(url, params=params, headers={"Accept": "application/n-triples"})
    assert first.status_code == 200 and len(first.text.strip().splitlines()) == 2
    again = server.http.get(url, params=params, headers={
        "Accept": "application/n-triples", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    put = server.http.put(url, params=params, content=f"<{EX}z> <{EX}p> 9 .", headers={
        "Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
    assert put.status_code == 204
    after = server.http.get(url, params=params, headers={
        "Accept": "application/n-triples", "If-None-Match": first.headers["ETag"]})
    nine = '"9"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert after.status_code == 200 and after.text.strip() == f"<{EX}z> <{EX}p> {nine} ."


# -- the cache itself -------------------------------------------------------------------


def test_the_cache_is_bounded_by_size_and_forgets_old_versions() -> None:
    cache = ResponseCache(max_bytes=10, max_entry_bytes=6)
    entry = CachedResponse(b"12345", "text/plain")
    cache.put("v1", "a", entry)
    cache.put("v1", "b", entry)
    assert cache.get("v1", "a") is entry and cache.get("v1", "b") is entry
    cache.put("v1", "c", entry)  # over 10 bytes: the least recently used ("a") goes
    assert cache.get("v1", "a") is None and cache.get("v1", "c") is entry
    cache.put("v1", "big", CachedResponse(b"1234567", "text/plain"))
    assert cache.get("v1", "big") is None  # larger than one entry may be
    cache.put("v2", "a", entry)
    assert cache.get("v1", "c") is None and len(cache) == 1


def test_etag_matching() -> None:
    assert etag_matches('"x"', '"x"') and etag_matches('W/"x"', '"x"')
    assert etag_matches('"y", "x"', '"x"') and etag_matches("*", '"x"')
    assert not etag_matches(None, '"x"') and not etag_matches('"y"', '"x"')
