"""What the linked-data routes and the HTML pages ask of the store: the bounded description of an
entity, whether an IRI exists, and the instances of a class.

Everything here reads the Oxigraph store directly by quad pattern (no SPARQL parsing), so a
description costs a few milliseconds. The store holds one named graph per citation (the
statements a citation supports), the default graph (labels and the declarations of sources and
citations) and the ontology in its own graph; see data/README.md.

Public calls, all taking the app's ``AppState`` (``state.store``, ``state.base``,
``state.config.page_size``):

- ``describe(state, iri, page=1) -> Description | None`` (None: no such entity; raises
  ``PageOutOfRange`` for a page past the last one of inbound links);
- ``exists(state, iri) -> bool``;
- ``instances(state, class_iri) -> list[Instance]``;
- ``classes(state) -> list[ClassCount]`` (every class our entities have, with counts);
- ``Description.graph(document_iri) -> rdflib.Graph`` for the RDF serialisations.

RDF terms in the structures are rdflib terms (``URIRef``, ``Literal`` with ``.language`` and
``.datatype``); IRIs used as keys are plain ``str``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from ..describe import LICENSE
from ..namespaces import ONTOLOGY_IRI, SCHEMA, SKG, VOID, all_prefixes, dataset_iri, entity_kind
from .search import names_in_store

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

# Estimates attached to an entity: those about it, made by it, or covering it.
ESTIMATE_LINKS = (SKG.about, SKG.estimatedBy, SKG.scope)
# What is said of a citation's source document in every description that cites it.
SOURCE_SUMMARY = (RDF.type, RDFS.label, DCTERMS.title, DCTERMS.date, SCHEMA.url, SKG.sourceGenre)


class PageOutOfRange(ValueError):
    """A page of inbound links past the last one."""

    def __init__(self, page: int, pages: int):
        self.page, self.pages = page, pages
        super().__init__(f"page {page} does not exist: there are {pages} page(s) of inbound links")


@dataclass
class Statement:
    """``<entity> predicate object``, with the citation graphs it sits in (sorted IRIs).
    ``citations == []`` means the default graph: labels (skos:prefLabel, skos:altLabel and the
    rdfs:label / schema:name / schema:alternateName the build derives from them) and the
    declarations of sources and citations."""
    predicate: URIRef
    object: URIRef | Literal | BNode
    citations: list[str] = field(default_factory=list)


@dataclass
class Link:
    """An inbound link ``subject predicate <entity>``, with the citation graphs it sits in."""
    subject: URIRef
    predicate: URIRef
    citations: list[str] = field(default_factory=list)


@dataclass
class CitationInfo:
    """A citation: the located part of a source document that supports statements.
    ``source_title`` is the document's dcterms:title (else its label); any field may be None."""
    iri: str
    label: str | None = None
    locator: str | None = None
    source: str | None = None
    source_title: str | None = None
    source_url: str | None = None


@dataclass
class EstimateInfo:
    """An estimate attached to the entity. ``via``: the predicates (skg:about, skg:estimatedBy,
    skg:scope) that tie it to the entity; ``statements``: everything said of the estimate."""
    iri: str
    via: list[str]
    statements: list[Statement]


