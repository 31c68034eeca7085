"""``mipex-kg fetch``: download, check the sha256, keep only matching files.

A real HTTP server on 127.0.0.1 (``site``, in conftest.py) stands in for mipex.eu
(the tests have no internet).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mipex_kg.loaders.fetch import fetch_workbooks
from mipex_kg.loaders.known_sources import KnownWorkbook


def test_a_matching_download_is_kept_and_a_second_fetch_skips_it(site: tuple[str, Path],
                                                                  tmp_path: Path) -> None:
    url, folder = site
    (folder / "w.xlsx").write_bytes(b"workbook bytes")
    known = KnownWorkbook("w.xlsx", hashlib.sha256(b"workbook bytes").hexdigest(),
                          f"{url}/w.xlsx", "mipex-2020")
    dest = tmp_path / "data"
    assert list(fetch_workbooks(dest, workbooks=[known])) == [f"{dest / 'w.xlsx'}: downloaded, sha256 matches"]
    assert (dest / "w.xlsx").read_bytes() == b"workbook bytes"
    assert "present" in list(fetch_workbooks(dest, workbooks=[known]))[0]


def test_a_download_with_another_checksum_is_not_kept(site: tuple[str, Path], tmp_path: Path) -> None:
    url, folder = site
    (folder / "w.xlsx").write_bytes(b"changed upstream")
    known = KnownWorkbook("w.xlsx", "0" * 64, f"{url}/w.xlsx", "mipex-2020")
    dest = tmp_path / "data"
    with pytest.raises(OSError, match="does not match"):
        list(fetch_workbooks(dest, workbooks=[known]))
    assert list(dest.iterdir()) == []


def test_an_unreachable_address_is_an_error(tmp_path: Path) -> None:
    known = KnownWorkbook("w.xlsx", "0" * 64, "http://127.0.0.1:9/w.xlsx", "mipex-2020")
    with pytest.raises(OSError):
        list(fetch_workbooks(tmp_path, workbooks=[known], timeout=5))
