"""The detectors detect: the canaries count connections, and the engine on its own (no
service in front) does connect to them for the plainest attacks of the corpus.

Without these, a suite that sees zero connections would prove nothing.
"""

from __future__ import annotations

import socket

import httpx
import pyoxigraph as ox

from tests.security.canary import Canaries, canary
from tests.security.engine import engine_store


def test_a_canary_counts_every_connection_and_answers_http() -> None:
    with canary() as bird:
        assert bird.connections() == 0
        response = httpx.post(bird.url, content=b"query=ASK{}", headers={
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded"})
        with socket.create_connection((bird.host, bird.port)):
            pass  # connects and says nothing
        assert bird.connections() == 2
        assert response.status_code == 200 and response.json()["results"]["bindings"] == []


def test_a_redirecting_canary_redirects_and_counts() -> None:
    with canary(redirect="http://127.0.0.1:9/elsewhere") as bird:
        response = httpx.get(bird.url)
        assert response.status_code == 307
        assert response.headers["location"] == "http://127.0.0.1:9/elsewhere"
        assert bird.connections() == 1


def test_the_second_canary_listens_on_another_loopback_address(canary_pair: Canaries) -> None:
    assert canary_pair.second.host != canary_pair.first.host
    before = canary_pair.connections()
    httpx.get(canary_pair.second.url)
    assert canary_pair.connections() == before + 1


def _select(text: str) -> list[ox.QuerySolution]:
    results = engine_store().query(text)
    assert isinstance(results, ox.QuerySolutions)
    return list(results)


def test_the_engine_alone_connects_to_a_service_behind_glue(canary_pair: Canaries) -> None:
    before = canary_pair.connections()
    url = canary_pair.first.url
    _select(f"SELECT * {{ ?s ?p true.SERVICE <{url}> {{ ?a ?b ?c }} }}")
    _select(f"SELECT * {{ ?s ?p 1SERVICE <{url}> {{ }} }}")
    assert canary_pair.connections() == before + 2


def test_the_engine_alone_loads_from_the_canary(canary_pair: Canaries) -> None:
    before = canary_pair.connections()
    engine_store().update(f"LOAD <{canary_pair.second.url}> INTO GRAPH <http://example.org/l>")
    assert canary_pair.connections() == before + 1
