"""SPARQL queries run in worker processes, so that a query past its time limit is really stopped.

A query inside pyoxigraph cannot be interrupted from Python, and a thread cannot be killed; a
process can. Each worker (multiprocessing "spawn" context: a fresh interpreter, no state copied
from the server) opens the graph itself (the server's pinned copy of the persistent store when
there is one, read-only: every worker reads the very files the server reads, even after a
rebuild replaced dist/; else ``GraphStore.from_dist``), then answers jobs sent over a pipe: it
runs the query, cuts the result at ``max_rows`` and serialises it in the format the server
negotiated. The server waits for the answer in a thread (never on the event loop);
when the time limit passes it kills the worker, answers 503, and starts a fresh worker.

Requests wait for a free worker in a bounded queue: when the queue is full, or no worker frees
up in time, the answer is 503 with Retry-After rather than an ever-growing pile of waiters.
A worker found dead is replaced. Each worker also caps its own memory (a query past the cap
dies alone: 503), ends itself when the server is gone, and, where the system allows, runs in
a network namespace of its own, so that even a SERVICE clause the guard missed reaches nothing.

This module is imported by the worker processes too, so it keeps its top level light (no web
framework imports).
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import itertools
import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

log = logging.getLogger("siberia_kg.web.sparql")

# Format keys -> (media type, pyoxigraph format). The server negotiates the key.
TABULAR_FORMATS: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}
GRAPH_FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}

READY_TIMEOUT = 120.0   # seconds a new worker may take to load the graph
STOP_GRACE = 2.0        # seconds a worker gets to exit on shutdown before it is killed
DEFAULT_MEMORY_MB = 2048  # address space of one worker; 0 for no limit
ACK = "job received"


@dataclass
class Job:
    query: str
    tabular: str | None          # format key for SELECT/ASK results, None if none acceptable
    graph: str | None            # format key for CONSTRUCT/DESCRIBE results
    default_graphs: list[str] | None = None   # protocol dataset (default-graph-uri)
    named_graphs: list[str] | None = None     # protocol dataset (named-graph-uri)
    query_has_dataset: bool = False           # FROM / FROM NAMED in the query text
    max_rows: int = 10_000


@dataclass
class Reply:
    status: int
    media_type: str = "text/plain"
    body: bytes = b""
    truncated: bool = False
    rows: int = 0
    kind: str | None = None      # "select", "ask" or "graph"


class Unavailable(Exception):
    """No answer from a worker: the query ran out of time, the queue is full, the worker died."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


# --- the worker process ----------------------------------------------------------------------

def _isolate_network() -> bool:
    """Defence in depth besides the SERVICE guard: move this worker into a network namespace of
    its own (no interfaces up), so that nothing the evaluator does can reach a network. Needs
    root or unprivileged user namespaces; where neither is available the guard alone holds."""
    if os.environ.get("SIBERIA_KG_SPARQL_NETNS", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    for flags in (clone_newnet, clone_newuser | clone_newnet):
        try:
            if libc.unshare(flags) == 0:
                return True
        except AttributeError:
            return False
    return False


def _bindings_tsv(variables, rows) -> bytes:
    """Rows as SPARQL TSV, whose terms are written exactly as pyoxigraph's str() writes them."""
    lines = ["\t".join(str(v) for v in variables)]
    for solution in rows:
        lines.append("\t".join("" if solution[v] is None else str(solution[v]) for v in variables))
    return ("\n".join(lines) + "\n").encode("utf-8")


def execute(store: ox.Store, job: Job, base_iri: str, prefixes: dict[str, str]) -> Reply:
    """Run one job on the store; every outcome, errors included, is a Reply."""
    kwargs: dict[str, Any] = {"base_iri": base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        # The protocol's dataset replaces the query's own and the union default graph; graphs
        # that are not in the store are simply empty.
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or []]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or []]
    elif not job.query_has_dataset:
        kwargs["use_default_graph_as_union"] = True
    # else: FROM / FROM NAMED select graphs of the store (pyoxigraph ignores them in union mode)
    try:
        result = store.query(job.query, **kwargs)
        if isinstance(result, ox.QueryBoolean):
            return _tabular(job, "ask", lambda fmt: result.serialize(format=fmt), 1, False)
        if isinstance(result, ox.QuerySolutions):
            variables = result.variables
            rows = list(itertools.islice(result, job.max_rows + 1))
            truncated = len(rows) > job.max_rows
            rows = rows[:job.max_rows]
            # Serialised by pyoxigraph from the capped rows: TSV in, any results format out.
            capped = ox.parse_query_results(_bindings_tsv(variables, rows),
                                            format=ox.QueryResultsFormat.TSV)
            return _tabular(job, "select", lambda fmt: capped.serialize(format=fmt),
                            len(rows), truncated)
        triples = list(itertools.islice(result, job.max_rows + 1))
        truncated = len(triples) > job.max_rows
        triples = triples[:job.max_rows]
        if job.graph is None:
            return Reply(406, kind="graph")
        media_type, fmt = GRAPH_FORMATS[job.graph]
        kw = {"prefixes": prefixes} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else {}
        body = ox.serialize(triples, format=fmt, **kw)
        return Reply(200, media_type, body, truncated, len(triples), "graph")
    except SyntaxError as e:
        return Reply(400, body=f"malformed query: {e}\n".encode())
    except (ValueError, RuntimeError, OSError) as e:
        return Reply(400, body=f"the query could not be evaluated: {e}\n".encode())


