"""Routes: the read-only SPARQL 1.1 Protocol endpoint at /sparql and its service description.

- ``GET /sparql?query=...``, ``POST`` as ``application/x-www-form-urlencoded`` (``query=...``)
  or as ``application/sparql-query`` (the query is the body); ``default-graph-uri`` and
  ``named-graph-uri`` (repeatable) set the dataset, which otherwise is the union of all graphs.
- Results by ``Accept`` (q-values honoured) or by a ``format`` parameter: SELECT/ASK as JSON
  (default), XML, CSV, TSV; CONSTRUCT/DESCRIBE as Turtle (default), N-Triples, JSON-LD,
  RDF/XML. At most ``max_rows`` rows, with ``X-SPARQL-Truncated: true`` when cut.
- ``GET /sparql`` without a query: the SPARQL 1.1 Service Description (browsers asking for
  HTML are sent to the query page, /query).
- Refused: updates (403), SERVICE (400), malformed queries (400, the parser's message), other
  methods (405), other body types (415), bodies over ``max_body`` bytes (413), queries over
  ``max_query_length`` characters (413). Queries past ``sparql_timeout`` are stopped (503).

The queries themselves run in worker processes (sparql_exec.py); this module only translates
HTTP to jobs and back.
"""

from __future__ import annotations

import os
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ...namespaces import dataset_iri
from .. import conneg
from ..sparql_exec import (DEFAULT_MEMORY_MB, GRAPH_FORMATS, TABULAR_FORMATS, Job, QueryPool,
                           Unavailable)
from ..sparql_guard import READ_ONLY, Refused, inspect, refuse_too_deep

PATH = "/sparql"
QUERY_PAGE = "/query"
ALLOW = "GET, HEAD, POST, OPTIONS"
POOL = "sparql_pool"
DESCRIPTION = "sparql_service_description"

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"

# Media types a client may ask for -> format key, in server preference order (first = default).
TABULAR_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
    "application/x-turtle": "ttl",
    "application/turtle": "ttl",
    "text/n3": "ttl",          # Turtle is a subset of N3
    "text/rdf+n3": "ttl",
    "application/n3": "ttl",
    "application/json": "jsonld",
    "application/xml": "rdf",
    "text/xml": "rdf",
}


def _format_names() -> dict[str, tuple[str | None, str | None]]:
    """The `format` parameter -> (key for SELECT/ASK, key for CONSTRUCT/DESCRIBE): short names
    (those SPARQLWrapper sends among them) and every media type offered above."""
    names: dict[str, tuple[str | None, str | None]] = {
        "json": ("json", "jsonld"), "xml": ("xml", "rdf"), "csv": ("csv", None),
        "tsv": ("tsv", None), "ttl": (None, "ttl"), "turtle": (None, "ttl"), "n3": (None, "ttl"),
        "nt": (None, "nt"), "ntriples": (None, "nt"), "n-triples": (None, "nt"),
        "jsonld": (None, "jsonld"), "json-ld": (None, "jsonld"),
        "rdf": (None, "rdf"), "rdfxml": (None, "rdf"), "rdf+xml": (None, "rdf"),
    }
    for media in {**TABULAR_TYPES, **GRAPH_TYPES}:
        names[media] = (TABULAR_TYPES.get(media), GRAPH_TYPES.get(media))
    return names


FORMAT_NAMES = _format_names()

SD_TYPES = (conneg.HTML, *conneg.RDF_TYPES)
SD_FORMATS = {conneg.TURTLE: ox.RdfFormat.TURTLE, conneg.NTRIPLES: ox.RdfFormat.N_TRIPLES,
              conneg.JSONLD: ox.RdfFormat.JSON_LD, conneg.RDFXML: ox.RdfFormat.RDF_XML}
SD_FORMAT_NAMES = {"ttl": conneg.TURTLE, "turtle": conneg.TURTLE, "nt": conneg.NTRIPLES,
                   "ntriples": conneg.NTRIPLES, "jsonld": conneg.JSONLD, "json-ld": conneg.JSONLD,
                   "json": conneg.JSONLD, "rdf": conneg.RDFXML, "xml": conneg.RDFXML}


