"""The server restarted under load comes back on the same port and serves the same answers.

`siberia-kg serve` runs as a real subprocess on the session's build. While bench/bench_load.py's
generator sends entity documents and every sample query from several connections, the server
is stopped (SIGTERM, and in a second case SIGKILL) and started again on the same port. Asserted:

- no wrong answer at any time: a request either fails at the connection level (refused, reset,
  closed) while the server is away, or gets exactly the answer the first server gave before the
  load (the same bytes and Content-Type for RDF documents, the same result set for queries);
- a request started after the new server answers never fails;
- the new server answers within a bounded time of its start;
- after the run the fixed set of requests gives again exactly the answers of before;
- no process the old server started (query workers, multiprocessing's helpers) outlives it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import bench_load as load  # noqa: E402
from procs import cmdline, stat  # noqa: E402

BASE = "https://w3id.org/siberia-kg/"
CONNECTIONS = int(os.environ.get("SIBERIA_KG_RESTART_CONNECTIONS") or 12)
LOAD_BEFORE = 4.0     # seconds of load before the signal
GAP = 1.0             # seconds between the old server's exit and the new one's start
LOAD_AFTER = 4.0      # seconds of load once the new server answers
# The server's --sparql-timeout: not what this test is about, so well clear of the heavy sample
# query (3-4 s alone, several times that on a loaded 2-core machine).
SPARQL_TIMEOUT = 30.0
READY_WITHIN = 30.0   # the new server must answer within this many seconds of its start
EXIT_WITHIN = 30.0    # the old one must exit within this after SIGTERM (in-flight work ends)
ORPHANS_GONE_WITHIN = 5.0
ENTITIES = ["camp/taishet", "person/tetsuro-ahiko", "org/gupvi", "place/komsomolsk-on-amur",
            "estimate/s005-died", "event/last-major-release-1956", "work/fumo-chitai",
            "claim/kuznetsov-paradoxical-phenomenon", "citation/s000-repatriation-table"]
SUFFIXES = [".ttl", ".nt", ".jsonld", ".rdf"]
# Weights of the fixed set in the load: mostly documents, a query now and then; the heavy
# sample queries go through the slow lane, one at a time.
WEIGHTS = {"document": 3, "sparql": 1}


# --- the fixed set and its answers -----------------------------------------------------------

def fixed_requests() -> dict[str, list[load.Req]]:
    docs = [load.Req("document", f"/id/{e}{suffix}", key=f"/id/{e}{suffix}")
            for e in ENTITIES for suffix in SUFFIXES]
    # the same document reached through the entity IRI: 303, then the Turtle
    docs += [load.Req("document", f"/id/{e}", accept="text/turtle", redirect=True,
                      key=f"/id/{e} (Accept: text/turtle)") for e in ENTITIES[:3]]
    docs.append(load.Req("document", "/.well-known/void", accept="text/turtle",
                         key="/.well-known/void"))
    queries = [load.sparql_req(name, text) for name, text in load.sample_queries().items()]
    return {"document": docs, "sparql": queries}


def answer(req: load.Req, r: httpx.Response):
    """What must not change across a restart: a document's bytes (and type and ETag); a
    query's result set."""
    content_type, body = r.headers.get("content-type", ""), r.content
    if req.kind == "document":
        return content_type, r.headers.get("etag"), body
    if content_type.startswith(load.SPARQL_JSON):
        results = json.loads(body)
        if "boolean" in results:
            return "ask", results["boolean"]
        rows = sorted(json.dumps(b, sort_keys=True) for b in results["results"]["bindings"])
        return "select", sorted(results["head"]["vars"]), rows
    return "graph", content_type, body  # compared as graphs, see same()


def same(req: load.Req, expected, got) -> bool:
    if expected[0] == "graph" and got[0] == "graph":
        return expected[1] == got[1] and isomorphic(
            Graph().parse(data=expected[2], format="turtle"),
            Graph().parse(data=got[2], format="turtle"))
    return expected == got


