"""The pages in a real browser: headless Chromium against uvicorn on 127.0.0.1.

Skipped when no Chromium is installed (Debian: ``apt-get install -y chromium``).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mipex_kg.api.app import create_app
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

from tests.api.live import serving

CHROMIUM = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium to render the pages (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def server(real_store: KnowledgeStore) -> Iterator[str]:
    """uvicorn serving the real data on a free port of 127.0.0.1; yields its base URL."""
    with serving(create_app(Settings(store=None), real_store), lifespan="off") as url:
        yield url


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, timeout=90, check=False)


@pytest.mark.realdata
@needs_chromium
def test_a_country_page_renders_in_a_browser(server: str, tmp_path: Path) -> None:
    url = f"{server}/id/country/SWE"
    shot = tmp_path / "sweden.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", url)
    assert shot.is_file(), done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1200, 1600)
    assert len(data) > 50_000  # a page of text and a table, not a blank or an error page

    dom = chromium(tmp_path, "--dump-dom", url).stdout.decode()
    assert "<h1>Sweden</h1>" in dom and 'class="scores"' in dom
    assert f'href="{server}/id/score/mipex-2020/SWE/2019/overall-with-health"' in dom


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
