"""A small SPARQL 1.1 endpoint on loopback, over pyoxigraph, for the linker's tests.

It answers the SPARQL 1.1 protocol: GET ``/sparql?query=``, POST with an urlencoded ``query=``
body, or POST with an ``application/sparql-query`` body; SELECT and ASK answers are SPARQL JSON
results, CONSTRUCT answers N-Triples. It records every request (time, method, query,
User-Agent), can be told to answer the next N requests with an HTTP status (429 or 503 with a
Retry-After), and to give up ("timeout", HTTP 500 with a Java-style TimeoutException as the
Wikidata query service does) on queries that match a condition.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pyoxigraph as ox


@dataclass
class Request:
    at: float
    method: str
    query: str
    user_agent: str
    headers: dict[str, str]
    status: int = 200


@dataclass
class Failure:
    status: int
    retry_after: str | None
    body: str


@dataclass
class LoopbackEndpoint:
    store: ox.Store = field(default_factory=ox.Store)
    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    timeout_when: Callable[[str], bool] | None = None
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --------------------------------------------------------------- control

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/sparql"

    def load_turtle(self, text: str) -> None:
        self.store.load(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)

    def update(self, sparql: str) -> None:
        with self._lock:
            self.store.update(sparql)

    def fail_next(self, n: int, status: int = 429, retry_after: str | None = "1",
                  body: str = "Too many requests") -> None:
        with self._lock:
            self.failures += [Failure(status, retry_after, body) for _ in range(n)]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    @property
    def count(self) -> int:
        return len(self.requests)

    def start(self) -> "LoopbackEndpoint":
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: bytes, ctype: str, extra: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str):
                parsed = urllib.parse.urlsplit(self.path)
                if parsed.path != "/sparql":
                    return self._answer(404, b"not found", "text/plain")
                params = urllib.parse.parse_qs(parsed.query)
                query = None
                if method == "GET":
                    query = (params.get("query") or [None])[0]
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(length).decode("utf-8")
                    ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                    if ctype == "application/x-www-form-urlencoded":
                        query = (urllib.parse.parse_qs(body).get("query") or [None])[0]
                    elif ctype == "application/sparql-query":
                        query = body
                    else:
                        return self._answer(415, b"unsupported media type", "text/plain")
                req = Request(time.monotonic(), method, query or "",
                              self.headers.get("User-Agent", ""), dict(self.headers.items()))
                with endpoint._lock:
                    endpoint.requests.append(req)
                    failure = endpoint.failures.pop(0) if endpoint.failures else None
                if failure:
                    req.status = failure.status
                    extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                    return self._answer(failure.status, failure.body.encode(), "text/plain", extra)
                if not query:
                    req.status = 400
                    return self._answer(400, b"missing query", "text/plain")
                if endpoint.timeout_when and endpoint.timeout_when(query):
                    req.status = 500
                    return self._answer(500, b"java.util.concurrent.TimeoutException", "text/plain")
                try:
                    with endpoint._lock:
                        result = endpoint.store.query(query)
                        if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean)):
                            data = result.serialize(format=ox.QueryResultsFormat.JSON)
                            ctype = "application/sparql-results+json"
                        else:
                            data = result.serialize(format=ox.RdfFormat.N_TRIPLES)
                            ctype = "application/n-triples"
                except SyntaxError as e:
                    req.status = 400
                    return self._answer(400, f"malformed query: {e}".encode(), "text/plain")
                return self._answer(200, data, ctype)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