@dataclass
class Description:
    """The bounded description of one entity.

    - ``iri``, ``kind`` (the segment after id/: camp, person ...; None for other IRIs);
    - ``types``: its rdf:type IRIs (str), sorted;
    - ``labels``: ``{lang: {"pref": str | None, "alt": [str, ...]}}`` from skos:prefLabel and
      skos:altLabel, every language ("" for untagged);
    - ``statements``: every ``<iri> ?p ?o`` in every graph, one per distinct (p, o), each with
      its citation graphs; rdf:type first, then by predicate and object;
    - ``citations``: ``{citation IRI: CitationInfo}`` for every citation named anywhere in this
      description (statements, estimates, inbound links on this page);
    - ``estimates``: EstimateInfo for each estimate about / by / scoped to the entity;
    - ``inbound``: this page of links to the entity (distinct subject+predicate, sorted by
      predicate then subject); ``inbound_total`` of them in all; ``page`` (1-based),
      ``pages``, ``page_size``; ``truncated`` is True when other pages exist;
    - ``names``: ``{IRI: {lang: label}}`` for every IRI mentioned (types, predicates, objects,
      linking subjects, sources, ontology terms), from skos:prefLabel, else rdfs:label.
    """
    iri: str
    kind: str | None
    base: str
    types: list[str]
    labels: dict[str, dict]
    statements: list[Statement]
    citations: dict[str, CitationInfo]
    estimates: list[EstimateInfo]
    inbound: list[Link]
    inbound_total: int
    page: int
    pages: int
    page_size: int
    names: dict[str, dict[str, str]]
    _extra: list[tuple] = field(default_factory=list, repr=False)  # citation/source triples

    @property
    def truncated(self) -> bool:
        return self.pages > 1

    def label(self, lang: str = "en") -> str:
        """The preferred label in lang, else in English, else any, else the IRI's last segment."""
        for lg in (lang, "en"):
            if self.labels.get(lg, {}).get("pref"):
                return self.labels[lg]["pref"]
        for entry in self.labels.values():
            if entry.get("pref"):
                return entry["pref"]
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    def name(self, iri: str, lang: str = "en") -> str | None:
        """The label of a mentioned IRI in lang, else English, else any; None if it has none."""
        names = self.names.get(str(iri)) or {}
        return names.get(lang) or names.get("en") or next(iter(names.values()), None)

    def page_iri(self, document: str, page: int) -> str:
        return document if page == 1 else f"{document}?page={page}"

    def graph(self, document: str | None = None) -> Graph:
        """The description as RDF (flat triples; graph names become skg:citation links, which
        the build has already written). ``document``: the public IRI of the document being
        served without its query (e.g. ``{iri}.ttl``); it gets foaf:primaryTopic, and, when the
        inbound links are cut into pages, Hydra paging (hydra:next ...) and a comment saying so.
        """
        g = Graph(bind_namespaces="none")
        for prefix, ns in all_prefixes(self.base).items():
            g.bind(prefix, ns, override=True)
        g.bind("foaf", str(FOAF))
        g.bind("hydra", str(HYDRA))
        me = URIRef(self.iri)
        for st in self.statements:
            g.add((me, st.predicate, st.object))
        for est in self.estimates:
            e = URIRef(est.iri)
            for st in est.statements:
                g.add((e, st.predicate, st.object))
        for link in self.inbound:
            g.add((link.subject, link.predicate, me))
        for t in self._extra:
            g.add(t)
        if document:
            self._document_triples(g, URIRef(self.page_iri(document, self.page)), document)
        return g

    def _document_triples(self, g: Graph, doc: URIRef, document: str) -> None:
        me = URIRef(self.iri)
        g.add((doc, RDF.type, FOAF.Document))
        g.add((doc, FOAF.primaryTopic, me))
        g.add((doc, VOID.inDataset, dataset_iri(self.base)))
        g.add((doc, DCTERMS.license, LICENSE))
        if not self.truncated:
            return
        # The inbound links are a collection cut into pages: say so with Hydra, the W3C
        # community vocabulary for paged collections, and in words for people reading Turtle.
        collection = URIRef(f"{self.iri}#inbound-links")
        first = 1 + (self.page - 1) * self.page_size
        last = min(self.page * self.page_size, self.inbound_total)
        g.add((collection, RDF.type, HYDRA.Collection))
        g.add((collection, HYDRA.totalItems, Literal(self.inbound_total, datatype=XSD.integer)))
        g.add((collection, HYDRA.view, doc))
        g.add((collection, RDFS.comment, Literal(
            f"The links from other resources to {self.iri}; each item is one subject and "
            f"predicate pointing at it.", lang="en")))
        g.add((doc, RDF.type, HYDRA.PartialCollectionView))
        g.add((doc, HYDRA.first, URIRef(self.page_iri(document, 1))))
        g.add((doc, HYDRA.last, URIRef(self.page_iri(document, self.pages))))
        if self.page > 1:
            g.add((doc, HYDRA.previous, URIRef(self.page_iri(document, self.page - 1))))
        if self.page < self.pages:
            g.add((doc, HYDRA.next, URIRef(self.page_iri(document, self.page + 1))))
        g.add((doc, RDFS.comment, Literal(
            f"Truncated: this page {self.page} of {self.pages} holds inbound links "
            f"{first}-{last} of {self.inbound_total}; the others are on the pages linked by "
            f"hydra:first, hydra:previous, hydra:next and hydra:last.", lang="en")))


@dataclass
class Instance:
    """An instance of a class: its IRI and ``names`` ({lang: preferred label})."""
    iri: str
    names: dict[str, str]

    @property
    def label(self) -> str:
        return self.names.get("en") or next(iter(self.names.values()), None) or \
            self.iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class ClassCount:
    """A class our entities belong to, how many do, and its ``names`` ({lang: label})."""
    iri: str
    count: int
    names: dict[str, str]


# --- term conversion ------------------------------------------------------------------------

_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = str(RDF.langString)