def fetch_all(url: str, reqs: dict[str, list[load.Req]]) -> tuple[dict[str, tuple], set[str]]:
    """Each request's answer, one after the other; and the keys of those slower than
    load.HEAVY (the heavy sample queries)."""
    out, slow = {}, set()
    with httpx.Client(base_url=url, timeout=60) as c:
        for group in reqs.values():
            for req in group:
                start = time.monotonic()
                r = load.send(c, req)
                if time.monotonic() - start > load.HEAVY:
                    slow.add(req.key)
                assert r.status_code == 200, (req.key, r.status_code, r.text[:200])
                out[req.key] = answer(req, r)
    return out, slow


# --- processes --------------------------------------------------------------------------------

def descendants(pid: int) -> dict[int, str]:
    """Live descendants of ``pid``: pid -> start time (to tell a reused pid apart)."""
    children: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
                starts[int(entry.name)] = fields[19]
    out, todo = {}, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out[p] = starts[p]
        todo.extend(children.get(p, []))
    return out


def still_running(procs: dict[int, str]) -> dict[int, str]:
    """Those of ``procs`` that are still the same process and not dead (a zombie is dead)."""
    alive = {}
    for pid, start in procs.items():
        fields = stat(pid)
        if fields and fields[19] == start and fields[0] not in ("Z", "X"):
            alive[pid] = cmdline(pid)
    return alive


class Server:
    """`siberia-kg serve` on a given port, as a real subprocess."""

    def __init__(self, dist: Path, port: int, log: Path):
        self.dist, self.port, self.log = dist, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        """Start it; seconds until it answers."""
        cmd = load.serve_command(self.port, self.dist, "--base", BASE,
                                 "--sparql-timeout", f"{SPARQL_TIMEOUT:g}")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            return load.wait_ready(self.url, self.proc, READY_WITHIN)
        except RuntimeError as e:
            self.proc.kill()
            raise AssertionError(f"{e}:\n{self.log.read_text()[-3000:]}") from None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(EXIT_WITHIN)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def workers_of(procs: dict[int, str]) -> list[int]:
    return [p for p in procs if "spawn_main" in cmdline(p)]


def wait_workers(pid: int, n: int = 2, timeout: float = 20.0) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = descendants(pid)
        if len(workers_of(procs)) >= n:
            return procs
        time.sleep(0.1)
    raise AssertionError(f"the server did not start {n} query workers: "
                         f"{ {p: cmdline(p) for p in descendants(pid)} }")


