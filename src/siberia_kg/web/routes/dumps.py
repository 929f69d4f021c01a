"""The dump files and the dataset's own description.

- ``/dumps/`` lists the files the build wrote (name, size, SHA-256, media type, statement count,
  from dist/.siberia-kg-build) as HTML or JSON by Accept.
- ``/dumps/{name}`` serves one of them: the right Content-Type, ETag = its SHA-256,
  Last-Modified = its mtime, 304 on If-None-Match / If-Modified-Since, single byte ranges (206;
  416 when unsatisfiable; several ranges get the whole file, 200), gzip when Accept-Encoding
  allows it (Vary: Accept-Encoding; a range is never gzipped). Only names listed in the build
  marker are served, so no path can reach any other file.
- ``/.well-known/void`` (RFC 5785, VoID section 7) and the dataset IRI ``{base}id/dataset/siberia-kg``
  serve the VoID/DCAT description (dist/void.ttl) as Turtle, N-Triples, JSON-LD or RDF/XML by
  Accept. The dataset IRI names the dataset, not a document, so it answers 303 to
  ``/id/dataset/siberia-kg.ttl`` (and the other suffixes), or to the landing page ``/`` for a
  browser; these routes come before the entity routes, which would not find the dataset in
  the store.
"""

from __future__ import annotations

import hashlib
import html
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from ...build import MARKER
from ...namespaces import dataset_iri
from ..conneg import (HTML, JSON, RDF_TYPES, TURTLE, RangeNotSatisfiable, accepts_gzip, choose,
                      content_type, http_date, none_match, not_modified_since, parse_range,
                      suffix_for)
from ..paths import ascii_location, path_for_iri
from ..render.rdf import document_response, serialize_graph
from .entity import _page, not_acceptable, not_found

CHUNK = 64 * 1024
GZIP_MAX = 64 * 1024 * 1024  # larger files are served uncompressed rather than held in memory
VOID_FILE = "void.ttl"
QUAD_FORMATS = ("application/trig", "application/n-quads")
LISTING_TYPES = (HTML, JSON)


@dataclass(frozen=True)
class DumpFile:
    name: str
    path: Path
    media_type: str
    title: str
    statements: int | None
    size: int
    mtime: float
    sha256: str

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'


class DumpCatalogue:
    """The files named in the build marker, with their real size, mtime and SHA-256.

    Sizes and checksums are taken from the files themselves (hashed once per file version,
    keyed by inode, size and mtime), so the ETag is always the hash of the bytes served even if
    the folder was rebuilt under the running server; the marker gives the names, media types,
    titles and statement counts.
    """

    def __init__(self, dist: Path):
        self.dist = dist
        self._lock = Lock()
        self._marker_key: tuple | None = None
        self._marker: dict = {}
        self._hashes: dict[str, tuple[tuple, str]] = {}
        self._gzip: dict[str, tuple[str, bytes]] = {}

    def _read_marker(self) -> dict:
        path = self.dist / MARKER
        try:
            st = path.stat()
        except OSError:
            return {}
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        with self._lock:
            if key != self._marker_key:
                try:
                    self._marker = json.loads(path.read_text(encoding="utf-8")).get("files", {})
                except (OSError, ValueError):
                    self._marker = {}
                self._marker_key = key
            return self._marker

    def _sha256(self, path: Path, key: tuple) -> str:
        with self._lock:
            cached = self._hashes.get(path.name)
            if cached and cached[0] == key:
                return cached[1]
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()
        with self._lock:
            self._hashes[path.name] = (key, digest)
        return digest

    def get(self, name: str) -> DumpFile | None:
        entry = self._read_marker().get(name)
        # Only listed plain names: never a path, whatever the marker or the request holds.
        if not isinstance(entry, dict) or "/" in name or "\\" in name or name.startswith("."):
            return None
        path = self.dist / name
        try:
            st = path.stat()
        except OSError:
            return None
        if not path.is_file():
            return None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        return DumpFile(name=name, path=path, media_type=str(entry.get("media_type") or
                                                            "application/octet-stream"),
                        title=str(entry.get("title") or name), statements=entry.get("statements"),
                        size=st.st_size, mtime=st.st_mtime, sha256=self._sha256(path, key))

    def gzipped(self, dump: DumpFile) -> bytes | None:
        """The file gzipped, made once per file version and kept, so that GET and HEAD give the
        same Content-Length; None for files too large to hold (they go uncompressed)."""
        if dump.size > GZIP_MAX:
            return None
        with self._lock:
            cached = self._gzip.get(dump.name)
            if cached and cached[0] == dump.sha256:
                return cached[1]
        data = _gzip(dump.path)
        with self._lock:
            self._gzip[dump.name] = (dump.sha256, data)
        return data

    def all(self) -> list[DumpFile]:
        files = [self.get(name) for name in sorted(self._read_marker())]
        return [f for f in files if f is not None]


# --- serving one file -----------------------------------------------------------------------

