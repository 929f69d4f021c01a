"""Load benchmark of `siberia-kg serve`: mixed traffic from N concurrent connections.

The mix: entity pages (HTML and Turtle by content negotiation, following the 303), class
indexes, search (HTML and JSON), the dumps listing (HTML and JSON), and the sample queries
(queries/*.rq) POSTed to /sparql; and, from one more client beside the connections (the slow
lane), the heavy sample queries and a few runaway queries (a cross product that cannot finish),
which the server must stop at its SPARQL time limit (503).

Prints one table: for each kind of request, p50, p99 and max latency, requests/s and errors,
under load and at 1 connection (the baseline, the same mix measured in the same run), with the
ratios. Run:

    /tmp/v/bin/python bench/bench_load.py --seconds 60 --connections 32 [--url URL]

Without --url it starts its own server (building the graph into a temporary folder) on a free
loopback port. The exit code is 1 if any request got a wrong answer or none.
tests/reliability/test_load.py and test_restart.py use the same generator.

Each connection is a thread with its own httpx client holding one keep-alive connection: it
sends a request, reads the whole answer, checks it, and sends the next (a closed loop).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"

# Cannot finish: ~5,000 triples cubed. Only the time limit stops it.
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SPARQL_JSON = "application/sparql-results+json"
SEARCH_TERMS = ["taishet", "khabarovsk", "kuznetsov", "gupvi", "camp", "1956", "repatriation",
                "シベリア", "舞鶴", "хабаровск", "тайшет",
                "zzzz-no-such-thing"]
# Relative weights of the kinds of request each connection picks from. Documents and pages
# dominate, as on any linked-data site; a SPARQL query is 1 request in 29 (7 a second from 32
# connections on a 2-core machine). The endpoint has 2 query workers and a queue of 16
# (sparql_exec.QueryPool): with a much larger share, a closed loop of 32 connections piles up
# in that queue, most of all while a runaway holds one worker, and the endpoint sheds queries
# with 503 "busy", as designed (tests/web/test_sparql_hardening.py); measured here: 1 in 6
# sheds hundreds in 20 s, 1 in 15 a few (4 of 800 in 60 s). That is overload, not what this
# load is about. Heavy sample queries and runaways are not in the mix: see SlowLane.
MIX = {"entity-html": 4, "entity-ttl": 4, "class-index": 2, "search": 3, "dumps": 1, "sparql": 0.5}
RUNAWAY = "runaway"
SLOW = "sparql-slow"
HEAVY = 0.5   # seconds: a sample query slower than this alone is sent by the slow lane only


@dataclass(frozen=True)
class Req:
    """One request of the mix and what a correct answer looks like."""
    kind: str
    path: str
    method: str = "GET"
    accept: str | None = None
    body: bytes | None = None
    content_type: str | None = None     # of the request body
    status: int = 200                   # expected final status
    media: str | None = None            # expected Content-Type (prefix) of the final answer
    redirect: bool = False              # a 303 to follow first
    key: str = ""                       # names the request in reports and reference sets

    def headers(self) -> dict[str, str]:
        h = {}
        if self.accept:
            h["accept"] = self.accept
        if self.content_type:
            h["content-type"] = self.content_type
        return h


@dataclass
class Sample:
    kind: str
    key: str
    start: float        # seconds since the start of the run
    end: float
    status: int | None  # final status, None on a transport error
    outcome: str        # "ok", "transport" (connection-level error), "timeout", "wrong"
    detail: str = ""

    @property
    def latency(self) -> float:
        return self.end - self.start


Verify = Callable[[Req, httpx.Response], "str | None"]


def check(req: Req, response: httpx.Response) -> str | None:
    """What is wrong with the final answer to ``req``, or None."""
    if response.status_code != req.status:
        return f"status {response.status_code}, expected {req.status}: {response.text[:120]!r}"
    if req.media and not response.headers.get("content-type", "").startswith(req.media):
        return f"content-type {response.headers.get('content-type')!r}, expected {req.media}"
    if req.status == 200 and not response.content:
        return "empty body"
    if req.kind == RUNAWAY:
        if not response.headers.get("retry-after"):
            return "503 without Retry-After"
        if "stopped" not in response.text:  # by the time limit, not turned away as "busy"
            return f"503 for another reason than the time limit: {response.text[:120]!r}"
    return None


def send(client: httpx.Client, req: Req) -> httpx.Response:
    """The request, and the 303 it must answer followed (same Accept), as one exchange."""
    r = client.request(req.method, req.path, headers=req.headers(), content=req.body)
    if req.redirect:
        if r.status_code != 303 or not r.headers.get("location"):
            return r  # check() reports the status
        r = client.get(r.headers["location"], headers=req.headers())
    else:
        r.read()
    return r


# --- what to request --------------------------------------------------------------------------

def sample_queries() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(QUERIES.glob("*.rq"))}


def query_form(query: str) -> str | None:
    from siberia_kg.web.sparql_guard import inspect

    return inspect(query, 10**6).form


def sparql_req(name: str, query: str, kind: str = "sparql", status: int = 200) -> Req:
    """The query POSTed as the body, asking for SPARQL JSON results (Turtle for CONSTRUCT and
    DESCRIBE, which have no results table)."""
    media = "text/turtle" if query_form(query) in ("CONSTRUCT", "DESCRIBE") else SPARQL_JSON
    return Req(kind, "/sparql", "POST", media, query.encode(), "application/sparql-query",
               status, media if status == 200 else None, key=f"sparql:{name}")


def runaway_req() -> Req:
    return sparql_req("runaway", RUNAWAY_QUERY, kind=RUNAWAY, status=503)


def discover(url: str, timeout: float = 60.0, heavy: float = HEAVY) -> dict[str, list[Req]]:
    """The requests of the mix, by kind, from what the server says it serves. Sample queries
    that take longer than ``heavy`` seconds on the idle server are kind "sparql-slow": the mix
    leaves them to the slow lane (see SlowLane)."""
    with httpx.Client(base_url=url, timeout=timeout) as c:
        sd = c.get("/sparql", headers={"accept": "application/n-triples"})
        sd.raise_for_status()
        m = re.search(r"<([^>]*)sparql> <http://www.w3.org/ns/sparql-service-description#endpoint>",
                      sd.text)
        if not m:
            raise RuntimeError("the service description names no endpoint")
        base = m.group(1)
        q = ("SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(STRSTARTS(STR(?s), \"%sid/\")) } "
             "ORDER BY ?s" % base)
        r = c.post("/sparql", content=q.encode(),
                   headers={"accept": SPARQL_JSON, "content-type": "application/sparql-query"})
        r.raise_for_status()
        paths = []
        for row in r.json()["results"]["bindings"]:
            local = row["s"]["value"][len(base):]
            if re.fullmatch(r"id/[a-z]+/[A-Za-z0-9._-]+", local):
                paths.append("/" + local)
        classes = sorted(set(re.findall(r'href="(/class/[^"?#]+)"', c.get("/classes").text)))
    if not paths or not classes:
        raise RuntimeError(f"found {len(paths)} entities and {len(classes)} classes at {url}")
    reqs: dict[str, list[Req]] = {
        "entity-html": [Req("entity-html", p, accept="text/html", media="text/html",
                            redirect=True, key=p) for p in paths],
        "entity-ttl": [Req("entity-ttl", p, accept="text/turtle", media="text/turtle",
                           redirect=True, key=p) for p in paths],
        "class-index": [Req("class-index", p, accept="text/html", media="text/html", key=p)
                        for p in ["/classes", *classes]],
        "search": [Req("search", f"/search?q={t}" + ("&format=json" if fmt == "json" else ""),
                       media="application/json" if fmt == "json" else "text/html",
                       key=f"{t} ({fmt})")
                   for t in SEARCH_TERMS for fmt in ("html", "json")],
        "dumps": [Req("dumps", "/dumps/", accept="text/html", media="text/html", key="html"),
                  Req("dumps", "/dumps/", accept="application/json", media="application/json",
                      key="json")],
    }
    # Measured one by one on the idle server: which sample queries are heavy.
    light, slow = [], []
    with httpx.Client(base_url=url, timeout=timeout) as c:
        for name, text in sample_queries().items():
            req = sparql_req(name, text)
            start = time.monotonic()
            r = send(c, req)
            problem = check(req, r)
            if problem:
                raise RuntimeError(f"sample query {name}: {problem}")
            if time.monotonic() - start > heavy:
                slow.append(sparql_req(name, text, kind=SLOW))
            else:
                light.append(req)
    reqs["sparql"], reqs[SLOW] = light, slow
    return reqs


# --- the generator ----------------------------------------------------------------------------

@dataclass
class SlowLane:
    """One more client, apart from the connections, that sends the slow requests one at a
    time: a runaway query (if ``runaways``), each heavy sample query (``queries``), another
    runaway, and again; ``gap`` seconds apart, the first after ``first`` seconds; nothing that
    could not be answered before the run ends (``expected`` s, the server's SPARQL time limit,
    plus a margin). One at a time, so that at most one of the two query workers is held by a
    slow query while the connections' own queries go on."""
    expected: float
    queries: list[Req] = field(default_factory=list)
    runaways: bool = True
    first: float = 2.0
    gap: float = 1.0
    margin: float = 1.0

    def cycle(self) -> list[Req]:
        if not self.runaways:
            return list(self.queries)
        return [runaway_req(), *self.queries, runaway_req()]


