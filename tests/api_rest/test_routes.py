"""The REST routes and named-query endpoints, one behaviour at a time (fixture graph)."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from tests.api_rest.conftest import TestClient

ID = "https://w3id.org/mipex-kg/id/"


def error_of(response: object, status: int) -> dict[str, object]:
    """The one error body, an RFC 9457 problem, checked."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail", "instance", "error"} <= set(body)
    assert set(body) <= {"type", "title", "status", "detail", "instance", "error", "problems",
                         "invalid-params"}
    assert body["status"] == status and body["detail"]
    assert body["type"].endswith("#" + body["error"])
    assert body["instance"] == response.request.url.path  # type: ignore[attr-defined]
    return body  # type: ignore[no-any-return]


def test_json_by_default_with_items_and_links(client: TestClient) -> None:
    response = client.get("/api/jurisdictions", params={"level": "country", "limit": 2})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["count"] == 2 and body["limit"] == 2 and body["offset"] == 0
    assert [i["code"] for i in body["items"]] == ["ABW", "AFG"] or len(body["items"]) == 2
    assert body["links"]["next"].endswith("offset=2")
    assert 'rel="next"' in response.headers["link"]
    following = client.get(body["links"]["next"]).json()
    assert following["offset"] == 2 and "prev" in following["links"]
    assert not {i["code"] for i in following["items"]} & {i["code"] for i in body["items"]}


def test_csv_on_request_by_accept_or_format(client: TestClient) -> None:
    by_accept = client.get("/api/scores", params={"jurisdiction": "SWE", "indicator": "aa1"},
                           headers={"Accept": "text/csv"})
    by_format = client.get("/api/scores", params={"jurisdiction": "SWE", "indicator": "aa1",
                                                  "format": "csv"})
    assert by_accept.status_code == by_format.status_code == 200
    assert by_accept.headers["content-type"] == "text/csv; charset=utf-8"
    assert by_accept.text == by_format.text
    rows = list(csv.DictReader(io.StringIO(by_accept.text)))
    assert [(r["year"], r["score"]) for r in rows] == [("2014", "50"), ("2019", "100")]
    assert rows[1]["comment"] == "Reform of 2016: all residents."


def test_named_query_endpoint_speaks_every_sparql_result_format(client: TestClient) -> None:
    params = {"indicator": "aa1", "year": "2019"}
    plain = client.get("/api/queries/indicator-scores", params=params).json()
    assert plain["query"] == "indicator-scores" and plain["count"] == 5
    for media, fmt in (("application/sparql-results+json", ox.QueryResultsFormat.JSON),
                       ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
                       ("text/tab-separated-values", ox.QueryResultsFormat.TSV)):
        response = client.get("/api/queries/indicator-scores", params=params,
                              headers={"Accept": media})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        results = ox.parse_query_results(response.content, fmt)
        assert isinstance(results, ox.QuerySolutions)
        parsed = list(results)
        assert [s["observation"].value for s in parsed] == \
            [i["observation"] for i in plain["items"]]
        assert {s["score"] for s in parsed} == {ox.Literal("100", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#decimal")), ox.Literal("50", datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#decimal")), ox.Literal("0", datatype=ox.NamedNode(
                    "http://www.w3.org/2001/XMLSchema#decimal"))}


def test_query_listing_gives_text_parameters_and_columns(client: TestClient) -> None:
    body = client.get("/api/queries").json()
    by_name = {q["name"]: q for q in body["items"]}
    scores = by_name["scores"]
    assert scores["pagination"] == 500 and "SELECT" in scores["sparql"]
    assert {p["name"] for p in scores["parameters"]} == {"jurisdiction", "indicator", "area",
                                                         "from", "to", "edition"}
    assert scores["url"].endswith("/api/queries/scores")
    assert client.get(scores["url"], params={"limit": 1}).status_code == 200


