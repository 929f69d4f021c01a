"""Hostile requests against the real server on loopback, one test each: oversized and lying
bodies, huge headers, slow clients (slowloris), deeply nested and very long SPARQL queries,
markup and script in labels and texts (from the curated data, the ontology and an imported
person register), and the security headers on every kind of response.

Already covered elsewhere, and not repeated here:
- tests/web/test_sparql_hardening.py: POST /sparql over the body cap (413) with Content-Length
  and chunked, a 10 GB Content-Length answered 413 at once, the query length cap (413), malformed
  queries (400 with the parser's message), SERVICE/LOAD/FROM never fetching, the time limit
  (503) and memory cap, a full queue (503), CORS on errors.
- tests/web/test_pages.py: markup in an altLabel, a description, a locator and a sample query
  escaped on the entity page, search, map, timeline, landing and query pages; the security
  headers on the HTML pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import select
import shutil
import socket
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest

from procs import wait_for_workers

from .conftest import ROOT, start_server, stop_server

FAST = "ASK { ?s a <https://w3id.org/siberia-kg/ontology#Camp> }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MAX_BODY = 1_000_000         # the server's default caps
MAX_QUERY = 100_000
GUARD = 60.0                 # hang guard of every exchange


# --- helpers ---------------------------------------------------------------------------------

def client(server, **kw) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=GUARD, **kw)


def assert_serving(server) -> None:
    """The server still answers known-good requests, pages and SPARQL."""
    assert server.proc.poll() is None, "the server died"
    with client(server) as c:
        r = c.get("/id/camp/taishet.ttl")
        assert r.status_code == 200 and "taishet" in r.text
        r = c.get("/sparql", params={"query": FAST})
        assert r.status_code == 200 and r.json()["boolean"] is True


def connect(server, timeout: float = GUARD) -> socket.socket:
    parts = urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_all(s: socket.socket) -> bytes:
    """What the server sends until it closes the connection (a reset counts as closed)."""
    chunks = []
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(server, data: bytes, *, chunks=()) -> bytes:
    """Send raw bytes (then more chunks, if any) and read until the server closes. Sending may
    fail when the server answers and closes first (a 400 or 413 before the end): that is fine."""
    with connect(server) as s:
        try:
            s.sendall(data)
            for chunk in chunks:
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_all(s)


def statuses(raw: bytes) -> list[int]:
    """The status of each final response in raw bytes read from a connection."""
    out = []
    for line in raw.split(b"\r\n"):
        if line.startswith(b"HTTP/1.1 ") and line[9:12].isdigit() and not line[9:10] == b"1":
            out.append(int(line[9:12]))
    return out


def stable_workers(server, n: int = 2) -> list[int]:
    return wait_for_workers(server, n, GUARD)


# --- oversized and lying bodies --------------------------------------------------------------

OVER = b"a" * (MAX_BODY + 1)
BODY_ENDPOINTS = {
    "sparql-direct": ("/sparql", "application/sparql-query", b"ASK {}" + b" " * MAX_BODY),
    "sparql-form": ("/sparql", "application/x-www-form-urlencoded", b"query=ASK%7B%7D" + b"+" * MAX_BODY),
    "reconcile-0.2": ("/reconcile", "application/x-www-form-urlencoded",
                      b"queries=" + quote(json.dumps({"q0": {"query": "Taishet"}})).encode() + b"&x=" + OVER),
    "reconcile-1.0": ("/reconcile/1.0-draft/reconcile", "application/json",
                      b'{"queries": [{"query": "' + OVER + b'"}]}'),
    "extend-1.0": ("/reconcile/1.0-draft/extend", "application/json",
                   b'{"ids": ["' + OVER + b'"], "properties": []}'),
}


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("name", list(BODY_ENDPOINTS))
def test_bodies_over_the_default_cap_are_refused_everywhere(server, name, framing):
    """Every endpoint that reads a body stops at the default 1 MB cap: 413, whether the size is
    announced or the body comes chunked (read only up to the cap)."""
    path, ctype, body = BODY_ENDPOINTS[name]
    with client(server) as c:
        content = body if framing == "content-length" else iter(
            [body[i:i + 65536] for i in range(0, len(body), 65536)])
        r = c.post(path, content=content, headers={"content-type": ctype})
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert_serving(server)


def test_a_body_shorter_than_its_content_length_is_dropped(server):
    """Content-Length says 500 bytes, the client sends 10 and then nothing: the server waits for
    the rest only as long as its body time limit, then closes the connection; it answers other
    clients meanwhile, and never with an error of its own."""
    with connect(server) as s:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                  b"Content-Length: 500\r\n\r\nASK { ?s ")
        assert_serving(server)  # while that one hangs
        raw = read_all(s)       # returns when the server closes (hang guard: GUARD)
    assert not any(code >= 500 for code in statuses(raw)), raw[:300]


def test_a_body_longer_than_its_content_length(server):
    """Content-Length says 16 bytes and 18 KB follow: the first 16 bytes are the query, answered;
    the rest is no HTTP request, answered 400 (uvicorn) and the connection closed."""
    query = b"ASK { ?s ?p ?o }"
    raw = exchange(server, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(query) + query + b"\x00garbage " * 2000)
    codes = statuses(raw)
    assert codes and codes[0] == 200, raw[:300]
    assert all(code < 500 for code in codes) and (len(codes) == 1 or codes[1] == 400), codes
    assert_serving(server)


@pytest.mark.parametrize("case,first_chunk", [
    ("huge-declared-chunk", b"fffffffff\r\n"),
    ("chunk-size-overflow", b"ffffffffffffffffffffffffffffffff\r\n"),
    ("chunk-size-not-hex", b"zz\r\n"),
    ("chunk-extension-flood", b"10;" + b"x=y;" * 20000 + b"\r\n"),
])
def test_malicious_chunked_bodies(server, case, first_chunk):
    """Chunked bodies that announce absurd sizes or are malformed: 413 once the cap is passed,
    400 for what h11 cannot read, never an error of the server's own."""
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    raw = exchange(server, head + first_chunk, chunks=[b"a" * 65536] * 20)
    codes = statuses(raw)
    assert all(400 <= code < 500 for code in codes), (codes, raw[:300])
    if case == "huge-declared-chunk":
        assert codes == [413], raw[:300]
    assert_serving(server)


