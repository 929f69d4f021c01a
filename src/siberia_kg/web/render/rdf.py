"""RDF documents as bytes, in the four serialisations the server offers.

The writers are the dumps' own (siberia_kg.dumps: pyoxigraph for Turtle, N-Triples and RDF/XML,
a compact JSON-LD writer with a context), fed sorted triples, so a document is byte-for-byte the
same for the same data: its ETag (a hash of the body) survives restarts, and it reads like the
dump files. Blank nodes (the ontology has a few) are written as ``_:`` labels.
"""

from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef

from ..conneg import JSONLD, NTRIPLES, RDFXML, TURTLE
from ...dumps import jsonld, sorted_triples, to_ox

_OX_FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    NTRIPLES: ox.RdfFormat.N_TRIPLES,
    RDFXML: ox.RdfFormat.RDF_XML,
}
MEDIA_TYPES = (TURTLE, NTRIPLES, JSONLD, RDFXML)


def _ox(term):
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return to_ox(term)


def _canonical_bnodes(triples: list[tuple]) -> list[tuple]:
    """Relabel blank nodes b0, b1 ... in order of first use, so the labels a parser invented
    do not leak into the output."""
    labels: dict[BNode, BNode] = {}

    def relabel(t):
        if isinstance(t, BNode):
            if t not in labels:
                labels[t] = BNode(f"b{len(labels)}")
            return labels[t]
        return t

    return [(relabel(s), p, relabel(o)) for s, p, o in triples]


def _used(triples: list[tuple], prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes some IRI in the document starts with, so a short description does not
    open with forty @prefix lines."""
    iris = set()
    for tr in triples:
        for t in tr:
            if isinstance(t, URIRef):
                iris.add(str(t))
            elif getattr(t, "datatype", None) is not None:
                iris.add(str(t.datatype))
    return {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}


def serialize(triples: Iterable[tuple], media_type: str, prefixes: dict[str, str]) -> bytes:
    """Triples (rdflib terms) -> a document of media_type (one of MEDIA_TYPES)."""
    ordered = sorted_triples((s, p, o, None) for s, p, o in triples)
    if any(isinstance(t, BNode) for tr in ordered for t in (tr[0], tr[2])):
        ordered = sorted_triples((s, p, o, None) for s, p, o in _canonical_bnodes(ordered))
    prefixes = _used(ordered, prefixes)
    if media_type == JSONLD:
        # A blank node as '_:label' is what JSON-LD uses for one in @id; the writer leaves any
        # IRI that matches no prefix as it is, so the label goes through untouched.
        return jsonld([(URIRef(f"_:{s}") if isinstance(s, BNode) else s, p,
                        URIRef(f"_:{o}") if isinstance(o, BNode) else o)
                       for s, p, o in ordered], prefixes)
    if media_type not in _OX_FORMATS:
        raise ValueError(f"cannot write RDF as {media_type!r}; offered: {', '.join(MEDIA_TYPES)}")
    data = [ox.Triple(_ox(s), _ox(p), _ox(o)) for s, p, o in ordered]
    kw = {"prefixes": prefixes} if media_type in (TURTLE, RDFXML) else {}
    return ox.serialize(data, format=_OX_FORMATS[media_type], **kw)


def serialize_graph(graph: Graph, media_type: str, prefixes: dict[str, str] | None = None) -> bytes:
    """An rdflib Graph -> bytes; prefixes default to those bound in the graph (create it with
    ``Graph(bind_namespaces="none")`` so that only the ones you bind are there)."""
    if prefixes is None:
        prefixes = {p: str(ns) for p, ns in graph.namespaces() if p}
    return serialize(iter(graph), media_type, prefixes)


# --- one negotiated document as an HTTP response -------------------------------------------

def link_header(alternates: Iterable[tuple[str, str]]) -> str:
    """``Link: </id/camp/x.ttl>; rel="alternate"; type="text/turtle", ...`` from
    (local path, media type) pairs; the paths are made ASCII-safe."""
    from ..paths import ascii_location

    return ", ".join(f'<{ascii_location(path)}>; rel="alternate"; type="{mt}"'
                     for path, mt in alternates)


def document_response(request, body: bytes, media_type: str, *, content_location: str | None = None,
                      alternates: Iterable[tuple[str, str]] = (), vary_accept: bool = False,
                      cache_control: str = "public, max-age=300", status_code: int = 200,
                      headers: dict[str, str] | None = None):
    """A 200 with ETag (a hash of the body), Content-Type with charset, Content-Location,
    Link rel=alternate, Vary: Accept when the URL is negotiated; or a 304 when If-None-Match
    holds the ETag. HEAD gets the same headers (the server drops the body)."""
    from starlette.responses import Response

    from ..conneg import content_type, etag_for, none_match
    from ..paths import ascii_location

    out = {"ETag": etag_for(body), "Cache-Control": cache_control}
    if content_location:
        out["Content-Location"] = ascii_location(content_location)
    alternates = list(alternates)
    if alternates:
        out["Link"] = link_header(alternates)
    if vary_accept:
        out["Vary"] = "Accept"
    out.update(headers or {})
    if status_code == 200 and request.method in ("GET", "HEAD") and \
            none_match(request.headers.get("if-none-match"), out["ETag"]):
        return Response(status_code=304, headers=out)
    out["Content-Type"] = content_type(media_type)
    return Response(body, status_code=status_code, headers=out)
