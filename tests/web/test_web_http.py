"""The web face over HTTP, without a browser: who gets the editor, the landing page's
negotiation, the Content-Security-Policy, the docs pages' assets, the examples.

Real servers (uvicorn on 127.0.0.1): one over the reference data only (a store
without the workbooks), one over the session's real store, one with query workers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from mipex_kg.api.app import create_app
from mipex_kg.api.editor_examples import examples
from mipex_kg.api.overview import MISSING_DATA_HINT
from mipex_kg.api.query_params import Vocabulary
from mipex_kg.api.query_registry import QueryRegistry
from mipex_kg.api.templating import IMPORT_MAP, IMPORT_MAP_HASH
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.api.live import LiveServer, live_server, serving

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)


def client(store: KnowledgeStore) -> Iterator[httpx.Client]:
    """An HTTP client of the service on ``store`` (uvicorn on 127.0.0.1, no query workers)."""
    with serving(create_app(Settings(store=None), store), lifespan="off") as url, \
            httpx.Client(base_url=url, timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def reference_only(reference_dump: bytes) -> Iterator[httpx.Client]:
    """The service on a store with the reference data only (no workbook loaded)."""
    store = KnowledgeStore()
    store.oxigraph.load(reference_dump, ox.RdfFormat.N_QUADS)
    yield from client(store)


@pytest.fixture(scope="module")
def real_client(real_store: KnowledgeStore) -> Iterator[httpx.Client]:
    yield from client(real_store)


@pytest.mark.parametrize("accept", [BROWSER, "text/html", "application/xhtml+xml"])
def test_a_browser_gets_the_editor_at_sparql(reference_only: httpx.Client, accept: str) -> None:
    response = reference_only.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert 'id="yasgui"' in response.text and "Content-Security-Policy" in response.headers


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    """A real server (uvicorn on 127.0.0.1, query workers running) on an empty store."""
    with live_server() as server:
        yield server


@pytest.mark.parametrize(("accept", "params", "media_type"), [
    (None, {}, "text/turtle"),  # no query: the service description
    ("*/*", {}, "text/turtle"),
    ("text/turtle;q=1, text/html;q=0.5", {}, "text/turtle"),
    ("application/sparql-results+json", {"query": "ASK {}"}, "application/sparql-results+json"),
    ("application/sparql-results+xml, */*;q=0.1", {"query": "ASK {}"},
     "application/sparql-results+xml"),
    ("text/csv", {"query": "SELECT * WHERE {} LIMIT 1"}, "text/csv"),
    ("*/*", {"query": "SELECT * WHERE {} LIMIT 1"}, "application/sparql-results+json"),
    (None, {"query": "SELECT * WHERE {} LIMIT 1"}, "application/sparql-results+json"),
    (BROWSER, {"query": "ASK {}", "format": "json"}, "application/sparql-results+json"),
    (BROWSER, {"query": "ASK {}"}, "application/xml"),  # a query: results, as before
])
def test_protocol_clients_keep_their_formats(live: LiveServer, accept: str | None,
                                             params: dict[str, str], media_type: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = live.http.get(live.endpoint, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Content-Security-Policy" not in response.headers  # not a page


def test_a_form_post_from_a_browser_is_a_query_not_the_editor(live: LiveServer) -> None:
    response = live.http.post(live.endpoint, data={"query": "ASK {}"},
                              headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] != "text/html"


def test_the_landing_page_shows_what_is_missing_and_how_to_load_it(
        reference_only: httpx.Client) -> None:
    page = reference_only.get("/", headers={"Accept": BROWSER})
    assert page.status_code == 200 and "No scores loaded" in page.text
    assert "mipex-kg serve --fetch" in page.text and "MIPEX_KG_DATA_DIR" in page.text
    error = reference_only.get("/api/rankings?indicator=overall-with-health&year=2019")
    assert error.status_code == 422
    assert error.json()["detail"].endswith(MISSING_DATA_HINT)
    assert "unknown indicator: 'overall-with-health'" in error.json()["detail"]


@pytest.mark.realdata
def test_the_landing_page_counts_what_the_graph_holds(real_client: httpx.Client) -> None:
    page = real_client.get("/", headers={"Accept": BROWSER}).text
    assert "No scores loaded" not in page
    assert "MIPEX 2020: policy indicator scores 2007-2019" in page
    assert "Solano, G. &amp; Huddleston, T. (2020)" in page  # how to cite, escaped
    for link in ("/sparql", "/catalog", "/downloads", "/docs", "/compare?"):
        assert f'href="{real_client.base_url}{link}' in page
    api = real_client.get("/api/rankings?indicator=overall-with-health&year=2019")
    assert api.status_code == 200  # the hint only when the workbooks are missing


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json"])
def test_rdf_clients_get_the_void_description_at_the_root(reference_only: httpx.Client,
                                                          accept: str) -> None:
    response = reference_only.get("/", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    graph = rdflib.Graph().parse(data=response.content,
                                 format="turtle" if accept == "text/turtle" else "json-ld")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    assert any(graph.subjects(rdflib.RDF.type, void.Dataset))


PAGES = ["/", "/sparql", "/compare", "/docs", "/redoc", "/def", "/downloads", "/id/country/SWE"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_policy_and_no_inline_script(reference_only: httpx.Client,
                                                             path: str) -> None:
    response = reference_only.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200, response.text
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in policy and "unsafe-eval" not in policy
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    for script in SCRIPT.finditer(response.text):
        attrs, body = script["attrs"], script["body"]
        if 'type="importmap"' in attrs:
            assert body == IMPORT_MAP  # the one inline script: allowed by its hash
        elif 'type="application/json"' not in attrs:  # data, never run
            assert "src=" in attrs and not body.strip()
    # everything the page loads is this service's own
    for url in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        if url.startswith(("http://", "https://")) and ("/static/" in url):
            assert url.startswith(f"{reference_only.base_url}/static/")


def test_the_import_map_hash_is_the_one_in_the_policy() -> None:
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode()
    assert IMPORT_MAP_HASH == f"sha256-{digest}"


@pytest.mark.parametrize("path", ["/", "/sparql", "/compare", "/docs", "/redoc",
                                  "/id/country/SWE"])
def test_every_asset_a_page_names_is_served(reference_only: httpx.Client, path: str) -> None:
    page = reference_only.get(path, headers={"Accept": BROWSER}).text
    base = re.escape(str(reference_only.base_url))
    assets = set(re.findall(rf'(?:src|href)="{base}(/static/[^"]+)"', page))
    assert assets
    for asset in assets:
        response = reference_only.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["content-type"].split(";")[0] in (
            "text/css", "text/javascript", "application/javascript", "application/json")


def test_json_in_the_editor_page_cannot_close_its_script(reference_only: httpx.Client) -> None:
    page = reference_only.get("/sparql", headers={"Accept": BROWSER}).text
    data = page[page.index('id="editor-config">'):]
    data = data[:data.index("</script>")]
    assert "<" not in data and "\\u003c" in data  # '<' escaped (the examples have some)


@pytest.mark.realdata
def test_every_example_at_sparql_answers_what_its_named_query_does(
        real_store: KnowledgeStore, web_server: str) -> None:
    registry = QueryRegistry.load()
    vocabulary = Vocabulary.of(real_store)
    checked = 0
    for example in examples(registry, vocabulary, real_store):
        query = registry[example.name]
        if query.federated:  # calls other endpoints: not here
            continue
        assert example.query.startswith("PREFIX "), example.name
        values = {name: p.example for name, p in query.params.items()}
        expected = registry.run(real_store, example.name, query.parse_params(values, vocabulary),
                                limit=10**6)  # every row: the example has no LIMIT
        response = httpx.get(web_server + "/sparql", params={"query": example.query},
                             headers={"Accept": "application/sparql-results+json"}, timeout=120)
        assert response.status_code == 200, (example.name, response.text)
        got = response.json()["results"]["bindings"]
        rows = [_row({k: b[k]["value"] for k in b}) for b in got]
        wanted = [_row({c: s[c].value for c in expected.columns if s[c] is not None})
                  for s in expected.solutions]
        if response.headers.get("X-Result-Truncated") == "true":  # over the endpoint's cap
            cap = int(response.headers["X-Result-Row-Limit"])
            assert len(got) == cap < len(wanted), example.name
            assert set(rows) <= set(wanted), example.name
        else:  # as sorted lists: some queries leave the order open
            assert sorted(rows) == sorted(wanted), example.name
        checked += 1
    assert checked >= 25


def _row(values: dict[str, str]) -> str:
    """A row to compare: GROUP_CONCAT lists ("a; b", "a, b") in order, as they come in any."""
    return json.dumps({k: sorted(re.split(r"[;,] ", v)) for k, v in values.items()},
                      sort_keys=True)