def _tabular(job: Job, kind: str, write, rows: int, truncated: bool) -> Reply:
    if job.tabular is None:
        return Reply(406, kind=kind)
    media_type, fmt = TABULAR_FORMATS[job.tabular]
    return Reply(200, media_type, write(fmt), truncated, rows, kind)


def _exit_with_parent() -> None:
    """A worker whose server died (killed, say) must not go on running a query for ever: a
    thread checks the parent and ends the process when it is gone. pyoxigraph releases the GIL
    while it evaluates, so the check runs even during a long query."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _limit_memory(megabytes: int) -> None:
    """Cap this worker's address space: a query that would take more (a big ORDER BY over a
    cross join grows by hundreds of MB a second) dies alone, before the machine runs short."""
    if megabytes > 0:
        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker_main(dist: str, base: str, conn, memory_mb: int = 0,
                store_path: str | None = None) -> None:
    """Entry point of a worker process: load the graph, then answer jobs until told to stop.
    ``store_path``: the server's pinned persistent store, opened read-only (no parsing)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    isolated = _isolate_network()  # first: a user namespace needs a single-threaded process
    _exit_with_parent()
    try:
        from ..namespaces import all_prefixes
        from ..store import GraphStore

        if store_path:
            store = GraphStore.open(Path(store_path)).raw
        else:
            store = GraphStore.from_dist(Path(dist)).raw
        prefixes = all_prefixes(base)
        _limit_memory(memory_mb)
    except BaseException as e:  # noqa: BLE001 - reported to the server, which logs it
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", os.getpid(), isolated))
    base_iri = base + "sparql"
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        if job is None:
            return
        conn.send(ACK)  # the server now knows the job arrived (see _exchange)
        try:
            reply = execute(store, job, base_iri, prefixes)
        except BaseException as e:  # noqa: BLE001 - pyoxigraph panics are BaseException
            reply = Reply(500, body=f"the query failed inside the evaluator: "
                                    f"{type(e).__name__}: {e}\n".encode())
        conn.send(reply)


# --- the pool, on the server side ------------------------------------------------------------

@dataclass(eq=False)
class _Worker:
    proc: Any
    conn: Any
    isolated: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid


class _Timeout(Exception):
    pass


class _Crashed(Exception):
    pass


class _NotDelivered(Exception):
    """The worker was dead before the job reached it: the job may go to another worker."""


def _exchange(conn, job: Job, timeout: float) -> Reply:
    """Blocking (runs in a thread): send a job, wait at most ``timeout`` for its reply.

    The worker acknowledges each job before running it. A worker that dies before the
    acknowledgement never saw the job, which can then safely go to another worker (a query is
    read-only, but one that kills workers must not be tried twice)."""
    deadline = time.monotonic() + timeout
    try:
        conn.send(job)
        if not conn.poll(timeout) or conn.recv() != ACK:
            raise _NotDelivered("no acknowledgement")
    except (EOFError, OSError, ValueError) as e:
        raise _NotDelivered(str(e) or type(e).__name__) from e
    try:
        if not conn.poll(max(0.0, deadline - time.monotonic())):
            raise _Timeout()
        return conn.recv()
    except (EOFError, OSError) as e:
        raise _Crashed(str(e) or type(e).__name__) from e


