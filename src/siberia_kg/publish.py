"""Publish the built graph into an external SPARQL 1.1 store, replacing the old version atomically.

The dumps (N-Quads) are staged in a local Oxigraph store, which removes duplicate statements and
gives the exact number of triples the store must end up with. They are then uploaded in chunks
into a temporary graph ``<graph>-tmp-<random>`` through the SPARQL 1.1 Graph Store HTTP Protocol
(the first chunk with PUT, the others with POST; N-Triples) or, where a store offers nothing else,
SPARQL Update ``INSERT DATA``. The temporary graph's triple count is checked with a SPARQL COUNT on
the store, and only then is it swapped in with one SPARQL Update request (``MOVE``), which stores
with transactional updates execute as one transaction: readers see the old graph or the new one.
A failure before the swap leaves the old graph as it was and drops the temporary graph; a
process that is killed (or loses the store) cannot drop it, and the next run with
``--clean-stale`` does.

Transient failures (connection errors, timeouts, HTTP 5xx, 408 and 429, waiting as long as a
Retry-After header says) are retried with exponential backoff; chunk uploads are idempotent (the
first is a PUT, the others add ground triples, and every blank-node statement travels in the
first chunk), so retrying never duplicates anything. The swap is never retried blindly: it is
retried only when the request certainly did not run (no connection, or the store itself refused
it) and the counts of both graphs show nothing moved. When that cannot be known (a timeout, a
connection lost after sending, a gateway's 502 or 504) the temporary graph is kept, not dropped
under a swap that may still be running, and the error says what to check. An optional overall
limit (``--max-time``) bounds the retries and the waits for answers of the whole run; the
temporary graph is still dropped after it, with one request.

HTTP is the standard library's http.client: Basic or Digest authentication as the store's 401
challenge asks (then sent with every request, so a chunk is not sent twice), or a Bearer token;
kept-alive connections; the HTTP(S)_PROXY and NO_PROXY environment variables; TLS checked against
the system's certificates; redirects are not followed.

See docs/publishing.md for the choices made for Virtuoso, Fuseki, GraphDB, QLever and cluster
stores.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import select
import shutil
import ssl
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import pyoxigraph as ox

from . import __version__

DEFAULT_CHUNK_TRIPLES = 50_000
DEFAULT_TIMEOUT = 600.0
DEFAULT_RETRIES = 5
UPDATE_OP_TRIPLES = 2_000  # triples per INSERT DATA operation (--protocol update)
MARKER = ".siberia-kg-build"
TMP_INFIX = "-tmp-"
DCTERMS_HAS_PART = "http://purl.org/dc/terms/hasPart"
# Above this much input the staging store goes to disk instead of memory.
ON_DISK_BYTES = 64 * 1024 * 1024
INPUT_FORMATS = {".nq": ox.RdfFormat.N_QUADS, ".nt": ox.RdfFormat.N_TRIPLES,
                 ".ttl": ox.RdfFormat.TURTLE, ".trig": ox.RdfFormat.TRIG}
IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")


# ---------------------------------------------------------------------------------------------
# errors


class PublishError(Exception):
    """Something the user can act on; the message says what."""

    transient = False          # worth retrying
    status: int | None = None  # HTTP status, when there was one


class AuthError(PublishError):
    pass


class UnreachableError(PublishError):
    pass


class CountMismatch(PublishError):
    pass


class HTTPFailure(PublishError):
    """A request failed. `sent`: the request may have reached the store (False only when no
    connection could be opened, so nothing was sent)."""

    def __init__(self, message: str, status: int | None = None, body: str = "",
                 transient: bool = False, sent: bool = True):
        super().__init__(message)
        self.status = status
        self.body = body
        self.transient = transient
        self.sent = sent


class SwapUncertain(PublishError):
    """The swap request failed in a way that does not tell whether the store ran it (or runs it
    still): the temporary graphs are kept, never dropped under a swap that may be running."""


class Unreachable(UnreachableError):
    """No connection could be opened: nothing was sent."""

    transient = True
    sent = False


# ---------------------------------------------------------------------------------------------
# inputs


def build_dumps(out_dir: Path) -> list[Path]:
    """The N-Quads dumps a build wrote, as its marker lists them (curated first, then registers)."""
    marker = out_dir / MARKER
    try:
        files = json.loads(marker.read_text())["files"]
    except (OSError, ValueError, KeyError) as e:
        raise PublishError(f"{out_dir} holds no build (no readable {MARKER}): run "
                           f"`siberia-kg build` first") from e
    names = [n for n in files if n.endswith(".nq")]
    names.sort(key=lambda n: (n != "siberia-kg.nq", n))
    paths = [out_dir / n for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise PublishError(f"the build marker lists dumps that are missing: {', '.join(missing)}; "
                           f"run `siberia-kg build` again")
    if not paths:
        raise PublishError(f"the build in {out_dir} lists no N-Quads dump")
    return paths


def check_iri(iri: str, what: str = "--graph") -> str:
    if not IRI_RE.match(iri):
        raise PublishError(f"{what} must be an absolute IRI without spaces or <>\"{{}}|\\^`: {iri!r}")
    return iri


def check_url(url: str, what: str) -> str:
    p = urlsplit(url)
    try:
        p.port  # raises ValueError on a port that is not a number
    except ValueError:
        p = p._replace(netloc="")
    if p.scheme.lower() not in ("http", "https") or not p.hostname or any(c.isspace() for c in url):
        raise PublishError(f"{what} must be an http(s) URL such as http://localhost:8890/sparql: "
                           f"{url!r}")
    return url


def check_formats(files: list[Path]) -> None:
    for f in files:
        if f.suffix.lower() not in INPUT_FORMATS:
            raise PublishError(f"{f}: unknown RDF format (use .nq, .nt, .ttl or .trig)")


# ---------------------------------------------------------------------------------------------
# staging: dedupe and count locally, then stream chunks


@dataclass
class StagedGraph:
    target: str          # graph IRI in the store
    count: int           # distinct triples
    source: ox.NamedNode | ox.DefaultGraph  # graph name in the staging store
    bnode_triples: list = field(default_factory=list)  # statements with a blank node


class Staged:
    """The statements to publish, deduplicated per target graph, in a local Oxigraph store."""

    def __init__(self, store: ox.Store, graphs: list[StagedGraph], folder: Path | None):
        self.store = store
        self.graphs = graphs
        self._folder = folder

    @property
    def total(self) -> int:
        return sum(g.count for g in self.graphs)

    def chunks(self, graph: StagedGraph, size: int) -> Iterator[tuple[bytes, int]]:
        """N-Triples chunks of at most `size` triples (the first holds every blank-node triple,
        which must arrive in one request to stay one node in the store, so it may be larger);
        as many as chunk_count() says."""
        batch: list = list(graph.bnode_triples)
        limit = max(size, len(batch))
        emitted = False
        for q in self.store.quads_for_pattern(None, None, None, graph.source):
            if len(batch) >= limit:
                yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES), len(batch)
                batch, limit, emitted = [], size, True
            batch.append(q.triple)
        if batch or not emitted:
            yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES), len(batch)

    @staticmethod
    def chunk_count(graph: StagedGraph, size: int) -> int:
        first = max(size, len(graph.bnode_triples))
        return 1 if graph.count <= first else 1 + -(-(graph.count - first) // size)

    def close(self) -> None:
        self.store = None  # type: ignore[assignment]
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def stage(files: list[Path], graph: str, keep_graphs: bool = False,
          workdir: Path | None = None) -> Staged:
    """Read the dumps into a staging store. Union mode: every statement of every graph into one
    target graph (duplicates across citation graphs counted once). Keep-graphs mode: each named
    graph to itself, default-graph statements to `graph`."""
    size = sum(f.stat().st_size for f in files)
    folder = None
    if size > ON_DISK_BYTES:
        folder = Path(tempfile.mkdtemp(prefix="siberia-kg-publish-", dir=workdir))
        store = ox.Store(str(folder))
    else:
        store = ox.Store()
    default = ox.DefaultGraph()
    bnodes: dict[str, dict] = {}
    blank = ox.BlankNode

    def quads():
        for f in files:
            fmt = INPUT_FORMATS.get(f.suffix.lower())
            if fmt is None:
                raise PublishError(f"{f}: unknown RDF format (use .nq, .nt, .ttl or .trig)")
            try:
                for q in ox.parse(path=str(f), format=fmt):
                    g = q.graph_name if keep_graphs and not isinstance(q.graph_name, ox.DefaultGraph) \
                        else default
                    if type(q.subject) is blank or type(q.object) is blank:
                        key = g.value if isinstance(g, ox.NamedNode) else ""
                        bnodes.setdefault(key, {})[q.triple] = None
                        continue
                    yield ox.Quad(q.subject, q.predicate, q.object, g)
            except SyntaxError as e:
                raise PublishError(f"{f}: {e}") from e
            except OSError as e:
                raise PublishError(f"cannot read {f}: {e.strerror or e}") from e

    try:
        store.bulk_extend(quads())
        graphs: list[StagedGraph] = []
        if keep_graphs:
            counts = {str(b["g"].value): int(b["n"].value) for b in store.query(
                "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
            for iri in sorted(set(counts) | {k for k in bnodes if k}):
                if iri == graph:
                    raise PublishError(f"the dumps already have a graph named <{graph}>; choose "
                                       f"another --graph for the publication record")
                extra = list(bnodes.get(iri, {}))
                graphs.append(StagedGraph(iri, counts.get(iri, 0) + len(extra),
                                          ox.NamedNode(iri), extra))
            # the publication record: which graphs belong to this publication, so that the next
            # one can drop those it no longer has
            g_node, has_part = ox.NamedNode(graph), ox.NamedNode(DCTERMS_HAS_PART)
            store.extend([ox.Quad(g_node, has_part, ox.NamedNode(g.target), default)
                          for g in graphs])
        n_default = len(store) - sum(g.count - len(g.bnode_triples) for g in graphs)
        extra = list(bnodes.get("", {}))
        if n_default + len(extra) or not graphs or keep_graphs:
            graphs.insert(0, StagedGraph(graph, n_default + len(extra), default, extra))
        return Staged(store, graphs, folder)
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise


# ---------------------------------------------------------------------------------------------
# HTTP


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Response:
    """A store's answer, read in full (answers here are small: results of COUNT, ASK, updates)."""

    def __init__(self, status: int, reason: str, headers: http.client.HTTPMessage,
                 content: bytes):
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self.content = content

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)

    def header(self, name: str) -> str:
        """Every value of a header, joined as one (a proxy may add its own Server header)."""
        return ", ".join(self.headers.get_all(name) or [])


