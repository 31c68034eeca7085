"""Writes over HTTP go through the project's SHACL gate (the one `mipex-kg serve` wires)."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from mipex_kg.api.writes import Changes
from mipex_kg.loaders.pipeline import Loader

from tests.api.live import TOKEN, LiveServer, live_server, settings_for_tests

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PREFIXES = ("@prefix mkg: <https://w3id.org/mipex-kg/def#> . "
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . ")
GRAPH = "https://w3id.org/mipex-kg/graph/extra"


class ProjectGate:
    """``Loader.check_write`` on the server's own store (known only once it runs)."""

    store = None

    def __call__(self, changes: Changes) -> list[str]:
        return Loader(self.store).check_write(changes)


@pytest.fixture(scope="module")
def server(reference_dump: bytes) -> Iterator[LiveServer]:
    gate = ProjectGate()
    with live_server(settings_for_tests(), write_gate=gate) as running:
        gate.store = running.store
        running.store.oxigraph.load(reference_dump, ox.RdfFormat.N_QUADS)
        running.store.update("INSERT DATA { }")  # a write: new version for the workers
        yield running


def snapshot(server: LiveServer) -> list[bytes]:
    return sorted((server.store.dump(None, ox.RdfFormat.N_QUADS) or b"").splitlines())


def put(server: LiveServer, turtle: str) -> int:
    return server.http.put(server.graph_store, params={"graph": GRAPH}, content=PREFIXES + turtle,
                           headers={**AUTH, "Content-Type": "text/turtle"}).status_code


def test_a_conforming_graph_is_accepted(server: LiveServer) -> None:
    status = put(server, '<https://w3id.org/mipex-kg/id/period/2031> a mkg:ReferencePeriod ; '
                         'rdfs:label "2031" ; mkg:year 2031 .')
    assert status in (201, 204)
    assert server.store.graph_sizes()[GRAPH] == 3


def test_a_graph_that_breaks_the_shapes_is_refused_with_the_report(server: LiveServer) -> None:
    before = snapshot(server)
    response = server.http.put(
        server.graph_store, params={"graph": GRAPH},
        content=PREFIXES + '<https://w3id.org/mipex-kg/id/period/2032> a mkg:ReferencePeriod ; '
                           'rdfs:label "2032" ; mkg:year "soon" .',
        headers={**AUTH, "Content-Type": "text/turtle"})
    assert response.status_code == 422
    assert "mkg:year" in response.text or "year" in response.text
    assert snapshot(server) == before


def test_an_update_that_breaks_curated_data_is_refused(server: LiveServer) -> None:
    before = snapshot(server)
    update = ("PREFIX mkg: <https://w3id.org/mipex-kg/def#> DELETE WHERE { GRAPH ?g { "
              "<https://w3id.org/mipex-kg/id/country/SWE> mkg:isoAlpha3 ?code } }")
    response = server.http.post(server.endpoint, content=update,
                                headers={**AUTH, "Content-Type": "application/sparql-update"})
    assert response.status_code == 422
    assert "SWE" in response.text
    assert snapshot(server) == before


def test_an_observation_with_a_score_of_120_is_refused(server: LiveServer) -> None:
    before = snapshot(server)
    update = ("PREFIX mkg: <https://w3id.org/mipex-kg/def#> PREFIX qb: <http://purl.org/linked-data/cube#> "
              f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://w3id.org/mipex-kg/id/score/x> a qb:Observation ; "
              "mkg:score 120.0 } }")
    response = server.http.post(server.endpoint, content=update,
                                headers={**AUTH, "Content-Type": "application/sparql-update"})
    assert response.status_code == 422
    assert snapshot(server) == before
