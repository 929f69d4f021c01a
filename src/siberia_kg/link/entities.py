"""Our side of the linking: the entities of the curated data, with what can tell them apart
from their homonyms (labels in every language, types, dates, coordinates, containing places,
countries, makers of works, roles of people) and the links they already have."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, SKOS, XSD

from ..config import Settings
from ..load import LoadedData, load
from ..namespaces import DEFAULT_BASE, SCHEMA, SKG, WD, all_prefixes, entity_kind
from .mapping import CREATOR_PREDICATES, DATE_PROPERTIES

LINKABLE_KINDS = ("place", "camp", "person", "org", "work", "event")
WD_ENTITY = str(WD)


@dataclass(frozen=True)
class Label:
    text: str
    lang: str      # lower-case BCP 47 tag: en, ja, ru, ja-latn ...
    pref: bool


@dataclass(frozen=True)
class DateValue:
    """A date at its own precision: year, year-month or full date."""
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> int:  # Wikidata's scale: 9 year, 10 month, 11 day
        return 11 if self.day else 10 if self.month else 9

    def __str__(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @classmethod
    def from_literal(cls, lit) -> "DateValue | None":
        if not isinstance(lit, Literal):
            return None
        text = str(lit)
        try:
            if lit.datatype == XSD.date:
                y, m, d = text[:10].split("-")
                return cls(int(y), int(m), int(d))
            if lit.datatype == XSD.gYearMonth:
                y, m = text[:7].split("-")
                return cls(int(y), int(m))
            if lit.datatype == XSD.gYear:
                return cls(int(text[:4]))
        except ValueError:
            return None
        return None


@dataclass(frozen=True)
class Link:
    entity: str
    item: str       # Q-id
    graph: str      # the citation graph that states it
    source: str     # the source document of that citation


@dataclass
class Entity:
    iri: str
    kind: str
    types: frozenset[str]
    labels: list[Label]
    description: str | None = None
    dates: dict[str, list[DateValue]] = field(default_factory=dict)
    coords: list[tuple[float, float]] = field(default_factory=list)
    coords_approximate: bool = False
    containers: list[list[Label]] = field(default_factory=list)   # enclosing places (not countries)
    countries: list[list[Label]] = field(default_factory=list)
    creators: list[list[Label]] = field(default_factory=list)
    based_on: list[list[Label]] = field(default_factory=list)     # works this one adapts
    made: list[str] = field(default_factory=list)                # works this person or body made
    roles: frozenset[str] = frozenset()
    links: list[Link] = field(default_factory=list)

    @property
    def curie(self) -> str:
        return curie(self.iri)

    def pref(self, lang: str = "en") -> str | None:
        for label in self.labels:
            if label.pref and label.lang == lang:
                return label.text
        return None

    @property
    def name(self) -> str:
        return self.pref("en") or next((l.text for l in self.labels), self.curie)


def curie(iri: str) -> str:
    best = max(((p, ns) for p, ns in all_prefixes(DEFAULT_BASE).items() if iri.startswith(ns)),
               key=lambda x: len(x[1]), default=None)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else iri


def expand(name: str) -> str:
    """place:taishet -> the full IRI (full IRIs pass through)."""
    name = name.strip()
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, sep, local = name.partition(":")
    if sep and not local.startswith("//"):
        ns = all_prefixes(DEFAULT_BASE).get(prefix)
        if ns:
            return ns + local
    return name


def qid_of(iri: str) -> str | None:
    if iri.startswith(WD_ENTITY):
        local = iri[len(WD_ENTITY):]
        if local[:1] == "Q" and local[1:].isdigit():
            return local
    return None


@dataclass
class OurData:
    loaded: LoadedData
    entities: dict[str, Entity]
    links: list[Link]
    sources: dict[str, str]           # citation graph -> source document
    source_wikidata: dict[str, str]   # source document -> its own Wikidata item, if linked

    @property
    def dataset(self) -> Dataset:
        return self.loaded.dataset


def load_data(settings: Settings, exclude: tuple[Path, ...] = ()) -> LoadedData:
    """Load and check the curated data, leaving out some files (the linker's own outputs, which
    it reads apart so that a stale one can never stop it)."""
    from ..build import load_ontology

    ontology = load_ontology(settings)
    data_dir: Path = settings.data_dir  # type: ignore[assignment]
    excluded = {p.resolve() for p in exclude}
    if not excluded:
        return load(data_dir, ontology, base=DEFAULT_BASE, root=settings.root)
    from ..load import data_files

    with tempfile.TemporaryDirectory(prefix="siberia-kg-link-") as tmp:
        for path in data_files(data_dir):
            if path.resolve() in excluded:
                continue
            target = Path(tmp) / path.relative_to(data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path.resolve(), target)
        return load(Path(tmp), ontology, base=DEFAULT_BASE, root=Path(tmp))


def read_entities(loaded: LoadedData) -> OurData:
    ds = loaded.dataset
    default = ds.graph(DATASET_DEFAULT_GRAPH_ID)
    sources = {str(c): str(s) for c, s in default.subject_objects(SKG.source)}

    types: dict[str, set[str]] = defaultdict(set)
    facts: dict[str, dict[URIRef, list]] = defaultdict(lambda: defaultdict(list))
    links: list[Link] = []
    labels: dict[str, list[Label]] = defaultdict(list)
    coord_parts: dict[tuple[str, str], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for s, p, o, g in ds.quads((None, None, None, None)):
        if not isinstance(s, URIRef):
            continue
        s_ = str(s)
        if p == RDF.type:
            types[s_].add(str(o))
        elif p in (SKOS.prefLabel, SKOS.altLabel) and isinstance(o, Literal) and o.language:
            lab = Label(str(o), o.language.lower(), p == SKOS.prefLabel)
            if lab not in labels[s_]:
                labels[s_].append(lab)
        elif p in (SCHEMA.latitude, SCHEMA.longitude) and isinstance(o, Literal):
            # a point is the latitude and longitude one citation gives together
            coord_parts[(s_, str(g))][0 if p == SCHEMA.latitude else 1].append(float(o))
        elif p == SKOS.exactMatch and qid_of(str(o)):
            gid = str(g) if g is not None and g != DATASET_DEFAULT_GRAPH_ID else ""
            links.append(Link(s_, qid_of(str(o)), gid, sources.get(gid, "")))  # type: ignore[arg-type]
        else:
            facts[s_][p].append(o)

    def labels_of(iri) -> list[Label]:
        return sorted(labels.get(str(iri), []), key=lambda l: (not l.pref, l.lang, l.text))

    def walk_up(start: str) -> list[str]:
        """Places enclosing ``start`` (transitively, nearest first)."""
        seen: list[str] = []
        frontier = [start]
        while frontier:
            nxt = []
            for node in frontier:
                for o in facts.get(node, {}).get(SCHEMA.containedInPlace, []):
                    o_ = str(o)
                    if o_ not in seen and o_ != start:
                        seen.append(o_)
                        nxt.append(o_)
            frontier = nxt
        return seen

    country_cls = str(SCHEMA.Country)
    entities: dict[str, Entity] = {}
    made_by: dict[str, list[str]] = defaultdict(list)
    for iri in sorted(set(types) | set(labels)):
        kind = entity_kind(iri, DEFAULT_BASE)
        if kind not in LINKABLE_KINDS:
            continue
        f = facts.get(iri, {})
        e = Entity(iri=iri, kind=kind, types=frozenset(types.get(iri, ())), labels=labels_of(iri))
        descs = [o for o in f.get(SCHEMA.description, []) if isinstance(o, Literal)
                 and (o.language or "").lower() == "en"]
        e.description = str(sorted(descs)[0]) if descs else None
        for prop in DATE_PROPERTIES:
            vals = [DateValue.from_literal(o) for o in f.get(URIRef(prop), [])]
            vals = sorted({v for v in vals if v}, key=str)
            if vals:
                e.dates[prop] = vals
        points = set()
        for (subject, _), (lats, lons) in coord_parts.items():
            if subject == iri and len(lats) == 1 and len(lons) == 1:
                points.add((lats[0], lons[0]))
        e.coords = sorted(points)
        e.coords_approximate = any(bool(o.toPython()) for o in f.get(SKG.coordinatesApproximate, [])
                                   if isinstance(o, Literal))
        # Enclosing places and countries: a place's own containers; a person's nationality;
        # the location of an organization or an event, and what encloses it.
        starts: list[str] = []
        if kind in ("place", "camp"):
            starts = [iri]
        for p in (SCHEMA.location, SCHEMA.nationality):
            for o in f.get(p, []):
                starts.append(str(o))
        enclosing: list[str] = []
        for st in starts:
            if st != iri:
                enclosing.append(st)
            enclosing += walk_up(st)
        seen = set()
        for place in enclosing:
            if place in seen or place == iri:
                continue
            seen.add(place)
            names = labels_of(place)
            if not names:
                continue
            if country_cls in types.get(place, ()):
                e.countries.append(names)
            else:
                e.containers.append(names)
        if kind == "place" and country_cls in e.types:
            e.countries = []  # a country is not in a country
        makers = []
        for p in CREATOR_PREDICATES:
            for o in f.get(URIRef(p), []):
                if str(o) not in makers:
                    makers.append(str(o))
        for o in makers:
            names = labels_of(o)
            if names:
                e.creators.append(names)
            made_by[o].append(iri)
        for o in sorted({str(x) for x in f.get(SCHEMA.isBasedOn, [])}):
            names = labels_of(o)
            if names:
                e.based_on.append(names)
        e.roles = frozenset(str(o) for o in f.get(SKG.role, []))
        entities[iri] = e

    for maker, works in made_by.items():
        if maker in entities:
            entities[maker].made = sorted(set(works))
    for link in links:
        if link.entity in entities:
            entities[link.entity].links.append(link)

    source_wikidata = {}
    for link in links:
        if entity_kind(link.entity, DEFAULT_BASE) == "source":
            source_wikidata[link.entity] = link.item
    return OurData(loaded=loaded, entities=entities, links=sorted(links, key=lambda l: (l.entity, l.item, l.graph)),
                   sources=sources, source_wikidata=source_wikidata)
