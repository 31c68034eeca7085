"""Starting and stopping the engine servers of the tests: ports, readiness, shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_answering(process: subprocess.Popen[bytes], query_url: str, *,
                         timeout: float, log: Path | None = None) -> None:
    """Poll ``query_url`` with ``ASK {}`` until it answers 200.

    Raises:
        RuntimeError: the process exited, or ``timeout`` seconds passed (with the
            end of ``log``, when given).
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}"
                               f"{_tail(log)}")
        try:
            answer = httpx.get(query_url, params={"query": "ASK {}"}, timeout=5,
                               headers={"Accept": "application/sparql-results+json"})
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{query_url} did not answer within {timeout:.0f} s{_tail(log)}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if the process is still there after ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def _tail(log: Path | None) -> str:
    if log is None or not log.is_file():
        return ""
    return ":\n" + log.read_text(errors="replace")[-3000:]