class QueryPool:
    """``size`` worker processes, each with its own copy of the graph."""

    def __init__(self, dist: Path, base: str, size: int = 2, timeout: float = 10.0,
                 queue_limit: int | None = None, queue_wait: float | None = None,
                 memory_mb: int = DEFAULT_MEMORY_MB):
        self.dist = Path(dist)
        self.base = base
        self.size = max(1, size)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.queue_limit = queue_limit if queue_limit is not None else 8 * self.size
        # How long a request waits for a free worker (a fresh one needs a moment to load).
        self.queue_wait = queue_wait if queue_wait is not None else max(timeout, 5.0)
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._waiters: collections.deque[asyncio.Future] = collections.deque()
        self._busy: set[_Worker] = set()
        self._starting: set = set()  # processes launched but not yet ready
        self._tasks: set[asyncio.Task] = set()
        self._closed = False
        self._failures = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        # Threads only wait on pipes and processes; one per worker plus spares for starts/stops.
        self._threads = ThreadPoolExecutor(max_workers=2 * self.size + 2,
                                           thread_name_prefix="sparql-pool")
        self._said_not_isolated = False

    # lifecycle

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        for _ in range(self.size):
            self._spawn()

    async def stop(self) -> None:
        self._closed = True
        for fut in self._waiters:
            if not fut.done():
                fut.cancel()
        self._waiters.clear()
        for proc in list(self._starting):  # so that no thread waits on a start that is moot
            proc.kill()
        workers = self._idle + list(self._busy)
        self._idle = []
        await asyncio.gather(*(self._run_blocking(self._stop_worker, w) for w in workers),
                             return_exceptions=True)
        # Starts under way see _closed and stop what they started; give them a moment.
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2 * STOP_GRACE)
        for task in list(self._tasks):
            task.cancel()
        self._threads.shutdown(wait=False, cancel_futures=True)

    # running a job

    async def run(self, job: Job) -> Reply:
        if self._closed:
            raise Unavailable(503, "the SPARQL service is shutting down", retry_after=5)
        for _ in range(self.size + 1):
            worker = await self._acquire()
            if not worker.proc.is_alive():
                # Died while idle (killed from outside, say): replace it and take the next
                # one, rather than fail a query that never reached it.
                self._retire(worker, "was found dead while idle")
                continue
            # The exchange goes on in its own task so that a client hanging up cannot strand
            # the worker: the task always gives it back (or replaces it) when the query ends.
            task = asyncio.ensure_future(self._on_worker(worker, job))
            # If the request is cancelled meanwhile, nobody awaits the task: mark its outcome
            # as seen so that asyncio does not report it as lost.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            try:
                return await asyncio.shield(task)
            except _NotDelivered:
                continue
        raise Unavailable(503, "no query worker is available; try again shortly",
                          retry_after=self._retry_after())

    async def _on_worker(self, worker: _Worker, job: Job) -> Reply:
        self._busy.add(worker)
        try:
            reply = await self._run_blocking(_exchange, worker.conn, job, self.timeout)
        except _Timeout:
            self._busy.discard(worker)
            self._retire(worker, "ran past the time limit")
            raise Unavailable(503, f"the query was stopped after {self.timeout:g} s, the time "
                                   "limit of this endpoint; simplify it or add a LIMIT",
                              retry_after=self._retry_after()) from None
        except _NotDelivered:
            self._busy.discard(worker)
            self._retire(worker, "was gone before it got the query")
            raise
        except _Crashed as e:
            self._busy.discard(worker)
            await self._run_blocking(worker.proc.join, STOP_GRACE)
            code = worker.proc.exitcode
            self._retire(worker, f"died ({e}; exit code {code})")
            if code == -signal.SIGABRT and self.memory_mb:
                # Rust aborts when an allocation fails: the query hit the memory cap.
                raise Unavailable(503, "the query was stopped: it needed more than the "
                                       f"{self.memory_mb} MB of memory this endpoint allows; "
                                       "simplify it or add a LIMIT",
                                  retry_after=self._retry_after()) from None
            raise Unavailable(500, "the query worker died while running the query") from None
        self._busy.discard(worker)
        self._release(worker)
        return reply

    def _retry_after(self) -> int:
        return max(1, math.ceil(self.timeout))

    async def _acquire(self) -> _Worker:
        if self._idle:
            return self._idle.pop()
        if len(self._waiters) >= self.queue_limit:
            raise Unavailable(503, f"the SPARQL service is busy ({len(self._waiters)} queries "
                                   "are waiting); try again shortly",
                              retry_after=self._retry_after())
        fut = self._loop.create_future()  # type: ignore[union-attr]
        self._waiters.append(fut)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), self.queue_wait)
        except asyncio.TimeoutError:
            if fut.done() and not fut.cancelled():
                return fut.result()  # handed over just as the wait ran out
            raise Unavailable(503, "the SPARQL service is busy: no query worker became free "
                                   f"within {self.queue_wait:g} s; try again shortly",
                              retry_after=self._retry_after()) from None
        except BaseException:
            # The request was cancelled: a worker handed over meanwhile goes back to the pool.
            if fut.done() and not fut.cancelled():
                self._release(fut.result())
            raise
        finally:
            if not fut.done():
                fut.cancel()
            try:
                self._waiters.remove(fut)
            except ValueError:
                pass

    def _release(self, worker: _Worker) -> None:
        if self._closed:
            self._background(self._run_blocking(self._stop_worker, worker))
            return
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(worker)
                return
        self._idle.append(worker)

    # starting and stopping workers

    def _background(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() and not self._closed:
            log.error("SPARQL pool task failed: %r", task.exception())

    def _spawn(self, delay: float = 0.0) -> None:
        if not self._closed:
            self._background(self._start_worker(delay))

    async def _run_blocking(self, fn, *args):
        return await self._loop.run_in_executor(self._threads, fn, *args)  # type: ignore[union-attr]

    async def _start_worker(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._closed:
            return
        worker = await self._run_blocking(self._launch)
        if worker is None:
            # Could not load the graph: try again later, backing off, without busy-looping.
            self._failures += 1
            self._spawn(delay=min(30.0, 0.5 * 2 ** min(self._failures, 6)))
            return
        self._failures = 0
        if self._closed:
            await self._run_blocking(self._stop_worker, worker)
            return
        if not worker.isolated and not self._said_not_isolated:
            self._said_not_isolated = True
            log.warning("SPARQL workers run without a network namespace of their own (none "
                        "available here, or SIBERIA_KG_SPARQL_NETNS=0); the SERVICE guard alone "
                        "keeps queries off the network")
        self._release(worker)

    def _launch(self) -> _Worker | None:
        """Blocking: start one worker process and wait until it has loaded the graph."""
        from ..store.pin import pinned_for

        parent, child = self._ctx.Pipe(duplex=True)
        pinned = pinned_for(self.dist)
        proc = self._ctx.Process(target=worker_main,
                                 args=(str(self.dist), self.base, child, self.memory_mb,
                                       str(pinned) if pinned else None),
                                 name="siberia-kg-sparql-worker", daemon=True)
        try:
            proc.start()
        except OSError as e:
            log.error("cannot start a SPARQL worker: %s", e)
            return None
        finally:
            child.close()
        self._starting.add(proc)
        try:
            if parent.poll(READY_TIMEOUT):
                message = parent.recv()
                if message[0] == "ready":
                    return _Worker(proc, parent, isolated=bool(message[2]))
                log.error("a SPARQL worker could not load the graph: %s", message[1])
            else:
                log.error("a SPARQL worker did not load the graph within %s s", READY_TIMEOUT)
        except (EOFError, OSError) as e:
            if not self._closed:
                log.error("a SPARQL worker exited while starting: %s", e)
        finally:
            self._starting.discard(proc)
        proc.kill()
        proc.join(STOP_GRACE)
        parent.close()
        return None

    def _retire(self, worker: _Worker, why: str) -> None:
        """Kill a worker now (SIGKILL: a query in the evaluator cannot be interrupted otherwise)
        and start its replacement; the dead process is reaped in the background."""
        if not self._closed:
            log.warning("SPARQL worker %s %s: killed, a fresh one is starting", worker.pid, why)
        try:
            worker.proc.kill()
        except (OSError, ValueError):
            pass
        self._background(self._run_blocking(self._reap, worker))
        self._spawn()

    @staticmethod
    def _reap(worker: _Worker) -> None:
        worker.proc.join(STOP_GRACE)
        worker.conn.close()

    @staticmethod
    def _stop_worker(worker: _Worker) -> None:
        try:
            worker.conn.send(None)
        except (OSError, ValueError):
            pass
        worker.proc.join(STOP_GRACE)
        if worker.proc.is_alive():
            worker.proc.kill()
            worker.proc.join(STOP_GRACE)
        worker.conn.close()

