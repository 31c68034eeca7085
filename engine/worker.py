"""What runs inside the query processes (see ``engine.pool`` for why processes).

A *zygote* process loads a *snapshot* of the service's store at one version (an
N-Quads file, and maybe a SPARQL update file of the changes since, into an
in-memory store) and forks workers that share that copy
(``zygote_main``). A worker answers messages on its socket, one at a time; a message
is its length (8 bytes, little-endian) and then a pickle (``frame``,
``send_message``, ``receive_message``):

    ("query", *QueryTask)  -> ("ok", family, body, truncated) | ("error", kind, message)
    ("stop",)              -> exits

A query goes as a flat tuple of its fields (``query_message``), its prefixes left out
(None) when they are the ones the worker got last: unpickled, the dataclass with its
prefix table cost 4 us per query, the tuple 0.5 us.

``run_query`` is the whole job of answering one query and is usable in-process too.
It caps the result at ``row_limit`` rows (SELECT) or triples (CONSTRUCT, DESCRIBE)
without serialising more than the cap: pyoxigraph writes TSV (or N-Triples), one
line per row, into a buffer that stops the writer one row past the cap; the kept
lines are parsed back and written in the requested format by pyoxigraph again.
Both are lossless, so a capped and an uncapped answer differ only in length.

This module imports little beyond pyoxigraph (no FastAPI), so a zygote starts quickly.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Literal, cast

import pyoxigraph as ox

from mipex_kg.engine.deep_stack import STACK_BYTES, start_deep_thread
from mipex_kg.graph.store import STAGING_PREFIX


@dataclass(frozen=True)
class Snapshot:
    """A copy of the store at one version, readable by any process."""

    version: str
    path: str  #: an N-Quads file
    changes: str | None = None  #: a SPARQL update file to apply after loading ``path``


@dataclass(frozen=True)
class QueryTask:
    """One query and everything that decides its answer.

    ``default_graphs`` / ``named_graphs`` are the protocol's dataset (None when the
    request named none); ``union_default_graph`` applies when neither the request nor
    the query (FROM) names a dataset. The worker answers SELECT/ASK in
    ``results_format`` and CONSTRUCT/DESCRIBE in ``rdf_format`` (media types).
    """

    query: str
    results_format: str
    rdf_format: str
    row_limit: int
    base_iri: str | None = None
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union_default_graph: bool = True
    prefixes: dict[str, str] = field(default_factory=dict)
    substitutions: dict[str, Any] | None = None  # variable name -> pyoxigraph term


@dataclass(frozen=True)
class QueryOutcome:
    """The serialised answer: which family it is, its bytes, and whether it was capped."""

    family: Literal["results", "rdf"]
    body: bytes
    truncated: bool = False


class BufferFull(Exception):
    """The buffer holds one line more than it may keep."""


class LineBuffer(io.RawIOBase):
    """A binary sink that keeps at most ``max_lines`` complete lines.

    The write that brings line ``max_lines + 1`` raises ``BufferFull``: there is more, and
    ``kept`` holds exactly the first ``max_lines`` lines.
    """

    def __init__(self, max_lines: int) -> None:
        super().__init__()
        self.data = bytearray()
        self.lines = 0
        self.max_lines = max_lines

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        data = bytes(chunk)
        newlines = data.count(b"\n")
        if self.lines + newlines > self.max_lines:
            end = -1
            for _ in range(self.max_lines - self.lines):
                end = data.find(b"\n", end + 1)
            self.data += data[: end + 1]
            self.lines = self.max_lines
            raise BufferFull
        self.data += data
        self.lines += newlines
        return len(data)

    @property
    def kept(self) -> bytes:
        return bytes(self.data)


def run_query(store: ox.Store, task: QueryTask) -> QueryOutcome:
    """Run ``task`` on ``store`` and serialise its answer.

    Raises:
        SyntaxError: the query does not parse.
        RuntimeError, ValueError, OSError: evaluation failed (pyoxigraph's errors).
    """
    kwargs: dict[str, Any] = {"base_iri": task.base_iri, "prefixes": task.prefixes or None}
    if task.substitutions:
        kwargs["substitutions"] = {ox.Variable(k): v for k, v in task.substitutions.items()}
    if task.default_graphs is not None or task.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in task.default_graphs or ()]
        if task.named_graphs is not None:  # None with default graphs: every named graph
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in task.named_graphs]
    else:
        kwargs["use_default_graph_as_union"] = task.union_default_graph
    result = store.query(task.query, **kwargs)
    if isinstance(result, ox.QueryBoolean):
        fmt = _results_format(task.results_format)
        return QueryOutcome("results", result.serialize(format=fmt) or b"")
    if isinstance(result, ox.QuerySolutions):
        return _solutions(result, task, lambda: store.query(task.query, **kwargs))
    return _triples(result, task)


def _results_format(media_type: str) -> ox.QueryResultsFormat:
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise ValueError(f"no SPARQL results format for {media_type}")
    return fmt


def _rdf_format(media_type: str) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise ValueError(f"no RDF format for {media_type}")
    return fmt


class JsonRows(io.RawIOBase):
    """A sink for SPARQL JSON results that stops when they may hold more than ``max_rows``.

    pyoxigraph writes the rows of the ``bindings`` array one after the other, with
    ``},{`` between two rows and nowhere else but inside string values (JSON escapes
    no braces or commas): N rows bring at least N - 1 of them. So while the count
    stays below ``max_rows`` the answer has at most ``max_rows`` rows; past that, the
    write raises ``BufferFull`` (the answer may be over the cap, or a literal holds
    the sequence).
    """

    def __init__(self, max_rows: int) -> None:
        super().__init__()
        self.data = bytearray()
        self.separators = 0
        self.max_separators = max_rows - 1

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        start = max(len(self.data) - 2, 0)  # a separator may span two writes
        self.data += chunk
        self.separators += self.data.count(b"},{", start)
        if self.separators > self.max_separators:
            raise BufferFull
        return len(chunk)


def _solutions(result: ox.QuerySolutions, task: QueryTask,
               again: Callable[[], ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples]
               ) -> QueryOutcome:
    """The solutions in the task's format, capped at ``row_limit`` rows.

    SPARQL JSON (the usual format) is written directly when it provably holds no more
    rows than the cap (``JsonRows``); otherwise, and for the other formats, as the
    module doc says. A JSON answer that may be over the cap is evaluated ``again``.
    """
    fmt = _results_format(task.results_format)
    if task.row_limit <= 0:
        return QueryOutcome("results", result.serialize(format=fmt) or b"")
    if fmt == ox.QueryResultsFormat.JSON:
        sink = JsonRows(task.row_limit)
        try:
            result.serialize(cast(IO[bytes], sink), format=fmt)
            return QueryOutcome("results", bytes(sink.data))
        except BufferFull:
            evaluated = again()
            assert isinstance(evaluated, ox.QuerySolutions)
            result = evaluated
    buffer = LineBuffer(task.row_limit + 1)  # the header line, then one line per row
    truncated = False
    try:
        result.serialize(cast(IO[bytes], buffer), format=ox.QueryResultsFormat.TSV)
    except BufferFull:
        truncated = True
    tsv = buffer.kept
    if fmt == ox.QueryResultsFormat.TSV:
        return QueryOutcome("results", tsv, truncated)
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return QueryOutcome("results", parsed.serialize(format=fmt) or b"", truncated)


def _triples(result: ox.QueryTriples, task: QueryTask) -> QueryOutcome:
    fmt = _rdf_format(task.rdf_format)
    limit = task.row_limit if task.row_limit > 0 else sys.maxsize
    buffer = LineBuffer(limit)  # one line per triple
    truncated = False
    try:
        result.serialize(cast(IO[bytes], buffer), format=ox.RdfFormat.N_TRIPLES)
    except BufferFull:
        truncated = True
    return QueryOutcome("rdf", ntriples_as(buffer.kept, fmt, task.prefixes), truncated)


def ntriples_as(ntriples: bytes, fmt: ox.RdfFormat, prefixes: dict[str, str]) -> bytes:
    """N-Triples in ``fmt``; Turtle, TriG and N3 get those of ``prefixes`` in use."""
    if fmt == ox.RdfFormat.N_TRIPLES:
        return ntriples
    quads = list(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
    used = {p: ns for p, ns in prefixes.items() if ns.encode() in ntriples} or None
    if fmt.supports_datasets:
        body = ox.serialize(quads, format=fmt, prefixes=used)
    else:
        body = ox.serialize([q.triple for q in quads], format=fmt, prefixes=used)
    return body or b""


def open_snapshot(path: str, changes: str | None = None) -> ox.Store:
    """The in-memory store of the snapshot file at ``path``, and its ``changes`` applied
    (a SPARQL update file: what the writes since that snapshot changed).

    In memory, ``Store.load`` is as fast as ``bulk_load`` (1.5 s for 0.86 M quads),
    needs less memory at its peak (243 MB against 385) and gives a store that
    answers the benchmark's queries 5-7 % faster.
    """
    store = ox.Store()
    store.load(path=path, format=ox.RdfFormat.N_QUADS)
    if changes is not None:
        with open(changes, encoding="utf-8") as update:
            text = update.read()
        if text.strip():
            store.update(text)
    for graph in list(store.named_graphs()):
        # a load in progress when the snapshot was taken left its staging graph
        if isinstance(graph, ox.NamedNode) and graph.value.startswith(STAGING_PREFIX):
            store.remove_graph(graph)
    return store


def _open_in_own_thread(path: str, changes: str | None) -> ox.Store:
    """``open_snapshot`` in a short-lived thread, so that its data lives in another arena.

    glibc's malloc gives each thread an arena. Loaded on the main thread, the store's
    millions of allocations would share the main arena with the allocations each
    query makes (parsing, planning, evaluating) and leave it fragmented: malloc was
    then a fifth of a worker's CPU time, and small queries took 1.4x as long. (In a
    forked worker it also keeps the query's allocations off the shared pages.)
    """
    loaded: list[ox.Store] = []
    failed: list[BaseException] = []

    def load() -> None:
        try:
            loaded.append(open_snapshot(path, changes))
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            failed.append(error)

    thread = threading.Thread(target=load, name="snapshot-load")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return loaded[0]


# -- the zygote: one copy of the data, worker processes forked from it -----------------

#: Control messages to a zygote: fork (with sockets attached), kill (a pid), stop.
FORK, KILL, STOP = b"F", b"K", b"S"
PID = struct.Struct("<q")
#: After FORK: copy the data's pages into the new process first (or not: ``-``).
COPY, SHARE = b"C", b"-"

#: The most query threads (sockets) one worker process may be given.
MAX_CHANNELS = 64


def zygote_main(control_fd: int, path: str, *, sandboxed: bool = True,
                memory_mb: int = 0, changes: str | None = None) -> None:
    """Entry point of a zygote process: load the snapshot once (``path``, then its
    ``changes``: ``open_snapshot``), then fork workers.

    Each worker process is forked with the data already in memory, so a killed one
    is replaced in milliseconds. It answers queries on several sockets at once, one
    thread per socket (pyoxigraph lets go of the GIL while it evaluates): the
    threads share the process's copy of the data. That copy is shared with the
    zygote only at first: evaluating a query writes to the pages it reads, so the
    kernel copies each page the first time a process touches it; one process with
    four threads pays that once, where four processes would pay it four times (and
    hold four copies). A sandboxed worker locks itself off the network
    (``engine.sandbox``) before it starts its threads, which inherit the lock.

    A worker that will be busy takes its own copy of every page at once
    (``copy_data_pages``: a third of a second for 450 MiB) rather than one page fault at
    a time in its first few hundred queries (+35-60 % CPU there).

    Control protocol on ``control_fd`` (one request at a time): ``F`` + ``C`` (copy the
    pages first) or ``-``, with sockets attached -> the new worker's pid; ``K`` + pid -> kill and reap that worker, 0;
    ``S`` -> the zygote exits (its remaining workers are killed). At start it sends
    pid 0 when the data is loaded, or -1 and the error text.

    ``memory_mb`` (0: no limit) caps what a worker process may allocate beyond the
    shared data: past it the process fails (its queries get 503, or are run again
    once), instead of the whole machine running out of memory.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = socket.socket(fileno=control_fd)
    try:
        store = _open_in_own_thread(path, changes)
    except Exception as error:  # noqa: BLE001 - reported to the parent
        control.sendall(PID.pack(-1) + f"{type(error).__name__}: {error}".encode())
        return
    control.sendall(PID.pack(0))
    children: set[int] = set()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 64, MAX_CHANNELS)
        except OSError:
            data, fds = b"", []
        if not data or data[:1] == STOP:
            for pid in children:
                _kill_and_reap(pid)
            return
        if data[:1] == FORK:
            pid = os.fork()
            if pid == 0:
                control.close()
                if data[1:2] == COPY:
                    copy_data_pages()
                _worker_after_fork(fds, store, sandboxed, memory_mb)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            control.sendall(PID.pack(pid))
        elif data[:1] == KILL:
            pid = PID.unpack(data[1:1 + PID.size])[0]
            if pid in children:  # never a pid that may have been reused
                children.discard(pid)
                _kill_and_reap(pid)
            control.sendall(PID.pack(0))
        _reap_exited(children)


