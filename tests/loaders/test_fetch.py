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


def test_an_unverified_address_is_said_so_plainly(site: tuple[str, Path], tmp_path: Path) -> None:
    url, folder = site
    (folder / "w.xlsx").write_bytes(b"mirror copy")
    known = KnownWorkbook("w.xlsx", hashlib.sha256(b"mirror copy").hexdigest(),
                          f"{url}/w.xlsx", "mipex-2015", url_verified=False)
    dest = tmp_path / "data"
    downloaded = list(fetch_workbooks(dest, workbooks=[known]))
    assert "downloaded, sha256 matches" in downloaded[0]
    assert "is not verified to be its official address" in downloaded[0]
    assert "is not verified" in list(fetch_workbooks(dest, workbooks=[known]))[0]


def test_the_2015_workbook_is_known_with_its_sha256_and_an_unverified_address() -> None:
    from mipex_kg.loaders.known_sources import KNOWN_WORKBOOKS, MIPEX_2015

    assert MIPEX_2015 in KNOWN_WORKBOOKS
    assert MIPEX_2015.sha256 == "d235280af5d5d71c812393c2fb332c145f8c2a1adaf28ae16314f21cc1842596"
    assert MIPEX_2015.edition == "mipex-2015" and not MIPEX_2015.url_verified
    assert all(k.url_verified for k in KNOWN_WORKBOOKS if k is not MIPEX_2015)
