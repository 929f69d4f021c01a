"""Terms between Oxigraph and rdflib: the one mapping every module that reads the store into
rdflib objects (query results, SHACL reports, the pyshacl fallback) goes through, so that a
term read from the store equals the one rdflib makes when it parses the same dump."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

_XSD_STRING = str(XSD.string)


def to_rdflib(term):
    """An Oxigraph term as rdflib makes it when it parses the same N-Quads (None stays None)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"unexpected term {term!r}")


def to_oxigraph(term):
    """An rdflib term as Oxigraph term (a plain literal is an xsd:string, as in RDF 1.1)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and term.datatype != XSD.string:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unexpected term {term!r}")
