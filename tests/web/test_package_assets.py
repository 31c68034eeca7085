"""The pages' files ship inside the package, pinned, licensed and checked.

* A wheel built from the project (what a non-editable ``pip install .`` installs)
  holds every template, style sheet, script and vendored file, and a service
  imported from that wheel alone serves them.
* The vendored files match their manifest (sha256), each package has its licence,
  and no tracked file is over 2 MiB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    return next(out.glob("mipex_kg-*.whl"))


def test_the_wheel_holds_every_page_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    files = [p for folder in ("templates", "static") for p in (API / folder).rglob("*")
             if p.is_file()]
    assert len(files) > 30
    missing = [str(p.relative_to(API)) for p in files
               if f"mipex_kg/api/{p.relative_to(API).as_posix()}" not in names]
    assert missing == []


def test_a_service_installed_from_the_wheel_serves_its_pages_and_assets(wheel: Path,
                                                                          tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    code = """
import asyncio, sys, httpx, mipex_kg.api
from mipex_kg.api.app import create_app
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings
assert mipex_kg.api.__file__.startswith(sys.argv[1]), mipex_kg.api.__file__
app = create_app(Settings(store=None), KnowledgeStore())
async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = await client.get("/sparql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "yasgui" in page.text, page.status_code
        for path in ("/static/vendor/manifest.json", "/static/css/site.css",
                     "/static/js/editor.js", "/docs"):
            response = await client.get(path)
            assert response.status_code == 200, path
        for row in (await client.get("/static/vendor/manifest.json")).json():
            response = await client.get("/static/vendor/" + row["file"])
            assert response.status_code == 200, row["file"]
asyncio.run(main())
print("served")
"""
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site")],
                            env={"PYTHONPATH": str(tmp_path / "site")}, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.stdout.strip() == "served", result.stderr[-3000:]


def test_the_vendored_files_match_their_manifests() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "vendor_assets.py"),
                             "--offline"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for manifest in (API / "static" / "vendor" / "manifest.json",
                     ROOT / "tests" / "vendor" / "manifest.json"):
        rows = json.loads(manifest.read_text())
        for package in {row["name"] for row in rows}:
            own = [row for row in rows if row["name"] == package]
            assert all(row["licence"] and row["version"] for row in own)
            assert any("LICENSE" in row["file"] for row in own), f"{package} has no licence file"


def test_no_tracked_file_is_over_2_mib() -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    large = [name for name in tracked if name and (ROOT / name).is_file()
             and (ROOT / name).stat().st_size > 2 * 1024 * 1024]
    assert large == []
