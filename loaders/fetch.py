"""Download the official MIPEX workbooks and check their sha256.

For machines with internet access; offline, point ``MIPEX_KG_DATA_DIR`` (or
``--data-dir``) at a folder that already holds the files. A file whose checksum does
not match is deleted and reported, never kept.
"""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

from mipex_kg.loaders.known_sources import KNOWN_WORKBOOKS, KnownWorkbook


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_workbooks(dest: Path, timeout: float = 60.0,
                    workbooks: Iterable[KnownWorkbook] = KNOWN_WORKBOOKS) -> Iterator[str]:
    """Download each known workbook into ``dest``; yields one line per file.

    Raises:
        OSError: a download failed or a checksum did not match.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for known in workbooks:
        target = dest / known.file_name
        caveat = "" if known.url_verified else (
            f" (note: {known.url} is not verified to be its official address; the sha256 is "
            "that of the copy this project was built with)")
        if target.is_file() and sha256_of(target) == known.sha256:
            yield f"{target}: present, sha256 matches{caveat}"
            continue
        partial = target.with_suffix(".part")
        with urllib.request.urlopen(known.url, timeout=timeout) as response:  # noqa: S310
            partial.write_bytes(response.read())
        actual = sha256_of(partial)
        if actual != known.sha256:
            partial.unlink()
            raise OSError(f"{known.url}: sha256 {actual} does not match the expected "
                          f"{known.sha256}; the file was not kept{caveat}")
        partial.replace(target)
        yield f"{target}: downloaded, sha256 matches{caveat}"