@pytest.mark.parametrize("framing", [
    b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n",
    b"Content-Length: 6\r\nContent-Length: 7\r\n",
    b"Transfer-Encoding: gzip\r\n",
    b"Transfer-Encoding: chunked, chunked\r\n",
    b"Content-Length: -6\r\n",
    b"Content-Length: +6\r\n",
    b"Content-Length: 6 6\r\n",
    b"Content-Length: 0x06\r\n",
], ids=["cl-and-te", "two-lengths", "te-gzip", "te-twice", "negative", "plus-sign", "two-numbers", "hex"])
def test_ambiguous_framing_is_refused(server, framing):
    """Request framings that proxies and servers could read differently (request smuggling):
    refused with 400 (or, where h11 reads the message one way, answered), never 5xx."""
    raw = exchange(server, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                           + framing + b"Connection: close\r\n\r\nASK {}\r\n0\r\n\r\n")
    codes = statuses(raw)
    assert codes and all(code < 500 for code in codes), (codes, raw[:300])
    assert codes[0] == 400 or framing == b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n" \
        and codes[0] in (200, 400), raw[:300]
    assert_serving(server)


# --- huge headers ----------------------------------------------------------------------------

def _request_with_headers(lines: list[bytes], path: bytes = b"/id/camp/taishet.ttl") -> bytes:
    return (b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + b"".join(l + b"\r\n" for l in lines)
            + b"Connection: close\r\n\r\n")


@pytest.mark.parametrize("case", ["1000-headers", "8000-headers", "header-60kb", "header-100kb",
                                  "header-1mb", "request-line-100kb", "accept-60kb", "cookie-60kb",
                                  "2000-accept-headers"])
