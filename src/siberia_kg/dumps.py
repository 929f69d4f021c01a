"""Serialising the graph to dump files, byte-for-byte the same for the same input.

Quads are sorted before they reach the serialiser (pyoxigraph's, which writes them in the order
given), so no output depends on hash seeds or insertion order. JSON-LD is written here as a
compact document with a context, which pyoxigraph does not offer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Iterable

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD

Quad = tuple  # (s, p, o, g) rdflib terms; g is None for the default graph

FORMATS = {
    # name: (file suffix, media type, pyoxigraph format or None for our JSON-LD writer)
    "turtle": (".ttl", "text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": (".nt", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": (".jsonld", "application/ld+json", None),
    "trig": (".trig", "application/trig", ox.RdfFormat.TRIG),
    "nquads": (".nq", "application/n-quads", ox.RdfFormat.N_QUADS),
    "rdfxml": (".rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML),
}


def to_ox(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype and term.datatype != XSD.string:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot serialise {term!r}: blank nodes are not allowed in dumps")


def _key(term) -> tuple:
    if isinstance(term, Literal):
        return (1, str(term), term.language or "", str(term.datatype or ""))
    return (0, str(term), "", "")


def sorted_quads(quads: Iterable[Quad]) -> list[Quad]:
    norm = []
    for s, p, o, g in quads:
        g = None if g is None or g == DATASET_DEFAULT_GRAPH_ID else g
        norm.append((s, p, o, g))
    # rdf:type first within a subject reads better in Turtle; otherwise lexical order.
    return sorted(set(norm), key=lambda q: ("" if q[3] is None else str(q[3]), str(q[0]),
                                             (q[1] != RDF.type, str(q[1])), _key(q[2])))


def sorted_triples(quads: Iterable[Quad]) -> list[tuple]:
    triples = {(s, p, o) for s, p, o, _ in quads}
    return sorted(triples, key=lambda t: (str(t[0]), (t[1] != RDF.type, str(t[1])), _key(t[2])))


def serialize_triples(triples: list[tuple], fmt: str, prefixes: dict[str, str]) -> bytes:
    if fmt == "jsonld":
        return jsonld(triples, prefixes)
    oxfmt = FORMATS[fmt][2]
    data = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples]
    kw = {"prefixes": prefixes} if fmt in ("turtle", "rdfxml") else {}
    out = ox.serialize(data, format=oxfmt, **kw)
    return out


def serialize_quads(quads: list[Quad], fmt: str, prefixes: dict[str, str]) -> bytes:
    oxfmt = FORMATS[fmt][2]
    data = [ox.Quad(to_ox(s), to_ox(p), to_ox(o),
                    ox.DefaultGraph() if g is None else ox.NamedNode(str(g)))
            for s, p, o, g in quads]
    kw = {"prefixes": prefixes} if fmt == "trig" else {}
    return ox.serialize(data, format=oxfmt, **kw)


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    best = ""
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(ns) > len(prefixes.get(best, "")):
            local = iri[len(ns):]
            # A compact IRI must not look like an absolute IRI or need escaping.
            if local and not local.startswith("//") and all(c not in local for c in " <>\"{}|^`\\"):
                best = prefix
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri


def jsonld(triples: list[tuple], prefixes: dict[str, str]) -> bytes:
    """A compact JSON-LD 1.1 document: one node object per subject, every value explicit."""
    context = dict(sorted(prefixes.items()))
    nodes: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    types: dict[str, list[str]] = defaultdict(list)
    for s, p, o in triples:
        sid = _compact(str(s), prefixes)
        if p == RDF.type and isinstance(o, URIRef):
            types[sid].append(_compact(str(o), prefixes))
            continue
        if isinstance(o, URIRef):
            value: dict = {"@id": _compact(str(o), prefixes)}
        elif o.language:
            value = {"@value": str(o), "@language": o.language}
        elif o.datatype and o.datatype != XSD.string:
            value = {"@value": str(o), "@type": _compact(str(o.datatype), prefixes)}
        else:
            value = {"@value": str(o)}
        nodes[sid][_compact(str(p), prefixes)].append(value)
    graph = []
    for sid in sorted(set(nodes) | set(types)):
        node: dict = {"@id": sid}
        if types.get(sid):
            node["@type"] = sorted(types[sid])
        for prop in sorted(nodes.get(sid, {})):
            node[prop] = sorted(nodes[sid][prop], key=lambda v: json.dumps(v, sort_keys=True))
        graph.append(node)
    doc = {"@context": context, "@graph": graph}
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")