def _term(t):
    """A pyoxigraph term as an rdflib term (lexical forms kept as written)."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        dt = t.datatype.value
        if dt in (_XSD_STRING, _RDF_LANGSTRING):
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(dt), normalize=False)
    raise TypeError(f"unexpected term {t!r}")


def _graph_name(q) -> str | None:
    g = q.graph_name
    return g.value if isinstance(g, ox.NamedNode) else None


_ONTOLOGY = str(ONTOLOGY_IRI)


def _nn(iri) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def _object_key(o) -> tuple:
    if isinstance(o, Literal):
        return (1, str(o), o.language or "", str(o.datatype or ""))
    return (0, str(o), "", "")


def _statement_key(st) -> tuple:
    return (st.predicate != RDF.type, str(st.predicate), _object_key(st.object))


# --- calls ----------------------------------------------------------------------------------

def exists(state, iri: str) -> bool:
    """True when the store says anything of ``iri`` (outside the ontology graph)."""
    try:
        node = _nn(iri)
    except ValueError:  # not an IRI pyoxigraph accepts: certainly not ours
        return False
    return any(_graph_name(q) != _ONTOLOGY
               for q in state.store.raw.quads_for_pattern(node, None, None, None))


def _outgoing(raw: ox.Store, node: ox.NamedNode) -> list[Statement]:
    """Every (p, o) of node, merged over graphs, with the citation graphs of each."""
    found: dict[tuple, set] = {}
    for q in raw.quads_for_pattern(node, None, None, None):
        g = _graph_name(q)
        if g == _ONTOLOGY:
            continue
        key = (_term(q.predicate), _term(q.object))
        found.setdefault(key, set())
        if g:
            found[key].add(g)
    out = [Statement(p, o, sorted(gs)) for (p, o), gs in found.items()]
    out.sort(key=_statement_key)
    return out


def _citation_info(raw: ox.Store, cit: str, extra: list[tuple]) -> CitationInfo:
    info = CitationInfo(iri=cit)
    node = _nn(cit)
    for q in raw.quads_for_pattern(node, None, None, ox.DefaultGraph()):
        p, o = _term(q.predicate), _term(q.object)
        extra.append((URIRef(cit), p, o))
        if p == SKG.locator:
            info.locator = str(o)
        elif p == SKG.source:
            info.source = str(o)
        elif p == RDFS.label and (info.label is None or getattr(o, "language", None) == "en"):
            info.label = str(o)
    if info.source:
        src = _nn(info.source)
        titles: dict = {}
        for p in SOURCE_SUMMARY:
            for q in raw.quads_for_pattern(src, _nn(p), None, None):
                o = _term(q.object)
                extra.append((URIRef(info.source), p, o))
                if p in (DCTERMS.title, RDFS.label):
                    titles.setdefault(p, []).append(str(o))
                elif p == SCHEMA.url:
                    info.source_url = str(o)
        # The document's own title first, else its label.
        for p in (DCTERMS.title, RDFS.label):
            if titles.get(p):
                info.source_title = sorted(titles[p])[0]
                break
    return info


def describe(state, iri: str, page: int = 1) -> Description | None:
    """The bounded description of ``iri``; None when the store says nothing of it.
    Raises PageOutOfRange when ``page`` is past the last page of inbound links (page 1 always
    exists)."""
    if page < 1:
        raise PageOutOfRange(page, 1)
    raw: ox.Store = state.store.raw
    try:
        node = _nn(iri)
    except ValueError:
        return None
    statements = _outgoing(raw, node)
    if not statements:
        return None
    base: str = state.base
    page_size = max(1, int(getattr(state.config, "page_size", 200)))

    types = sorted(str(st.object) for st in statements if st.predicate == RDF.type)
    labels: dict[str, dict] = {}
    for st in statements:
        if st.predicate in (SKOS.prefLabel, SKOS.altLabel) and isinstance(st.object, Literal):
            entry = labels.setdefault(st.object.language or "", {"pref": None, "alt": []})
            if st.predicate == SKOS.prefLabel:
                entry["pref"] = str(st.object) if entry["pref"] is None else min(entry["pref"], str(st.object))
            else:
                entry["alt"].append(str(st.object))
    for entry in labels.values():
        entry["alt"].sort()

    # Estimates tied to the entity, each with all its own statements.
    via: dict[str, set[str]] = {}
    for p in ESTIMATE_LINKS:
        for q in raw.quads_for_pattern(None, _nn(p), node, None):
            if isinstance(q.subject, ox.NamedNode) and _graph_name(q) != _ONTOLOGY:
                via.setdefault(q.subject.value, set()).add(str(p))
    estimates = []
    for est in sorted(via):
        est_statements = _outgoing(raw, _nn(est))
        if URIRef(SKG.Estimate) in {st.object for st in est_statements if st.predicate == RDF.type}:
            estimates.append(EstimateInfo(est, sorted(via[est]), est_statements))

    # Inbound links, paged: one item per distinct (subject, predicate).
    inbound_all: dict[tuple, set] = {}
    for q in raw.quads_for_pattern(None, None, node, None):
        g = _graph_name(q)
        if g == _ONTOLOGY:
            continue
        key = (_term(q.subject), _term(q.predicate))
        inbound_all.setdefault(key, set())
        if g:
            inbound_all[key].add(g)
    ordered = sorted(inbound_all.items(), key=lambda kv: (str(kv[0][1]), str(kv[0][0])))
    total = len(ordered)
    pages = max(1, math.ceil(total / page_size))
    if page > pages:
        raise PageOutOfRange(page, pages)
    window = ordered[(page - 1) * page_size: page * page_size]
    inbound = [Link(s, p, sorted(gs)) for (s, p), gs in window]

    cited = set()
    for st in statements:
        cited.update(st.citations)
    for est in estimates:
        for st in est.statements:
            cited.update(st.citations)
    for link in inbound:
        cited.update(link.citations)
    extra: list[tuple] = []
    citations = {c: _citation_info(raw, c, extra) for c in sorted(cited)}

    mentioned: set[str] = set(types)
    for st in statements:
        mentioned.add(str(st.predicate))
        if isinstance(st.object, URIRef):
            mentioned.add(str(st.object))
    for est in estimates:
        mentioned.add(est.iri)
        for st in est.statements:
            mentioned.add(str(st.predicate))
            if isinstance(st.object, URIRef):
                mentioned.add(str(st.object))
    for link in inbound:
        mentioned.update((str(link.subject), str(link.predicate)))
    for info in citations.values():
        mentioned.add(info.iri)
        if info.source:
            mentioned.add(info.source)
    mentioned.discard(iri)

    return Description(
        iri=iri, kind=entity_kind(iri, base), base=base, types=types, labels=labels,
        statements=statements, citations=citations, estimates=estimates, inbound=inbound,
        inbound_total=total, page=page, pages=pages, page_size=page_size,
        names=names_in_store(raw, sorted(mentioned)), _extra=extra)


def instances(state, class_iri: str) -> list[Instance]:
    """The entities with rdf:type ``class_iri`` in any data graph, sorted by English label
    (then by IRI); each with its preferred labels by language."""
    raw: ox.Store = state.store.raw
    try:
        cls = _nn(class_iri)
    except ValueError:
        return []
    found = {q.subject.value for q in raw.quads_for_pattern(None, _nn(RDF.type), cls, None)
             if isinstance(q.subject, ox.NamedNode) and _graph_name(q) != _ONTOLOGY}
    names = names_in_store(raw, sorted(found))
    out = [Instance(i, names.get(i, {})) for i in found]
    out.sort(key=lambda x: (x.label.casefold(), x.iri))
    return out


def instances_page(state, class_iri: str, offset: int, limit: int) -> list[str]:
    """IRIs of entities with rdf:type ``class_iri``, in the store's index order (stable for a
    build), from ``offset``: for classes too large to sort (register records)."""
    from itertools import islice

    raw: ox.Store = state.store.raw
    seen: set[str] = set()

    def members():
        for q in raw.quads_for_pattern(None, _nn(RDF.type), _nn(class_iri), None):
            s = q.subject
            if isinstance(s, ox.NamedNode) and _graph_name(q) != _ONTOLOGY and s.value not in seen:
                seen.add(s.value)
                yield s.value

    return list(islice(members(), offset, offset + limit))


def classes(state) -> list[ClassCount]:
    """Every class of our entities (IRIs under {base}id/), with how many entities have it,
    most frequent first."""
    raw: ox.Store = state.store.raw
    stats = getattr(state.store, "statistics", None) or {}
    if stats.get("classes"):
        # Counted by the build (the persistent store's statistics): a server need not read
        # the types of a million register records at every start.
        counts = {c: int(n) for c, n in stats["classes"].items() if int(n) > 0}
        names = names_in_store(raw, sorted(counts))
        out = [ClassCount(c, n, names.get(c, {})) for c, n in counts.items()]
        out.sort(key=lambda c: (-c.count, c.iri))
        return out
    members: dict[str, set[str]] = {}
    for q in raw.quads_for_pattern(None, _nn(RDF.type), None, None):
        if (_graph_name(q) == _ONTOLOGY or not isinstance(q.subject, ox.NamedNode)
                or not isinstance(q.object, ox.NamedNode)):
            continue
        if entity_kind(q.subject.value, state.base):
            members.setdefault(q.object.value, set()).add(q.subject.value)
    names = names_in_store(raw, sorted(members))
    out = [ClassCount(c, len(s), names.get(c, {})) for c, s in members.items()]
    out.sort(key=lambda c: (-c.count, c.iri))
    return out