def _read_range(path: Path, start: int, length: int):
    with open(path, "rb") as f:
        f.seek(start)
        left = length
        while left > 0:
            block = f.read(min(CHUNK, left))
            if not block:
                break
            left -= len(block)
            yield block


def _gzip(path: Path) -> bytes:
    z = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    out = []
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            out.append(z.compress(block))
    out.append(z.flush())
    return b"".join(out)


def _if_range_holds(value: str | None, dump: DumpFile) -> bool:
    """If-Range: the range applies only if the validator still matches (strong comparison
    for an ETag, the exact date for Last-Modified); otherwise the whole file is sent."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith('"') or value.startswith("W/"):
        return value == dump.etag
    return value == http_date(dump.mtime)


def file_response(request: Request, dump: DumpFile, catalogue: DumpCatalogue) -> Response:
    head = request.method == "HEAD"
    headers = {
        "Last-Modified": http_date(dump.mtime),
        "Accept-Ranges": "bytes",
        "Vary": "Accept-Encoding",
        "Cache-Control": "public, max-age=600",
    }
    media = content_type(dump.media_type)
    gzip_ok = accepts_gzip(request.headers.get("accept-encoding"))

    ranges = None
    range_header = request.headers.get("range")
    if range_header is not None and _if_range_holds(request.headers.get("if-range"), dump):
        try:
            ranges = parse_range(range_header, dump.size)
        except RangeNotSatisfiable:
            return PlainTextResponse(
                f"416 Range Not Satisfiable: the file is {dump.size} bytes.\n", status_code=416,
                headers={**headers, "ETag": dump.etag, "Content-Range": f"bytes */{dump.size}"})
        if ranges is not None and len(ranges) > 1:
            ranges = None  # several ranges: the whole file, which RFC 9110 allows

    # gzip is a different representation: a weak tag of the same hash, so If-None-Match with
    # either form still matches; only the identity bytes carry the strong tag ranges rely on.
    gzipped = catalogue.gzipped(dump) if gzip_ok and ranges is None else None
    use_gzip = gzipped is not None
    etag = f"W/{dump.etag}" if use_gzip else dump.etag
    headers["ETag"] = etag
    inm = request.headers.get("if-none-match")
    if inm is not None:
        if none_match(inm, etag):
            return Response(status_code=304, headers=headers)
    elif not_modified_since(request.headers.get("if-modified-since"), dump.mtime):
        return Response(status_code=304, headers=headers)

    headers["Content-Type"] = media
    if ranges is not None:
        first, last = ranges[0]
        length = last - first + 1
        headers["Content-Range"] = f"bytes {first}-{last}/{dump.size}"
        headers["Content-Length"] = str(length)
        if head:
            return Response(status_code=206, headers=headers)
        return StreamingResponse(_read_range(dump.path, first, length), status_code=206,
                                 headers=headers)
    if gzipped is not None:
        headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(gzipped))
        return Response(b"" if head else gzipped, headers=headers)
    headers["Content-Length"] = str(dump.size)
    if head:
        return Response(status_code=200, headers=headers)
    return StreamingResponse(_read_range(dump.path, 0, dump.size), headers=headers)


# --- the listing ----------------------------------------------------------------------------

def _human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def listing_json(files: list[DumpFile], base: str) -> bytes:
    doc = {
        "dataset": str(dataset_iri(base)),
        "description": "/.well-known/void",
        "files": [{
            "name": f.name,
            "url": f"/dumps/{f.name}",
            "iri": f"{base}dumps/{f.name}",
            "media_type": f.media_type,
            "size": f.size,
            "sha256": f.sha256,
            "title": f.title,
            "statements": f.statements,
            "statement_kind": "quads" if f.media_type in QUAD_FORMATS else "triples",
            "last_modified": http_date(f.mtime),
        } for f in files],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def listing_html(files: list[DumpFile], base: str) -> bytes:
    rows = "".join(
        f'<tr><td><a href="/dumps/{html.escape(f.name)}">{html.escape(f.name)}</a><br>'
        f"<small>{html.escape(f.title)}</small></td>"
        f"<td>{html.escape(f.media_type)}</td>"
        f'<td title="{f.size} bytes">{html.escape(_human(f.size))}</td>'
        f"<td>{'' if f.statements is None else f'{int(f.statements):,}'} "
        f"<small>{'quads' if f.media_type in QUAD_FORMATS else 'triples'}</small></td>"
        f"<td><code>{html.escape(f.sha256)}</code></td></tr>" for f in files)
    body = ("<h1>Downloads</h1>"
            "<p>The whole graph in every serialisation the build writes. The N-Quads and TriG "
            "files keep one named graph per citation (the source of each statement); the others "
            "are flat. Check a download with <code>sha256sum</code>.</p>"
            f"<p>Dataset: <code>{html.escape(str(dataset_iri(base)))}</code> · its VoID/DCAT "
            'description: <a href="/.well-known/void">/.well-known/void</a> · this list as '
            '<a href="/dumps/?format=json">JSON</a> (or ask for application/json)</p>'
            "<table><tr><th>file</th><th>media type</th><th>size</th><th>statements</th>"
            f"<th>SHA-256</th></tr>{rows}</table>")
    return _page("Downloads", body).encode("utf-8")


# --- the VoID description -------------------------------------------------------------------

class VoidDocs:
    """dist/void.ttl in the four RDF serialisations, remade when the file changes."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = Lock()
        self._key: tuple | None = None
        self._docs: dict[str, bytes] = {}

    def document(self, media_type: str) -> bytes | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        with self._lock:
            if key != self._key:
                self._docs, self._key = {}, key
            if media_type in self._docs:
                return self._docs[media_type]
        data = self.path.read_bytes()
        if media_type == TURTLE:
            body = data
        else:
            from rdflib import Graph

            g = Graph(bind_namespaces="none").parse(data=data, format="turtle")
            body = serialize_graph(g, media_type)
        with self._lock:
            if key == self._key:
                self._docs[media_type] = body
        return body