def test_huge_headers(server, case):
    """Many or very long headers: served while the head stays under the server's 64 KiB limit,
    400 (or the connection closed) above it; never a server error, and the server goes on."""
    if case == "1000-headers":
        data = _request_with_headers([b"X-H%d: v" % i for i in range(1000)])
    elif case == "8000-headers":
        data = _request_with_headers([b"X-H%d: value" % i for i in range(8000)])
    elif case == "header-60kb":
        data = _request_with_headers([b"X-Long: " + b"v" * 60_000])
    elif case == "header-100kb":
        data = _request_with_headers([b"X-Long: " + b"v" * 100_000])
    elif case == "header-1mb":
        data = _request_with_headers([b"X-Long: " + b"v" * 1_000_000])
    elif case == "request-line-100kb":
        data = _request_with_headers([], path=b"/id/camp/" + b"a" * 100_000)
    elif case == "accept-60kb":  # 6,000 media ranges for content negotiation to weigh
        ranges = b", ".join(b"application/x-%d;q=0.%d" % (i, i % 10) for i in range(3500))
        data = _request_with_headers([b"Accept: " + ranges[:60_000].rsplit(b",", 1)[0]],
                                     path=b"/id/camp/taishet")
    elif case == "cookie-60kb":
        data = _request_with_headers([b"Cookie: " + b"; ".join(b"c%d=v" % i for i in range(8000))[:60_000]])
    else:
        data = _request_with_headers([b"Accept: text/turtle;q=0.%d" % (i % 10) for i in range(2000)],
                                     path=b"/id/camp/taishet")
    over = len(data) > 64 * 1024
    raw = exchange(server, data)
    codes = statuses(raw)
    assert all(code < 500 for code in codes), (codes, raw[:300])
    if over:
        assert codes in ([400], []), raw[:300]  # refused, or closed while still sending
    else:
        assert len(codes) == 1 and codes[0] in (200, 303, 406), raw[:300]
    assert_serving(server)


# --- slow clients ----------------------------------------------------------------------------

class Trickler:
    """Slow connections, driven by one thread: each sends its burst at once, then its trickle
    one byte at a time, one every ``pause`` seconds, for far longer than the server allows;
    the time the server closes each one is recorded."""

    def __init__(self, server, plans: dict[str, tuple[bytes, bytes]], pause: float = 0.1):
        self.pause = pause
        self.plans = plans
        self.socks = {name: connect(server) for name in plans}
        for name, (burst, _) in plans.items():
            self.socks[name].sendall(burst)
            self.socks[name].setblocking(False)
        self.sent = {name: 0 for name in plans}      # bytes of the trickle sent
        self.closed: dict[str, float] = {}
        self.received: dict[str, bytes] = {name: b"" for name in plans}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.closed) < len(self.socks):
            for name, s in self.socks.items():
                if name in self.closed:
                    continue
                readable, _, _ = select.select([s], [], [], 0)
                if readable:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        self.closed[name] = time.monotonic()
                        continue
                    self.received[name] += data
                trickle = self.plans[name][1]
                if self.sent[name] < len(trickle):
                    try:
                        s.send(trickle[self.sent[name]:self.sent[name] + 1])
                        self.sent[name] += 1
                    except OSError:
                        self.closed[name] = time.monotonic()
            time.sleep(self.pause)

    def open_names(self) -> list[str]:
        return [n for n in self.socks if n not in self.closed]

    def wait_closed(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.open_names() and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self.socks.values():
            s.close()


def test_slow_clients_do_not_hold_up_others_and_are_dropped(server):
    """Slowloris: connections that trickle a request head or body a byte at a time, or open and
    send nothing, or half a head and then nothing, neither stop other clients from being served
    while they hang nor are kept for ever: the server closes each once its head or body time
    limit has passed, even though the trickle goes on."""
    head = (b"GET /id/camp/taishet.ttl HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-Slow-%d: %s\r\n" % (i, b"v" * 20) for i in range(20)) + b"\r\n")
    body_head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                 b"Content-Length: 600\r\n\r\n")
    plans = {**{f"head-{i}": (b"", head) for i in range(6)},
             **{f"body-{i}": (body_head, b"ASK {" + b" " * 594 + b"}") for i in range(4)},
             **{f"silent-{i}": (b"", b"") for i in range(4)},
             **{f"half-head-{i}": (b"GET / HTTP/1.1\r\nHost: x\r\n", b"") for i in range(2)}}
    trickler = Trickler(server, plans)
    try:
        # Others are served while all of them hang.
        with client(server) as c:
            for path in ("/id/camp/taishet.ttl", "/", "/search?q=taishet"):
                assert c.get(path).status_code == 200, path
            r = c.get("/sparql", params={"query": FAST})
            assert r.status_code == 200 and r.json()["boolean"] is True
            r = c.post("/sparql", content=FAST, headers={"content-type": "application/sparql-query"})
            assert r.status_code == 200
        assert sorted(trickler.open_names()) == sorted(plans), \
            f"dropped before the others were served: {sorted(trickler.closed)}"
        # And the server drops every one of them.
        trickler.wait_closed(GUARD)
        assert not trickler.open_names(), f"still open after {GUARD} s: {trickler.open_names()}"
        for name, (_, trickle) in plans.items():
            # still trickling when dropped: the limit is on the whole head or body, not on the
            # time between two bytes
            assert trickler.sent[name] < len(trickle) or not trickle, name
            assert not any(code >= 500 for code in statuses(trickler.received[name])), \
                (name, trickler.received[name][:200])
    finally:
        trickler.close()
    log = server.log.read_text(errors="replace")
    assert log.count("did not arrive within") >= len(plans)
    assert_serving(server)


