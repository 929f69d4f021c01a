"""Triples the build writes so that hand-written data stays small and consumers who know only
schema.org, WGS84 or RDFS find what they expect. Authors never write these by hand."""

from __future__ import annotations

from rdflib import Dataset, Literal
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS, SKOS

from .namespaces import GEO, SCHEMA, SKG

COPIES = {
    SKOS.prefLabel: (RDFS.label, SCHEMA.name),
    SKOS.altLabel: (SCHEMA.alternateName,),
    SCHEMA.latitude: (GEO.lat,),
    SCHEMA.longitude: (GEO.long,),
    SKOS.exactMatch: (SCHEMA.sameAs,),
}


def derive(ds: Dataset) -> int:
    """Add the derived triples in place, each in the graph of the triple it comes from.

    Returns how many were added.
    """
    new = []
    for s, p, o, g in ds.quads((None, None, None, None)):
        if g is not None and g != DATASET_DEFAULT_GRAPH_ID:
            # Statement-level provenance lives in the graph name; this makes it visible in
            # the flat dumps too, at entity level.
            new.append((s, SKG.citation, g, g))
        for q in COPIES.get(p, ()):
            new.append((s, q, o, g))
    default = ds.default_graph
    for c in list(default.subjects(RDF.type, SKG.Citation)):
        source = default.value(c, SKG.source)
        locator = default.value(c, SKG.locator)
        if source is not None and locator is not None:
            key = str(source).rstrip("/").rsplit("/", 1)[-1]
            new.append((c, RDFS.label, Literal(f"{key}: {locator}", lang="en"),
                        DATASET_DEFAULT_GRAPH_ID))
    before = len(ds)
    for quad in new:
        ds.add(quad)
    return len(ds) - before
