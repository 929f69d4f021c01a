"""The dataset's own description: VoID statistics and DCAT distributions with sizes and checksums."""

from __future__ import annotations

import re
from collections import Counter

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from . import __version__
from .namespaces import (DCAT, ONTOLOGY_IRI, PREFIXES, SCHEMA, SKG, SPDX, VOID, WD,
                         dataset_iri, entity_kind)

LICENSE = URIRef("https://creativecommons.org/licenses/by-sa/4.0/")
VOCABULARIES = ["https://schema.org/", str(SKG), str(SKOS), str(DCTERMS), "http://www.w3.org/ns/prov#",
                "http://purl.org/linked-data/cube#", "http://www.w3.org/2003/01/geo/wgs84_pos#"]


def _frag(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


PRIVACY_PUBLIC = (
    "Person registers list people who may still be alive. Records of people who may be alive "
    "(no death date, and born less than 110 years before the register was imported, or birth "
    "date unknown) keep their personal details out of the public dumps and the public graph: "
    "only that the record exists, its register, its record number and a generic label are "
    "published (skg:detailsWithheld true).")
PRIVACY_INCLUDED = (
    "This build was made with --include-withheld: it contains the complete records of people who "
    "may be alive (no death date, born less than 110 years before the register was imported). "
    "It is not for publication; the public dumps keep those records' personal details out.")


def describe(union: Graph, base: str, dumps: list[dict], sources: list[URIRef],
             registers: list[dict] | None = None, include_withheld: bool = False) -> Graph:
    """``dumps``: dicts with name, media_type, size, sha256, triples (or quads).

    ``registers``: one dict per imported person register (slug, title, document, triples,
    entities, classes {class IRI: entities}, properties {property IRI: triples}, withheld,
    withheld_included, dumps), each described as a void:subset with its own dumps; the dataset's
    totals (triples, entities, subjects, classes, properties) then count them too, and
    void:distinctObjects, which cannot be summed, is left out.
    """
    registers = registers or []
    ds = dataset_iri(base)
    g = Graph()
    for prefix in ("rdf", "rdfs", "xsd", "dcterms", "void", "dcat", "spdx", "skg", "schema", "owl"):
        g.bind(prefix, PREFIXES[prefix], override=True)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, RDF.type, SCHEMA.Dataset))
    for lang, title in (("en", "siberia-kg: the Siberian Internment knowledge graph"),
                        ("ja", "シベリア抑留ナレッジグラフ"),
                        ("ru", "Граф знаний о японских военнопленных в СССР")):
        g.add((ds, DCTERMS.title, Literal(title, lang=lang)))
        g.add((ds, RDFS.label, Literal(title, lang=lang)))
    g.add((ds, DCTERMS.description, Literal(
        "Camps, places, people, organizations, works, events and sourced figures on the Japanese "
        "prisoners of war and civilian internees held in the Soviet Union and Mongolia, 1945-1956. "
        "Every statement is in a named graph that cites the source document and the place in it.",
        lang="en")))
    rights = URIRef(f"{ds}#access-rights")
    g.add((ds, DCTERMS.accessRights, rights))
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    g.add((rights, RDFS.label, Literal(PRIVACY_INCLUDED if include_withheld else PRIVACY_PUBLIC,
                                       lang="en")))
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, SCHEMA.license, LICENSE))
    g.add((ds, OWL.versionInfo, Literal(__version__)))
    g.add((ds, DCAT.version, Literal(__version__)))
    g.add((ds, VOID.uriSpace, Literal(f"{base}id/")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    g.add((ds, VOID.rootResource, URIRef(f"{base}id/event/siberian-internment")))
    g.add((ds, VOID.exampleResource, URIRef(f"{base}id/camp/taishet")))
    g.add((ds, VOID.exampleResource, URIRef(f"{base}id/person/s-i-kuznetsov")))
    g.add((ds, DCTERMS.conformsTo, ONTOLOGY_IRI))
    for v in VOCABULARIES:
        g.add((ds, VOID.vocabulary, URIRef(v)))
    for src in sources:
        g.add((ds, DCTERMS.source, src))

    triples = len(union)
    subjects = {s for s in union.subjects()}
    entities = {s for s in subjects if isinstance(s, URIRef) and entity_kind(str(s), base)}
    by_class = Counter(o for s, o in union.subject_objects(RDF.type) if s in entities)
    by_prop = Counter(union.predicates())
    n_entities, n_subjects = len(entities), len(subjects)
    for r in registers:  # disjoint from the curated graph: their own records and declarations
        triples += r["triples"]
        n_entities += r["entities"]
        n_subjects += r["entities"]
        by_class.update({URIRef(c): n for c, n in r["classes"].items()})
        by_prop.update({URIRef(p): n for p, n in r["properties"].items()})
    g.add((ds, VOID.triples, Literal(triples, datatype=XSD.integer)))
    g.add((ds, VOID.entities, Literal(n_entities, datatype=XSD.integer)))
    g.add((ds, VOID.distinctSubjects, Literal(n_subjects, datatype=XSD.integer)))
    if not registers:
        g.add((ds, VOID.distinctObjects, Literal(len(set(union.objects())), datatype=XSD.integer)))
    g.add((ds, VOID.properties, Literal(len(by_prop), datatype=XSD.integer)))

    g.add((ds, VOID.classes, Literal(len(by_class), datatype=XSD.integer)))
    for cls, n in sorted(by_class.items()):
        part = URIRef(f"{ds}#class-{_frag(str(cls).split('/')[-1].split('#')[-1])}-"
                      f"{_frag(str(cls).split('//')[-1].split('/')[0])}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))

    for prop, n in sorted(by_prop.items()):
        part = URIRef(f"{ds}#property-{_frag(str(prop).split('//')[-1])}")
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))

    links = [(s, o) for s, o in union.subject_objects(SKOS.exactMatch) if str(o).startswith(str(WD))]
    linkset = URIRef(f"{ds}#wikidata-links")
    g.add((ds, VOID.subset, linkset))
    g.add((linkset, RDF.type, VOID.Linkset))
    g.add((linkset, VOID.linkPredicate, SKOS.exactMatch))
    g.add((linkset, VOID.subjectsTarget, ds))
    g.add((linkset, VOID.objectsTarget, URIRef("http://www.wikidata.org/")))
    g.add((linkset, VOID.triples, Literal(len(links), datatype=XSD.integer)))

    for d in dumps:
        _distribution(g, ds, d, base)
    for r in registers:
        _register_subset(g, ds, r, base, rights)
    return g


def _register_subset(g: Graph, ds: URIRef, r: dict, base: str, rights: URIRef) -> None:
    sub = URIRef(f"{ds}#register-{r['slug']}")
    g.add((ds, VOID.subset, sub))
    g.add((sub, RDF.type, VOID.Dataset))
    g.add((sub, RDF.type, DCAT.Dataset))
    g.add((sub, DCTERMS.title, Literal(f"Person register: {r['title']}", lang="en")))
    g.add((sub, RDFS.label, Literal(f"Person register: {r['title']}", lang="en")))
    g.add((sub, DCTERMS.source, URIRef(r["document"])))
    g.add((sub, DCTERMS.license, LICENSE))
    g.add((sub, DCTERMS.accessRights, rights))
    withheld = int(r.get("withheld") or 0)
    if withheld and not r.get("withheld_included"):
        note = (f"{withheld:,} of its records are of people who may be alive: they are published "
                f"without their personal details.")
    elif withheld:
        note = (f"{withheld:,} of its records are of people who may be alive; this build includes "
                f"their complete records (--include-withheld): not for publication.")
    else:
        note = "None of its records is withheld."
    g.add((sub, DCTERMS.description, Literal(
        f"The records of an imported person register, every statement cited to it. {note}",
        lang="en")))
    g.add((sub, VOID.triples, Literal(r["triples"], datatype=XSD.integer)))
    g.add((sub, VOID.entities, Literal(r["entities"], datatype=XSD.integer)))
    for cls, n in sorted(r["classes"].items()):
        part = URIRef(f"{sub}-class-{_frag(cls.split('/')[-1].split('#')[-1])}-"
                      f"{_frag(cls.split('//')[-1].split('/')[0])}")
        g.add((sub, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    for d in r["dumps"]:
        _distribution(g, sub, d, base)


def _distribution(g: Graph, ds: URIRef, d: dict, base: str) -> None:
    """A dump as a DCAT distribution of ``ds`` (and its VoID data dump): size, type, SHA-256."""
    url = URIRef(f"{base}dumps/{d['name']}")
    g.add((ds, VOID.dataDump, url))
    g.add((ds, DCAT.distribution, url))
    g.add((url, RDF.type, DCAT.Distribution))
    g.add((url, DCAT.downloadURL, url))
    g.add((url, DCAT.accessURL, url))
    g.add((url, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{d['media_type']}")))
    g.add((url, DCTERMS["format"], Literal(d["media_type"])))
    g.add((url, DCAT.byteSize, Literal(d["size"], datatype=XSD.nonNegativeInteger)))
    g.add((url, DCTERMS.license, LICENSE))
    g.add((url, DCTERMS.title, Literal(d["title"], lang="en")))
    checksum = URIRef(f"{url}#sha256")
    g.add((url, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(d["sha256"], datatype=XSD.hexBinary)))