class _ConnectFailed(Exception):
    """The TCP (or TLS, or proxy tunnel) connection could not be opened: nothing was sent."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DigestState:
    """RFC 7616 Digest (qop auth or auth-int, or RFC 2069 without qop; MD5 or SHA-256, also
    -sess) from one challenge, reused with an increasing nonce count, so that once challenged
    every request goes authenticated up front and a chunk is sent once."""

    def __init__(self, challenge: dict[str, str]):
        self.challenge = challenge
        self.count = 0
        algorithm = challenge.get("algorithm", "MD5").upper()
        self.session = algorithm.endswith("-SESS")
        name = algorithm[:-5] if self.session else algorithm
        if name not in ("MD5", "SHA-256"):
            raise AuthError(f"the store asks for Digest authentication with the unsupported "
                            f"algorithm {algorithm}")
        self.hash = hashlib.md5 if name == "MD5" else hashlib.sha256
        qops = [q.strip().lower() for q in challenge.get("qop", "").split(",") if q.strip()]
        if not qops:
            self.qop = ""  # RFC 2069
        elif "auth" in qops:
            self.qop = "auth"
        elif "auth-int" in qops:
            self.qop = "auth-int"
        else:
            raise AuthError(f"the store asks for Digest authentication with the unsupported "
                            f"qop {challenge.get('qop')!r}")
        self.algorithm = algorithm

    def header(self, user: str, password: str, method: str, uri: str, body: bytes) -> str:
        def h(data: str | bytes) -> str:
            return self.hash(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()

        c = self.challenge
        realm, nonce = c.get("realm", ""), c.get("nonce", "")
        self.count += 1
        nc = f"{self.count:08x}"
        cnonce = secrets.token_hex(8)
        ha1 = h(f"{user}:{realm}:{password}")
        if self.session:
            ha1 = h(f"{ha1}:{nonce}:{cnonce}")
        a2 = f"{method}:{uri}" + (f":{h(body)}" if self.qop == "auth-int" else "")
        if self.qop:
            response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:{self.qop}:{h(a2)}")
        else:
            response = h(f"{ha1}:{nonce}:{h(a2)}")
        parts = [f"username={_quote(user)}", f"realm={_quote(realm)}", f"nonce={_quote(nonce)}",
                 f"uri={_quote(uri)}", f"response=\"{response}\"", f"algorithm={self.algorithm}"]
        if "opaque" in c:
            parts.append(f"opaque={_quote(c['opaque'])}")
        if self.qop:
            parts += [f"qop={self.qop}", f"nc={nc}", f"cnonce=\"{cnonce}\""]
        return "Digest " + ", ".join(parts)


def parse_challenges(values: list[str]) -> dict[str, dict[str, str]]:
    """WWW-Authenticate headers as {scheme: parameters} (one challenge per header, as stores
    send them)."""
    found: dict[str, dict[str, str]] = {}
    for value in values:
        scheme, _, rest = value.strip().partition(" ")
        if not scheme:
            continue
        params: dict[str, str] = {}
        for item in urllib.request.parse_http_list(rest):
            key, eq, v = item.partition("=")
            if eq:
                v = v.strip()
                if len(v) >= 2 and v[0] == v[-1] == '"':
                    v = re.sub(r"\\(.)", r"\1", v[1:-1])
                params[key.strip().lower()] = v
        found.setdefault(scheme.lower(), params)
    return found


class Transport:
    """HTTP/1.1 over http.client: one kept-alive connection per origin, the connect timeout
    and the per-read timeout apart, the proxies of the environment (HTTP_PROXY, HTTPS_PROXY,
    NO_PROXY) honoured, redirects not followed. Authentication: Bearer token, or Basic or Digest
    as the server's 401 challenge asks."""

    def __init__(self, *, user: str | None, password: str | None, token: str | None,
                 timeout: float, headers: dict[str, str]):
        self.user, self.password, self.token = user, password or "", token
        self.timeout = timeout
        self.connect_timeout = min(timeout, 30.0)
        self.headers = headers
        self._connections: dict[tuple, http.client.HTTPConnection] = {}
        self._schemes: dict[tuple, str] = {}        # origin -> "basic" or "digest"
        self._digest: dict[tuple, DigestState] = {}
        self._proxies = urllib.request.getproxies_environment()
        self._ssl: ssl.SSLContext | None = None

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    # -- connections --

    def _proxy_for(self, scheme: str, host: str) -> urllib.parse.SplitResult | None:
        proxy = self._proxies.get(scheme) or self._proxies.get("all")
        if not proxy or urllib.request.proxy_bypass_environment(host, self._proxies):
            return None
        if "://" not in proxy:
            proxy = "http://" + proxy
        return urlsplit(proxy)

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._connections.get(key)
        if conn is not None and conn.sock is not None:
            # an idle kept-alive connection that is readable was closed by the server
            try:
                readable = select.select([conn.sock], [], [], 0)[0]
            except (OSError, ValueError):
                readable = [True]
            if not readable:
                return conn
        if conn is not None:
            conn.close()
            del self._connections[key]
        proxy = self._proxy_for(scheme, host)
        try:
            if scheme == "https":
                if self._ssl is None:
                    self._ssl = ssl.create_default_context()
                if proxy:
                    conn = http.client.HTTPSConnection(proxy.hostname, proxy.port or 80,
                                                       timeout=self.connect_timeout,
                                                       context=self._ssl)
                    conn.set_tunnel(host, port, headers=self._proxy_auth(proxy))
                else:
                    conn = http.client.HTTPSConnection(host, port, timeout=self.connect_timeout,
                                                       context=self._ssl)
            elif proxy:
                conn = http.client.HTTPConnection(proxy.hostname, proxy.port or 80,
                                                  timeout=self.connect_timeout)
                conn._siberia_proxy = True  # type: ignore[attr-defined]
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
            conn.connect()
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise _ConnectFailed(e) from e
        conn.sock.settimeout(self.timeout)
        self._connections[key] = conn
        return conn

    @staticmethod
    def _proxy_auth(proxy: urllib.parse.SplitResult) -> dict[str, str]:
        if not proxy.username:
            return {}
        raw = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode("utf-8")
        return {"Proxy-Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}

    def _exchange(self, method: str, url: urllib.parse.SplitResult, target: str, body: bytes | None,
                  headers: dict[str, str], timeout: float | None = None) -> Response:
        scheme = url.scheme.lower()
        port = url.port or (443 if scheme == "https" else 80)
        host = url.hostname or ""
        conn = self._connection(scheme, host, port)
        conn.sock.settimeout(self.timeout if timeout is None else timeout)
        key = (scheme, host, port)
        sent_target = target
        if getattr(conn, "_siberia_proxy", False):
            sent_target = urlunsplit((scheme, url.netloc.rpartition("@")[2], "", "", "")) + target
            headers = {**headers, **self._proxy_auth(self._proxy_for(scheme, host))}  # type: ignore[arg-type]
        early = False
        try:
            try:
                conn.request(method, sent_target, body=body, headers=headers)
            except OSError:
                # A store may answer (401 to an unauthenticated upload, 413) and close before
                # reading the whole body; its answer is still there to read.
                r = self._early_response(conn, method)
                if r is None:
                    raise
                early = True
            else:
                r = conn.getresponse()
            content = r.read()
        except BaseException:
            conn.close()
            self._connections.pop(key, None)
            raise
        if early or r.will_close or conn.sock is None:
            conn.close()
            self._connections.pop(key, None)
        return Response(r.status, r.reason, r.headers, content)

    @staticmethod
    def _early_response(conn: http.client.HTTPConnection,
                        method: str) -> http.client.HTTPResponse | None:
        if conn.sock is None:
            return None
        try:
            r = conn.response_class(conn.sock, method=method)
            r.begin()
            return r
        except (OSError, http.client.HTTPException):
            return None

    # -- one request, authenticated --

    def send(self, method: str, url: str, *, params: dict | None = None, data: dict | None = None,
             content: bytes | None = None, headers: dict | None = None,
             timeout: float | None = None) -> Response:
        """timeout: for this request's answer, instead of the transport's (a deadline's rest)."""
        u = urlsplit(url)
        if u.scheme.lower() not in ("http", "https") or not u.hostname:
            raise PublishError(f"not an http(s) URL: {url!r}")
        query = u.query
        if params:
            query = (query + "&" if query else "") + urlencode(params)
        target = (u.path or "/") + (f"?{query}" if query else "")
        all_headers = {**self.headers, **(headers or {})}
        body = content
        if data is not None:
            body = urlencode(data).encode("ascii")
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is None and method in ("POST", "PUT"):
            body = b""
        origin = (u.scheme.lower(), u.netloc.rpartition("@")[2].lower())

        def authorization() -> str | None:
            if self.token:
                return f"Bearer {self.token}"
            scheme = self._schemes.get(origin)
            if scheme == "basic":
                raw = f"{self.user}:{self.password}".encode("utf-8")
                return "Basic " + base64.b64encode(raw).decode("ascii")
            if scheme == "digest":
                return self._digest[origin].header(self.user or "", self.password, method,
                                                   target, body or b"")
            return None

        def attempt() -> Response:
            h = dict(all_headers)
            auth = authorization()
            if auth:
                h["Authorization"] = auth
            return self._exchange(method, u, target, body, h, timeout)

        r = attempt()
        if r.status_code != 401 or not self.user:
            return r
        challenges = parse_challenges(r.headers.get_all("WWW-Authenticate") or [])
        sent = self._schemes.get(origin)
        if "digest" in challenges:
            if sent == "basic":
                return r
            # first challenge, or a new nonce (stale, or expired): answer it once
            self._schemes[origin] = "digest"
            self._digest[origin] = DigestState(challenges["digest"])
        elif sent is None and ("basic" in challenges or not challenges):
            # Basic as asked, or as the default where a 401 names no scheme at all
            self._schemes[origin] = "basic"
        else:
            return r
        return attempt()


@dataclass
class Endpoints:
    query: str
    update: str
    gsp: str
    server: str = ""          # the Server header of the query endpoint
    kind: str = "generic"     # virtuoso, fuseki, graphdb, oxigraph or generic


def _with_path(url: str, path: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, path, "", ""))