def _worker_after_fork(fds: list[int], store: ox.Store, sandboxed: bool,
                       memory_mb: int) -> None:
    """The life of a forked worker process; it never returns to the zygote's loop.

    One thread per socket; each first says which thread it is (its native id, so
    that the pool can lower the priority of a long query's thread alone), then
    answers queries. The process ends when every socket is closed.
    """
    code = 0
    try:
        if memory_mb > 0:  # the query threads' deep stacks are reserved beyond the cap
            limit_memory(memory_mb + len(fds) * STACK_BYTES // 2**20)
        if sandboxed:
            from mipex_kg.engine.sandbox import lock_network

            lock_network()
        threads = [start_deep_thread(_serve_channel, socket.socket(fileno=fd), store,
                                     name=f"query-{fd}") for fd in fds]
        for thread in threads:
            thread.join()
    except BaseException:  # noqa: BLE001 - a worker that fails just ends
        code = 1
    finally:
        os._exit(code)


def _serve_channel(sock: socket.socket, store: ox.Store) -> None:
    try:
        send_message(sock, ("ready", threading.get_native_id()))
        serve(sock, store)
    except OSError:
        pass
    finally:
        sock.close()


def copy_data_pages() -> None:
    """Give this process its own copy of every private writable page now.

    ``MADV_POPULATE_WRITE`` (Linux 5.14) write-faults each page of the anonymous
    mappings (the malloc heaps that hold the store) in one call per mapping; on an
    older kernel it fails and the pages are copied as queries touch them instead.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            anonymous = len(fields) < 6 or fields[5] == "[heap]"
            if fields[1] == "rw-p" and anonymous:
                start, end = (int(bound, 16) for bound in fields[0].split("-"))
                libc.madvise(start, end - start, _MADV_POPULATE_WRITE)


_MADV_POPULATE_WRITE = 23


def limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at its current size plus ``extra_mb``."""
    import resource

    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = current + extra_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _kill_and_reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _reap_exited(children: set[int]) -> None:
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def serve(sock: socket.socket, store: ox.Store) -> None:
    """A worker's main loop: answer queries on ``sock`` until told to stop (a forked
    worker ignores Ctrl-C as its zygote does: the service decides when it stops)."""
    prefixes: dict[str, str] = {}
    inbox = bytearray(_SMALL)
    while True:
        try:
            message = receive_message(sock, inbox=inbox)
        except (EOFError, OSError):
            return
        assert message is not None
        if message[0] == "stop":
            return
        if message[0] == "query":
            task, prefixes = read_query_message(message, prefixes)
            reply = _answer(store, task)
        else:
            reply = ("error", "internal", f"unknown message {message[0]!r}")
        try:
            send_message(sock, reply)
        except OSError:
            return


# -- messages on the socket -------------------------------------------------------------


def query_message(task: QueryTask, known_prefixes: dict[str, str] | None) -> tuple[object, ...]:
    """The message that asks a worker for ``task``; ``known_prefixes``: what it has."""
    prefixes = None if task.prefixes == known_prefixes else task.prefixes
    return ("query", task.query, task.results_format, task.rdf_format, task.row_limit,
            task.base_iri, task.default_graphs, task.named_graphs, task.union_default_graph,
            prefixes, task.substitutions)


def read_query_message(
    message: tuple[object, ...], known_prefixes: dict[str, str]
) -> tuple[QueryTask, dict[str, str]]:
    """The task of a ``query_message``, and the prefixes the worker now has."""
    sent = message[9]
    prefixes = known_prefixes if sent is None else cast(dict[str, str], sent)
    fields = cast(tuple[Any, ...], message[1:9])
    substitutions = cast("dict[str, Any] | None", message[10])
    return QueryTask(*fields, prefixes=prefixes,  # type: ignore[misc] # the first 8 fields
                     substitutions=substitutions), prefixes


#: The length of the pickle that follows.
HEADER = struct.Struct("<Q")
_SMALL = 64 * 1024


def frame(message: object) -> bytes:
    """A message as bytes to send (header and pickle)."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def send_message(sock: socket.socket, message: object) -> None:
    """Send one message (a large pickle is sent as is, not copied after its header)."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(payload) <= _SMALL:
        sock.sendall(HEADER.pack(len(payload)) + payload)
    else:
        sock.sendall(HEADER.pack(len(payload)))
        sock.sendall(payload)


def unpickle(data: bytes | bytearray | memoryview) -> tuple[object, ...]:
    message = pickle.loads(data)
    assert isinstance(message, tuple)
    return message


def receive_message(
    sock: socket.socket, timeout: float | None = None, inbox: bytearray | None = None
) -> tuple[object, ...] | None:
    """The next message; None when none starts within ``timeout`` seconds (None: wait).

    Messages go one at a time each way, so a read never takes in part of the next
    one: a small message comes in one read, into ``inbox`` when given (reused).

    Raises:
        EOFError: the other side closed the socket.
    """
    if timeout is not None:
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        if not poller.poll(max(timeout, 0.0) * 1000):
            return None
    buffer = inbox if inbox is not None else bytearray(_SMALL)
    view = memoryview(buffer)
    got, size = 0, -1
    try:
        while size < 0 or got < size:
            count = sock.recv_into(view[got:])
            if count == 0:
                raise EOFError("the other side closed the socket")
            got += count
            if size < 0 and got >= HEADER.size:
                size = HEADER.size + HEADER.unpack_from(buffer)[0]
                if size > len(buffer):  # a large message: a buffer of its size
                    larger = bytearray(size)
                    larger[:got] = view[:got]
                    view.release()
                    buffer, view = larger, memoryview(larger)
        return unpickle(view[HEADER.size:size])
    finally:
        view.release()


def _answer(store: ox.Store, task: QueryTask) -> tuple[object, ...]:
    try:
        outcome = run_query(store, task)
        return ("ok", outcome.family, outcome.body, outcome.truncated)
    except SyntaxError as error:
        return ("error", "syntax", str(error))
    except (RuntimeError, ValueError, TypeError) as error:
        return ("error", "evaluation", str(error))
    except OSError as error:
        return ("error", "storage", str(error))
    except Exception as error:  # noqa: BLE001 - reported to the parent
        return ("error", "internal", f"{type(error).__name__}: {error}")
