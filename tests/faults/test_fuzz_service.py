"""Fuzzing every operation of the OpenAPI document against a real server: never a 5xx.

``tests/api_rest/test_fuzz`` fuzzes the REST facade in-process, with its stricter
checks. Here schemathesis reads ``/openapi.json`` from the whole service running
under uvicorn on 127.0.0.1 (``tests.api.live``, the tiny fixture graph loaded, the
project's write gate as ``mipex-kg serve`` has it) and
sends every operation generated requests, valid ones (positive) and invalid ones
(negative): the SPARQL endpoint, the Graph Store (writes once with the bearer token
and once without), ``/id/...``, ``/def``, the catalogue, VoID, downloads, the REST
facade. Every answer must not be a server error (``not_a_server_error``). Named
queries that call other SPARQL endpoints (SERVICE) are left out: their answers
depend on the network. Examples are few per operation and derandomised (the same
requests on every run), which keeps the run short; a run with 150 (40 for the
facade) random examples per operation and mode found no server error either.

Probing beside the fuzzer found that an update made the service connect to any
address (LOAD, SERVICE; a failure was a 503): fixed by the engine's network policy,
guarded here.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis (a test tool) is not installed")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from mipex_kg.api.app import create_app  # noqa: E402
from mipex_kg.api.writes import accept_all  # noqa: E402
from mipex_kg.graph.store import KnowledgeStore  # noqa: E402
from mipex_kg.loaders.pipeline import Loader  # noqa: E402

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests  # noqa: E402

pytestmark = pytest.mark.faults

#: Examples per operation and mode; fewer for the REST facade, which ``test_fuzz``
#: fuzzes more thoroughly in-process.
EXAMPLES, REST_EXAMPLES = 6, 2
WRITES = {("PUT", "/rdf-graphs/service"), ("POST", "/rdf-graphs/service"),
          ("DELETE", "/rdf-graphs/service"), ("POST", "/sparql")}


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation (an app over an empty store lists the same)."""
    app = create_app(settings_for_tests(), KnowledgeStore(), write_gate=accept_all)
    federated = {f"/api/queries/{name}" for name in
                 ("federated-country-scores", "federated-project-cordis", "federated-region-nuts")}
    return [(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            for method in operations if path not in federated]


def _cases() -> list[Any]:
    cases = []
    for method, path in _operations():
        tokens = ["token", "no token"] if (method, path) in WRITES else ["token"]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases += [pytest.param(method, path, mode, token,
                                   id=f"{method} {path} {mode.value} {token}") for token in tokens]
    return cases


@pytest.fixture(scope="module")
def server(fixture_store: KnowledgeStore) -> Iterator[LiveServer]:
    with live_server(settings_for_tests()) as running:
        for graph in fixture_store.named_graphs():
            running.store.replace_graph(graph, fixture_store.triples(graph))
        running.app.state.write_gate = Loader(running.store).check_write  # as `serve` has it
        yield running


@pytest.fixture(scope="module")
def service_schema(server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


@pytest.mark.parametrize(("method", "path", "mode", "token"), _cases())
def test_no_server_errors(service_schema: Any, method: str, path: str,
                          mode: GenerationMode, token: str) -> None:
    operation = service_schema[path][method]
    if mode == GenerationMode.NEGATIVE and not (operation.definition.raw.get("parameters")
                                                or operation.definition.raw.get("requestBody")):
        pytest.skip("nothing to make invalid")
    headers = {"Authorization": f"Bearer {TOKEN}"} if token == "token" else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=REST_EXAMPLES if path.startswith("/api/") else EXAMPLES,
              deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    try:
        fuzz()
    except Unsatisfiable:  # a path parameter of any string: no request is invalid
        pytest.skip("no invalid request can be generated")


@pytest.mark.parametrize("update", [
    "LOAD <{url}> INTO GRAPH <https://w3id.org/mipex-kg/graph/loaded>",
    "INSERT {{ GRAPH <https://w3id.org/mipex-kg/graph/copied> {{ ?s ?p ?o }} }} "
    "WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
], ids=["LOAD", "SERVICE"])
def test_an_update_does_not_reach_other_servers(server: LiveServer, update: str) -> None:
    """An update that names another server is refused (4xx), and nothing connects there."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = "http://127.0.0.1:{}/data".format(listener.getsockname()[1])
        connections: list[object] = []
        done = threading.Event()
        watcher = threading.Thread(target=_refuse, args=(listener, connections, done))
        watcher.start()
        try:
            answer = server.http.post(
                server.endpoint, content=update.format(url=url).encode(),
                headers={"Authorization": f"Bearer {TOKEN}",
                         "Content-Type": "application/sparql-update"})
        finally:
            done.set()
            watcher.join(timeout=10)
    assert not connections, "the service connected to the address the update named"
    assert 400 <= answer.status_code < 500, answer.text


def _refuse(listener: socket.socket, connections: list[object], done: threading.Event) -> None:
    """Accept and at once close every connection to ``listener`` until ``done``."""
    listener.settimeout(0.05)
    while not done.is_set():
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connections.append(connection.getpeername())
        connection.close()