def test_a_connection_is_dropped_between_requests_too(server):
    """After one answered request, a next request head that trickles in is held to the same
    limit as the first."""
    with connect(server) as s:
        s.sendall(b"HEAD /id/camp/taishet.ttl HTTP/1.1\r\nHost: x\r\n\r\n")  # no body to read
        first = b""
        while b"\r\n\r\n" not in first:
            first += s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first[:100]
        s.sendall(b"GET / HTTP/1.1\r\n")  # and the rest never comes
        assert read_all(s) == b""  # closed by the server, unanswered (hang guard: GUARD)
    assert_serving(server)


# --- deeply nested and very long queries -----------------------------------------------------

def _nest(n: int, open_: str, close: str, middle: str = "") -> str:
    return open_ * n + middle + close * n


NESTED = {
    "braces-10000": "SELECT * WHERE " + _nest(10_000, "{", "}"),
    "parentheses-10000": "ASK { FILTER(" + _nest(10_000, "(", ")", "1") + ") }",
    "blank-nodes-5000": "ASK { ?s <urn:p> " + _nest(5000, "[ <urn:p> ", "]", "1") + " }",
    "collections-10000": "ASK { ?s <urn:p> " + _nest(10_000, "( ", ")", "1") + " }",
    "collections-and-blank-nodes-100": "ASK { ?s <urn:p> " + _nest(100, "( [ <urn:p> ", "] )", "1") + " }",
    "filter-exists-5000": "ASK { " + _nest(5000, "FILTER EXISTS { ", "}") + " }",
    "function-calls-10000": "ASK { FILTER(" + _nest(10_000, "STR(", ")", "1") + ") }",
    "subqueries-3000": "SELECT * WHERE " + _nest(3000, "{ SELECT * WHERE ", "}", "{}"),
    "optional-groups-5000": "SELECT * WHERE " + _nest(5000, "{ OPTIONAL ", "}", "{}"),
    "negations-50000": "ASK { FILTER(" + "!" * 50_000 + "true) }",
    "sum-of-45000": "ASK { FILTER(" + "+".join(["1"] * 45_000) + " > 0) }",
    "minus-chain-10000": "SELECT * WHERE { " + " ".join(["MINUS {}"] * 10_000) + " }",
    "bind-chain-4000": "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(4000)) + " }",
    "triple-patterns-8000": "ASK { " + ".".join(["?s<urn:p>?o"] * 8000) + " }",
    "path-sequence-10000": "ASK { ?s " + "/".join(["<urn:p>"] * 10_000) + " ?o }",
    "braces-60000": "SELECT * WHERE " + _nest(60_000, "{", "}"),                # over the length cap
    "parentheses-400000": "ASK { FILTER(" + _nest(400_000, "(", ")", "1") + ") }",  # and the body cap
}