def derive_endpoints(endpoint: str, server: str = "", credentials: bool = False,
                     update: str | None = None, gsp: str | None = None) -> Endpoints:
    """Where to send updates and Graph Store requests, from the query endpoint and what the server
    says it is. Explicit --update-endpoint / --gsp-endpoint always win."""
    path = urlsplit(endpoint).path.rstrip("/")
    kind = "generic"
    d_update = d_gsp = endpoint
    if "virtuoso" in server.lower():  # also behind a proxy that adds its own Server header
        kind = "virtuoso"
        if credentials:
            d_update = _with_path(endpoint, "/sparql-auth")
            d_gsp = _with_path(endpoint, "/sparql-graph-crud-auth")
        else:
            d_update = _with_path(endpoint, "/sparql")
            d_gsp = _with_path(endpoint, "/sparql-graph-crud")
    elif m := re.match(r"^(.*/repositories/[^/]+)(/.*)?$", path):
        kind = "graphdb"  # GraphDB and RDF4J server
        d_update = _with_path(endpoint, m.group(1) + "/statements")
        d_gsp = _with_path(endpoint, m.group(1) + "/rdf-graphs/service")
    elif "fuseki" in server.lower():
        kind = "fuseki"
        base = re.sub(r"/(query|sparql|update|data|get)$", "", path)
        d_update = _with_path(endpoint, base + "/update")
        d_gsp = _with_path(endpoint, base + "/data")
    elif "oxigraph" in server.lower() or path.endswith("/query"):
        kind = "oxigraph" if "oxigraph" in server.lower() else "generic"
        if path.endswith("/query"):
            d_update = _with_path(endpoint, path[:-len("/query")] + "/update")
            d_gsp = _with_path(endpoint, path[:-len("/query")] + "/store")
    return Endpoints(query=endpoint, update=update or d_update, gsp=gsp or d_gsp, server=server,
                     kind=kind)