def assert_no_orphans(procs: dict[int, str], how: str) -> None:
    deadline = time.monotonic() + ORPHANS_GONE_WITHIN
    while still_running(procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = still_running(procs)
    assert not left, f"processes of the server outlived it ({how}): {left}"


# --- the test ---------------------------------------------------------------------------------

@pytest.fixture
def restartable(built, tmp_path):
    s = Server(built.out_dir, load.free_port(), tmp_path / "server.log")
    yield s
    s.stop()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_restart_under_load_serves_the_same_answers(restartable, sig):
    server = restartable
    server.start()
    reqs = fixed_requests()
    by_key = {r.key: r for group in reqs.values() for r in group}
    reference, slow = fetch_all(server.url, reqs)
    # Heavy sample queries (seconds each) go one at a time through the slow lane.
    heavy = {k for k in slow if k.startswith("sparql:")}
    lane_queries = [dataclasses.replace(r, kind=load.SLOW) for r in reqs["sparql"]
                    if r.key in heavy]
    reqs["sparql"] = [r for r in reqs["sparql"] if r.key not in heavy]

    def verify(req: load.Req, r) -> str | None:
        got = answer(req, r)
        return None if same(req, reference[req.key], got) else \
            f"an answer that differs from the first server's ({len(r.content)} bytes)"

    stop = threading.Event()
    results: list[load.LoadResult] = []
    lane = load.SlowLane(expected=SPARQL_TIMEOUT, queries=lane_queries, runaways=False, first=0.5)
    generator = threading.Thread(target=lambda: results.append(load.run_load(
        server.url, reqs, 600, CONNECTIONS, weights=WEIGHTS, lane=lane, stop=stop,
        verify=verify)), name="restart-load")
    generator.start()
    try:
        time.sleep(LOAD_BEFORE)
        old = server.proc
        before = wait_workers(old.pid)
        t_signal = time.monotonic()
        old.send_signal(sig)
        procs = {**before, **descendants(old.pid)}  # and any started meanwhile
        names = sorted("worker" if "spawn_main" in cmdline(p) else cmdline(p)[:60]
                       for p in procs)
        try:
            old.wait(EXIT_WITHIN)
        except subprocess.TimeoutExpired:
            old.kill()
            raise AssertionError(f"the server did not exit within {EXIT_WITHIN} s of {sig.name}")
        t_exit = time.monotonic()
        assert_no_orphans(procs, sig.name)
        if sig == signal.SIGTERM:
            # uvicorn shuts down gracefully, then re-raises the signal: it ends "by SIGTERM"
            assert old.returncode in (0, -signal.SIGTERM), old.returncode
            assert "Application shutdown complete" in server.log.read_text(errors="replace")
        time.sleep(GAP)
        t_start = time.monotonic()
        ready_after = server.start()  # the same port
        t_ready = time.monotonic()
        assert ready_after < READY_WITHIN
        time.sleep(LOAD_AFTER)
    finally:
        stop.set()
        generator.join(120)
    assert not generator.is_alive() and results, "the load generator did not finish"
    result = results[0]
    rel = lambda t: t - result.t0  # noqa: E731  (times of the run, as in its samples)

    summary = load.summarize(result)
    print()
    print(load.table(summary, connections=CONNECTIONS))
    print(f"{sig.name} at {rel(t_signal):.2f}s, exit at {rel(t_exit):.2f}s, start at "
          f"{rel(t_start):.2f}s, answering at {rel(t_ready):.2f}s ({ready_after:.2f} s after "
          f"its start); processes of the old server, all gone: {names}")

    failures = result.failures()
    wrong = [s for s in failures if s.outcome != "transport"]
    assert not wrong, "wrong answers or timeouts:\n" + "\n".join(
        f"  {s.kind} {s.key} at {s.start:.2f}s: {s.outcome} {s.status} {s.detail[:200]}"
        for s in wrong[:10])
    # Connection errors only while the server was away: from the signal until it answered.
    outside = [s for s in failures if not rel(t_signal) <= s.end or s.start > rel(t_ready)]
    assert not outside, "connection errors while a server was up:\n" + "\n".join(
        f"  {s.kind} {s.key} {s.start:.2f}-{s.end:.2f}s: {s.detail[:200]}" for s in outside[:10])
    ok_after = [s for s in result.samples if s.outcome == "ok" and s.start > rel(t_ready)]
    assert {s.kind for s in ok_after} >= {"document", "sparql"}, "no load after the restart"
    assert any(s.outcome == "ok" and s.end < rel(t_signal) for s in result.samples)
    if sig == signal.SIGKILL:
        assert failures, "SIGKILL under load and not one request failed: was there load?"
    print(f"{len(failures)} requests failed, all at the connection level while no server "
          f"answered; {sum(s.outcome == 'ok' for s in result.samples)} right answers")

    # the fixed set again, from the new server: the same answers
    after, _ = fetch_all(server.url, fixed_requests())
    changed = [k for k in reference if not same(by_key[k], reference[k], after[k])]
    assert not changed, f"answers changed across the restart: {changed}"

    # and the new server stops cleanly too, leaving nothing behind
    procs = wait_workers(server.proc.pid)
    server.stop()
    assert server.proc.returncode in (0, -signal.SIGTERM), server.proc.returncode
    assert_no_orphans(procs, "SIGTERM of the restarted server")
