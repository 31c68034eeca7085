"""Fixtures of the security suite: the canaries, the allowed endpoint, the service.

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
from tests.security.canary import Canaries, canaries
from tests.security.data import ALLOWED_DATA, SERVICE_DATA
from tests.security.dimensions import Targets
from tests.security.standin import oxigraph_endpoint, oxigraph_program

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
def running_service(allowed_endpoint: str) -> Iterator[LiveServer]:
    settings = settings_for_tests(eu_country_endpoint=allowed_endpoint, query_workers=2,
                                  federation_timeout=10.0)
    with live_server(settings) as server:
        yield server


@pytest.fixture
def service(running_service: LiveServer, canary_pair: Canaries) -> LiveServer:
    """The service with its test data, the canaries' count taken as the baseline."""
    running_service.fill(SERVICE_DATA)
    canary_pair.new_connections()
    return running_service