def routes(state):
    base: str = state.base
    catalogue = DumpCatalogue(state.dist)
    void = VoidDocs(state.dist / VOID_FILE)
    dataset_path = path_for_iri(base, str(dataset_iri(base))) or "/id/dataset/siberia-kg"
    void_alternates = [(f"{dataset_path}{suffix_for(mt)}", mt) for mt in RDF_TYPES]

    async def listing(request: Request) -> Response:
        wanted = request.query_params.get("format")
        if wanted is not None:
            chosen = {"json": JSON, "html": HTML}.get(wanted)
            if chosen is None:
                return PlainTextResponse("format must be json or html\n", status_code=400)
        else:
            chosen = choose(request.headers.get("accept"), LISTING_TYPES, default=JSON)
            if chosen is None:
                return not_acceptable(request, LISTING_TYPES)
        files = await run_in_threadpool(catalogue.all)
        body = listing_json(files, base) if chosen == JSON else listing_html(files, base)
        return document_response(request, body, chosen, vary_accept=wanted is None,
                                 cache_control="public, max-age=60")

    async def dumps_root(request: Request) -> Response:
        return RedirectResponse("/dumps/", status_code=301)

    async def one_file(request: Request) -> Response:
        name = request.path_params["name"]
        dump = await run_in_threadpool(catalogue.get, name)
        if dump is None:
            return not_found(request, f"There is no dump file called {name!r}; the list is at /dumps/.", state)
        return await run_in_threadpool(file_response, request, dump, catalogue)

    async def void_document(request: Request, media_type: str, negotiated: bool) -> Response:
        body = await run_in_threadpool(void.document, media_type)
        if body is None:
            return not_found(request, "The dataset description (void.ttl) is missing from the "
                                      "build folder; run siberia-kg build.", state)
        return document_response(
            request, body, media_type,
            content_location=f"{dataset_path}{suffix_for(media_type)}",
            alternates=[a for a in void_alternates if a[1] != media_type],
            vary_accept=negotiated)

    async def well_known(request: Request) -> Response:
        # RFC 5785: the description itself, negotiated; a browser asking for HTML is sent to
        # the landing page, which describes the dataset for people.
        chosen = choose(request.headers.get("accept"), (HTML, *RDF_TYPES), default=TURTLE)
        if chosen is None:
            return not_acceptable(request, (HTML, *RDF_TYPES))
        if chosen == HTML:
            return see_other("/")
        return await void_document(request, chosen, negotiated=True)

    async def dataset(request: Request) -> Response:
        chosen = choose(request.headers.get("accept"), (HTML, *RDF_TYPES), default=TURTLE)
        if chosen is None:
            return not_acceptable(request, (HTML, *RDF_TYPES))
        if chosen == HTML:
            return see_other("/")
        return see_other(f"{dataset_path}{suffix_for(chosen)}")

    def see_other(target: str) -> Response:
        target = ascii_location(target)
        return Response(f"See Other: {target}\n".encode(), status_code=303, headers={
            "Location": target, "Vary": "Accept", "Content-Type": "text/plain; charset=utf-8"})

    def suffix_endpoint(media_type: str):
        async def endpoint(request: Request) -> Response:
            return await void_document(request, media_type, negotiated=False)
        return endpoint

    async def dataset_html(request: Request) -> Response:
        return see_other("/")

    return [
        Route("/dumps", dumps_root, methods=["GET", "HEAD"]),
        Route("/dumps/", listing, methods=["GET", "HEAD"]),
        Route("/dumps/{name}", one_file, methods=["GET", "HEAD"]),
        Route("/.well-known/void", well_known, methods=["GET", "HEAD"]),
        Route(dataset_path, dataset, methods=["GET", "HEAD"]),
        Route(f"{dataset_path}.html", dataset_html, methods=["GET", "HEAD"]),
        *[Route(f"{dataset_path}{suffix_for(mt)}", suffix_endpoint(mt), methods=["GET", "HEAD"])
          for mt in RDF_TYPES],
    ]
