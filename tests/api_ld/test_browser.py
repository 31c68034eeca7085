"""Downloads over a real connection: uvicorn on 127.0.0.1, a client that goes away.

(The pages in a real browser are tested in tests/web, with one Chromium per session.)
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mipex_kg.api.app import create_app
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.api.live import serving


@pytest.fixture(scope="module")
def server(real_store: KnowledgeStore) -> Iterator[str]:
    """uvicorn serving the real data on a free port of 127.0.0.1; yields its base URL."""
    with serving(create_app(Settings(store=None), real_store), lifespan="off") as url:
        yield url


@pytest.mark.realdata
def test_a_big_download_streams_and_can_be_abandoned(server: str) -> None:
    with httpx.Client(timeout=60) as http:
        head = http.head(f"{server}/downloads/all.nq")
        assert head.status_code == 200 and head.headers["content-type"] == "application/n-quads"
        with http.stream("GET", f"{server}/downloads/all.nq") as response:
            assert response.headers.get("transfer-encoding") == "chunked"
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > 2_000_000:
                    break  # the client goes away mid-file
        assert http.get(f"{server}/id/country/SWE?format=nt").status_code == 200  # still serving
