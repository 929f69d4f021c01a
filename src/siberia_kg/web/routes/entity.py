"""Dereferenceable entity IRIs (Cool URIs with 303 See Other).

``{base}id/{kind}/{slug}`` is served at the local path ``/id/{kind}/{slug}``:

- ``GET``/``HEAD /id/camp/taishet`` answers ``303 See Other`` to the document that describes the
  camp: ``/id/camp/taishet.html`` for a browser, ``.ttl``, ``.nt``, ``.jsonld`` or ``.rdf`` for
  a program, chosen by Accept (see conneg.choose: a client that names no type, or sends no
  Accept, gets Turtle), with ``Vary: Accept``; 406 listing the offered types when nothing fits.
- The suffix URLs are the documents themselves: 200 with Content-Type (charset for text),
  Content-Location, ``Link rel=alternate`` to the other formats, an ETag (304 on If-None-Match).
- ``?page=N`` pages the inbound links (the data says when it is cut, with hydra:next); other
  query parameters are ignored: a query string is not part of an entity's IRI.
- An unknown kind or entity, or anything else under /id/, is a 404: an HTML page when the
  client prefers HTML, plain text otherwise.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from threading import Lock

from rdflib import Literal, URIRef
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ...namespaces import ENTITY_TYPES, FOAF, all_prefixes
from .. import services
from ..conneg import ENTITY_TYPES as OFFERED
from ..conneg import (HTML, TURTLE, choose, etag_for, none_match, not_acceptable_text,
                      split_suffix, suffix_for)
from ..paths import ascii_location, path_for_iri
from ..render.rdf import document_response, link_header, serialize_graph

CACHE_ENTRIES = 256


# --- errors shared by the linked-data routers -----------------------------------------------

def not_acceptable(request: Request, offered) -> Response:
    """406 with every offered type listed in the plain-text body."""
    return PlainTextResponse(not_acceptable_text(offered, request.headers.get("accept")),
                             status_code=406, headers={"Vary": "Accept"})


def _page(title: str, body_html: str, lang: str = "en", css: str = "") -> str:
    """A small self-contained page (the routers' own pages: 404s, the ontology, the dumps)."""
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} - siberia-kg</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;"
            "padding:0 1rem;line-height:1.45}table{border-collapse:collapse;width:100%}"
            "td,th{border-top:1px solid #ccc;padding:.3rem;vertical-align:top;text-align:left;"
            "overflow-wrap:anywhere}th{overflow-wrap:normal}small{color:#555}"
            "code{overflow-wrap:anywhere}nav.site{margin-bottom:1rem}" + css + "</style></head><body>"
            '<nav class="site"><a href="/">siberia-kg</a> · <a href="/search">search</a> · '
            '<a href="/ontology">ontology</a> · <a href="/dumps/">downloads</a> · '
            '<a href="/sparql">SPARQL</a></nav>'
            f"{body_html}</body></html>\n")


def not_found(request: Request, message: str, state=None) -> Response:
    """404: an HTML page for a client that prefers HTML (the site's own 404 page when the pages
    router offers one), plain text for everyone else."""
    choice = choose(request.headers.get("accept"), (HTML, "text/plain"), default="text/plain")
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    if choice == HTML:
        site_page = _site_function("not_found_page") if state is not None else None
        if site_page is not None:
            response = site_page(state, request, message)
            response.status_code = 404
            response.headers["Vary"] = "Accept"
            return response
        body = _page("Not found", "<h1>Not found</h1>"
                     f"<p>{html.escape(message)}</p>"
                     '<p><a href="/">Home</a> · <a href="/search">Search</a></p>')
        return Response(body.encode(), status_code=404, headers={
            **headers, "Content-Type": "text/html; charset=utf-8"})
    return PlainTextResponse(message + "\n", status_code=404, headers=headers)


def bad_request(message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=400)


def parse_page(request: Request) -> int | Response:
    """?page=N (a positive integer; 1 when absent), or a 400 response."""
    raw = request.query_params.get("page")
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        return bad_request(f"page must be a positive integer, not {raw[:40]!r}")
    return int(raw)


# --- the minimal HTML fallback --------------------------------------------------------------

def _fallback_term(d: services.Description, term, base: str) -> str:
    if isinstance(term, URIRef):
        iri = str(term)
        label = d.name(iri) or iri
        local = path_for_iri(base, iri)
        href = ascii_location(local) if local else iri
        return f'<a href="{html.escape(href)}">{html.escape(label)}</a>'
    if isinstance(term, Literal):
        text = html.escape(str(term))
        if term.language:
            return f'<span lang="{html.escape(term.language)}">{text}</span> <small>@{html.escape(term.language)}</small>'
        return text
    return html.escape(str(term))


def fallback_entity_page(d: services.Description, base: str, alternates) -> str:
    """A plain listing of the description, every value escaped. Used only while the site's
    own entity page (routes/pages.py: entity_page) is not available."""
    rows = []
    for st in d.statements:
        cites = ", ".join(html.escape(d.citations[c].label or c) if c in d.citations else html.escape(c)
                          for c in st.citations)
        rows.append(f"<tr><td>{_fallback_term(d, st.predicate, base)}</td>"
                    f"<td>{_fallback_term(d, st.object, base)}</td><td><small>{cites}</small></td></tr>")
    inbound = "".join(f"<li>{_fallback_term(d, link.subject, base)} "
                      f"<small>{_fallback_term(d, link.predicate, base)}</small></li>"
                      for link in d.inbound)
    paging = ""
    if d.truncated:
        paging = (f"<p>Page {d.page} of {d.pages} of {d.inbound_total} inbound links. "
                  + (f'<a href="?page={d.page - 1}">previous</a> ' if d.page > 1 else "")
                  + (f'<a href="?page={d.page + 1}">next</a>' if d.page < d.pages else "") + "</p>")
    formats = " · ".join(f'<a href="{html.escape(ascii_location(p))}">{html.escape(mt)}</a>'
                         for p, mt in alternates)
    body = (f"<h1>{html.escape(d.label())}</h1><p><code>{html.escape(d.iri)}</code></p>"
            f"<p>Data: {formats}</p>"
            "<table><tr><th>property</th><th>value</th><th>cited in</th></tr>"
            + "".join(rows) + "</table>"
            + (f"<h2>Linked from</h2>{paging}<ul>{inbound}</ul>" if d.inbound else ""))
    return _page(d.label(), body)