@dataclass
class LoadResult:
    url: str
    connections: int
    duration: float
    samples: list[Sample] = field(default_factory=list)
    t0: float = 0.0     # time.monotonic() at the start of the run

    def runaways(self) -> list[Sample]:
        return [s for s in self.samples if s.kind == RUNAWAY]

    def normal(self) -> list[Sample]:
        return [s for s in self.samples if s.kind != RUNAWAY]

    def failures(self) -> list[Sample]:
        return [s for s in self.samples if s.outcome != "ok"]

    def windows(self, width: float = 5.0) -> list[int]:
        """Normal requests answered correctly in each whole window of the run."""
        counts = [0] * max(1, int(self.duration // width))
        for s in self.normal():
            i = int(s.end // width)
            if s.outcome == "ok" and i < len(counts):
                counts[i] += 1
        return counts


def _one(client: httpx.Client, req: Req, t0: float, verify: Verify | None) -> Sample:
    start = time.monotonic() - t0
    try:
        r = send(client, req)
    except httpx.TimeoutException as e:
        return Sample(req.kind, req.key, start, time.monotonic() - t0, None, "timeout",
                      f"{type(e).__name__}: {e}")
    except httpx.TransportError as e:
        return Sample(req.kind, req.key, start, time.monotonic() - t0, None, "transport",
                      f"{type(e).__name__}: {e}")
    end = time.monotonic() - t0
    problem = check(req, r) or (verify(req, r) if verify else None)
    return Sample(req.kind, req.key, start, end, r.status_code,
                  "wrong" if problem else "ok", problem or "")


def run_load(url: str, reqs: dict[str, list[Req]], seconds: float, connections: int,
             weights: dict[str, float] | None = None, lane: SlowLane | None = None,
             stop: threading.Event | None = None, verify: Verify | None = None,
             request_timeout: float = 60.0, seed: int = 1945) -> LoadResult:
    """``connections`` closed-loop clients for ``seconds`` (or until ``stop`` is set)."""
    weights = weights or MIX
    kinds = [k for k in weights if reqs.get(k)]
    kind_weights = [weights[k] for k in kinds]
    stop = stop or threading.Event()
    result = LoadResult(url, connections, seconds)
    lock = threading.Lock()
    t0 = time.monotonic()
    deadline = t0 + seconds
    timeout = httpx.Timeout(request_timeout, connect=10.0)

    def running() -> bool:
        return not stop.is_set() and time.monotonic() < deadline

    def record(sample: Sample) -> None:
        with lock:
            result.samples.append(sample)

    def connection(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        with httpx.Client(base_url=url, timeout=timeout, verify=False,
                          limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as c:
            while running():
                kind = rng.choices(kinds, kind_weights)[0]
                sample = _one(c, rng.choice(reqs[kind]), t0, verify)
                record(sample)
                if sample.outcome in ("transport", "timeout"):
                    time.sleep(0.05)  # the server is away: do not spin

    def slow_lane() -> None:
        assert lane is not None
        if stop.wait(lane.first):
            return
        while True:
            for req in lane.cycle():
                if not running() or time.monotonic() + lane.expected + lane.margin >= deadline:
                    return
                # A fresh connection each time: a kept-alive one may be closed by the server
                # while idle in the gap (uvicorn's keep-alive timeout), a race of its own.
                with httpx.Client(base_url=url, timeout=timeout, verify=False) as c:
                    sample = _one(c, req, t0, verify)
                record(sample)
                if stop.wait(lane.gap if sample.outcome == "ok" else max(lane.gap, 0.5)):
                    return
            if not lane.cycle():
                return


    threads = [threading.Thread(target=connection, args=(i,), name=f"load-{i}", daemon=True)
               for i in range(connections)]
    if lane:
        threads.append(threading.Thread(target=slow_lane, name="load-slow-lane", daemon=True))
    result.t0 = t0
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.duration = min(seconds, time.monotonic() - t0)
    result.samples.sort(key=lambda s: s.start)
    return result


def proc_cpu(pid: int) -> float:
    """CPU seconds used so far by a process, its reaped children and its live descendants
    (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            stats[int(entry.name)] = fields
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    if pid not in stats:
        return 0.0
    total = sum(int(x) for x in stats[pid][11:15])  # utime stime cutime cstime
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        total += sum(int(x) for x in stats[child][11:13])
        todo.extend(parents.get(child, []))
    return total / tick


# --- figures ----------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summarize(result: LoadResult) -> dict[str, dict]:
    """Per kind, and for all normal requests together: count, errors, p50, p99, max (ms), rps."""
    kinds = sorted({s.kind for s in result.samples}, key=lambda k: (k in (SLOW, RUNAWAY), k))
    groups = {k: [s for s in result.samples if s.kind == k] for k in kinds}
    groups["all normal"] = result.normal()
    out = {}
    for kind, samples in groups.items():
        if not samples:
            continue
        lat = [s.latency * 1000 for s in samples]
        out[kind] = {
            "count": len(samples),
            "errors": sum(s.outcome != "ok" for s in samples),
            "p50_ms": round(percentile(lat, 50), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1),
            "rps": round(len(samples) / result.duration, 2) if result.duration else 0.0,
        }
    return out


def table(loaded: dict[str, dict], baseline: dict[str, dict] | None = None,
          connections: int | None = None) -> str:
    """One table: per kind p50, p99, max (ms), requests/s, errors; with a baseline, its
    figures and the ratios loaded/baseline."""
    head = ["kind", "n", "p50 ms", "p99 ms", "max ms", "req/s", "errors"]
    if baseline is not None:
        head += ["1-conn p50", "1-conn p99", "1-conn req/s", "p50 x", "p99 x", "req/s x"]
    rows = [head]
    for kind, s in loaded.items():
        row = [kind, s["count"], s["p50_ms"], s["p99_ms"], s["max_ms"], s["rps"], s["errors"]]
        if baseline is not None:
            b = baseline.get(kind)
            if b:
                row += [b["p50_ms"], b["p99_ms"], b["rps"],
                        _ratio(s["p50_ms"], b["p50_ms"]), _ratio(s["p99_ms"], b["p99_ms"]),
                        _ratio(s["rps"], b["rps"])]
            else:
                row += ["-"] * 6
        rows.append([str(x) for x in row])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    if connections:
        lines.insert(0, f"{connections} connections" + (" vs 1 connection" if baseline else ""))
    return "\n".join(lines)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def report(result: LoadResult, sparql_timeout: float | None = None, **extra) -> dict:
    """Everything worth keeping from a run, as JSON-ready data."""
    failures = result.failures()
    return {
        "url": result.url, "connections": result.connections,
        "duration_s": round(result.duration, 2), "sparql_timeout_s": sparql_timeout,
        "kinds": summarize(result),
        "normal_ok_per_5s_window": result.windows(),
        "failures": len(failures),
        "failure_examples": [{"kind": s.kind, "key": s.key, "at_s": round(s.start, 2),
                              "outcome": s.outcome, "status": s.status, "detail": s.detail[:300]}
                             for s in failures[:20]],
        **extra,
    }


# --- a server of its own ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(port: int, dist: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "siberia_kg.cli", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--out", str(dist), *extra]


def wait_ready(url: str, proc: subprocess.Popen | None, timeout: float) -> float:
    """Seconds until the server answers /.well-known/void with 200; raises past ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/.well-known/void", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server at {url} did not answer within {timeout} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60, help="length of the loaded run")
    ap.add_argument("--connections", type=int, default=32, help="concurrent connections")
    ap.add_argument("--baseline-seconds", type=float, default=None,
                    help="length of the 1-connection baseline run (default: --seconds)")
    ap.add_argument("--url", default=None, help="a running server (default: start one)")
    ap.add_argument("--sparql-timeout", type=float, default=15.0,
                    help="the server's --sparql-timeout (passed on when starting a server; "
                         "with --url, say what the server uses); 15 s by default, not the "
                         "server's 10, so that the heavy sample query stays clear of the limit")
    ap.add_argument("--no-runaways", action="store_true", help="no runaway queries")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))  # siberia_kg, also without an installed package

    proc = tmp = log = None
    url = args.url
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-load-")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp.name) / "server.log", "wb")
        print(f"starting a server on {url} (building the graph into {tmp.name})", file=sys.stderr)
        proc = subprocess.Popen(serve_command(port, Path(tmp.name) / "dist", "--sparql-timeout",
                                              str(args.sparql_timeout)),
                                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        wait_ready(url, proc, 300)
    url = url.rstrip("/")
    try:
        reqs = discover(url)
        lane = SlowLane(expected=args.sparql_timeout, queries=reqs.get(SLOW, []),
                        runaways=not args.no_runaways)
        cpu = {}
        base_s = args.baseline_seconds or args.seconds
        for name, conns, secs in (("loaded", args.connections, args.seconds),
                                  ("baseline", 1, base_s)):
            print(f"{name} run: {conns} connection(s), {secs:g} s", file=sys.stderr)
            server0, self0 = proc_cpu(proc.pid) if proc else 0.0, time.process_time()
            result = run_load(url, reqs, secs, conns, lane=lane,
                              request_timeout=max(60.0, 3 * args.sparql_timeout))
            cpu[name] = {"load_generator_s": round(time.process_time() - self0, 1)}
            if proc:
                cpu[name]["server_s"] = round(proc_cpu(proc.pid) - server0, 1)
            if name == "loaded":
                loaded = result
            else:
                baseline = result
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if log is not None:
            log.close()
        if tmp is not None:
            tmp.cleanup()
    s_loaded, s_base = summarize(loaded), summarize(baseline)
    print(table(s_loaded, s_base, args.connections))
    print("CPU seconds: " + "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in c.items())
                                      for name, c in cpu.items())
          + f" (runs of {args.seconds:g} s and {base_s:g} s, {os.cpu_count()} CPUs)")
    for name, r in (("loaded", loaded), ("baseline", baseline)):
        for s in r.failures()[:10]:
            print(f"{name} failure: {s.kind} {s.key} at {s.start:.2f}s: {s.outcome} {s.detail}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            {"loaded": report(loaded, args.sparql_timeout, cpu=cpu["loaded"]),
             "baseline": report(baseline, args.sparql_timeout, cpu=cpu["baseline"])},
            indent=2, ensure_ascii=False) + "\n")
    if loaded.failures() or baseline.failures():
        sys.exit(1)


if __name__ == "__main__":
    main()
