"""The facade in the full application, served by a real uvicorn on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mipex_kg.api.app import create_app
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.api.live import serving


@pytest.fixture(scope="module")
def live_url(fixture_store: KnowledgeStore) -> Iterator[str]:
    """``create_app`` over the fixture graph, under uvicorn on a free port; stopped after.

    All requests come from 127.0.0.1, one client to the engine: its limit of queries in
    flight is raised so that eight parallel connections are served, not refused (429).
    """
    settings = Settings(store=None, client_max_in_flight=64)
    with serving(create_app(settings, fixture_store, query_workers=1)) as url:
        yield url


def test_rest_routes_answer_over_http(live_url: str) -> None:
    with httpx.Client(base_url=live_url, timeout=30) as http:
        ranking = http.get("/api/rankings", params={"indicator": "overall-with-health",
                                                    "year": 2019})
        assert ranking.status_code == 200
        assert ranking.json()["items"][0]["jurisdictionCode"] == "SWE"
        assert ranking.json()["links"]["self"].startswith(live_url)
        series = http.get("/api/jurisdictions/SWE", headers={"Accept": "text/csv"})
        assert series.headers["content-type"] == "text/csv; charset=utf-8"
        assert series.text.startswith("indicator,code,label,level,year,score")
        error = http.get("/api/scores", params={"to": "2019 } #"})
        assert error.status_code == 422 and error.json()["error"] == "invalid_parameters"
        listing = http.get("/api/queries").json()
        assert {"scores", "ranking", "provenance"} <= {q["name"] for q in listing["items"]}


def test_concurrent_requests_are_served(live_url: str) -> None:
    def fetch(code: str) -> int:
        with httpx.Client(base_url=live_url, timeout=30) as http:
            body = http.get(f"/api/jurisdictions/{code}").json()
            return len(body["timeSeries"])

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(fetch, ["SWE", "FIN", "PRT", "ESP", "AUT"] * 4))
    assert counts == [counts[0]] * len(counts) and counts[0] > 0
