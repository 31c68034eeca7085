"""A refusal says what was refused: 400 naming the endpoint that is not allowed (and,
for LOAD, the source), so a user knows which IRI to change."""

from __future__ import annotations

import httpx

from tests.api.live import TOKEN, LiveServer
from tests.security.canary import Canaries


def _detail(response: httpx.Response) -> str:
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    return detail


def test_a_service_that_is_not_allowed_is_named(service: LiveServer,
                                                canary_pair: Canaries) -> None:
    url = canary_pair.first.url
    response = service.http.get(service.endpoint,
                                params={"query": f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"})
    assert response.status_code == 400
    assert f"<{url}>" in _detail(response) and "not allowed" in _detail(response)
    assert canary_pair.new_connections() == 0


def test_a_load_source_that_is_not_allowed_is_named(service: LiveServer,
                                                    canary_pair: Canaries) -> None:
    url = canary_pair.first.url
    response = service.http.post(service.endpoint, content=f"LOAD <{url}>", headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code in (400, 403), response.text
    assert url in _detail(response) and "not allowed" in _detail(response)
    assert canary_pair.new_connections() == 0