def test_errors_are_one_json_shape_naming_the_parameter(client: TestClient) -> None:
    body = error_of(client.get("/api/scores", params={"from": "20x9"}), 422)
    assert body["error"] == "invalid_parameters"
    assert body["problems"] == ["query.from: not a year: '20x9'"]
    assert body["invalid-params"] == [{"name": "from", "in": "query",
                                       "reason": "not a year: '20x9'"}]
    assert "'from'" in str(body["detail"])
    body = error_of(client.get("/api/scores", params={"yaer": "2019"}), 422)
    assert body["problems"][0].startswith("query.yaer: unknown parameter")  # type: ignore[index]
    body = error_of(client.get("/api/rankings", params={"year": "2019"}), 422)
    assert body["problems"] == ["query.indicator: required"]
    body = error_of(client.get("/api/scores?year=2019&year=2020"), 422)
    body = error_of(client.get("/api/changes", params={"jurisdiction": "SWE", "from": "2019",
                                                      "to": "2014"}), 422)
    assert body["problems"] == ["query.to: must be a later year than from"]
    error_of(client.get("/api/scores", params={"limit": "0"}), 422)
    error_of(client.get("/api/scores", params={"format": "xml"}), 422)


@pytest.mark.parametrize("path", ["/api/jurisdictions/XYZ", "/api/indicators/zz99",
                                  "/api/systems/nope",
                                  "/api/queries/nope",
                                  f"/api/provenance?score={ID}score/mipex-2020/SWE/1999/aa1"])
def test_unknown_resources_are_404(client: TestClient, path: str) -> None:
    error_of(client.get(path), 404)


@pytest.mark.parametrize("path", ["/api/jurisdictions/ES%22%7D", "/api/indicators/a%3E%20%7D",
                                  "/api/systems/%3Cx%3E"])
def test_malformed_identifiers_in_paths_are_422(client: TestClient, path: str) -> None:
    body = error_of(client.get(path), 422)
    assert str(body["problems"][0]).startswith("path.")  # type: ignore[index]


def test_unacceptable_formats_are_406(client: TestClient) -> None:
    error_of(client.get("/api/systems", headers={"Accept": "application/xml"}), 406)


def test_system_with_editions_and_axes(client: TestClient) -> None:
    body = client.get("/api/systems/mipex").json()
    assert body["level"].endswith("#NationalLevel") and body["jurisdictionCount"] >= 5
    assert [e["id"] for e in body["editions"]] == ["mipex-2020", "mipex-2025-eu"]
    assert [a["code"] for a in body["policyAreas"]] == ["a", "b"]
    regional = client.get("/api/systems/mipex-r").json()
    assert {a["axisLabel"] for a in regional["axes"]} == {
        "policy areas", "governance system", "governance process", "target population"}


def test_indicator_with_question_sub_indicators_and_latest_scores(client: TestClient) -> None:
    body = client.get("/api/indicators/bb28").json()
    assert [s["code"] for s in body["subIndicators"]] == ["bb28a", "bb28b"]
    assert body["year"] == 2019 and len(body["scores"]) == 5
    aa1 = client.get("/api/indicators/aa1", params={"year": 2014}).json()
    assert aa1["question"] == "What categories of foreign residents have equal access?"
    assert aa1["answerOptions"] == "100 - All of them\n0 - Only A or none"
    assert {s["jurisdictionCode"]: s["score"] for s in aa1["scores"]}["SWE"] == 50


def test_jurisdiction_with_links_scores_and_series(client: TestClient) -> None:
    body = client.get("/api/jurisdictions/SWE").json()
    assert body["iso2"] == "SE" and body["wikidata"] == "http://www.wikidata.org/entity/Q34"
    assert body["euAuthority"].endswith("/country/SWE")
    assert {r["code"] for r in body["regions"]} >= {"SE224"}
    latest = {s["code"]: (s["year"], s["score"]) for s in body["latestScores"]}
    assert latest["overall-with-health"] == (2019, 86.5)
    series = {g["code"]: [(p["year"], p["score"]) for p in g["points"]]
              for g in body["timeSeries"]}
    assert series["aa1" if "aa1" in series else "a"] == [(2014, 75.0), (2019, 100.0)]
    basque = client.get("/api/jurisdictions/ES21").json()
    assert basque["partOf"] == ID + "country/ESP"
    assert basque["nuts"] == "http://data.europa.eu/nuts/code/ES21"
    assert [(s["code"], s["year"], s["score"]) for s in basque["latestScores"]] == \
        [("overall", None, 77.0)]


