"""Prefixes and IRI minting, in one place."""

from __future__ import annotations

import re

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

DEFAULT_BASE = "https://w3id.org/siberia-kg/"

SKG = Namespace("https://w3id.org/siberia-kg/ontology#")
ONTOLOGY_IRI = URIRef("https://w3id.org/siberia-kg/ontology")
SHAPES = Namespace("https://w3id.org/siberia-kg/shapes#")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
QB = Namespace("http://purl.org/linked-data/cube#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
WD = Namespace("http://www.wikidata.org/entity/")
CRM = Namespace("http://www.cidoc-crm.org/cidoc-crm/")

# Kinds of entity, as the first path segment after id/.
ENTITY_TYPES = (
    "place", "camp", "person", "org", "work", "event", "estimate", "claim",
    "dataset", "observation", "source", "citation",
)

PREFIXES: dict[str, str] = {
    "skg": str(SKG),
    "schema": str(SCHEMA),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "geo": str(GEO),
    "qb": str(QB),
    "void": str(VOID),
    "dcat": str(DCAT),
    "spdx": str(SPDX),
    "wd": str(WD),
}

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def entity_prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """The per-kind prefixes used in data files and dumps (``place:`` and so on)."""
    short = {"estimate": "est", "citation": "cit", "source": "src", "dataset": "ds",
             "observation": "obs"}
    return {short.get(kind, kind): f"{base}id/{kind}/" for kind in ENTITY_TYPES}


def all_prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    return {**PREFIXES, **entity_prefixes(base)}


def check_base(base: str) -> str:
    """A base IRI must be absolute http(s) and end with a slash, so that id/... can follow it."""
    if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?/$", base):
        raise ValueError(
            f"base IRI {base!r} must be an absolute http(s) IRI ending with '/', "
            f"for example {DEFAULT_BASE!r}")
    return base


def mint(kind: str, slug: str, base: str = DEFAULT_BASE) -> URIRef:
    if kind not in ENTITY_TYPES:
        raise ValueError(f"unknown entity kind {kind!r}; expected one of {', '.join(ENTITY_TYPES)}")
    if not _SLUG.match(slug):
        raise ValueError(f"slug {slug!r} is not lower-case ASCII words joined by hyphens")
    return URIRef(f"{base}id/{kind}/{slug}")


def entity_kind(iri: str, base: str = DEFAULT_BASE) -> str | None:
    """The kind segment of one of our entity IRIs, or None for anything else."""
    prefix = f"{base}id/"
    if not iri.startswith(prefix):
        return None
    kind, _, rest = iri[len(prefix):].partition("/")
    return kind if kind in ENTITY_TYPES and rest else None


def rebase(iri: str, base: str) -> str:
    """Move an IRI written under the default base to another base."""
    if base != DEFAULT_BASE and iri.startswith(DEFAULT_BASE + "id/"):
        return base + iri[len(DEFAULT_BASE):]
    return iri


def dataset_iri(base: str = DEFAULT_BASE) -> URIRef:
    return URIRef(f"{base}id/dataset/siberia-kg")
