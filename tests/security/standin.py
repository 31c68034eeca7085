"""The allowed federation endpoint: a real ``oxigraph serve`` on 127.0.0.1.

The service under test is configured with this endpoint as ``eu_country_endpoint``
and its graph store as a LOAD source; positive controls query it through ``SERVICE``
(and LOAD its default graph) and expect its rows back. It runs in
memory on a free port and is stopped (terminated, then killed if need be) when the
block ends.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

_START_SECONDS = 20.0
_STOP_SECONDS = 10.0


def oxigraph_program() -> Path | None:
    """The ``oxigraph`` command (PyPI package oxigraph): beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.exists():
        return beside
    found = shutil.which("oxigraph")
    return Path(found) if found else None


def graph_store(query_url: str) -> str:
    """The URL of the default graph in the graph store of the server at ``query_url``."""
    return query_url.removesuffix("/query") + "/store?default"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_until_answering(process: subprocess.Popen[bytes], query_url: str) -> None:
    """Poll the query URL until the server answers (it binds a moment after starting)."""
    deadline = time.monotonic() + _START_SECONDS
    while True:
        try:
            httpx.get(query_url, params={"query": "ASK {}"}, timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("oxigraph serve did not start") from None
            time.sleep(0.02)


@contextmanager
def oxigraph_endpoint(turtle: str, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``turtle`` (the default graph) with ``oxigraph serve``; yields the query URL."""
    program = oxigraph_program()
    if program is None:
        raise RuntimeError("the oxigraph server (PyPI package oxigraph) is not installed")
    base = f"http://{host}:{_free_port(host)}"
    process = subprocess.Popen([str(program), "serve", "--bind", base.removeprefix("http://")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_answering(process, f"{base}/query")
        httpx.post(graph_store(f"{base}/query"), content=turtle.encode(),
                   headers={"Content-Type": "text/turtle"}, timeout=30).raise_for_status()
        yield f"{base}/query"
    finally:
        process.terminate()
        try:
            process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