@pytest.fixture(scope="module")
def nested_results(server):
    """Every nested query, sent by direct POST, by form POST and (where the URL stays under the
    head limit) by GET, with the SPARQL workers' process ids before and after."""
    before = stable_workers(server)
    results = {}
    with client(server) as c:
        for name, query in NESTED.items():
            sent = [c.post("/sparql", content=query.encode(),
                           headers={"content-type": "application/sparql-query"}),
                    c.post("/sparql", content=b"query=" + quote(query).encode(),
                           headers={"content-type": "application/x-www-form-urlencoded"})]
            if len(quote(query)) < 60_000:
                sent.append(c.get("/sparql?query=" + quote(query)))
            results[name] = [(r.status_code, r.text) for r in sent]
    return before, results


@pytest.mark.parametrize("name", list(NESTED))
def test_deeply_nested_queries_are_refused_not_crashed(server, nested_results, name):
    """Each is answered 400 (too deep) or 413 (too long), by every way of sending it: the guard
    refuses it before any worker parses it, so no worker crashes (pyoxigraph's recursive parser
    would overflow its stack: a SIGSEGV and a 500 before the guard learnt about depth)."""
    _, results = nested_results
    query = NESTED[name]
    for status, text in results[name]:
        expected = 413 if len(query) > MAX_QUERY else 400
        if len(query.encode()) > MAX_BODY and status == 413:
            continue  # the body cap speaks first
        assert status == expected, (status, text[:300])
        assert ("deep" in text or "nests" in text) if expected == 400 else \
            ("characters" in text or "body" in text)


def test_no_worker_died_from_the_nested_queries(server, nested_results):
    before, _ = nested_results
    assert stable_workers(server) == before, "a SPARQL worker was replaced"
    log = server.log.read_text(errors="replace")
    assert "died" not in log and "Traceback" not in log
    assert_serving(server)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + _nest(60, "{", "}"),
    "ASK { FILTER(" + _nest(60, "(", ")", "1") + ") }",
    "ASK { FILTER(" + "+".join(["1"] * 900) + " > 0) }",
    "ASK { " + ".".join(["?s<urn:p>?o"] * 50) + " }",
    "SELECT * WHERE { " + " ".join(["OPTIONAL {}"] * 300) + " }",
], ids=["braces-60", "parentheses-60", "sum-of-900", "triple-patterns-50", "optionals-300"])
def test_nesting_a_query_may_need_is_accepted(server, query):
    with client(server) as c:
        r = c.post("/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"})
    assert r.status_code == 200, r.text[:300]


@pytest.mark.parametrize("name,query", [
    ("values-99000", "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?x { " + "1 " * 49_480 + "} }"),
    ("comment-99000", "ASK { ?s ?p ?o } #" + "x" * 99_000),
    ("string-99000", 'ASK { FILTER(STRLEN("' + "x" * 99_000 + '") > 0) }'),
    ("values-rows-20000", "SELECT (COUNT(*) AS ?n) WHERE { VALUES (?x ?y) { " + "(1 2) " * 16_000 + "} }"),
])
def test_very_long_queries_up_to_the_cap_run(server, name, query):
    """Long is not deep: queries just under 100,000 characters whose length is in flat lists,
    comments or strings run."""
    assert len(query) <= MAX_QUERY
    with client(server) as c:
        r = c.post("/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"})
    assert r.status_code == 200, r.text[:300]
    assert_serving(server)


# --- markup and script in the data -----------------------------------------------------------

HOSTILE = "<script>alert(1)</script>\"'&"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"  # how any HTML escaper writes its markup


def _lit(text: str, lang: str = "en") -> str:
    return json.dumps(text, ensure_ascii=False) + "@" + lang


