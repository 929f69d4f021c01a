"""Publish the built graph into an external SPARQL 1.1 store, replacing the old version atomically.

The dumps (N-Quads) are staged in a local Oxigraph store, which removes duplicate statements and
gives the exact number of triples the store must end up with. They are then uploaded in chunks
into a temporary graph ``<graph>-tmp-<random>`` through the SPARQL 1.1 Graph Store HTTP Protocol
(the first chunk with PUT, the others with POST; N-Triples) or, where a store offers nothing else,
SPARQL Update ``INSERT DATA``. The temporary graph's triple count is checked with a SPARQL COUNT on
the store, and only then is it swapped in with one SPARQL Update request (``MOVE``), which stores
with transactional updates execute as one transaction: readers see the old graph or the new one,
and a failure at any step leaves the old graph as it was and the temporary graph dropped.

Transient failures (connection reset, timeouts, HTTP 5xx, 429 with Retry-After) are retried with
exponential backoff; chunk uploads are idempotent (the first is a PUT, the others add ground
triples, and every blank-node statement travels in the first chunk), so retrying never duplicates
anything. The swap is never retried blindly: after a failed swap the counts of both graphs tell
whether it happened, and it is retried only when it certainly did not.

See docs/publishing.md for the choices made for Virtuoso, Fuseki, GraphDB, QLever and cluster
stores.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from . import __version__

DEFAULT_CHUNK_TRIPLES = 50_000
DEFAULT_TIMEOUT = 600.0
DEFAULT_RETRIES = 5
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
    def __init__(self, message: str, status: int | None = None, body: str = "",
                 transient: bool = False):
        super().__init__(message)
        self.status = status
        self.body = body
        self.transient = transient


class Unreachable(UnreachableError):
    transient = True


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
        which must arrive in one request to stay one node in the store)."""
        batch: list = list(graph.bnode_triples)
        limit = max(size, len(batch))
        emitted = False
        for q in self.store.quads_for_pattern(None, None, None, graph.source):
            batch.append(q.triple)
            if len(batch) >= limit:
                yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES), len(batch)
                batch, limit, emitted = [], size, True
        if batch or not emitted:
            yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES), len(batch)

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


class ChallengeAuth(httpx.Auth):
    """HTTP Basic or Digest, whichever the store's 401 challenge asks for; after the first
    challenge every request is authenticated up front (Digest reuses the server's nonce), so a
    chunk is not sent twice."""

    requires_request_body = True

    def __init__(self, user: str, password: str):
        self.basic = httpx.BasicAuth(user, password)
        self.digest = httpx.DigestAuth(user, password)
        self.scheme: str | None = None

    def auth_flow(self, request):
        if self.scheme == "basic":
            yield from self.basic.auth_flow(request)
            return
        if self.scheme == "digest":
            yield from self.digest.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        schemes = [h.split(None, 1)[0].lower() for h in response.headers.get_list("www-authenticate")
                   if h.strip()]
        if "digest" in schemes:
            self.scheme = "digest"
            flow = self.digest.auth_flow(request)
            next(flow)  # the unauthenticated request we already sent
            try:
                response = yield flow.send(response)
                flow.send(response)
            except StopIteration:
                pass
        elif "basic" in schemes:
            self.scheme = "basic"
            yield from self.basic.auth_flow(request)