def test_compare_sets_jurisdictions_side_by_side(client: TestClient) -> None:
    body = client.get("/api/compare", params={"jurisdictions": "SWE,ESP", "year": 2019,
                                              "level": "overall"}).json()
    assert body["jurisdictions"] == ["SWE", "ESP"]
    first = body["items"][0]
    assert first["code"] == "overall-with-health"
    assert first["scores"] == {"SWE": 86.5, "ESP": 60.0}
    assert first["differences"] == {"ESP": -26.5} and first["spread"] == 26.5
    table = client.get("/api/compare", params={"jurisdictions": "SWE,ESP", "year": 2019,
                                               "level": "overall", "format": "csv"}).text
    assert table.splitlines()[0] == "indicator,code,label,level,SWE,ESP,spread"


def test_rankings_share_ranks_and_list_the_unscored_apart(client: TestClient) -> None:
    body = client.get("/api/rankings", params={"indicator": "overall-with-health",
                                               "year": 2019}).json()
    assert [(i["jurisdictionCode"], i["rank"], i["tied"]) for i in body["items"]] == [
        ("SWE", 1, False), ("FIN", 2, False), ("PRT", 3, False), ("AUT", 4, True),
        ("ESP", 4, True)]
    unscored = {u["jurisdictionCode"] for u in body["unscored"]}
    assert not unscored & {"SWE", "FIN", "PRT", "AUT", "ESP"}


def test_changes_with_directions_and_comments(client: TestClient) -> None:
    body = client.get("/api/changes", params={"jurisdiction": "SWE", "from": 2014, "to": 2019,
                                              "level": "indicator"}).json()
    assert [(i["code"], i["change"], i["direction"]) for i in body["items"]] == [
        ("aa1", 50.0, "positive"), ("ba21", -50.0, "negative")]
    assert body["positive"] == 1 and body["negative"] == 1
    assert body["items"][0]["toComment"] == "Reform of 2016: all residents."


def test_provenance_from_score_to_file_and_licence(client: TestClient) -> None:
    score = ID + "score/mipex-2020/SWE/2019/aa1"
    body = client.get("/api/provenance", params={"score": score}).json()
    assert body["score"]["score"] == 100.0
    assert body["cell"]["sheet"] == "SE" and body["cell"]["cell"]
    assert body["file"]["fileName"] == "mipex_fixture_2014-2019.xlsx"
    assert len(body["file"]["sha256"]) == 64
    assert body["load"]["graph"].endswith("/graph/mipex-fixture-2014-2019")
    assert body["edition"]["publisherName"] == "Migration Policy Group"
    assert body["edition"]["rights"].startswith("Licence:")
    assert body["publication"] is None


def test_provenance_of_a_reported_score_is_its_article(client: TestClient) -> None:
    score = ID + "score/reported/integration-diverse-basque-country-mipex-r/ES21/mipex-r-overall"
    body = client.get("/api/provenance", params={"score": score}).json()
    assert body["score"]["status"] == ID + "status/reported"
    assert body["file"] is None and body["cell"] is None
    assert body["publication"]["publicationTitle"].startswith("Integration in a diverse Basque")
    assert "77 out of 100" in body["publication"]["quotation"]


def test_openapi_documents_every_parameter_with_examples_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [(path, op) for path, item in spec["paths"].items()
                  if path.startswith("/api/") for op in item.values()]
    assert len(operations) >= 40
    for path, op in operations:
        assert op.get("summary") and op.get("description"), path
        assert "422" in op["responses"] and "200" in op["responses"], path
        problem = op["responses"]["422"]["content"]["application/problem+json"]["schema"]
        assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
        for param in op.get("parameters", []):
            assert param.get("description"), (path, param["name"])
            assert "example" in param or "examples" in param.get("schema", {}) \
                or path.startswith("/api/queries/"), (path, param["name"])
    json.dumps(spec)


def test_cached_answers_follow_the_store(reference_store: object) -> None:
    from tests.api_rest.conftest import rest_app

    with rest_app(reference_store) as app:  # type: ignore[arg-type]
        fresh = TestClient(app)
        assert fresh.get("/api/jurisdictions", params={"q": "zzland"}).json()["count"] == 0
        reference_store.update(  # type: ignore[attr-defined]
            "INSERT DATA { <https://w3id.org/mipex-kg/id/country/ZZZ> a mkg:Country ; "
            "skos:notation 'ZZZ' ; skos:prefLabel 'Zzland'@en }")
        assert fresh.get("/api/jurisdictions", params={"q": "zzland"}).json()["count"] == 1
        assert fresh.get("/api/jurisdictions/ZZZ").status_code == 200