def build_hostile_project(root: Path) -> Path:
    """A project with markup and script in preferred labels (en, ja, ru), alternative labels,
    descriptions, an event, an estimate's basis, a source's title, a locator, an ontology
    comment, a sample query, and an imported person register (a name, a rank, its title)."""
    from siberia_kg.build import build
    from siberia_kg.config import Settings
    from siberia_kg.importers import import_register

    (root / "ontology").mkdir(parents=True)
    ontology = (ROOT / "ontology" / "siberia-kg.ttl").read_text()
    ontology += f"\nskg:Camp rdfs:comment {_lit(HOSTILE + ' ontology')} .\n"
    (root / "ontology" / "siberia-kg.ttl").write_text(ontology)
    shutil.copy(ROOT / "ontology" / "shapes.ttl", root / "ontology" / "shapes.ttl")
    shutil.copytree(ROOT / "tests" / "fixtures" / "minidata", root / "data")
    places = root / "data" / "places.trig"
    text = places.read_text()
    for old, new in [
        ('place:taishet skos:prefLabel "Taishet"@en ; skos:altLabel "Tayshet"@en .',
         f"place:taishet skos:prefLabel {_lit(HOSTILE + ' place')} , {_lit(HOSTILE, 'ja')} ; "
         f"skos:altLabel \"Tayshet\"@en , {_lit(HOSTILE + ' alt')} ."),
        ('camp:taishet skos:prefLabel "Camp at Taishet"@en .',
         f"camp:taishet skos:prefLabel {_lit(HOSTILE + ' camp')} , {_lit(HOSTILE + ' ru', 'ru')} ."),
        ('schema:startDate "1946"^^xsd:gYear .',
         f'schema:startDate "1946"^^xsd:gYear ; schema:description {_lit(HOSTILE + " description")} .'),
        ("@prefix camp:", "@prefix event:  <https://w3id.org/siberia-kg/id/event/> .\n"
                          "@prefix est:    <https://w3id.org/siberia-kg/id/estimate/> .\n@prefix camp:"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    text += f"""
event:hostile-event skos:prefLabel {_lit(HOSTILE + ' event')} .
est:t000-hostile skos:prefLabel {_lit(HOSTILE + ' estimate')} .
cit:t000-bam {{
  event:hostile-event a schema:Event ; skg:eventType skg:Release ; schema:startDate "1947"^^xsd:gYear ;
      schema:location place:taishet ; schema:description {_lit(HOSTILE + ' event description')} .
  est:t000-hostile a skg:Estimate ; skg:measure skg:NumberDied ; schema:value 12 ;
      skg:qualifier skg:Exact ; skg:about event:hostile-event ; skg:basis {_lit(HOSTILE + ' basis')} .
}}
"""
    places.write_text(text)
    sources = root / "data" / "sources.trig"
    text = sources.read_text()
    for old, new in [('"paragraph on the railway"', json.dumps(HOSTILE + " locator")),
                     ('skos:prefLabel "A test source"@en', f"skos:prefLabel {_lit(HOSTILE + ' source')}"),
                     ('dcterms:title "A test source"', f"dcterms:title {json.dumps(HOSTILE + ' title')}")]:
        assert old in text, old
        text = text.replace(old, new)
    sources.write_text(text)
    (root / "queries").mkdir()
    (root / "queries" / "hostile.rq").write_text(
        f"# Question: {HOSTILE} question\nSELECT * WHERE {{ ?s ?p ?o }} LIMIT 1\n")
    # An imported person register: markup in a name, a rank and the register's title.
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["record_id", "name_kanji", "name_kana", "name_romaji", "birth_date", "rank",
                     "unit", "camp", "death_date", "death_place", "burial_site",
                     "repatriation_date", "repatriation_ship", "archive_reference"])
    writer.writerow(["H-1", "田中" + HOSTILE, "たなか", "SYNTHETIC " + HOSTILE, "1901-02-03",
                     HOSTILE + " rank", "", "Taishet", "1946-01", "", "", "", "", ""])
    (root / "register.csv").write_text(rows.getvalue())
    result = import_register(root / "register.csv", source="hostile", registers_dir=root / "registers",
                             title=HOSTILE + " register", as_of=dt.date.today())
    assert result.ok, result
    settings = Settings(root=root, out_dir=root / "dist", registers_dir=root / "registers")
    build(settings)
    return settings.out_dir


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-site")
    dist = build_hostile_project(root)
    live = start_server(dist, root / "server.log", "--registers", str(root / "registers"),
                        env={"SIBERIA_KG_ROOT": str(root)})
    yield live
    stop_server(live)


class Markup(HTMLParser):
    """Script elements and attributes of a page: what injected markup would add."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self.text: list[str] = []
        self._script: dict | None = None
        self._buf: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.handlers += [(tag, k) for k in a if k.lower().startswith("on")]
        self.urls += [v or "" for k, v in a.items() if k in ("href", "src", "action", "formaction")]
        if tag == "script":
            self._script, self._buf = a, []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None

    def handle_data(self, data):
        (self._buf if self._script is not None else self.text).append(data)


PERSON = "/id/person/register-hostile-h-1.html"
# path -> whether the page shows the hostile text (escaped); the others must merely not break.
HOSTILE_PAGES = {
    "/": True, "/?lang=ja": True, "/?lang=ru": True, "/classes": False,
    "/class/skg:Camp": True, "/class/schema:City": True, "/class/schema:Person": True,
    "/class/schema:Event": True, "/class/skg:Estimate": True,
    "/search?q=script": True, "/search?q=" + quote(HOSTILE): True, "/search?q=alert&lang=ja": True,
    "/map": True, "/timeline": True, "/stats": True, "/query": True, "/query?sample=hostile": True,
    "/ontology": True, "/ontology.html": True, "/dumps/": True,
    "/id/place/taishet.html": True, "/id/place/taishet.html?lang=ja": True,
    "/id/camp/taishet.html": True, "/id/camp/taishet.html?lang=ru": True,
    "/id/event/hostile-event.html": True, "/id/estimate/t000-hostile.html": True,
    "/id/source/t000.html": True, "/id/citation/t000-bam.html": True, PERSON: True,
    "/id/source/register-hostile.html": True, "/id/citation/register-hostile.html": True,
    "/reconcile/preview?id=" + quote("https://w3id.org/siberia-kg/id/place/taishet"): True,
    # error pages that echo what was asked
    "/id/camp/" + quote(HOSTILE[:25], safe=""): False, "/class/" + quote(HOSTILE, safe=""): False,
    "/search?lang=" + quote("<b onclick=x>", safe=""): False,
    "/query?sample=" + quote(HOSTILE, safe=""): False, "/nothing/" + quote(HOSTILE, safe=""): False,
}


@pytest.mark.parametrize("path", list(HOSTILE_PAGES))
def test_markup_from_data_and_imports_is_escaped_on_every_page(hostile_site, path):
    with client(hostile_site) as c:
        r = c.get(path, headers={"accept": "text/html"})
    assert r.status_code < 500 and r.headers["content-type"].startswith("text/html"), r.status_code
    page = r.text
    assert HOSTILE not in page and "<script>alert" not in page and "<b onclick" not in page
    if HOSTILE_PAGES[path]:
        assert ESCAPED in page or "\\u003cscript\\u003ealert(1)" in page, "the hostile text is not on the page"
    doc = Markup(page)
    assert not doc.handlers, doc.handlers
    assert not [u for u in doc.urls if u.strip().lower().startswith(("javascript:", "data:"))], doc.urls
    for attrs, body in doc.scripts:  # only this server's scripts, and inert JSON data blocks
        if "src" in attrs:
            assert attrs["src"].startswith("/") and not attrs["src"].startswith("//") and not body.strip()
        else:
            assert attrs.get("type") in ("application/json", "application/ld+json"), attrs
            json.loads(body)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_json_data_blocks_carry_the_text_as_it_is(hostile_site):
    """Where a page embeds data for its scripts (the map), the text is kept exactly, escaped
    only as JSON (no '<' in the block), so that the script shows it as text."""
    with client(hostile_site) as c:
        doc = Markup(c.get("/map").text)
        blocks = [b for a, b in doc.scripts if a.get("type") == "application/json"]
        assert blocks and all("<" not in b for b in blocks)
        assert any(HOSTILE in text for text in _strings([json.loads(b) for b in blocks]))
        flyout = c.get("/reconcile/flyout/entity",
                       params={"id": "https://w3id.org/siberia-kg/id/place/taishet"}).json()
        assert HOSTILE not in flyout["html"] and ESCAPED in flyout["html"]


# --- security headers on every kind of response ----------------------------------------------

RESPONSES = {
    "html-page": ("GET", "/", {}, None),
    "entity-303": ("GET", "/id/camp/taishet", {}, None),
    "entity-html": ("GET", "/id/camp/taishet.html", {}, None),
    "entity-turtle": ("GET", "/id/camp/taishet.ttl", {}, None),
    "entity-n-triples": ("GET", "/id/camp/taishet.nt", {}, None),
    "entity-json-ld": ("GET", "/id/camp/taishet.jsonld", {}, None),
    "entity-rdf-xml": ("GET", "/id/camp/taishet.rdf", {}, None),
    "entity-406": ("GET", "/id/camp/taishet", {"accept": "image/png"}, None),
    "not-found-text": ("GET", "/nothing", {}, None),
    "not-found-html": ("GET", "/nothing", {"accept": "text/html"}, None),
    "error-page-400": ("GET", "/search?lang=xx", {}, None),
    "method-405": ("DELETE", "/", {}, None),
    "head": ("HEAD", "/id/camp/taishet.ttl", {}, None),
    "preflight-204": ("OPTIONS", "/sparql", {"origin": "https://x.example",
                                             "access-control-request-method": "POST"}, None),
    "sparql-description": ("GET", "/sparql", {}, None),
    "sparql-json": ("GET", "/sparql?query=" + quote(FAST), {}, None),
    "sparql-xml": ("GET", "/sparql?format=xml&query=" + quote(FAST), {}, None),
    "sparql-csv": ("GET", "/sparql?format=csv&query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 2"), {}, None),
    "sparql-tsv": ("GET", "/sparql?format=tsv&query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 2"), {}, None),
    "sparql-graph": ("GET", "/sparql?query=" + quote("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2"), {}, None),
    "sparql-400": ("GET", "/sparql?query=SELEKT", {}, None),
    "sparql-403": ("GET", "/sparql?update=" + quote("CLEAR ALL"), {}, None),
    "sparql-413": ("POST", "/sparql", {"content-type": "application/sparql-query"}, b" " * (MAX_BODY + 1)),
    "sparql-415": ("POST", "/sparql", {"content-type": "text/plain"}, b"ASK {}"),
    "sparql-308": ("GET", "/sparql/", {}, None),
    "sparql-503-time-limit": ("GET", "/sparql?query=" + quote(SLOW), {}, None),
    "dumps-listing-html": ("GET", "/dumps/", {"accept": "text/html"}, None),
    "dumps-listing-json": ("GET", "/dumps/", {"accept": "application/json"}, None),
    "dump": ("GET", "/dumps/siberia-kg.nt", {}, None),
    "dump-gzip": ("GET", "/dumps/siberia-kg.nt", {"accept-encoding": "gzip"}, None),
    "dump-206": ("GET", "/dumps/siberia-kg.nq", {"range": "bytes=0-99"}, None),
    "dump-416": ("GET", "/dumps/siberia-kg.nq", {"range": "bytes=999999999-"}, None),
    "void": ("GET", "/.well-known/void", {}, None),
    "ontology-turtle": ("GET", "/ontology.ttl", {}, None),
    "ontology-html": ("GET", "/ontology.html", {}, None),
    "static-css": ("GET", "/static/site.css", {}, None),
    "reconcile-json": ("GET", "/reconcile", {}, None),
    "reconcile-jsonp": ("GET", "/reconcile?callback=cb", {}, None),
    "reconcile-413": ("POST", "/reconcile", {"content-type": "application/x-www-form-urlencoded"},
                      b"queries=" + b"a" * (MAX_BODY + 1)),
}


@pytest.mark.parametrize("name", list(RESPONSES))
def test_security_headers_on_every_kind_of_response(server, name):
    method, path, headers, body = RESPONSES[name]
    with client(server) as c:
        r = c.request(method, path, headers=headers, content=body)
    assert r.status_code != 500
    assert r.headers.get("x-content-type-options") == "nosniff", (r.status_code, dict(r.headers))
    assert "content-security-policy" in r.headers, (r.status_code, dict(r.headers))


@pytest.mark.parametrize("data", [b"GET / HTTP/1.1\r\n\r\n", b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n",
                                  b"\xff\xfe\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"],
                         ids=["no-host", "spaces-in-target", "binary", "broken-header"])
def test_security_headers_on_the_servers_own_400(server, data):
    """Requests h11 cannot parse are answered by uvicorn itself, outside the application: with
    the security headers too."""
    raw = exchange(server, data)
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 400"), raw[:200]
    assert b"x-content-type-options: nosniff" in head and b"content-security-policy:" in head