# --- the router -----------------------------------------------------------------------------

class _Cache:
    """Rendered documents by (iri, page, media type): the store does not change while the
    server runs, so a document is rendered once and its ETag check costs nothing."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _site_function(name: str):
    """A function of the HTML pages router (entity_page, not_found_page), if it provides it;
    None otherwise, and the routers here fall back to their own minimal pages."""
    try:
        from . import pages
    except ImportError:
        return None
    return getattr(pages, name, None)


def routes(state):
    base: str = state.base
    prefixes = {**all_prefixes(base), "foaf": str(FOAF), "hydra": str(services.HYDRA)}
    cache = _Cache(CACHE_ENTRIES)
    entity_page = _site_function("entity_page")

    def alternates(local: str, page: int, exclude: str | None = None):
        query = f"?page={page}" if page > 1 else ""
        return [(f"{local}{suffix_for(mt)}{query}", mt) for mt in OFFERED if mt != exclude]

    def render(iri: str, page: int, media_type: str, document: str) -> bytes | None:
        key = (iri, page, media_type)
        body = cache.get(key)
        if body is None:
            d = services.describe(state, iri, page)
            if d is None:
                return None
            body = serialize_graph(d.graph(document), media_type, prefixes)
            cache.put(key, body)
        return body

    async def entity(request: Request) -> Response:
        kind = request.path_params["kind"]
        name = request.path_params["name"]
        if kind not in ENTITY_TYPES:
            return not_found(request, f"There is no kind of entity called {kind!r} here; the "
                                      f"kinds are {', '.join(ENTITY_TYPES)}.", state)
        slug, media_type = split_suffix(name)
        iri = f"{base}id/{kind}/{slug}"
        page = parse_page(request)
        if isinstance(page, Response):
            return page
        if not await run_in_threadpool(services.exists, state, iri):
            return not_found(request, f"There is no entity {iri} in this dataset.", state)
        local = path_for_iri(base, iri) or f"/id/{kind}/{slug}"
        query = f"?page={page}" if page > 1 else ""

        if media_type is None:
            chosen = choose(request.headers.get("accept"), OFFERED, default=TURTLE)
            if chosen is None:
                return not_acceptable(request, OFFERED)
            target = ascii_location(f"{local}{suffix_for(chosen)}{query}")
            return Response(f"See Other: {target}\n".encode(), status_code=303, headers={
                "Location": target, "Vary": "Accept", "Content-Type": "text/plain; charset=utf-8",
                "Link": f'<{target}>; rel="describedby"; type="{chosen}"'})

        if media_type == HTML:
            return await html_document(request, iri, local, page)

        document = f"{iri}{suffix_for(media_type)}"
        try:
            body = await run_in_threadpool(render, iri, page, media_type, document)
        except services.PageOutOfRange as e:
            return not_found(request, str(e), state)
        if body is None:
            return not_found(request, f"There is no entity {iri} in this dataset.", state)
        return document_response(request, body, media_type,
                                 content_location=f"{local}{suffix_for(media_type)}{query}",
                                 alternates=alternates(local, page, exclude=media_type))

    async def html_document(request: Request, iri: str, local: str, page: int) -> Response:
        query = f"?page={page}" if page > 1 else ""
        links = alternates(local, page, exclude=HTML)
        if entity_page is not None:
            response = await entity_page(state, request, iri)
            if response.status_code != 200:
                return response
            # The site's page may vary by its own parameters (?lang=ja): name the URL asked for.
            asked = request.url.query
            response.headers["Content-Location"] = ascii_location(
                f"{local}.html" + (f"?{asked}" if asked else ""))
            if "link" not in response.headers:
                response.headers["Link"] = link_header(links)
            body = getattr(response, "body", None)
            if isinstance(body, bytes) and "etag" not in response.headers:
                response.headers["ETag"] = etag_for(body)
            etag = response.headers.get("etag")
            if etag and none_match(request.headers.get("if-none-match"), etag):
                keep = {k: v for k, v in response.headers.items()
                        if k in ("etag", "content-location", "link", "cache-control", "vary")}
                return Response(status_code=304, headers=keep)
            return response
        try:
            d = await run_in_threadpool(services.describe, state, iri, page)
        except services.PageOutOfRange as e:
            return not_found(request, str(e), state)
        if d is None:
            return not_found(request, f"There is no entity {iri} in this dataset.", state)
        body = fallback_entity_page(d, base, links).encode()
        return document_response(request, body, HTML, content_location=f"{local}.html{query}",
                                 alternates=links)

    async def elsewhere(request: Request) -> Response:
        return not_found(request, "There is nothing at this address: entity IRIs look like "
                                  f"{base}id/camp/taishet, one kind and one name after id/.", state)

    return [
        Route("/id/{kind}/{name}", entity, methods=["GET", "HEAD"]),
        Route("/id", elsewhere, methods=["GET", "HEAD"]),
        Route("/id/{rest:path}", elsewhere, methods=["GET", "HEAD"]),
    ]
