"""The web pages in a real browser: headless Chromium against uvicorn on 127.0.0.1.

Every page draws without a console error, asks nothing of any other host, and has no
serious or critical accessibility violation (axe-core, run in the page); the query
editor runs typed queries and the named-query examples; every chart draws one SVG
mark per score that its REST route returns. Screenshots and load figures go to
build/browser/.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest

from tests.web.conftest import Visit

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

Open = Callable[[str], Visit]
INDICATOR = "https://w3id.org/mipex-kg/id/indicator/mipex/overall-with-health"

#: name -> (path, a selector that is there once the page has finished drawing)
PAGES = {
    "landing": ("/", "main h1"),
    "editor": ("/sparql", ".yasqe .CodeMirror"),
    "jurisdiction": ("/id/country/SWE", "#chart-series[data-drawn=true] svg"),
    "indicator": ("/id/indicator/mipex/overall-with-health",
                  "#chart-map[data-drawn=true] svg"),
    "compare": ("/compare?jurisdictions=DEU,FRA,ITA,SWE&year=2019",
                "#chart-compare[data-drawn=true] svg"),
    "observation": ("/id/score/mipex-2020/SWE/2019/aa1", "dl.facts"),
    "ontology": ("/def", "#section-classes"),
    "downloads": ("/downloads", "main table"),
    "swagger-ui": ("/docs", ".swagger-ui .opblock"),
    "redoc": ("/redoc", ".api-content"),
}


def rest(web_server: str, path: str) -> dict:
    response = httpx.get(web_server + path, timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def ready(visit: Open, name: str) -> Visit:
    path, selector = PAGES[name]
    seen = visit(path)
    seen.page.wait_for_selector(selector, timeout=30_000)
    return seen


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_draws_from_this_service_alone_cleanly_and_accessibly(visit: Open,
                                                                     name: str) -> None:
    seen = ready(visit, name)
    seen.page.wait_for_load_state("networkidle")
    assert not seen.elsewhere(), f"requests that left the service: {seen.elsewhere()}"
    assert not seen.errors, f"console errors: {seen.errors}"
    assert not seen.accessibility_violations()
    figures = seen.record(name)
    assert figures["first_contentful_paint_ms"] is not None  # something was rendered


def test_the_editor_runs_a_typed_query_without_prefix_lines(visit: Open, web_server: str) -> None:
    seen = ready(visit, "editor")
    editor = seen.page.locator(".yasqe .CodeMirror")
    editor.click()
    seen.page.keyboard.press("Control+A")
    seen.page.keyboard.press("Delete")
    seen.page.keyboard.insert_text(
        "SELECT ?code WHERE { ?c a mkg:Country ; skos:notation ?code } ORDER BY ?code LIMIT 7")
    seen.page.locator(".yasqe_queryButton").click()
    rows = seen.page.locator(".yasr table.dataTable tbody tr")
    rows.first.wait_for(timeout=30_000)
    assert rows.count() == 7
    assert rows.first.inner_text().split()[-1] == "ALB"  # the first code, in order
    for fmt in ("csv", "json", "tsv"):  # the download links carry the query just run
        href = seen.page.get_attribute(f"#download-{fmt}", "href")
        assert href and "LIMIT%207" in href.replace("+", "%20") and f"format={fmt}" in href
    csv = httpx.get(seen.page.get_attribute("#download-csv", "href"), timeout=60).text
    assert csv.splitlines() == ["code", "ALB", "ARE", "ARG", "AUS", "AUT", "BEL", "BGR"]
    assert not seen.errors and not seen.elsewhere()


def test_an_example_named_query_runs_and_charts(visit: Open, web_server: str) -> None:
    seen = ready(visit, "editor")
    seen.page.select_option("#examples", "ranking")
    assert seen.page.inner_text("#example-description").startswith(
        "Every jurisdiction with a score on the indicator in the year, highest first.")
    text = seen.page.evaluate("() => document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert "PREFIX mkg: <https://w3id.org/mipex-kg/def#>" in text  # the example as SPARQL ...
    assert "VALUES ?year { 2019 }" in text  # ... its parameters bound to their examples
    seen.page.locator(".yasqe_queryButton").click()
    expected = rest(web_server, "/api/queries/ranking?indicator=overall-with-health&year=2019"
                                "&edition=mipex-2020")
    info = seen.page.locator(".yasr .dataTables_info")
    info.wait_for(timeout=60_000)
    assert f"of {expected['count']} entries" in info.inner_text()
    seen.page.locator(".yasr .select_chart").click()
    bars = seen.page.locator(".yasr figure.chart[data-drawn=true] g.mark-rect.role-mark path")
    bars.first.wait_for(timeout=30_000)
    assert bars.count() == expected["count"] == 56
    chart = seen.page.locator(".yasr figure.chart svg").text_content() or ""
    assert "Sweden" in chart and "score" in chart  # a bar per jurisdiction, by its score
    assert not seen.errors and not seen.elsewhere()
    seen.record("editor-chart")


def test_a_share_link_opens_the_editor_with_its_query(visit: Open) -> None:
    query = "SELECT ?s WHERE { ?s a mkg:IndicatorSystem }"
    seen = visit("/sparql#query=" + quote(query))
    seen.page.wait_for_selector(".yasqe .CodeMirror")
    assert seen.page.evaluate("() => document.querySelector('.CodeMirror').CodeMirror.getValue()") \
        == query


def test_the_jurisdiction_chart_has_a_point_per_published_score(visit: Open,
                                                                web_server: str) -> None:
    seen = ready(visit, "jurisdiction")
    series = rest(web_server, "/api/queries/jurisdiction-time-series?jurisdiction=SWE")["items"]
    scores = [r for r in series if r["level"] in ("overall", "area")]
    assert len(scores) > 100
    assert seen.count("#chart-series g.mark-symbol.role-mark path") == len(scores)
    editions = {r["edition"] for r in scores}
    assert seen.count("#chart-series g.mark-rule.role-mark line") == len(editions) - 1  # the breaks


def test_the_indicator_charts_have_a_bar_and_a_shape_per_score(visit: Open,
                                                               web_server: str) -> None:
    seen = ready(visit, "indicator")
    ranking = rest(web_server, f"/api/rankings?indicator={quote(INDICATOR)}&year=2019")
    assert seen.count("#chart-ranking g.mark-rect.role-mark path") == ranking["count"] == 56
    mapped = rest(web_server, f"/api/queries/map-scores?indicator={quote(INDICATOR)}&year=2019")
    atlas = rest(web_server, seen.page.get_attribute("[data-chart=indicator]", "data-atlas")
                 .removeprefix(web_server))
    codes = {r["isoNumeric"] for r in mapped["items"]}
    shapes = [g for g in atlas["objects"]["countries"]["geometries"] if g.get("id") in codes]
    assert len(shapes) >= 50
    assert seen.count("#chart-map g.layer_1_marks path") == len(shapes)

    seen.page.select_option("#indicator-year", "2022")  # another year: the charts follow
    later = rest(web_server, f"/api/rankings?indicator={quote(INDICATOR)}&year=2022")
    bars = "#chart-ranking g.mark-rect.role-mark path"
    deadline = time.monotonic() + 30  # polled from here: the page's CSP forbids eval there
    while seen.count(bars) != later["count"] and time.monotonic() < deadline:
        seen.page.wait_for_timeout(100)
    assert seen.count(bars) == later["count"]
    assert later["count"] != ranking["count"]


def test_the_compare_chart_has_a_bar_per_score(visit: Open, web_server: str) -> None:
    seen = ready(visit, "compare")
    expected = sum(
        1 for level in ("overall", "area")
        for item in rest(web_server, f"/api/compare?jurisdictions=DEU,FRA,ITA,SWE&year=2019"
                                     f"&level={level}")["items"]
        for score in item["scores"].values() if score is not None)
    assert expected > 30
    assert seen.count("#chart-compare g.mark-rect.role-mark path") == expected


def test_a_chart_downloads_as_svg_and_png(visit: Open) -> None:
    seen = ready(visit, "compare")
    for kind, start in (("svg", b"<svg"), ("png", b"\x89PNG")):
        with seen.page.expect_download() as download:
            seen.page.click(f"#chart-compare button[data-download={kind}]")
        path = download.value.path()
        assert download.value.suggested_filename == f"compare-2019.{kind}"
        with open(path, "rb") as stream:
            assert stream.read(len(start)) == start


def test_long_link_lists_are_grouped_and_paged(visit: Open) -> None:
    seen = visit("/id/country/SWE")
    groups = seen.page.locator("section:has(h2:text('Links to this resource')) h3")
    assert groups.count() >= 4  # by property, then by edition
    seen.page.locator("nav.pager a[rel=next]").first.click()
    seen.page.wait_for_selector("nav.pager a[rel=prev]")
    assert "51–100 of" in seen.page.inner_text("nav.pager:has(a[rel=prev])")
    assert seen.errors == []