def _text(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(message.rstrip("\n") + "\n", status_code=status,
                    media_type="text/plain; charset=utf-8", headers=headers)


class BadRequest(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


# --- reading the request ---------------------------------------------------------------------

def _pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    """application/x-www-form-urlencoded pairs, decoded as UTF-8 strictly (urllib's parse_qsl
    would replace invalid bytes silently)."""
    fields = [f for f in raw.split(b"&") if f]
    if len(fields) > 1000:
        raise BadRequest(400, f"the {where} has more than 1000 parameters")
    pairs = []
    for field_ in fields:
        name, _, value = field_.partition(b"=")
        try:
            pairs.append((unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8"),
                          unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")))
        except UnicodeDecodeError:
            raise BadRequest(400, f"the {where} is not valid UTF-8 once percent-decoded") from None
    return pairs


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk and never beyond ``limit`` bytes (413 past it)."""
    declared = request.headers.get("content-length")
    too_large = f"the request body is larger than this endpoint accepts ({limit} bytes)"
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BadRequest(413, too_large)
        except ValueError:
            raise BadRequest(400, "invalid Content-Length header") from None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(header: str | None) -> tuple[str | None, dict[str, str]]:
    if not header or not header.strip():
        return None, {}
    main, *params = header.split(";")
    options = {}
    for p in params:
        name, _, value = p.partition("=")
        options[name.strip().lower()] = value.strip().strip('"').lower()
    return main.strip().lower(), options


async def _parameters(request: Request, limit: int) -> tuple[list[tuple[str, str]], list[str]]:
    """All protocol parameters (URL and form body) and the direct-POST query, if any."""
    params = _pairs(request.scope.get("query_string", b""), "query string")
    direct: list[str] = []
    if request.method != "POST":
        return params, direct
    media, options = _media_type(request.headers.get("content-type"))
    accepted = f"use {FORM} (query=...) or {DIRECT} (the query as the body)"
    if media is None:
        raise BadRequest(415, f"a POST to {PATH} needs a Content-Type: {accepted}")
    if media == UPDATE:
        raise BadRequest(403, READ_ONLY)
    if media not in (FORM, DIRECT):
        raise BadRequest(415, f"unsupported Content-Type {media!r}: {accepted}")
    charset = options.get("charset", "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise BadRequest(415, f"unsupported charset {charset!r}: SPARQL requests must be UTF-8")
    body = await _read_body(request, limit)
    if media == FORM:
        params += _pairs(body, "form body")
    else:
        try:
            direct.append(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadRequest(400, "the query in the request body is not valid UTF-8") from None
    return params, direct


def _values(params: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in params if k == name]


def _graphs(params: list[tuple[str, str]], name: str) -> list[str]:
    graphs = []
    for iri in _values(params, name):
        try:
            ox.NamedNode(iri)
        except ValueError as e:
            raise BadRequest(400, f"{name} {iri!r} is not an absolute IRI: {e}") from None
        graphs.append(iri)
    return graphs


def _format_keys(params: list[tuple[str, str]], accept: str | None) -> tuple[str | None, str | None]:
    """(tabular key, graph key) from the `format` parameter, else from Accept."""
    names = [v.strip().lower() for v in _values(params, "format") if v.strip()]
    if names:
        unknown = [n for n in names if n not in FORMAT_NAMES]
        if unknown:
            raise BadRequest(400, f"unknown format {unknown[0]!r}; use one of json, xml, csv, tsv "
                                  "(SELECT, ASK) or ttl, nt, jsonld, rdf (CONSTRUCT, DESCRIBE), "
                                  "or a media type")
        chosen = {FORMAT_NAMES[n] for n in names}
        if len(chosen) > 1:
            raise BadRequest(400, f"conflicting format parameters: {', '.join(names)}")
        return chosen.pop()
    tabular = conneg.choose(accept, list(TABULAR_TYPES), "application/sparql-results+json")
    graph = conneg.choose(accept, list(GRAPH_TYPES), "text/turtle")
    return (TABULAR_TYPES[tabular] if tabular else None, GRAPH_TYPES[graph] if graph else None)


def _not_acceptable(kind: str, accept: str | None) -> Response:
    formats = GRAPH_FORMATS if kind == "graph" else TABULAR_FORMATS
    offered = [media for media, _ in formats.values()]
    body = conneg.not_acceptable_text(offered, accept)
    body += ("The format parameter chooses too: "
             + ", ".join(k for k in formats) + ".\n")
    return Response(body, status_code=406, media_type="text/plain; charset=utf-8",
                    headers={"Vary": "Accept"})


# --- the service description -----------------------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                  "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]


def service_description(state) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of this endpoint, under the configured base IRI."""
    n = ox.NamedNode
    sd = lambda local: n(SD + local)  # noqa: E731
    void = lambda local: n("http://rdfs.org/ns/void#" + local)  # noqa: E731
    endpoint = n(state.base + PATH.lstrip("/"))
    dataset = n(str(dataset_iri(state.base)))
    cfg = state.config
    integer = n("http://www.w3.org/2001/XMLSchema#integer")
    triples = [
        ox.Triple(endpoint, RDF_TYPE, sd("Service")),
        ox.Triple(endpoint, sd("endpoint"), endpoint),
        ox.Triple(endpoint, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(endpoint, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(endpoint, sd("defaultEntailmentRegime"),
                  n("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(endpoint, sd("defaultDataset"), dataset),
        ox.Triple(endpoint, n("http://purl.org/dc/terms/title"),
                  ox.Literal("siberia-kg SPARQL endpoint", language="en")),
        ox.Triple(endpoint, n("http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal(
            "Read-only SPARQL 1.1 Query endpoint. The default graph is the union of all graphs "
            "(one named graph per citation, plus the ontology) unless default-graph-uri or "
            "named-graph-uri is given. SERVICE and updates are refused; nothing is fetched from "
            f"the network. Queries are stopped after {cfg.sparql_timeout:g} s; results are cut "
            f"at {cfg.max_rows} rows (X-SPARQL-Truncated: true).", language="en")),
        ox.Triple(endpoint, n("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
                  n(state.base + ".well-known/void")),
    ]
    triples += [ox.Triple(endpoint, sd("resultFormat"), n(FORMATS_NS + f)) for f in RESULT_FORMATS]
    triples += [ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
                ox.Triple(dataset, void("sparqlEndpoint"), endpoint)]

    store = state.store.raw
    default_graph = ox.BlankNode()
    stats = getattr(state.store, "statistics", None) or {}
    if "union_triples" in stats and "named_graphs" in stats:
        # Counted by the build: counting a million records' statements at every start would
        # take the server tens of seconds.
        union_size = str(stats["union_triples"])
        graph_sizes = [(ox.NamedNode(g), str(n)) for g, n in sorted(stats["named_graphs"].items())]
    else:
        union_size = next(iter(store.query(
            "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }",
            use_default_graph_as_union=True)))["n"].value
        graph_sizes = [(row["g"], row["n"].value) for row in store.query(
            "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")]
    triples += [ox.Triple(dataset, sd("defaultGraph"), default_graph),
                ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
                ox.Triple(default_graph, void("triples"), ox.Literal(union_size,
                                                                     datatype=integer))]
    for name, size in graph_sizes:
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [ox.Triple(dataset, sd("namedGraph"), named),
                    ox.Triple(named, RDF_TYPE, sd("NamedGraph")),
                    ox.Triple(named, sd("name"), name),
                    ox.Triple(named, sd("graph"), graph),
                    ox.Triple(graph, RDF_TYPE, sd("Graph")),
                    ox.Triple(graph, void("triples"), ox.Literal(size, datatype=integer))]
    return triples


def _describe_service(state, request: Request, params) -> Response:
    names = [v.strip().lower() for v in _values(params, "format") if v.strip()]
    if names:
        if names[0] not in SD_FORMAT_NAMES:
            raise BadRequest(400, f"unknown format {names[0]!r} for the service description; use "
                                  "one of ttl, nt, jsonld, rdf")
        media = SD_FORMAT_NAMES[names[0]]
    else:
        accept = request.headers.get("accept")
        media = conneg.choose(accept, SD_TYPES, conneg.TURTLE)
        if media is None:
            return Response(conneg.not_acceptable_text(SD_TYPES, accept), status_code=406,
                            media_type="text/plain; charset=utf-8", headers={"Vary": "Accept"})
        if media == conneg.HTML:
            return RedirectResponse(QUERY_PAGE, status_code=303, headers={"Vary": "Accept"})
    cache = state.extras.setdefault(DESCRIPTION, {})
    if media not in cache:
        if "triples" not in cache:
            cache["triples"] = service_description(state)
        prefixes = {"sd": SD, "formats": FORMATS_NS, "void": "http://rdfs.org/ns/void#",
                    "dcterms": "http://purl.org/dc/terms/",
                    "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
        fmt = SD_FORMATS[media]
        kw = {"prefixes": prefixes} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else {}
        cache[media] = ox.serialize(cache["triples"], format=fmt, **kw)
    return Response(cache[media], media_type=conneg.content_type(media),
                    headers={"Vary": "Accept"})


# --- the endpoint ----------------------------------------------------------------------------

async def _answer(state, request: Request) -> Response:
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": ALLOW})
    if request.method not in ("GET", "HEAD", "POST"):
        return _text(405, f"method {request.method} is not allowed on {PATH}: use GET or POST",
                     headers={"Allow": ALLOW})
    cfg = state.config
    params, direct = await _parameters(request, cfg.max_body)
    queries = _values(params, "query") + direct
    updates = _values(params, "update")
    if queries and updates:
        raise BadRequest(400, "a request carries either a query or an update, not both")
    if updates or any(k in ("using-graph-uri", "using-named-graph-uri") for k, _ in params):
        raise BadRequest(403, READ_ONLY)
    if len(queries) > 1:
        raise BadRequest(400, f"the request carries {len(queries)} queries; send exactly one "
                              "(one query parameter, or the body of a direct POST)")
    if not queries:
        if request.method == "POST" or any(
                k in ("default-graph-uri", "named-graph-uri") for k, _ in params):
            raise BadRequest(400, "missing query: give it as the query parameter (GET or form "
                                  f"POST) or as the body of a POST with Content-Type {DIRECT}")
        return _describe_service(state, request, params)

    query = queries[0]
    # Lexing 100 000 characters takes a moment: not on the event loop.
    info = await run_in_threadpool(inspect, query, cfg.max_query_length)
    refuse_too_deep(info)  # a query nested thousands deep would crash its worker: 400 instead
    tabular, graph = _format_keys(params, request.headers.get("accept"))
    if info.form in ("SELECT", "ASK") and tabular is None:
        return _not_acceptable("tabular", request.headers.get("accept"))
    if info.form in ("CONSTRUCT", "DESCRIBE") and graph is None:
        return _not_acceptable("graph", request.headers.get("accept"))
    default_graphs = _graphs(params, "default-graph-uri")
    named_graphs = _graphs(params, "named-graph-uri")
    protocol_dataset = bool(default_graphs or named_graphs)
    job = Job(query=query, tabular=tabular, graph=graph,
              default_graphs=default_graphs if protocol_dataset else None,
              named_graphs=named_graphs if protocol_dataset else None,
              query_has_dataset=info.has_dataset, max_rows=cfg.max_rows)

    pool: QueryPool | None = state.extras.get(POOL)
    if pool is None:
        raise BadRequest(503, "the SPARQL workers are not running", headers={"Retry-After": "5"})
    reply = await pool.run(job)
    if reply.status == 406:
        return _not_acceptable(reply.kind or "tabular", request.headers.get("accept"))
    if reply.status != 200:
        return _text(reply.status, reply.body.decode("utf-8", "replace"))
    headers = {"Vary": "Accept", "X-SPARQL-Rows": str(reply.rows)}
    if reply.truncated:
        headers["X-SPARQL-Truncated"] = "true"
        headers["X-SPARQL-Max-Rows"] = str(cfg.max_rows)
    return Response(reply.body, media_type=conneg.content_type(reply.media_type), headers=headers)


def _cors(response: Response) -> Response:
    """CORS set here in full (the middleware then adds none of its own), so that scripts on
    other sites can read the truncation flag and Retry-After too."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "Content-Location, Link, ETag, Content-Range, Vary, Retry-After, X-SPARQL-Truncated, "
        "X-SPARQL-Rows, X-SPARQL-Max-Rows")
    return response


class _Endpoint:
    """A plain ASGI app rather than a function endpoint, so that Starlette leaves every method
    to it: it answers 405 itself, with a message and Allow."""

    def __init__(self, state):
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        try:
            response = await _answer(self.state, request)
        except ClientDisconnect:
            return  # the client left while sending its body: nobody to answer
        except BadRequest as e:
            response = _text(e.status, e.message, e.headers)
        except Refused as e:
            response = _text(e.status, e.message)
        except Unavailable as e:
            headers = {"Retry-After": str(e.retry_after)} if e.retry_after else None
            response = _text(e.status, e.message, headers)
        await _cors(response)(scope, receive, send)


async def _with_slash(request: Request) -> Response:
    """/sparql/ (as the W3C tests write it) -> /sparql, keeping the method and body (308)."""
    query = request.url.query
    return RedirectResponse(PATH + (f"?{query}" if query else ""), status_code=308)


def routes(state):
    return [Route(PATH, _Endpoint(state)),
            Route(PATH + "/", _with_slash, methods=["GET", "HEAD", "POST"])]


def _memory_mb(cfg) -> int:
    """Memory cap of a query worker: ServerConfig.sparql_memory_mb where the config has it,
    else SIBERIA_KG_SPARQL_MEMORY_MB, else 2048 (0 = no cap)."""
    value = getattr(cfg, "sparql_memory_mb", None)
    if value is None:
        value = os.environ.get("SIBERIA_KG_SPARQL_MEMORY_MB") or DEFAULT_MEMORY_MB
    return int(value)


async def startup(state) -> None:
    cfg = state.config
    pool = QueryPool(state.dist, state.base, size=cfg.sparql_workers, timeout=cfg.sparql_timeout,
                     memory_mb=_memory_mb(cfg))
    await pool.start()
    state.extras[POOL] = pool
    # Computed once, at start: the graph does not change while the server runs.
    state.extras[DESCRIPTION] = {"triples": service_description(state)}


async def shutdown(state) -> None:
    pool = state.extras.pop(POOL, None)
    if pool is not None:
        await pool.stop()
