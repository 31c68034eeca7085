"""``/health`` and ``/ready`` over real HTTP, with real stores going away or hanging.

A remote store here is rdflib's ``SPARQLStore`` (it has the ``query`` the readiness
check calls) in front of a real ``oxigraph serve`` on 127.0.0.1, or in front of a
socket that accepts connections and never answers.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from mipex_kg.api.readiness import Readiness

from tests.api.live import LiveServer, live_server, settings_for_tests
from tests.backends.oxigraph_server import OxigraphServer

#: 10^10 solutions: runs for seconds, so it holds the only worker while we probe.
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
    f"VALUES ?v{k} {{ {' '.join(str(i) for i in range(100))} }}" for k in range(5)) + " }")


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    """One query worker, nobody may wait for it: a second query at once gets 503. A query
    stays in the short lane until its time limit (it is never moved to the long one)."""
    settings = settings_for_tests(query_workers=1, queue_limit=0, query_timeout=8.0,
                                  fast_lane_timeout=30.0)
    with live_server(settings) as running:
        yield running


@pytest.fixture
def oxigraph_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A running ``oxigraph serve`` (PyPI oxigraph) and its query URL; stopped after."""
    server = OxigraphServer.start(tmp_path / "db")
    try:
        yield server.process, server.url + "/query"
    finally:
        server.stop()


@pytest.fixture
def silent_listener() -> Iterator[tuple[str, list[socket.socket]]]:
    """A URL whose server accepts connections and never answers; the accepted ones."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/query", accepted
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
        thread.join(timeout=10)


def test_health_answers_without_store_or_engine(server: LiveServer) -> None:
    for method in ("GET", "HEAD"):
        response = server.http.request(method, server.url + "/health")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
    assert server.http.get(server.url + "/health").json() == {"status": "alive"}


def test_ready_when_the_engine_runs_and_the_store_answers(server: LiveServer) -> None:
    response = server.http.get(server.url + "/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready"}
    assert response.headers["Cache-Control"] == "no-store"
    assert server.http.head(server.url + "/ready").status_code == 200


def test_ready_while_every_worker_is_busy(server: LiveServer) -> None:
    """Saturated is not unready: /ready does not queue behind queries.

    A probe can reach the only worker before the slow query does; the slow query is
    then refused at once, and is sent again until it is the one holding the worker.
    Each probe is a new text, so that no answer can come from the response cache."""
    outcome: list[int] = []

    def send_slow() -> threading.Thread:
        thread = threading.Thread(target=lambda: outcome.append(server.http.get(
            server.endpoint, params={"query": SLOW}, timeout=60).status_code))
        thread.start()
        return thread

    slow = send_slow()
    try:
        busy = 0
        deadline = time.monotonic() + 30
        for probe in itertools.count():
            if busy or time.monotonic() > deadline:
                break
            if not slow.is_alive():
                slow = send_slow()  # refused because a probe held the worker
            answer = server.http.get(server.endpoint,
                                     params={"query": f"ASK {{ BIND({probe} AS ?n) }}"})
            busy = answer.status_code if answer.status_code == 503 else 0
        assert busy == 503, f"the slow query never held the only worker: {outcome}"
        response = server.http.get(server.url + "/ready")
        assert response.status_code == 200, response.text
    finally:
        slow.join(timeout=60)
    assert outcome[-1] == 503  # stopped at the time limit, as any query would be


def test_not_ready_once_the_engine_is_stopped() -> None:
    with live_server(settings_for_tests(query_workers=1)) as running:
        running.app.state.engine.close()
        response = running.http.get(running.url + "/ready")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        body = response.json()
        assert (body["status"], body["error"]) == (503, "not_ready")
        assert "query engine is not running" in body["detail"]
        assert running.http.get(running.url + "/health").status_code == 200


def test_not_ready_while_a_remote_store_is_down(
        server: LiveServer, oxigraph_server: tuple[subprocess.Popen[bytes], str]) -> None:
    process, url = oxigraph_server
    own = server.app.state.readiness
    remote = Readiness(SPARQLStore(url), server.app.state.engine, reuse_for=0)
    server.app.state.readiness = remote
    try:
        assert server.http.get(server.url + "/ready").status_code == 200
        process.terminate()
        process.wait(timeout=30)
        response = server.http.get(server.url + "/ready")
        assert response.status_code == 503
        assert response.json()["detail"].startswith("the store cannot be queried (")
        assert "127.0.0.1" not in response.text  # the store's address stays in the log
        assert server.http.get(server.url + "/health").status_code == 200
    finally:
        server.app.state.readiness = own
        remote.close()


def test_a_hanging_store_is_asked_once_and_reported(
        server: LiveServer, silent_listener: tuple[str, list[socket.socket]]) -> None:
    url, accepted = silent_listener
    own = server.app.state.readiness
    hanging = Readiness(SPARQLStore(url), server.app.state.engine, timeout=1.0, reuse_for=0)
    server.app.state.readiness = hanging
    try:
        for _ in range(3):
            response = server.http.get(server.url + "/ready")
            assert response.status_code == 503
            assert response.json()["detail"] == "the store did not answer ASK {} within 1 s"
        assert len(accepted) == 1  # one probe in flight, not one per check
    finally:
        server.app.state.readiness = own
        hanging.close()


def test_probes_in_a_burst_share_one_answer(server: LiveServer,
                                            oxigraph_server: tuple[subprocess.Popen[bytes], str]
                                            ) -> None:
    _process, url = oxigraph_server
    asked: list[str] = []

    class CountingStore(SPARQLStore):  # the real client, counting what it sends
        def query(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            asked.append(args[0])
            return super().query(*args, **kwargs)

    own = server.app.state.readiness
    shared = Readiness(CountingStore(url), server.app.state.engine, reuse_for=60)
    server.app.state.readiness = shared
    try:
        statuses = [server.http.get(server.url + "/ready").status_code for _ in range(20)]
        assert statuses == [200] * 20
        assert asked == ["ASK {}"]
    finally:
        server.app.state.readiness = own
        shared.close()