class StoreClient:
    """One HTTP client for the store: authentication, timeouts, retries, readable errors."""

    def __init__(self, *, user: str | None = None, password: str | None = None,
                 token: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = DEFAULT_RETRIES, backoff: float = 1.0, max_wait: float = 120.0,
                 max_time: float | None = None, log: Callable[[str], None] | None = None):
        """max_time: seconds for everything this client does, retries and waits included; a
        request is not started, a retry not waited for, and an answer not awaited past it."""
        if token and (user or password):
            raise PublishError("give either --user/--password or --token, not both")
        if bool(user) != bool(password):
            raise PublishError("give both --user and --password")
        self.user, self.token = user, token
        self.timeout = timeout
        self.http = Transport(user=user, password=password, token=token, timeout=timeout,
                              headers={"User-Agent": f"siberia-kg/{__version__} (publish)"})
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.log = log or (lambda message: None)
        self.retried = 0
        self.requests = 0
        self.max_time = max_time
        self.deadline = None if max_time is None else time.monotonic() + max_time

    def close(self) -> None:
        self.http.close()

    def left(self) -> float | None:
        """Seconds to the deadline (None: no deadline)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    @contextmanager
    def grace(self):
        """Past or near the deadline, one more try of each request without it: to learn what a
        failed swap left and to drop the temporary graphs, which is worth one request each.
        Without a deadline it changes nothing."""
        if self.deadline is None:
            yield self
            return
        saved = self.deadline, self.retries
        self.deadline, self.retries = None, 0
        try:
            yield self
        finally:
            self.deadline, self.retries = saved

    def backoff_wait(self, attempt: int) -> float:
        """Seconds to wait before retry `attempt`: exponential, jittered, so that retries do not
        keep meeting the same busy moment (or the same reader's lock)."""
        return self.backoff * 2 ** (attempt - 1) * (0.75 + random.random() / 2)

    def ends_past_deadline(self, wait: float) -> bool:
        left = self.left()
        return left is not None and wait >= left

    def out_of_time(self, what: str) -> PublishError:
        return HTTPFailure(f"{what}: not tried, --max-time {self.max_time:g} s is over",
                           sent=False)

    # -- one request, with retries on transient failures --

    def request(self, method: str, url: str, *, what: str, retry: bool | int = True,
                **kwargs) -> Response:
        """retry: True for the client's number of retries, False for none, or a number.
        kwargs: params (query string), data (form fields), content (bytes), headers."""
        retries = self.retries if retry is True else int(retry)
        attempts = 1 + retries
        for attempt in range(1, attempts + 1):
            wait = None
            left = self.left()
            if left is not None and left <= 0:
                raise self.out_of_time(what)
            try:
                self.requests += 1
                response = self.http.send(method, url, timeout=None if left is None else
                                          min(self.timeout, left), **kwargs)
            except _ConnectFailed as e:
                failure = self._connect_failure(e.error, url, what)
            except (OSError, http.client.HTTPException) as e:
                failure = self._transport_failure(e, url, what, left)
            else:
                if response.is_success:
                    return response
                failure = self._http_failure(response, url, what)
                wait = parse_retry_after(response.headers.get("Retry-After"))
            if not failure.transient or attempt == attempts:
                raise failure
            if wait is None:
                wait = self.backoff_wait(attempt)
            wait = min(wait, self.max_wait)
            if self.ends_past_deadline(wait):
                failure.args = (f"{failure}; not retried: --max-time {self.max_time:g} s would "
                                f"be over",)
                raise failure
            self.retried += 1
            self.log(f"{what}: {failure}; retrying in {wait:.1f} s (attempt {attempt + 1} of "
                     f"{attempts})")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _connect_failure(self, e: BaseException, url: str, what: str) -> PublishError:
        if isinstance(e, ssl.SSLCertVerificationError):
            return PublishError(f"cannot reach the store at {url}: its TLS certificate is not "
                                f"trusted ({e.verify_message or e}); the system's CA "
                                f"certificates are used (or SSL_CERT_FILE)")
        if isinstance(e, TimeoutError):
            return HTTPFailure(f"{what} timed out at {url} (no connection within "
                               f"{min(self.timeout, 30.0):.0f} s); a larger --timeout may help",
                               transient=True, sent=False)
        return Unreachable(f"cannot reach the store at {url}: {e or type(e).__name__}. "
                           f"Is it running, and is the URL right?")

    def _transport_failure(self, e: BaseException, url: str, what: str,
                           left: float | None = None) -> HTTPFailure:
        # the request may have reached the store: only idempotent requests are retried
        if isinstance(e, TimeoutError):
            if left is not None and left < self.timeout:
                return HTTPFailure(f"{what} timed out at {url}: no answer before --max-time "
                                   f"{self.max_time:g} s was over")
            return HTTPFailure(f"{what} timed out at {url} (no answer within "
                               f"{self.timeout:.0f} s); a larger --timeout may help",
                               transient=True)
        return HTTPFailure(f"{what} failed at {url}: {type(e).__name__}: {e}", transient=True)

    def _http_failure(self, r: Response, url: str, what: str) -> HTTPFailure:
        body = r.text[:2000] if r.content else ""
        short = " ".join(body.split())[:300]
        status = r.status_code
        if status == 401:
            if self.token:
                hint = "check --token"
            elif self.user:
                hint = f"check --user/--password (the store refused user {self.user!r})"
            else:
                hint = "the store needs credentials: give --user and --password, or --token"
            return AuthError(f"HTTP 401 Unauthorized from {url}: {hint}")  # type: ignore[return-value]
        if status == 403 or "SR186" in body:  # Virtuoso reports missing rights as a 500 SR186
            return AuthError(  # type: ignore[return-value]
                f"HTTP {status} {'Forbidden' if status == 403 else '(no permission)'} from {url} "
                f"for {what}: this account or endpoint may not "
                f"write (on Virtuoso, writes go to /sparql-auth and /sparql-graph-crud-auth with "
                f"a user that has the SPARQL_UPDATE role)")
        transient = status >= 500 or status in (408, 429)
        hint = virtuoso_hint(body)
        if hint:
            transient = transient and "TransactionAfterImageLimit" not in hint
        message = f"{what} failed: HTTP {status} from {url}" + (f": {short}" if short else "")
        if hint:
            message += f" ({hint})"
        return HTTPFailure(message, status=status, body=body, transient=transient)

    # -- SPARQL --

    def select(self, endpoint: str, query: str, what: str = "query") -> list[dict]:
        r = self.request("POST", endpoint, what=what, data={"query": query},
                         headers={"Accept": "application/sparql-results+json"})
        if r.headers.get("X-SQL-State", "").upper() == "S1TAT":  # Virtuoso "anytime" partial answer
            raise PublishError(f"{what}: the store answered only in part (its query time limit, "
                               f"Virtuoso's MaxQueryExecutionTime, was reached)")
        try:
            return r.json()["results"]["bindings"]
        except (ValueError, KeyError) as e:
            raise PublishError(f"{what}: {endpoint} did not answer with SPARQL JSON results "
                               f"({r.headers.get('Content-Type')}); is it a SPARQL query "
                               f"endpoint?") from e

    def count(self, endpoint: str, graph: str) -> int:
        rows = self.select(endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> "
                                     f"{{ ?s ?p ?o }} }}", what=f"counting <{graph}>")
        return int(rows[0]["n"]["value"]) if rows else 0

    def counts(self, endpoint: str, graphs: list[str]) -> dict[str, int]:
        if len(graphs) == 1:
            return {graphs[0]: self.count(endpoint, graphs[0])}
        found: dict[str, int] = {g: 0 for g in graphs}
        for i in range(0, len(graphs), 200):
            values = " ".join(f"<{g}>" for g in graphs[i:i + 200])
            rows = self.select(endpoint, f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g "
                                         f"{{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g",
                               what="counting graphs")
            for b in rows:
                found[b["g"]["value"]] = int(b["n"]["value"])
        return found

    def update(self, endpoint: str, text: str, what: str,
               retry: bool | int = True) -> Response:
        return self.request("POST", endpoint, what=what, retry=retry, data={"update": text},
                            headers={"Accept": "*/*"})


def virtuoso_hint(body: str) -> str:
    if "after image size went above the limit" in body:
        return ("Virtuoso refuses transactions larger than TransactionAfterImageLimit: raise it in "
                "the [Parameters] section of virtuoso.ini, see docs/publishing.md")
    if "SR171" in body or "Transaction timed out" in body:
        return "Virtuoso's transaction timed out waiting for locks; try again when the store is idle"
    if "SR172" in body or "deadlock" in body.lower():
        return "deadlock, retried"
    return ""


# ---------------------------------------------------------------------------------------------
# publishing


@dataclass
class PublishOptions:
    endpoint: str
    graph: str
    user: str | None = None
    password: str | None = None
    token: str | None = None
    protocol: str = "gsp"                    # gsp or update
    chunk_triples: int = DEFAULT_CHUNK_TRIPLES
    keep_graphs: bool = False
    dry_run: bool = False
    update_endpoint: str | None = None
    gsp_endpoint: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = 1.0
    max_time: float | None = None            # seconds for the whole run; None: no limit
    clean_stale: bool = False
    workdir: Path | None = None


@dataclass
class PublishResult:
    graph: str
    triples: int = 0
    graphs: int = 0
    chunks: int = 0
    retries: int = 0
    requests: int = 0
    stage_seconds: float = 0.0
    upload_seconds: float = 0.0
    verify_seconds: float = 0.0
    swap_seconds: float = 0.0
    seconds: float = 0.0
    previous: int | None = None
    endpoints: Endpoints | None = None
    dry_run: bool = False
    stale_dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def triples_per_second(self) -> float:
        return self.triples / self.upload_seconds if self.upload_seconds else 0.0


Progress = Callable[[int], None]


def tmp_name(graph: str, token: str) -> str:
    return f"{graph}{TMP_INFIX}{token}"


def publish(files: list[Path], options: PublishOptions, *, progress: Progress | None = None,
            log: Callable[[str], None] | None = None,
            staged: Staged | None = None,
            start: Callable[[int], None] | None = None) -> PublishResult:
    """Publish the statements of `files` into the store; see the module docstring.
    progress(n) is called after each uploaded chunk of n triples, start(total) before the first."""
    log = log or (lambda message: None)
    progress = progress or (lambda n: None)
    check_iri(options.graph)
    check_url(options.endpoint, "--endpoint")
    for url, what in ((options.update_endpoint, "--update-endpoint"),
                      (options.gsp_endpoint, "--gsp-endpoint")):
        if url is not None:
            check_url(url, what)
    if staged is None:
        check_formats(files)
    if options.protocol not in ("gsp", "update"):
        raise PublishError(f"unknown protocol {options.protocol!r} (gsp or update)")
    if options.chunk_triples < 1:
        raise PublishError("--chunk-triples must be at least 1")
    started = time.monotonic()
    result = PublishResult(graph=options.graph, dry_run=options.dry_run)
    client = StoreClient(user=options.user, password=options.password, token=options.token,
                         timeout=options.timeout, retries=options.retries,
                         backoff=options.backoff, max_time=options.max_time, log=log)
    own_stage = staged is None
    writing = False
    try:
        endpoints = probe(client, options)
        result.endpoints = endpoints
        log(f"store: {endpoints.server or 'unknown server'} ({endpoints.kind}); query "
            f"{endpoints.query}, " + (f"graph store {endpoints.gsp}" if options.protocol == "gsp"
                                      else f"update {endpoints.update}"))
        if endpoints.kind == "virtuoso" and not options.dry_run and not (options.user or options.token):
            raise AuthError("Virtuoso accepts writes only from an authenticated user: give --user "
                            "and --password (a fresh Virtuoso has dba / dba; change it)")
        if endpoints.kind == "virtuoso":
            warning = virtuoso_isolation_warning(client, endpoints)
            if warning:
                result.warnings.append(warning)
                log(f"warning: {warning}")

        t = time.monotonic()
        if staged is None:
            staged = stage(files, options.graph, options.keep_graphs, options.workdir)
        result.stage_seconds = time.monotonic() - t
        result.triples = staged.total
        result.graphs = len(staged.graphs)
        if result.triples == 0:
            raise PublishError("nothing to publish: the dumps hold no statements")
        result.chunks = sum(staged.chunk_count(g, options.chunk_triples) for g in staged.graphs)
        log(f"{result.triples} triples in {result.graphs} graph(s), {result.chunks} chunk(s) of "
            f"at most {options.chunk_triples}")

        if options.clean_stale:
            writing = not options.dry_run
            result.stale_dropped = drop_stale(client, endpoints, staged, options, log)
        if options.dry_run:
            return result
        if start:
            start(result.triples)
        writing = True
        _publish_staged(client, endpoints, staged, options, result, progress, log)
        result.retries = client.retried
        result.requests = client.requests
        return result
    except KeyboardInterrupt:
        if not writing:
            log("interrupted before anything was written: the store is unchanged")
        raise
    finally:
        if own_stage and staged is not None:
            staged.close()
        client.close()
        result.seconds = time.monotonic() - started


def probe(client: StoreClient, options: PublishOptions) -> Endpoints:
    """Check that the endpoint answers SPARQL, learn what server it is, and derive the others."""
    url = check_url(options.endpoint, "--endpoint")
    r = client.request("GET", url, what="checking the endpoint", retry=min(2, client.retries),
                       params={"query": "ASK {}"},
                       headers={"Accept": "application/sparql-results+json"})
    try:
        if "boolean" not in r.json():
            raise ValueError
    except ValueError as e:
        raise PublishError(f"{url} did not answer a SPARQL ASK with JSON results; give the "
                           f"store's SPARQL query endpoint as --endpoint") from e
    return derive_endpoints(url, r.header("Server"),
                            credentials=bool(options.user or options.token),
                            update=options.update_endpoint, gsp=options.gsp_endpoint)


def virtuoso_isolation_warning(client: StoreClient, endpoints: Endpoints) -> str | None:
    """Virtuoso has no snapshot reads: with its default READ COMMITTED (2) a reader that runs
    during the commit of the swap can see part of it, and in our tests REPEATABLE READ (4) still
    let a reader see part of a MOVE now and then; with SERIALIZABLE (8) none did: readers wait for
    the commit instead."""
    try:
        rows = client.select(endpoints.query, 'SELECT (bif:virtuoso_ini_item_value("Parameters", '
                                              '"DefaultIsolation") AS ?i) WHERE {}',
                             what="reading Virtuoso's DefaultIsolation")
        value = rows[0]["i"]["value"] if rows and "i" in rows[0] else ""
    except PublishError:
        return None
    if value.strip() == "8":
        return None
    return ("this Virtuoso runs with DefaultIsolation = " + (value.strip() or "2 (default)") +
            ": the swap is one transaction, but readers that query during its commit may see "
            "part of it; set DefaultIsolation = 8 (SERIALIZABLE) in virtuoso.ini for "
            "all-or-nothing reads (docs/publishing.md)")


def find_stale(client: StoreClient, endpoints: Endpoints, staged: Staged) -> list[str]:
    """Temporary graphs of our target graphs in the store: left behind by runs that were killed
    (or lost the store) before they could drop them, or belonging to a run going on now."""
    targets = {g.target for g in staged.graphs}
    rows = client.select(endpoints.query,
                         'SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } '
                         'FILTER(REGEX(STR(?g), "-tmp-[0-9a-f]{16}$")) }',
                         what="looking for stale temporary graphs")
    return sorted(b["g"]["value"] for b in rows
                  if b["g"]["value"].rsplit(TMP_INFIX, 1)[0] in targets)


def drop_stale(client: StoreClient, endpoints: Endpoints, staged: Staged,
               options: PublishOptions, log) -> list[str]:
    """Drop temporary graphs that interrupted runs (killed, power cut) left behind."""
    stale = find_stale(client, endpoints, staged)
    if stale and not options.dry_run:
        client.update(endpoints.update, " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in stale),
                      what="dropping stale temporary graphs")
    for g in stale:
        log(("would drop" if options.dry_run else "dropped") + f" stale temporary graph <{g}>")
    return stale


def _publish_staged(client: StoreClient, endpoints: Endpoints, staged: Staged,
                    options: PublishOptions, result: PublishResult, progress: Progress,
                    log) -> None:
    token = secrets.token_hex(8)
    tmps = {g.target: tmp_name(g.target, token) for g in staged.graphs}
    uploaded: list[str] = []
    accepted = [0]  # upload requests the store accepted
    swapping = False

    def chunk_done(n: int) -> None:
        accepted[0] += 1
        progress(n)

    try:
        t = time.monotonic()
        for g in staged.graphs:
            uploaded.append(tmps[g.target])
            upload_graph(client, endpoints, staged, g, tmps[g.target], options, chunk_done)
        result.upload_seconds = time.monotonic() - t

        t = time.monotonic()
        got = client.counts(endpoints.query, [tmps[g.target] for g in staged.graphs])
        wrong = [(g, got.get(tmps[g.target], 0)) for g in staged.graphs
                 if got.get(tmps[g.target], 0) != g.count]
        if wrong:
            g, n = wrong[0]
            raise CountMismatch(
                f"the store holds {n} triples in the temporary graph <{tmps[g.target]}>, but "
                f"{g.count} were sent" + (f" ({len(wrong)} graphs differ)" if len(wrong) > 1 else "")
                + "; nothing was replaced. (A store that merges literals equal in value, such as "
                  "\"01\"^^xsd:integer and \"1\"^^xsd:integer, counts fewer.)")
        result.verify_seconds = time.monotonic() - t

        t = time.monotonic()
        swapping = True
        result.previous = swap(client, endpoints, staged, tmps, options, log)
        result.swap_seconds = time.monotonic() - t
        uploaded = []  # moved into place: nothing to clean up
    except BaseException as e:
        if swapping and not isinstance(e, PublishError):
            # interrupted while the swap request may be running: dropping the temporary graphs
            # now could race it
            log("interrupted during the swap: the store has either the old graph or the new "
                "one; the temporary graph(s) " + ", ".join(f"<{t}>" for t in uploaded)
                + " may be left: run publish again with --clean-stale")
            raise
        # Refused credentials before anything was accepted: nothing was written, and the same
        # credentials could not drop anything either. A swap of unknown outcome keeps them.
        if uploaded and not (isinstance(e, AuthError) and accepted[0] == 0) and \
                not isinstance(e, SwapUncertain):
            with client.grace():
                problem = cleanup(client, endpoints, uploaded)
            if problem and isinstance(e, PublishError):
                e.args = (f"{e}\n{problem}",)  # the same error, with what is left to do
            elif problem:
                log(problem)
            elif not isinstance(e, PublishError):
                log("interrupted: the temporary graph was dropped; the old graph is unchanged")
        raise


def upload_graph(client: StoreClient, endpoints: Endpoints, staged: Staged, g: StagedGraph,
                 tmp: str, options: PublishOptions, progress: Progress) -> None:
    content_type = "application/n-triples"
    for i, (data, n) in enumerate(staged.chunks(g, options.chunk_triples)):
        what = f"uploading chunk {i + 1} ({n} triples) of <{g.target}>"
        if options.protocol == "update":
            text = insert_data(tmp, data, len(g.bnode_triples) if i == 0 else 0)
            if i == 0:  # a retried first chunk must not add its blank nodes twice
                text = f"DROP SILENT GRAPH <{tmp}> ;\n" + text
            if endpoints.kind == "virtuoso":
                # pass the data as constants, not as generated SQL (which is limited to 10,000
                # lines, about 2,000 triples)
                text = "define sql:big-data-const 1\n" + text
            client.update(endpoints.update, text, what=what)
        else:
            method = "PUT" if i == 0 else "POST"
            try:
                client.request(method, endpoints.gsp, what=what, params={"graph": tmp},
                               content=data, headers={"Content-Type": content_type})
            except HTTPFailure as e:
                if e.status == 415 and content_type != "text/turtle":
                    content_type = "text/turtle"  # N-Triples is Turtle, for older stores
                    client.request(method, endpoints.gsp, what=what, params={"graph": tmp},
                                   content=data, headers={"Content-Type": content_type})
                elif e.status in (404, 405):
                    raise PublishError(
                        f"{e}: {endpoints.gsp} does not speak the Graph Store Protocol; give "
                        f"--gsp-endpoint, or use --protocol update") from e
                else:
                    raise
        progress(n)


def insert_data(graph: str, data: bytes, together: int = 0) -> str:
    """N-Triples as SPARQL Update INSERT DATA operations of at most UPDATE_OP_TRIPLES triples
    each, in one request (Virtuoso's SPARQL parser gives up at about 5,000 triples in one). The
    first `together` lines, the blank-node triples, stay in the first operation: a blank node
    label must not appear in two operations of a request."""
    lines = [line for line in data.split(b"\n") if line.strip()]  # N-Triples: one per line
    first = max(UPDATE_OP_TRIPLES, together)
    groups = [lines[:first]] + [lines[k:k + UPDATE_OP_TRIPLES]
                                for k in range(first, len(lines), UPDATE_OP_TRIPLES)]
    return " ;\n".join(f"INSERT DATA {{ GRAPH <{graph}> {{\n"
                        + b"\n".join(group).decode("utf-8") + "\n} }" for group in groups)


def _update_prefix(endpoints: Endpoints) -> str:
    # Virtuoso: run the whole request as one transaction without row-by-row autocommit.
    return "define sql:log-enable 1\n" if endpoints.kind == "virtuoso" else ""


def swap(client: StoreClient, endpoints: Endpoints, staged: Staged, tmps: dict[str, str],
         options: PublishOptions, log) -> int | None:
    """Move the verified temporary graphs into place with one update request. Returns the old
    triple count of the target graph (union mode)."""
    targets = [g.target for g in staged.graphs]
    previous = client.counts(endpoints.query, targets)
    ops = [f"MOVE <{tmps[t]}> TO <{t}>" for t in targets]
    if options.keep_graphs:
        # graphs of the previous publication that this one no longer has
        gone = [iri for iri in previous_parts(client, endpoints, options.graph)
                if iri not in tmps]
        ops += [f"DROP SILENT GRAPH <{iri}>" for iri in gone]
    text = _update_prefix(endpoints) + " ;\n".join(ops)
    expected = {g.target: g.count for g in staged.graphs}
    for attempt in range(1, 2 + options.retries):
        try:
            client.update(endpoints.update, text, what="swapping the new graph in", retry=False)
        except PublishError as e:
            with client.grace():
                state = swap_state(client, endpoints, tmps, expected)
            if state == "done":
                log(f"the swap request failed ({e}), but the store shows it complete")
                break
            over = request_over(e)
            if state == "not-started" and over:
                if getattr(e, "transient", False) and attempt <= options.retries:
                    wait = client.backoff_wait(attempt)
                    if client.ends_past_deadline(wait):
                        raise PublishError(f"{e}\nthe old graph is unchanged; the swap was not "
                                           f"retried: --max-time {options.max_time:g} s would "
                                           f"be over") from e
                    log(f"the swap failed and changed nothing ({e}); retrying in {wait:.1f} s")
                    time.sleep(wait)
                    continue
                raise PublishError(f"{e}\nthe old graph is unchanged") from e
            left = ", ".join(f"<{t}>" for t in tmps.values())
            why = ("the store may still be running the swap" if state == "not-started" else
                   f"after the failed swap the store is in an unexpected state ({state})")
            raise SwapUncertain(
                f"{e}\n{why}. The temporary graph(s) {left} were kept. Check the triple count of "
                + ", ".join(f"<{t}> (expected {n})" for t, n in expected.items())
                + " in a while, then run publish again with --clean-stale to drop what is "
                  "left") from e
        break
    # the graphs now hold exactly what was sent
    after = client.counts(endpoints.query, targets)
    for t in targets:
        if after.get(t, 0) != expected[t]:
            raise CountMismatch(f"after the swap <{t}> holds {after.get(t, 0)} triples, "
                                f"expected {expected[t]}: another client may have written to it")
    return previous.get(options.graph)


def request_over(e: BaseException) -> bool:
    """Whether a failed request is certainly not running on the store: no connection was
    opened, or the store itself answered with an error (not a gateway's 502 or 504, behind which
    it may still be working). A timeout or a connection lost after sending tells nothing."""
    if not getattr(e, "sent", True) or isinstance(e, AuthError):
        return True
    status = getattr(e, "status", None)
    return status is not None and status not in (502, 504)


def swap_state(client: StoreClient, endpoints: Endpoints, tmps: dict[str, str],
               expected: dict[str, int]) -> str:
    try:
        now_tmp = client.counts(endpoints.query, list(tmps.values()))
        now_target = client.counts(endpoints.query, list(tmps))
    except PublishError as e:
        return f"unknown: {e}"
    if all(now_tmp.get(tmps[t], 0) == n for t, n in expected.items()):
        return "not-started"
    if all(now_tmp.get(tmps[t], 0) == 0 for t in tmps) and \
            all(now_target.get(t, 0) == n for t, n in expected.items()):
        return "done"
    return "partial: " + ", ".join(f"<{t}> {now_target.get(t, 0)}" for t in tmps)


def previous_parts(client: StoreClient, endpoints: Endpoints, graph: str) -> list[str]:
    rows = client.select(endpoints.query, f"SELECT ?g WHERE {{ GRAPH <{graph}> {{ <{graph}> "
                                          f"<{DCTERMS_HAS_PART}> ?g }} }}",
                         what="reading the previous publication's graphs")
    return [b["g"]["value"] for b in rows]


def cleanup(client: StoreClient, endpoints: Endpoints, tmps: list[str]) -> str | None:
    """Drop the temporary graphs; returns a message when that was not possible."""
    text = " ;\n".join(f"DROP SILENT GRAPH <{t}>" for t in tmps)
    try:
        client.update(endpoints.update, text, what="dropping the temporary graph")
        return None
    except PublishError as e:
        return (f"could not drop the temporary graph(s) {', '.join(f'<{t}>' for t in tmps)} "
                f"({e}); drop them with `{text}` or run publish again with --clean-stale")


@contextmanager
def staged_files(files: list[Path], graph: str, keep_graphs: bool = False,
                 workdir: Path | None = None):
    s = stage(files, graph, keep_graphs, workdir)
    try:
        yield s
    finally:
        s.close()


def default_workdir() -> Path | None:
    d = os.environ.get("SIBERIA_KG_TMP")
    return Path(d) if d else None
