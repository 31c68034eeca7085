"""Each REST route returns what its named queries return (fixture graph)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_rest.conftest import TestClient

ID = "https://w3id.org/mipex-kg/id/"


def named(client: TestClient, name: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of a named query, through its own endpoint."""
    response = client.get(f"/api/queries/{name}", params={**params, "limit": 1000}
                          if name in PAGED else params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


PAGED = {"scores", "indicators", "jurisdictions", "jurisdiction-evidence"}

LISTS = [
    ("/api/systems", "systems", {}),
    ("/api/systems", "systems", {"level": "regional"}),
    ("/api/policy-areas", "policy-areas", {"system": "mipex"}),
    ("/api/indicators", "indicators", {"system": "mipex", "area": "b"}),
    ("/api/indicators", "indicators", {"level": "sub-indicator"}),
    ("/api/jurisdictions", "jurisdictions", {"country": "ESP"}),
    ("/api/jurisdictions", "jurisdictions", {"q": "swe"}),
    ("/api/scores", "scores", {"jurisdiction": "SWE,FIN", "from": 2019}),
    ("/api/scores", "scores", {"area": "b", "edition": "mipex-2020"}),
    ("/api/changes", "changes", {"jurisdiction": "SWE", "from": 2014, "to": 2019}),
    ("/api/rankings", "ranking", {"indicator": "aa1", "year": 2019}),
]


@pytest.mark.parametrize(("path", "name", "params"), LISTS)
def test_list_routes_return_their_named_query(client: TestClient, path: str, name: str,
                                              params: dict[str, Any]) -> None:
    body = client.get(path, params={**params, "limit": 1000}).json()
    assert body["items"] == named(client, name, **params)
    assert body["items"], "the comparison needs rows"


def test_system_detail(client: TestClient) -> None:
    body = client.get("/api/systems/mipex").json()
    (system,) = named(client, "systems", system="mipex")
    assert {k: body[k] for k in system} == system
    assert body["editions"] == named(client, "system-editions", system="mipex")
    assert body["policyAreas"] == named(client, "policy-areas", system="mipex")
    assert body["axes"] == named(client, "classification-axes", system="mipex")


def test_indicator_detail(client: TestClient) -> None:
    body = client.get("/api/indicators/b", params={"year": 2014}).json()
    (indicator,) = named(client, "indicator", indicator="b")
    assert {k: body[k] for k in indicator} == indicator
    assert body["subIndicators"] == named(client, "sub-indicators", indicator="b")
    assert body["years"] == named(client, "indicator-years", indicator="b")
    assert body["scores"] == named(client, "indicator-scores", indicator="b", year=2014)


def test_jurisdiction_detail(client: TestClient) -> None:
    body = client.get("/api/jurisdictions/SWE").json()
    (jurisdiction,) = named(client, "jurisdiction", jurisdiction="SWE")
    assert {k: body[k] for k in jurisdiction} == jurisdiction
    assert body["regions"] == named(client, "jurisdictions", country="SWE", level="region")
    assert body["latestScores"] == named(client, "latest-scores", jurisdiction="SWE")
    series = named(client, "jurisdiction-time-series", jurisdiction="SWE")
    flat = [{**{k: g[k] for k in ("indicator", "code", "label", "level")}, **p}
            for g in body["timeSeries"] for p in g["points"]]
    key = ["indicator", "code", "label", "level", "year", "score", "edition", "observation"]
    assert [[r[k] for k in key] for r in flat] == [[r[k] for k in key] for r in series]


def test_compare(client: TestClient) -> None:
    body = client.get("/api/compare", params={"jurisdictions": "FIN,SWE", "year": 2014}).json()
    rows = named(client, "compare", jurisdictions="FIN,SWE", year=2014)
    side_by_side = {(i["indicator"], code, score, i["observations"][code])
                    for i in body["items"] for code, score in i["scores"].items()
                    if score is not None}
    assert side_by_side == {(r["indicator"], r["jurisdictionCode"], r["score"],
                             r["observation"]) for r in rows}


def test_rankings_unscored(client: TestClient) -> None:
    body = client.get("/api/rankings", params={"indicator": "aa1", "year": 2014}).json()
    assert body["unscored"] == named(client, "ranking-unscored", indicator="aa1", year=2014)


@pytest.mark.parametrize("score", [
    ID + "score/mipex-2020/FIN/2014/bb28a",
    ID + "score/reported/integration-diverse-basque-country-mipex-r/ES21/mipex-r-overall",
])
def test_provenance(client: TestClient, score: str) -> None:
    body = client.get("/api/provenance", params={"score": score}).json()
    (row,) = named(client, "provenance", score=score)
    merged: dict[str, Any] = {}
    for step in body.values():
        if isinstance(step, dict) and "self" not in step:
            merged.update(step)
    assert merged == {k: v for k, v in row.items() if k in merged}
    assert {k for k, v in row.items() if v is not None} <= set(merged)
