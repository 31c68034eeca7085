"""The write gate: every write over HTTP is shown to it first, and a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from mipex_kg.api.writes import Changes

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests
from tests.backends.oxigraph_server import BACKENDS, store_for

EX = "http://example.org/"
G = ox.NamedNode(EX + "g")
DATA = f"GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 'fine' }}\nGRAPH <{EX}other> {{ <{EX}x> <{EX}p> 1 }}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = {**AUTH, "Content-Type": "application/sparql-update"}
TURTLE = {**AUTH, "Content-Type": "text/turtle"}


class Gate:
    """Refuses any literal containing 'forbidden'; remembers what it was shown."""

    def __init__(self) -> None:
        self.calls: list[dict[str, set[str]]] = []

    def __call__(self, changes: Changes) -> list[str]:
        shown = {str(graph): {str(t) for t in triples} for graph, triples in changes.items()}
        self.calls.append(shown)
        return [
            f"{t.subject} has a forbidden value"
            for triples in changes.values() for t in triples
            if isinstance(t.object, ox.Literal) and "forbidden" in t.object.value
        ]


GATE = Gate()


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with live_server(settings_for_tests(), store_for(request), write_gate=GATE) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server: LiveServer) -> None:
    server.fill(DATA)
    GATE.calls.clear()


def triples(server: LiveServer, graph: ox.NamedNode | ox.DefaultGraph = G) -> set[str]:
    return {str(q.triple) for q in server.store.quads(graph=graph)}


def test_an_accepted_update_shows_the_gate_the_whole_new_graph(server: LiveServer) -> None:
    update = f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}b> <{EX}p> 'also fine' }} }}"
    assert server.http.post(server.endpoint, content=update, headers=UPDATE).status_code == 204
    assert GATE.calls == [{f"<{EX}g>": triples(server)}]
    assert len(triples(server)) == 2


def test_a_refused_update_changes_nothing(server: LiveServer) -> None:
    version, before = server.store.version, triples(server)
    update = (f"DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 'fine' }} }} ; "
              f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}p> 'forbidden' }} }}")
    response = server.http.post(server.endpoint, data={"update": update}, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "write_refused"
    assert body["problems"] == [f"<{EX}a> has a forbidden value"]
    assert server.store.version == version and triples(server) == before


def test_an_update_over_several_graphs_is_checked_as_one_write(server: LiveServer) -> None:
    update = (f"INSERT DATA {{ <{EX}d> <{EX}p> 'default' }} ; "
              f"DELETE WHERE {{ GRAPH <{EX}other> {{ ?s ?p ?o }} }}")
    assert server.http.post(server.endpoint, content=update, headers=UPDATE).status_code == 204
    assert GATE.calls == [{"DEFAULT": {f'<{EX}d> <{EX}p> "default"'}, f"<{EX}other>": set()}]


def test_graph_store_put_is_checked(server: LiveServer) -> None:
    refused = server.http.put(server.graph_store, params={"graph": G.value},
                        content=f"<{EX}a> <{EX}p> 'forbidden' .", headers=TURTLE)
    assert refused.status_code == 422 and triples(server) == {f'<{EX}a> <{EX}p> "fine"'}
    accepted = server.http.put(server.graph_store, params={"graph": G.value},
                         content=f"<{EX}a> <{EX}p> 'new' .", headers=TURTLE)
    assert accepted.status_code == 204 and triples(server) == {f'<{EX}a> <{EX}p> "new"'}


def test_graph_store_put_takes_a_multipart_form_of_documents(server: LiveServer) -> None:
    form = (f"--B\r\nContent-Disposition: form-data; name=a\r\nContent-Type: text/turtle\r\n\r\n"
            f"<{EX}a> <{EX}p> 'one' .\r\n"
            f"--B\r\nContent-Disposition: form-data; name=b\r\n"
            f"Content-Type: application/n-triples\r\n\r\n<{EX}b> <{EX}p> \"two\" .\r\n--B--\r\n")
    response = server.http.put(server.graph_store, params={"graph": G.value}, content=form,
                               headers={**AUTH, "Content-Type": "multipart/form-data; boundary=B"})
    assert response.status_code == 204
    assert triples(server) == {f'<{EX}a> <{EX}p> "one"', f'<{EX}b> <{EX}p> "two"'}


@pytest.mark.parametrize(("content_type", "body"), [
    ("multipart/form-data", f"<{EX}a> <{EX}p> 'x' ."),  # no boundary
    ("multipart/form-data; boundary=B", f"<{EX}a> <{EX}p> 'x' ."),  # no delimited part
    ("multipart/form-data; boundary=B",
     f"--B\r\nContent-Type: text/turtle\r\n\r\n<{EX}a> <{EX}p> 'x' .\r\n"),  # not closed
])
def test_a_malformed_multipart_put_is_refused_and_changes_nothing(
        server: LiveServer, content_type: str, body: str) -> None:
    version, before = server.store.version, triples(server)
    response = server.http.put(server.graph_store, params={"graph": G.value}, content=body,
                               headers={**AUTH, "Content-Type": content_type})
    assert response.status_code == 400 and "multipart" in response.json()["detail"]
    assert server.store.version == version and triples(server) == before


def test_graph_store_post_shows_the_merged_graph(server: LiveServer) -> None:
    response = server.http.post(server.graph_store, params={"graph": G.value},
                          content=f"<{EX}b> <{EX}p> 'more' .", headers=TURTLE)
    assert response.status_code == 204
    assert GATE.calls == [{f"<{EX}g>": {f'<{EX}a> <{EX}p> "fine"', f'<{EX}b> <{EX}p> "more"'}}]


def test_graph_store_delete_shows_an_empty_graph(server: LiveServer) -> None:
    response = server.http.delete(server.graph_store, params={"graph": G.value}, headers=AUTH)
    assert response.status_code == 204 and GATE.calls == [{f"<{EX}g>": set()}]
    again = server.http.delete(server.graph_store, params={"graph": G.value}, headers=AUTH)
    assert again.status_code == 404


def test_the_gate_can_be_replaced_at_run_time(server: LiveServer) -> None:
    server.app.state.write_gate = lambda changes: ["closed for maintenance"]
    try:
        response = server.http.post(server.endpoint, content="CLEAR ALL", headers=UPDATE)
        assert response.status_code == 422
        assert response.json()["problems"] == ["closed for maintenance"]
    finally:
        server.app.state.write_gate = GATE
    assert len(triples(server)) == 1