class BearerAuth(httpx.Auth):
    def __init__(self, token: str):
        self.token = token

    def auth_flow(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


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
    if server.lower().startswith("virtuoso"):
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
                 log: Callable[[str], None] | None = None,
                 transport: httpx.BaseTransport | None = None):
        if token and (user or password):
            raise PublishError("give either --user/--password or --token, not both")
        if bool(user) != bool(password):
            raise PublishError("give both --user and --password")
        self.user, self.token = user, token
        auth: httpx.Auth | None = None
        if token:
            auth = BearerAuth(token)
        elif user:
            auth = ChallengeAuth(user, password or "")
        kwargs = {"transport": transport} if transport is not None else {}
        self.http = httpx.Client(
            auth=auth, timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
            headers={"User-Agent": f"siberia-kg/{__version__} (publish)"}, **kwargs)
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.log = log or (lambda message: None)
        self.retried = 0
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    # -- one request, with retries on transient failures --

    def request(self, method: str, url: str, *, what: str, retry: bool | int = True,
                **kwargs) -> httpx.Response:
        """retry: True for the client's number of retries, False for none, or a number."""
        retries = self.retries if retry is True else int(retry)
        attempts = 1 + retries
        for attempt in range(1, attempts + 1):
            wait = None
            try:
                self.requests += 1
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError as e:
                failure = self._transport_failure(e, url, what)
            else:
                if response.is_success:
                    return response
                failure = self._http_failure(response, url, what)
                wait = parse_retry_after(response.headers.get("Retry-After"))
            if not failure.transient or attempt == attempts:
                raise failure
            if wait is None:
                wait = self.backoff * 2 ** (attempt - 1) * (0.75 + random.random() / 2)
            wait = min(wait, self.max_wait)
            self.retried += 1
            self.log(f"{what}: {failure}; retrying in {wait:.1f} s (attempt {attempt + 1} of "
                     f"{attempts})")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _transport_failure(self, e: httpx.TransportError, url: str, what: str) -> HTTPFailure:
        if isinstance(e, httpx.ConnectError):
            return Unreachable(f"cannot reach the store at {url}: {e or type(e).__name__}. "  # type: ignore[return-value]
                               f"Is it running, and is the URL right?")
        if isinstance(e, httpx.TimeoutException):
            return HTTPFailure(f"{what} timed out at {url} ({type(e).__name__}); a larger "
                               f"--timeout may help", transient=True)
        return HTTPFailure(f"{what} failed at {url}: {type(e).__name__}: {e}", transient=True)

    def _http_failure(self, r: httpx.Response, url: str, what: str) -> HTTPFailure:
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
               retry: bool | int = True) -> httpx.Response:
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
            transport: httpx.BaseTransport | None = None,
            staged: Staged | None = None,
            start: Callable[[int], None] | None = None) -> PublishResult:
    """Publish the statements of `files` into the store; see the module docstring.
    progress(n) is called after each uploaded chunk of n triples, start(total) before the first."""
    log = log or (lambda message: None)
    progress = progress or (lambda n: None)
    check_iri(options.graph)
    if options.protocol not in ("gsp", "update"):
        raise PublishError(f"unknown protocol {options.protocol!r} (gsp or update)")
    if options.chunk_triples < 1:
        raise PublishError("--chunk-triples must be at least 1")
    started = time.monotonic()
    result = PublishResult(graph=options.graph, dry_run=options.dry_run)
    client = StoreClient(user=options.user, password=options.password, token=options.token,
                         timeout=options.timeout, retries=options.retries,
                         backoff=options.backoff, log=log, transport=transport)
    own_stage = staged is None
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
        result.chunks = sum(max(1, -(-g.count // options.chunk_triples)) for g in staged.graphs)
        log(f"{result.triples} triples in {result.graphs} graph(s), {result.chunks} chunk(s) of "
            f"at most {options.chunk_triples}")

        if options.clean_stale:
            result.stale_dropped = drop_stale(client, endpoints, staged, options, log)
        if options.dry_run:
            return result
        if start:
            start(result.triples)
        _publish_staged(client, endpoints, staged, options, result, progress, log)
        result.retries = client.retried
        result.requests = client.requests
        return result
    finally:
        if own_stage and staged is not None:
            staged.close()
        client.close()
        result.seconds = time.monotonic() - started


def probe(client: StoreClient, options: PublishOptions) -> Endpoints:
    """Check that the endpoint answers SPARQL, learn what server it is, and derive the others."""
    url = options.endpoint
    if not re.match(r"^https?://", url):
        raise PublishError(f"--endpoint must be an http(s) URL: {url!r}")
    r = client.request("GET", url, what="checking the endpoint", retry=min(2, client.retries),
                       params={"query": "ASK {}"},
                       headers={"Accept": "application/sparql-results+json"})
    try:
        if "boolean" not in r.json():
            raise ValueError
    except ValueError as e:
        raise PublishError(f"{url} did not answer a SPARQL ASK with JSON results; give the "
                           f"store's SPARQL query endpoint as --endpoint") from e
    return derive_endpoints(url, r.headers.get("Server", ""),
                            credentials=bool(options.user or options.token),
                            update=options.update_endpoint, gsp=options.gsp_endpoint)


def virtuoso_isolation_warning(client: StoreClient, endpoints: Endpoints) -> str | None:
    """Virtuoso has no snapshot reads: with its default READ COMMITTED a reader that runs during
    the commit of the swap can see part of it. REPEATABLE READ (4) or SERIALIZABLE (8) make
    readers wait for the commit instead."""
    try:
        rows = client.select(endpoints.query, 'SELECT (bif:virtuoso_ini_item_value("Parameters", '
                                              '"DefaultIsolation") AS ?i) WHERE {}',
                             what="reading Virtuoso's DefaultIsolation")
        value = rows[0]["i"]["value"] if rows and "i" in rows[0] else ""
    except PublishError:
        return None
    if value.strip() in ("4", "8"):
        return None
    return ("this Virtuoso runs with DefaultIsolation = " + (value.strip() or "2 (default)") +
            ": the swap is one transaction, but readers that query during its commit may see "
            "part of it; set DefaultIsolation = 4 in virtuoso.ini for all-or-nothing reads "
            "(docs/publishing.md)")


def drop_stale(client: StoreClient, endpoints: Endpoints, staged: Staged,
               options: PublishOptions, log) -> list[str]:
    """Drop temporary graphs that interrupted runs (killed, power cut) left behind."""
    targets = {g.target for g in staged.graphs}
    rows = client.select(endpoints.query,
                         'SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } '
                         'FILTER(REGEX(STR(?g), "-tmp-[0-9a-f]{16}$")) }',
                         what="looking for stale temporary graphs")
    stale = sorted(b["g"]["value"] for b in rows
                   if b["g"]["value"].rsplit(TMP_INFIX, 1)[0] in targets)
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
        result.previous = swap(client, endpoints, staged, tmps, options, log)
        result.swap_seconds = time.monotonic() - t
        uploaded = []  # moved into place: nothing to clean up
    except BaseException as e:
        # Refused credentials before anything was accepted: nothing was written, and the same
        # credentials could not drop anything either.
        if uploaded and not (isinstance(e, AuthError) and accepted[0] == 0):
            problem = cleanup(client, endpoints, uploaded)
            if problem and isinstance(e, PublishError):
                raise PublishError(f"{e}\n{problem}") from e
            if problem:
                log(problem)
        raise


def upload_graph(client: StoreClient, endpoints: Endpoints, staged: Staged, g: StagedGraph,
                 tmp: str, options: PublishOptions, progress: Progress) -> None:
    content_type = "application/n-triples"
    for i, (data, n) in enumerate(staged.chunks(g, options.chunk_triples)):
        what = f"uploading chunk {i + 1} ({n} triples) of <{g.target}>"
        if options.protocol == "update":
            text = (f"INSERT DATA {{ GRAPH <{tmp}> {{\n" + data.decode("utf-8") + "}}")
            if i == 0:  # a retried first chunk must not add its blank nodes twice
                text = f"DROP SILENT GRAPH <{tmp}> ;\n" + text
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
            state = swap_state(client, endpoints, tmps, expected)
            if state == "done":
                log(f"the swap request failed ({e}), but the store shows it complete")
                break
            if state == "not-started" and getattr(e, "transient", False) and \
                    attempt <= options.retries:
                wait = options.backoff * 2 ** (attempt - 1)
                log(f"the swap failed and changed nothing ({e}); retrying in {wait:.1f} s")
                time.sleep(wait)
                continue
            if state == "not-started":
                raise PublishError(f"{e}\nthe old graph is unchanged") from e
            raise PublishError(f"{e}\nafter the failed swap the store is in an unexpected "
                               f"state ({state}); check the graphs") from e
        break
    # the graphs now hold exactly what was sent
    after = client.counts(endpoints.query, targets)
    for t in targets:
        if after.get(t, 0) != expected[t]:
            raise CountMismatch(f"after the swap <{t}> holds {after.get(t, 0)} triples, "
                                f"expected {expected[t]}: another client may have written to it")
    return previous.get(options.graph)


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
