"""A private Virtuoso open-source server for the tests, on 127.0.0.1.

``virtuoso_server`` (session-scoped fixture) writes its own ``virtuoso.ini`` into a
temporary folder (database, transaction log and temporary files there, SQL and HTTP
servers on free ports of 127.0.0.1), runs ``virtuoso-t +foreground`` on it, waits until
the SPARQL endpoint answers, gives the ``dba`` account a fresh random password, and
at the end of the session stops the server and deletes the folder. It is skipped, with
the reason, when ``virtuoso-t`` is not installed (Debian package ``virtuoso-opensource``;
``.ci/run`` installs it, so CI runs these tests).

What the tests get is a ``VirtuosoServer``: the three protocol endpoints as Virtuoso
lays them out, the credentials and the HTTP authentication scheme it asks for
(digest), and ``settings_values()``, the ``MIPEX_KG_STORE*`` settings that point the
service's remote store at it. Reads go to the anonymous ``/sparql``; writes to the
digest-protected ``/sparql-auth`` and ``/sparql-graph-crud-auth`` as ``dba`` (a
member of every role, so nothing needs granting). See docs/backends.md, "Virtuoso".
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backends.processes import free_port, stop, wait_until_answering

#: Seconds the server may take to answer its first query (a fresh database: about 7 s here).
START_TIMEOUT = 120.0
#: Rows a SELECT (and triples a CONSTRUCT or a graph GET) may return before Virtuoso cuts
#: the answer silently; far above anything the tests or the service ask for.
RESULT_SET_MAX_ROWS = 10_000_000


@dataclass(frozen=True)
class VirtuosoServer:
    """A running Virtuoso: where its protocols are and how to log in."""

    base_url: str
    sql_port: int
    folder: Path
    user: str = "dba"
    password: str = field(default="", repr=False)
    auth_scheme: str = "digest"
    started_in: float = 0.0  # seconds from launch to the first answered query

    @property
    def query_url(self) -> str:
        """SPARQL 1.1 Query (anonymous reads; also accepts the credentials)."""
        return f"{self.base_url}/sparql"

    @property
    def update_url(self) -> str:
        """SPARQL 1.1 Update: the digest-protected variant of /sparql."""
        return f"{self.base_url}/sparql-auth"

    @property
    def graph_store_url(self) -> str:
        """SPARQL 1.1 Graph Store HTTP Protocol, digest-protected."""
        return f"{self.base_url}/sparql-graph-crud-auth"

    @property
    def anonymous_graph_store_url(self) -> str:
        """The Graph Store endpoint of the anonymous SPARQL user (reads only here)."""
        return f"{self.base_url}/sparql-graph-crud"

    def auth(self) -> httpx.Auth:
        """The HTTP authentication Virtuoso's protected endpoints ask for."""
        return httpx.DigestAuth(self.user, self.password)

    def settings_values(self) -> dict[str, Any]:
        """The ``Settings`` fields (``MIPEX_KG_STORE*``) that point the service at this
        server: ``Settings(**server.settings_values())``.

        Virtuoso's default graph is already the union of all graphs, so no union
        parameter is sent; no time limit either: its ``timeout`` cuts answers short
        and still says 200. A graph is replaced through a staging graph and one
        ``MOVE`` (whole for readers under ``DefaultIsolation = 4``, which the server
        here runs with). docs/backends.md, "Virtuoso", says why for each.
        """
        return {
            "store": self.base_url,
            "store_query_url": self.query_url,
            "store_update_url": self.update_url,
            "store_graph_store_url": self.graph_store_url,
            "store_user": self.user,
            "store_password": self.password,
            "store_auth": self.auth_scheme,
            "store_union_parameter": "",
            "store_timeout_parameter": "",
            "store_replace": "move",
        }

    def sql(self, statement: str) -> str:
        """Run one SQL statement as dba through isql (for set-up only); its output."""
        isql = _find_isql()
        result = subprocess.run(
            [isql, f"127.0.0.1:{self.sql_port}", self.user, self.password,
             f"exec={statement}"],
            capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0 or "*** Error" in result.stdout + result.stderr:
            raise RuntimeError(f"isql failed on {statement!r}: {result.stdout}{result.stderr}")
        return result.stdout


def _find_isql() -> str:
    """Debian names Virtuoso's SQL client ``isql-vt`` (``isql`` is unixODBC's)."""
    return shutil.which("isql-vt") or "isql-vt"


def virtuoso_ini(folder: Path, sql_port: int, http_port: int) -> str:
    """A minimal configuration: everything in ``folder``, both servers on 127.0.0.1.

    Small buffers (the test data is tiny), no anytime-query cut-off of its own (the
    ``timeout`` request parameter sets one per query), a row cap far above what the
    tests read, Debian's cost-estimate limit (it also bounds the size of an update
    request, as on a production server), and REPEATABLE READ (``DefaultIsolation = 4``): under Virtuoso's
    default, READ COMMITTED, a reader sees a graph half-way through a ``MOVE``
    (docs/backends.md, "Virtuoso").
    """
    return f"""\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
ThreadsPerQuery = 2
DefaultIsolation = 4
DirsAllowed = {folder}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
MaxClientConnections = 20
ServerThreads = 20
EnabledDavVSP = 0
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = {RESULT_SET_MAX_ROWS}
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 400
"""


def start_virtuoso(folder: Path) -> tuple[subprocess.Popen[bytes], VirtuosoServer]:
    """Start a private Virtuoso in ``folder`` (which it fills); the process and its
    description. The caller stops the process (``processes.stop``)."""
    sql_port, http_port = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(virtuoso_ini(folder, sql_port, http_port))
    began = time.monotonic()
    process = _launch(folder)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_until_answering(process, f"{base}/sparql", timeout=START_TIMEOUT,
                             log=folder / "stdout.log")
        password = "t" + secrets.token_hex(12)  # SET PASSWORD takes an identifier
        server = VirtuosoServer(base, sql_port, folder, password="dba")
        server.sql(f"SET PASSWORD dba {password};")
        server = VirtuosoServer(base, sql_port, folder, password=password,
                                started_in=time.monotonic() - began)
    except BaseException:
        stop(process)
        raise
    return process, server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """One private Virtuoso for the whole session; stopped and deleted at the end."""
    if shutil.which("virtuoso-t") is None:
        pytest.skip("Virtuoso is not installed (virtuoso-t not on PATH; Debian package "
                    "virtuoso-opensource, installed by .ci/run)")
    folder = tmp_path_factory.mktemp("virtuoso")
    process, server = start_virtuoso(folder)
    try:
        yield server
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def _launch(folder: Path) -> subprocess.Popen[bytes]:
    """``virtuoso-t`` on the configuration in ``folder``, its output in stdout.log.

    Raises:
        FileNotFoundError: virtuoso-t is not installed.
    """
    binary = shutil.which("virtuoso-t")
    if binary is None:
        raise FileNotFoundError("virtuoso-t")
    with (folder / "stdout.log").open("ab") as output:
        return subprocess.Popen([binary, "+foreground", "+configfile",
                                 str(folder / "virtuoso.ini")],
                                cwd=folder, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def restart_virtuoso(process: subprocess.Popen[bytes],
                     server: VirtuosoServer) -> subprocess.Popen[bytes]:
    """Stop ``server`` (after a checkpoint, so that its password and data are on disk)
    and start it again on the same database and ports; the new process.

    Virtuoso's cost estimator, on a database just loaded through the protocols, gave
    estimates up to 10^5 times higher than the same database after a restart
    (docs/backends.md, "The estimate depends on the server's state").
    """
    server.sql("checkpoint;")
    stop(process)
    (server.folder / "virtuoso.lck").unlink(missing_ok=True)
    restarted = _launch(server.folder)
    try:
        wait_until_answering(restarted, server.query_url, timeout=START_TIMEOUT,
                             log=server.folder / "stdout.log")
    except BaseException:
        stop(restarted)
        raise
    return restarted
