"""Fixtures of the security suite: the canaries, the allowed endpoint, the service.

The service allows SERVICE calls to the allowed endpoint (``eu_country_endpoint``)
and to a redirector (``eu_nuts_endpoint``: a canary that answers every request with
a redirect to the first canary), and LOAD from the allowed endpoint's graph store
and from the redirector (``load_sources``).

All are session-scoped (started once, stopped at the end); ``service`` refills the
store and takes the canaries' count as the new baseline before each test, so every
test starts from the same data and counts only its own connections. Every test of
this folder gets the ``security`` marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.live import LiveServer, live_server, settings_for_tests
from tests.security.canary import Canaries, Canary, canaries, canary
from tests.security.data import ALLOWED_DATA, SERVICE_DATA
from tests.security.dimensions import Targets
from tests.security.standin import graph_store, oxigraph_endpoint, oxigraph_program

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.security)


@pytest.fixture(scope="session")
def canary_pair() -> Iterator[Canaries]:
    with canaries() as pair:
        yield pair


@pytest.fixture(scope="session")
def allowed_endpoint() -> Iterator[str]:
    """The query URL of the allow-listed federation endpoint."""
    if oxigraph_program() is None:
        pytest.skip("the oxigraph server (PyPI package oxigraph, a test extra) is not installed")
    with oxigraph_endpoint(ALLOWED_DATA) as url:
        yield url


@pytest.fixture(scope="session")
def targets(canary_pair: Canaries, allowed_endpoint: str) -> Targets:
    first, second = canary_pair.first, canary_pair.second
    return Targets((first.host, first.port), (second.host, second.port), allowed_endpoint)


@pytest.fixture(scope="session")
def redirector(canary_pair: Canaries) -> Iterator[Canary]:
    """An allowed endpoint gone bad: it redirects every request to the first canary."""
    with canary("127.0.0.1", redirect=canary_pair.first.url + "redirected") as bird:
        yield bird


@pytest.fixture(scope="session")
def running_service(allowed_endpoint: str, redirector: Canary) -> Iterator[LiveServer]:
    settings = settings_for_tests(
        eu_country_endpoint=allowed_endpoint, eu_nuts_endpoint=redirector.url,
        load_sources=[graph_store(allowed_endpoint), redirector.url],
        query_workers=2)
    with live_server(settings) as server:
        yield server


@pytest.fixture
def service(running_service: LiveServer, canary_pair: Canaries) -> LiveServer:
    """The service with its test data, the canaries' count taken as the baseline."""
    running_service.fill(SERVICE_DATA)
    canary_pair.new_connections()
    return running_service
