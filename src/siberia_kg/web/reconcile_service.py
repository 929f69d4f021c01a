"""Entity reconciliation over the graph: the matching logic behind the W3C Reconciliation API.

Independent of HTTP: ``routes/reconcile.py`` parses requests into ``Query`` objects and
serialises what this module returns. Everything works on an in-memory ``Index`` read once from
the store (the graph does not change while the server runs): a few hundred entities and about a
thousand labels, so a query costs about a millisecond.

Entities are those of the kinds a researcher reconciles a spreadsheet against: camps, places,
people, organizations, works and events (``RECONCILABLE``). Their identifiers in the API are the
part of the IRI after ``{base}id/`` (``camp/taishet``); full IRIs are accepted on input.

Matching
--------
Every label counts: skos:prefLabel and skos:altLabel in every language (en, ja, ru and the
romanizations tagged ja-Latn, ru-Latn). Query and labels are compared in two forms:

- ``normalize``: NFKD (which also folds full- and half-width forms), combining marks dropped
  (Fumō -> Fumo; kana voicing marks are kept, they are letters), case folded, separators made
  spaces, other punctuation dropped. Equality in this form is an *exact* match (score 100).
- ``variant``: the normalized form with romanization differences folded away: Cyrillic
  transliterated, hiragana as katakana, spaces removed, Hepburn long vowels (ou, oo, oh, uu),
  y/i and j/i, kh/h, ch/c/ts, doubled letters... "Fumou Chitai", "Taischet" and "Райчиха"
  meet "Fumō Chitai", "Taishet" and "Raychikha" here. Equality in this form scores 95.

Near misses are scored by fuzzy ratios (difflib; plain, token-sorted, and on the variant form)
and by containment (all of the query inside a longer label, e.g. "Khabarovsk" in "Khabarovsk
Krai"), capped below the exact scores. Candidates are found through a bigram index, so the cost
does not grow with the whole label list.

Type constraints filter (or, with type_strict "should", penalise) candidates whose types do
not include the requested type; types are closed upwards (a schema:City is a schema:Place, a
skg:Camp is a schema:Place) through the ontology's rdfs:subClassOf and each kind's broad type.
Property constraints compare values: entities by id or by label (following containedInPlace,
parentOrganization, superEvent and isPartOf upwards, so a camp matches its region), dates at
the precision both sides have (a year matches a full date in that year), numbers, booleans and
strings. A matching property lifts a score a little, an unknown value lowers it a little, a
contradicting value halves it.

``match`` is true only for an exact label (or identifier) match that is unambiguous: of the
right type, contradicted by no property, and the only candidate that is all of these.
"""

from __future__ import annotations

from ..textfold import fold

import html
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import pyoxigraph as ox

from ..namespaces import ONTOLOGY_IRI, PREFIXES

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
SKG = "https://w3id.org/siberia-kg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREF, ALT = SKOS + "prefLabel", SKOS + "altLabel"
DESCRIPTION = SCHEMA + "description"
CONTAINED_IN = SCHEMA + "containedInPlace"

# The kinds of entity offered for reconciliation, and the broad type each kind belongs to.
RECONCILABLE = ("camp", "place", "person", "org", "work", "event")
KIND_TYPE = {
    "camp": SKG + "Camp",
    "place": SCHEMA + "Place",
    "person": SCHEMA + "Person",
    "org": SCHEMA + "Organization",
    "work": SCHEMA + "CreativeWork",
    "event": SCHEMA + "Event",
}
# The manifest's defaultTypes, in this order, with these names.
DEFAULT_TYPE_NAMES = {
    SKG + "Camp": "camp",
    SCHEMA + "Place": "place",
    SCHEMA + "Person": "person",
    SCHEMA + "Organization": "organization",
    SCHEMA + "CreativeWork": "work",
    SCHEMA + "Event": "event",
}
# Short names accepted for types on input ("camp", "org" ...).
TYPE_ALIASES = {**{k: v for k, v in KIND_TYPE.items()}, "organization": SCHEMA + "Organization",
                "organisation": SCHEMA + "Organization"}

# Predicates that are bookkeeping, or derived copies of others: never offered as properties.
HIDDEN_PROPERTIES = {
    RDF_TYPE, RDFS + "label", SCHEMA + "name", SCHEMA + "alternateName", SKG + "citation",
    "http://www.w3.org/2003/01/geo/wgs84_pos#lat", "http://www.w3.org/2003/01/geo/wgs84_pos#long",
    SCHEMA + "sameAs",
}
# Part-of predicates: a value also stands for everything it is part of.
PART_OF = (CONTAINED_IN, SCHEMA + "parentOrganization", SCHEMA + "superEvent", SCHEMA + "isPartOf")

DATE_TYPES = {XSD + "gYear", XSD + "gYearMonth", XSD + "date", XSD + "dateTime"}
INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger",
                                   "positiveInteger")}
NUMERIC_TYPES = INTEGER_TYPES | {XSD + t for t in ("decimal", "double", "float")}
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")

# Limits (the HTTP layer turns ReconcileError into 400 and BatchTooLarge into 413).
MAX_BATCH = 100          # queries in one batch
MAX_QUERY_CHARS = 500    # characters of one query string or value
MAX_LIMIT = 100          # candidates per query
DEFAULT_LIMIT = 10
MAX_CONDITIONS = 20      # property conditions per query
MAX_VALUES = 20          # values per condition
MAX_EXTEND_IDS = 500
MAX_EXTEND_PROPERTIES = 50
MAX_SUGGEST = 50

EXACT, VARIANT_EXACT = 100.0, 95.0
FUZZY_CAP = 90.0         # near misses never reach the exact scores
MIN_NAME_SCORE = 60.0    # weaker name matches are not candidates
PROPERTY_MATCH = 0.85    # a property value similarity at least this is a match
FUZZY_POOL = 60          # labels scored in full per query, best bigram overlap first


class ReconcileError(ValueError):
    """A request the service cannot answer as asked; the message says what to change."""


class BatchTooLarge(ReconcileError):
    """More queries (or ids) in one request than the service takes."""


# --------------------------------------------------------------------------------------------
# Text folding
# --------------------------------------------------------------------------------------------


_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "yi",
     "ye", "g", "u"]))
# Applied in order to the spaceless romanized form. Each folds two spellings of one sound that
# romanizations of Russian and Japanese (and German and French renderings of Russian) disagree on.
_VARIANT_RULES = (
    ("tsch", "ch"), ("shch", "sh"), ("sch", "sh"), ("kh", "h"), ("ck", "k"), ("ph", "f"),
    ("w", "v"), ("x", "ks"), ("ye", "e"), ("ou", "o"), ("oh", "o"), ("tch", "ch"), ("ts", "c"),
    ("tz", "c"), ("ch", "c"), ("sh", "s"), ("zh", "z"), ("y", "i"), ("j", "i"), ("mb", "nb"),
    ("mp", "np"),
)
_DOUBLED = re.compile(r"([a-z])\1+")  # Latin only: doubled kana are two syllables
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def normalize(text: str) -> str:
    """Fold for matching (see siberia_kg.textfold)."""
    return fold(text)


def variant(norm: str) -> str:
    """Fold a normalized string further across romanizations and scripts (see module doc)."""
    chars = []
    for ch in norm:
        if "\u3041" <= ch <= "\u3096":  # hiragana -> katakana
            chars.append(chr(ord(ch) + 0x60))
        else:
            chars.append(_CYRILLIC.get(ch, ch))
    s = "".join(chars).replace(" ", "").replace("\u02b9", "").replace("\u02ba", "")
    for a, b in _VARIANT_RULES:
        s = s.replace(a, b)
    return _DOUBLED.sub(r"\1", s)


def _grams(s: str) -> set[str]:
    p = f" {s} "
    return {p[i:i + 2] for i in range(len(p) - 1)}


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _contains(q: str, label: str) -> bool:
    """All of the query inside the label: as whole words, or anywhere for Japanese and Chinese."""
    if len(q) >= len(label):
        return False
    if _CJK.search(q):
        return q in label
    return f" {q} " in f" {label} "


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Value:
    """One value of a property: an IRI (``lang``/``datatype`` None) or a literal."""
    is_iri: bool
    value: str
    datatype: str | None = None
    lang: str | None = None


@dataclass
class Label:
    entity: "Entity"
    text: str
    lang: str
    alt: bool
    norm: str
    var: str


@dataclass
class Entity:
    iri: str
    id: str                      # the part after {base}id/
    kind: str
    types: list[str] = field(default_factory=list)        # rdf:type, sorted
    closure: set[str] = field(default_factory=set)        # types, their broader types, kind type
    pref: dict[str, str] = field(default_factory=dict)    # lang -> prefLabel
    labels: list[Label] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[Value]] = field(default_factory=dict)

    def name(self, *langs: str | None) -> tuple[str, str]:
        """(label, language): the prefLabel in the first of ``langs`` that has one, else
        English, else any (the same one every time); the id if the entity has no label."""
        for lang in (*langs, "en"):
            if lang and lang in self.pref:
                return self.pref[lang], lang
        if self.pref:
            lang = sorted(self.pref)[0]
            return self.pref[lang], lang
        return self.id, ""


@dataclass
class TypeInfo:
    id: str
    names: dict[str, str]
    description: str | None
    broader: list[str]
    count: int = 0

    def name(self, lang: str | None = None) -> str:
        return (self.names.get(lang or "en") or self.names.get("en")
                or next(iter(self.names.values())))


@dataclass
class PropertyInfo:
    id: str
    names: dict[str, str]
    description: str | None
    count: int = 0                                   # entities that have it
    by_type: Counter = field(default_factory=Counter)  # type IRI -> entities of it that have it
    value_kinds: Counter = field(default_factory=Counter)  # kinds of entity values

    def name(self, lang: str | None = None) -> str:
        return (self.names.get(lang or "en") or self.names.get("en")
                or next(iter(self.names.values())))


def _split_camel(local: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", local).lower()


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def compact(iri: str) -> str:
    """A CURIE for a known namespace, else the IRI."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _sparql_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Index:
    """Entities, labels, types and properties of one graph, built once and read-only afterwards
    (but for the memo of ``ancestors``, whose races under the GIL only compute a value twice),
    so any number of threads may query it at the same time."""

    def __init__(self, base: str):
        self.base = base
        self.id_prefix = f"{base}id/"
        self.entities: dict[str, Entity] = {}      # IRI -> entity
        self.by_id: dict[str, Entity] = {}         # "camp/taishet" -> entity
        self.labels: list[Label] = []
        self.by_norm: dict[str, list[Label]] = defaultdict(list)
        self.by_var: dict[str, list[Label]] = defaultdict(list)
        self.norm_grams: dict[str, list[int]] = defaultdict(list)
        self.var_grams: dict[str, list[int]] = defaultdict(list)
        self.gram_sizes: list[tuple[int, int]] = []
        self.names: dict[str, dict[str, str]] = defaultdict(dict)  # any IRI -> {lang: label}
        self.parents: dict[str, dict[str, set[str]]] = {p: defaultdict(set) for p in PART_OF}
        self.types: dict[str, TypeInfo] = {}
        self.properties: dict[str, PropertyInfo] = {}
        self._ancestors: dict[tuple[str, str], frozenset[str]] = {}

    # ---- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, store, base: str) -> "Index":
        index = cls(base)
        index._load_ontology(store)
        index._load_entities(store)
        index._finish()
        return index

    def _load_ontology(self, store) -> None:
        self.ont_labels: dict[str, dict[str, str]] = defaultdict(dict)
        self.ont_comments: dict[str, dict[str, str]] = defaultdict(dict)
        self.subclass: dict[str, set[str]] = defaultdict(set)
        query = f"""
            SELECT DISTINCT ?t ?p ?o WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ ?t ?p ?o
              FILTER(?p IN (<{RDFS}label>, <{PREF}>, <{RDFS}comment>, <{RDFS}subClassOf>)) }} }}"""
        for row in store.query(query):
            t, p, o = row["t"], row["p"].value, row["o"]
            if not isinstance(t, ox.NamedNode):
                continue
            if p == RDFS + "subClassOf":
                if isinstance(o, ox.NamedNode):
                    self.subclass[t.value].add(o.value)
            elif isinstance(o, ox.Literal):
                target = self.ont_comments if p == RDFS + "comment" else self.ont_labels
                target[t.value].setdefault(o.language or "", o.value)
        for iri, names in self.ont_labels.items():
            self.names[iri].update(names)

    def _load_entities(self, store) -> None:
        from .search import curated_graphs

        # The curated entities only (not the registers' records: see search.curated_graphs),
        # read graph by graph rather than by a scan of the whole store.
        found = set()
        raw = store.raw
        for g in curated_graphs(raw, self.base):
            for q in raw.quads_for_pattern(None, None, None, g):
                if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(self.id_prefix):
                    found.add((q.subject, q.predicate, q.object))
        rows = []
        for s_term, p_term, o in found:
            s, p = s_term.value, p_term.value
            rows.append((s, p, o))
            if p == PREF and isinstance(o, ox.Literal):
                self.names[s].setdefault(o.language or "", o.value)
            if p in self.parents and isinstance(o, ox.NamedNode):
                self.parents[p][s].add(o.value)
        for s, p, o in sorted(rows, key=lambda r: (r[0], r[1], str(r[2]))):
            entity = self._entity(s)
            if entity is None:
                continue
            if p == RDF_TYPE:
                if isinstance(o, ox.NamedNode) and o.value not in entity.types:
                    entity.types.append(o.value)
            elif p in (PREF, ALT) and isinstance(o, ox.Literal):
                lang = o.language or ""
                if p == PREF:
                    entity.pref.setdefault(lang, o.value)
                self._add_label(entity, o.value, lang, alt=(p == ALT))
            if p == DESCRIPTION and isinstance(o, ox.Literal):
                entity.descriptions.setdefault(o.language or "", o.value)
            if p in HIDDEN_PROPERTIES or isinstance(o, ox.BlankNode):
                continue
            if isinstance(o, ox.NamedNode):
                v = Value(True, o.value)
            else:
                v = Value(False, o.value, o.datatype.value if o.datatype else None,
                          o.language or None)
            values = entity.values.setdefault(p, [])
            if v not in values:
                values.append(v)

    def _entity(self, iri: str) -> Entity | None:
        found = self.entities.get(iri)
        if found is not None:
            return found
        local = iri[len(self.id_prefix):]
        kind, _, slug = local.partition("/")
        if kind not in RECONCILABLE or not slug:
            return None
        entity = Entity(iri=iri, id=local, kind=kind)
        self.entities[iri] = entity
        self.by_id[local] = entity
        return entity

    def _add_label(self, entity: Entity, text: str, lang: str, alt: bool) -> None:
        norm = normalize(text)
        if not norm:
            return
        label = Label(entity, text, lang, alt, norm, variant(norm))
        for i, other in enumerate(entity.labels):
            if other.norm == norm and other.lang == lang:
                # The same label twice (an altLabel that only drops the prefLabel's accents):
                # keep one, the preferred.
                if other.alt and not alt:
                    entity.labels[i] = label
                return
        entity.labels.append(label)

    def _finish(self) -> None:
        # Labels into the exact and bigram indexes, in a fixed order.
        for entity in sorted(self.entities.values(), key=lambda e: e.iri):
            entity.types.sort()
            entity.labels.sort(key=lambda lb: (lb.alt, lb.lang, lb.text))
            for label in entity.labels:
                i = len(self.labels)
                self.labels.append(label)
                self.by_norm[label.norm].append(label)
                self.by_var[label.var].append(label)
                ng, vg = _grams(label.norm), _grams(label.var)
                for g in ng:
                    self.norm_grams[g].append(i)
                for g in vg:
                    self.var_grams[g].append(i)
                self.gram_sizes.append((len(ng), len(vg)))
        self._build_types()
        self._build_properties()
        # Plain dicts from here on: a look-up of a missing key must never insert one.
        for name in ("by_norm", "by_var", "norm_grams", "var_grams", "names"):
            setattr(self, name, dict(getattr(self, name)))
        self.parents = {p: dict(children) for p, children in self.parents.items()}

    def _build_types(self) -> None:
        kinds_of: dict[str, set[str]] = defaultdict(set)
        for e in self.entities.values():
            for t in e.types:
                kinds_of[t].add(e.kind)
        known = set(kinds_of) | set(DEFAULT_TYPE_NAMES)

        def broader_of(t: str) -> list[str]:
            if t in DEFAULT_TYPE_NAMES and t != SKG + "Camp":
                return []
            up = {s for s in self.subclass.get(t, ()) if s in known and s != t}
            if not up:  # a schema.org class the ontology does not describe: its kinds' types
                up = {KIND_TYPE[k] for k in kinds_of.get(t, ()) if KIND_TYPE[k] != t}
            return sorted(up)

        for t in sorted(known):
            names = dict(self.ont_labels.get(t, {}))
            if t in DEFAULT_TYPE_NAMES:
                names["en"] = DEFAULT_TYPE_NAMES[t]
            names.setdefault("en", _split_camel(_local_name(t)))
            comment = self.ont_comments.get(t, {}).get("en")
            description = f"{compact(t)}" + (f": {comment}" if comment else "")
            self.types[t] = TypeInfo(t, names, description, broader_of(t))
        for e in self.entities.values():
            closure = set(e.types) | {KIND_TYPE[e.kind]}
            todo = list(closure)
            while todo:
                t = todo.pop()
                info = self.types.get(t)
                for up in (info.broader if info else ()):
                    if up not in closure:
                        closure.add(up)
                        todo.append(up)
            e.closure = closure
            for t in closure:
                if t in self.types:
                    self.types[t].count += 1

    def _build_properties(self) -> None:
        for e in self.entities.values():
            for p, values in e.values.items():
                info = self.properties.get(p)
                if info is None:
                    names = dict(self.ont_labels.get(p, {}))
                    names.setdefault("en", _PROPERTY_NAMES.get(p) or _split_camel(_local_name(p)))
                    comment = self.ont_comments.get(p, {}).get("en")
                    hint = _PROPERTY_HINTS.get(p)
                    description = compact(p) + "".join(f": {x}" for x in (comment or hint,) if x)
                    info = self.properties[p] = PropertyInfo(p, names, description)
                info.count += 1
                for t in e.closure:
                    info.by_type[t] += 1
                for v in values:
                    target = self.entities.get(v.value) if v.is_iri else None
                    if target is not None:
                        info.value_kinds[target.kind] += 1

    # ---- look-ups -------------------------------------------------------------------------

    def entity(self, ident: str) -> Entity | None:
        """An entity by API id (``camp/taishet``), full IRI or local path (``/id/camp/...``)."""
        ident = ident.strip()
        if ident.startswith(self.id_prefix):
            ident = ident[len(self.id_prefix):]
        elif ident.startswith("/id/"):
            ident = ident[4:]
        return self.by_id.get(ident)

    def resolve_type(self, ident: str) -> str:
        """A type IRI from an IRI, a CURIE (schema:City) or a short name (camp, org); unknown
        types are an error that lists what there is."""
        t = _expand(ident.strip())
        t = TYPE_ALIASES.get(t.lower(), t) if ":" not in t else t
        if t not in self.types:
            raise ReconcileError(
                f"unknown type {ident!r}; use a type id from the manifest's defaultTypes or from "
                f"suggest/type, e.g. {', '.join(sorted(compact(x) for x in DEFAULT_TYPE_NAMES))} "
                f"(or camp, place, person, organization, work, event)")
        return t

    def resolve_property(self, ident: str) -> str:
        p = _expand(ident.strip())
        if p not in self.properties:
            raise ReconcileError(
                f"unknown property {ident!r}; property ids are IRIs or CURIEs such as "
                f"schema:containedInPlace or schema:deathDate (see suggest/property)")
        return p

    def label_of(self, iri: str, *langs: str | None) -> str | None:
        entity = self.entities.get(iri)
        if entity is not None:
            return entity.name(*langs)[0]
        names = self.names.get(iri)
        if names:
            for lang in (*langs, "en", ""):
                if lang is not None and lang in names:
                    return names[lang]
            return names[sorted(names)[0]]
        if iri in self.types:
            return self.types[iri].name()
        return None

    def ancestors(self, iri: str, predicate: str | None = None) -> frozenset[str]:
        """What ``iri`` is part of, transitively: along ``predicate`` if it is a part-of
        predicate, and always along containedInPlace (a place inside a region)."""
        key = (iri, predicate or "")
        found = self._ancestors.get(key)
        if found is not None:
            return found
        preds = {CONTAINED_IN} | ({predicate} if predicate in self.parents else set())
        seen: set[str] = set()
        todo = [iri]
        while todo:
            x = todo.pop()
            for p in preds:
                for up in self.parents[p].get(x, ()):
                    if up not in seen and up != iri:
                        seen.add(up)
                        todo.append(up)
        result = frozenset(seen)
        self._ancestors[key] = result
        return result


_PROPERTY_NAMES = {
    PREF: "preferred label", ALT: "alternative label",
    SKOS + "exactMatch": "exact match (Wikidata item)",
}
_PROPERTY_HINTS = {
    CONTAINED_IN: "the place it lies in; matching also accepts any larger place that one lies in "
                  "(a camp matches its town, region and country)",
    SCHEMA + "deathDate": "a year (1956), year and month or full date; compared at the precision "
                          "both sides have",
    SCHEMA + "birthDate": "a year, year and month or full date; compared at the precision both "
                          "sides have",
}


def _expand(ident: str) -> str:
    prefix, sep, rest = ident.partition(":")
    if sep and prefix in PREFIXES and not rest.startswith("//"):
        return PREFIXES[prefix] + rest
    return ident


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------

@dataclass
class Condition:
    """A property condition: ``pid`` compared to ``values`` (str, int, float, bool, or
    {"id": ..., "name": ...} for an entity). ``quantifier``: any, all or none of the values;
    ``required``: candidates that do not satisfy it are dropped."""
    pid: str
    values: list
    required: bool = False
    quantifier: str = "any"


@dataclass
class Query:
    names: list[str] = field(default_factory=list)   # name strings; empty: properties only
    name_quantifier: str = "any"
    types: list[str] = field(default_factory=list)   # resolved type IRIs
    type_strict: str = "any"                         # any | all | should
    limit: int = DEFAULT_LIMIT
    conditions: list[Condition] = field(default_factory=list)
    lang: str | None = None                          # language wanted for names


@dataclass
class Feature:
    id: str
    name: str
    value: float | bool


@dataclass
class Candidate:
    entity: Entity
    score: float
    match: bool
    name: str
    lang: str
    exact: bool
    type_ok: bool
    contradicted: bool
    features: list[Feature]


@dataclass
class _NameHit:
    score: float
    exact: bool
    label: Label | None


def score_label(qn: str, qv: str, label: Label) -> float:
    """How well one label matches the query (normalized ``qn``, variant ``qv``), 0-100."""
    if label.norm == qn:
        return EXACT
    if label.var == qv:
        return VARIANT_EXACT
    fuzzy = max(_ratio(qn, label.norm),
                _ratio(" ".join(sorted(qn.split())), " ".join(sorted(label.norm.split()))),
                0.92 * _ratio(qv, label.var)) * FUZZY_CAP  # folded forms agree more easily
    contained = 0.0
    if _contains(qn, label.norm):
        contained = 60 + 30 * len(qn) / len(label.norm)
    elif len(qv) >= 4 and len(qv) < len(label.var) and qv in label.var:
        contained = 0.95 * (60 + 30 * len(qv) / len(label.var))
    return min(FUZZY_CAP, max(fuzzy, contained))


def match_names(index: Index, text: str) -> dict[str, _NameHit]:
    """Entities whose labels match ``text``, with the best score of each (IRI -> hit)."""
    hits: dict[str, _NameHit] = {}
    direct = index.entity(text) if ("/" in text and " " not in text.strip()) else None
    if direct is not None:  # an identifier given as the name
        hits[direct.iri] = _NameHit(EXACT, True, None)
    qn = normalize(text)
    if not qn:
        return hits
    qv = variant(qn)
    qng, qvg = _grams(qn), _grams(qv)
    shared_n: Counter = Counter()
    shared_v: Counter = Counter()
    for g in qng:
        shared_n.update(index.norm_grams.get(g, ()))
    for g in qvg:
        shared_v.update(index.var_grams.get(g, ()))
    overlap: dict[int, float] = {}
    for i in set(shared_n) | set(shared_v):
        sn, sv = index.gram_sizes[i]
        overlap[i] = max(2 * shared_n[i] / (len(qng) + sn), 2 * shared_v[i] / (len(qvg) + sv))
    # Score in full: exact ones, the best overlaps, and every label that may contain the query.
    pool = {id(lb): lb for lb in index.by_norm.get(qn, []) + index.by_var.get(qv, [])}
    for i in sorted(overlap, key=lambda i: (-overlap[i], i))[:FUZZY_POOL]:
        pool[id(index.labels[i])] = index.labels[i]
    need = len({qn[i:i + 2] for i in range(len(qn) - 1)})  # a label holding qn holds these
    for i, n in shared_n.items():
        if n >= need:
            pool[id(index.labels[i])] = index.labels[i]
    for label in pool.values():
        s = score_label(qn, qv, label)
        if s < MIN_NAME_SCORE:
            continue
        iri = label.entity.iri
        best = hits.get(iri)
        if best is not None and best.label is None:
            continue  # found by its identifier: that stays the reason
        if best is None or s > best.score or (s == best.score and best.label.alt and not label.alt):
            hits[iri] = _NameHit(s, s >= EXACT, label)
    return hits


# ---- property values --------------------------------------------------------------------------

_DATE = re.compile(r"(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _date_parts(text: str) -> tuple[str, ...] | None:
    m = _DATE.search(text)
    if not m:
        return None
    return tuple(x for x in m.groups() if x)


def _compare_dates(query: str, value: str) -> float:
    q, v = _date_parts(query), _date_parts(value)
    if not q or not v:
        return 0.0
    n = min(len(q), len(v))
    return 1.0 if q[:n] == v[:n] else 0.0


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    try:
        return float(str(x).strip())
    except ValueError:
        return None


def _compare_value(index: Index, pid: str, q: Any, v: Value) -> float:
    """Similarity 0-1 of one query value and one value of the candidate."""
    if isinstance(q, dict):
        ident = q.get("id")
        target = index.entity(ident) if isinstance(ident, str) else None
        if target is not None:
            q = target.iri
        elif isinstance(ident, str) and v.is_iri and not index.entities.get(v.value):
            # an id from elsewhere (a Wikidata Q-number): compare with the IRI or its last segment
            return 1.0 if ident in (v.value, _local_name(v.value)) else 0.0
        elif isinstance(q.get("name"), str):
            q = q["name"]
        else:
            return 0.0
        if target is not None:
            if not v.is_iri:
                return 0.0
            return 1.0 if q == v.value or q in index.ancestors(v.value, pid) else 0.0
    if isinstance(q, bool):
        if v.is_iri or v.datatype != XSD + "boolean":
            return 0.0
        return 1.0 if (v.value in ("true", "1")) == q else 0.0
    if isinstance(q, (int, float)):
        if v.is_iri:
            return 0.0
        if v.datatype in DATE_TYPES:
            return _compare_dates(f"{int(q):04d}", v.value) if float(q).is_integer() else 0.0
        n = _number(v.value)
        return 1.0 if n is not None and abs(n - q) <= 1e-9 * max(1.0, abs(q)) else 0.0
    text = str(q).strip()
    if not text:
        return 0.0
    if v.is_iri:
        target = index.entity(text) if "/" in text and " " not in text else None
        if target is not None:
            inside = target.iri == v.value or target.iri in index.ancestors(v.value, pid)
            return 1.0 if inside else 0.0
        if v.value not in index.entities and v.value not in index.names:
            return 1.0 if text in (v.value, _local_name(v.value)) else 0.0
        qn = normalize(text)
        if not qn:
            return 0.0
        qv = variant(qn)
        best = 0.0
        for iri in (v.value, *sorted(index.ancestors(v.value, pid))):
            entity = index.entities.get(iri)
            labels = entity.labels if entity else [  # a concept or an entity of another kind
                Label(entity, t, lg, False, normalize(t), variant(normalize(t)))  # type: ignore
                for lg, t in index.names.get(iri, {}).items()]
            for label in labels:
                best = max(best, score_label(qn, qv, label) / 100)
        return best
    if v.datatype in DATE_TYPES:
        return _compare_dates(text, v.value)
    if v.datatype in NUMERIC_TYPES:
        n = _number(text)
        return 1.0 if n is not None and n == _number(v.value) else 0.0
    if v.datatype == XSD + "boolean":
        return 1.0 if text.lower() == v.value else 0.0
    qn, vn = normalize(text), normalize(v.value)
    if not qn or not vn:
        return 0.0
    if qn == vn or variant(qn) == variant(vn):
        return 1.0
    return _ratio(qn, vn)


def condition_score(index: Index, entity: Entity, cond: Condition) -> float | None:
    """0-1: how well the entity satisfies the condition; None if it has no value for it."""
    values = entity.values.get(cond.pid)
    if not values:
        return None if cond.quantifier != "none" else 1.0
    per = [max(_compare_value(index, cond.pid, q, v) for v in values) for q in cond.values]
    if cond.quantifier == "all":
        return min(per)
    if cond.quantifier == "none":
        return 0.0 if max(per) >= PROPERTY_MATCH else 1.0
    return max(per)


def _type_ok(entity: Entity, query: Query) -> bool:
    if not query.types:
        return True
    if query.type_strict == "all":
        return all(t in entity.closure for t in query.types)
    return any(t in entity.closure for t in query.types)


def reconcile(index: Index, query: Query) -> list[Candidate]:
    """Candidates for one query, best first, at most ``query.limit``."""
    # Name matching: best score per entity over the names (all / none quantifiers as asked).
    name_hits: dict[str, _NameHit] | None = None
    if query.names:
        per_name = [match_names(index, n) for n in query.names]
        if query.name_quantifier == "all":
            common = set.intersection(*(set(h) for h in per_name))
            name_hits = {iri: min((h[iri] for h in per_name), key=lambda x: x.score)
                         for iri in common}
        elif query.name_quantifier == "none":
            if not query.conditions:
                raise ReconcileError("a name condition with matchQuantifier 'none' needs at least "
                                     "one property condition to select candidates")
            excluded = set().union(*(set(h) for h in per_name))
            name_hits = None
            pool = [e for e in index.entities.values() if e.iri not in excluded]
        else:
            name_hits = {}
            for hits in per_name:
                for iri, hit in hits.items():
                    if iri not in name_hits or hit.score > name_hits[iri].score:
                        name_hits[iri] = hit
    if name_hits is not None:
        pool = [index.entities[iri] for iri in name_hits]
    elif not query.names:
        if not query.conditions:
            raise ReconcileError("a query needs a name (query) or at least one property condition")
        pool = list(index.entities.values())

    out: list[Candidate] = []
    for entity in pool:
        hit = name_hits.get(entity.iri) if name_hits is not None else None
        type_ok = _type_ok(entity, query)
        if not type_ok and query.type_strict != "should":
            continue
        features: list[Feature] = []
        if hit is not None:
            score = hit.score
            features.append(Feature("name_score", "similarity of the best label to the name, 0-100",
                                    round(hit.score, 2)))
            features.append(Feature("name_exact", "a label equals the name (accents, case and "
                                    "width aside)", hit.exact))
        else:
            score = None
        if query.types:
            features.append(Feature("type_match", "the entity has the requested type", type_ok))
        contradicted = False
        dropped = False
        matched = 0
        for cond in query.conditions:
            s = condition_score(index, entity, cond)
            fid = f"property:{compact(cond.pid)}"
            if s is None:
                if cond.required:
                    dropped = True
                    break
                features.append(Feature(fid, f"{compact(cond.pid)}: no value to compare", 0.0))
                if score is not None:
                    score *= 0.9
                continue
            features.append(Feature(fid, f"{compact(cond.pid)}: similarity of the values, 0-1",
                                    round(s, 3)))
            if s >= PROPERTY_MATCH:
                matched += 1
                if score is not None:  # evidence lifts a near miss a quarter of the way up
                    score += (EXACT - score) * 0.25
            else:
                if cond.required:
                    dropped = True
                    break
                contradicted = True
                if score is not None:
                    score *= 0.5 + 0.4 * s
        if dropped:
            continue
        if score is None:  # properties only: the share of conditions met
            if matched == 0:
                continue
            score = min(FUZZY_CAP, FUZZY_CAP * matched / len(query.conditions))
        if not type_ok:
            score *= 0.6
        exact = hit is not None and hit.exact
        lang = query.lang or (hit.label.lang.split("-")[0] if hit and hit.label else None)
        if hit and hit.label and "-" in hit.label.lang:
            lang = query.lang  # a romanization (ja-Latn): name it in the default language
        name, name_lang = entity.name(lang)
        out.append(Candidate(entity, round(min(score, EXACT), 2), False, name, name_lang,
                             exact, type_ok, contradicted, features))

    out.sort(key=lambda c: (-c.score, not c.exact, c.name, c.entity.id))
    sure = [c for c in out if c.exact and c.type_ok and not c.contradicted]
    if len(sure) == 1 and out and out[0] is sure[0]:
        out[0].match = True
    return out[:query.limit]


# --------------------------------------------------------------------------------------------
# Suggest, preview, data extension
# --------------------------------------------------------------------------------------------

def _rank(qn: str, text_norm: str) -> int | None:
    if text_norm == qn:
        return 0
    if text_norm.startswith(qn):
        return 1
    if f" {qn}" in f" {text_norm}":
        return 2
    if qn in text_norm:
        return 3
    return None


def suggest_entities(index: Index, prefix: str, types: list[str] | None = None
                     ) -> list[tuple[Entity, Label | None]]:
    """Entities for auto-completion, best first: a label equal to the prefix, then starting
    with it, then with a word starting with it, then containing it (accents, case and width
    aside; also across romanizations); or an id starting with it. Empty prefix: all, by name."""
    qn = normalize(prefix)
    wanted = [e for e in index.entities.values()
              if not types or any(t in e.closure for t in types)]
    if not qn:
        return [(e, None) for e in sorted(wanted, key=lambda e: (e.name()[0].casefold(), e.id))]
    qv = variant(qn)
    ranked = []
    for e in wanted:
        best = None
        if e.id.startswith(prefix.strip()) or e.iri.startswith(prefix.strip()):
            best = (0 if e.id == prefix.strip() else 1, False, 0, None)
        for label in e.labels:
            r = _rank(qn, label.norm)
            if r is None and len(qv) >= 3:
                r = _rank(qv, label.var)
                r = None if r is None else r + 1
            if r is None:
                continue
            key = (r, label.alt, len(label.norm), label)
            if best is None or key[:3] < best[:3]:
                best = key
        if best is not None:
            ranked.append((best[0], best[1], best[2], e.name()[0].casefold(), e.id, e, best[3]))
    ranked.sort(key=lambda r: r[:5])
    return [(r[5], r[6]) for r in ranked]


def suggest_types(index: Index, prefix: str) -> list[TypeInfo]:
    qn = normalize(prefix)
    infos = sorted(index.types.values(),
                   key=lambda t: (t.id not in DEFAULT_TYPE_NAMES, -t.count, t.name()))
    if not qn:
        return infos
    ranked = []
    for t in infos:
        keys = [normalize(n) for n in (*t.names.values(), compact(t.id), _local_name(t.id))]
        ranks = [r for r in (_rank(qn, k) for k in keys) if r is not None]
        if ranks:
            ranked.append((min(ranks), t))
    ranked.sort(key=lambda r: r[0])
    return [t for _, t in ranked]


def suggest_properties(index: Index, prefix: str,
                       types: list[str] | None = None) -> list[PropertyInfo]:
    qn = normalize(prefix)
    infos = [p for p in index.properties.values() if not types or any(p.by_type[t] for t in types)]
    infos.sort(key=lambda p: (-p.count, p.name()))
    if not qn:
        return infos
    ranked = []
    for p in infos:
        keys = [normalize(n) for n in (*p.names.values(), compact(p.id), _local_name(p.id))]
        ranks = [r for r in (_rank(qn, k) for k in keys) if r is not None]
        if ranks:
            ranked.append((min(ranks), p))
    ranked.sort(key=lambda r: r[0])
    return [p for _, p in ranked]


def propose_properties(index: Index, type_iri: str) -> list[PropertyInfo]:
    """The properties entities of a type have, the most widespread first."""
    props = [p for p in index.properties.values() if p.by_type[type_iri]]
    props.sort(key=lambda p: (-p.by_type[type_iri], p.name()))
    return props


def candidate_types(index: Index, entity: Entity) -> list[TypeInfo]:
    """The entity's own types, then its kind's broad type."""
    ids = list(entity.types)
    if KIND_TYPE[entity.kind] not in ids:
        ids.append(KIND_TYPE[entity.kind])
    return [index.types[t] for t in ids if t in index.types]


def describe(index: Index, entity: Entity, lang: str | None = None, width: int = 300) -> str:
    """A one-line description that tells homonyms apart: types, where, when, then the text."""
    parts = []
    types = candidate_types(index, entity)
    broad = KIND_TYPE[entity.kind]
    specific = [t.name(lang) for t in types if t.id != broad or len(types) == 1]
    if specific:
        parts.append(", ".join(dict.fromkeys(specific[:2])))
    where = [index.label_of(v.value, lang) for v in entity.values.get(CONTAINED_IN, []) if v.is_iri]
    where = [w for w in where if w]
    if where:
        parts.append("in " + ", ".join(where))
    when = []
    for p, fmt in ((SCHEMA + "birthDate", "b. {}"), (SCHEMA + "deathDate", "d. {}"),
                   (SCHEMA + "startDate", "{}"), (SCHEMA + "datePublished", "{}")):
        dates = sorted({v.value for v in entity.values.get(p, []) if not v.is_iri})
        if dates:
            when.append(fmt.format(dates[-1] if len(dates) == 1 else max(dates, key=len)))
    if when:
        parts.append(", ".join(when))
    text = entity.descriptions.get(lang or "en") or entity.descriptions.get("en") or \
        next(iter(entity.descriptions.values()), "")
    if text:
        parts.append(text)
    line = " · ".join(parts)
    return line if len(line) <= width else line[:width - 1].rstrip() + "…"


def extension_values(index: Index, entity: Entity | None, pid: str, limit: int = 0,
                     lang: str | None = None, with_lang: bool = False) -> list[dict]:
    """The values of one property of one entity in the data extension format (0.2 and the
    1.0 draft share it): {"id", "name"} for our entities, {"str"}, {"int"}, {"float"},
    {"date"} (full dates only: a year stays a string, keeping its precision). ``lang``: keep
    only the values in that language when there are any; ``with_lang``: tag language-tagged
    strings with "lang" (the 1.0 draft allows it, 0.2 does not)."""
    if entity is None:
        return []
    values = entity.values.get(pid, [])
    if lang:
        tagged = [v for v in values if v.lang]
        if tagged and any((v.lang or "").split("-")[0] == lang for v in tagged):
            values = [v for v in values if not v.lang or v.lang.split("-")[0] == lang]
    out = []
    for v in values:
        if v.is_iri:
            target = index.entities.get(v.value)
            if v.value.startswith(index.id_prefix):
                name = index.label_of(v.value, lang) or v.value[len(index.id_prefix):]
                out.append({"id": v.value[len(index.id_prefix):], "name": name})
            elif target is None and index.names.get(v.value):
                out.append({"str": index.label_of(v.value, lang) or v.value})
            else:
                out.append({"str": v.value})
        elif v.datatype in INTEGER_TYPES:
            out.append({"int": int(v.value)})
        elif v.datatype in NUMERIC_TYPES:
            out.append({"float": float(v.value)})
        elif v.datatype == XSD + "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.value):
            out.append({"date": f"{v.value}T00:00:00Z"})
        elif v.datatype == XSD + "dateTime" and _DATETIME.fullmatch(v.value):
            out.append({"date": v.value})
        elif with_lang and v.lang:
            out.append({"str": v.value, "lang": v.lang})
        else:
            out.append({"str": v.value})
    if limit > 0:
        out = out[:limit]
    return out


def extension_type(index: Index, pid: str) -> TypeInfo | None:
    """For a property whose values are our entities: the broad type of the commonest kind."""
    info = index.properties.get(pid)
    if info is None or not info.value_kinds:
        return None
    kind = sorted(info.value_kinds.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return index.types.get(KIND_TYPE[kind])


def _plain(value: dict) -> str:
    """An extension value as text: the name, string or number; a date as its day."""
    for key in ("name", "str", "int", "float"):
        if key in value:
            return str(value[key])
    return value.get("date", "")[:10]


def _span(lang: str, text: str) -> str:
    return f'<span lang="{html.escape(lang)}">{html.escape(text)}</span>'


def preview_html(index: Index, entity: Entity, page_path: str, lang: str | None = None) -> str:
    """A small self-contained HTML card (no script, no external resource), every value escaped."""
    e = html.escape
    name, name_lang = entity.name(lang)
    rows = []
    others = [(lg, t) for lg, t in sorted(entity.pref.items()) if t != name]
    alts = sorted({(lb.lang, lb.text) for lb in entity.labels if lb.alt and lb.text != name})
    if others:
        rows.append(("Also", " · ".join(_span(lg, t) for lg, t in others)))
    if alts:
        rows.append(("Other names", " · ".join(_span(lg, t) for lg, t in alts[:8])))
    rows.append(("Type", e(", ".join(t.name() for t in candidate_types(index, entity)))))
    facts = (
        (CONTAINED_IN, "In"), (SCHEMA + "location", "Where"), (SCHEMA + "startDate", "From"),
        (SCHEMA + "endDate", "To"), (SCHEMA + "birthDate", "Born"), (SCHEMA + "deathDate", "Died"),
        (SCHEMA + "datePublished", "Published"), (SCHEMA + "author", "Author"),
        (SCHEMA + "parentOrganization", "Part of"), (SCHEMA + "jobTitle", "Position"),
        (SCHEMA + "latitude", "Latitude"), (SCHEMA + "longitude", "Longitude"),
    )
    for pid, heading in facts:
        vals = extension_values(index, entity, pid, limit=4, lang=lang)
        shown = list(dict.fromkeys(s for s in map(_plain, vals) if s))
        if shown:
            rows.append((heading, e(", ".join(shown))))
    wikidata = [v.value for v in entity.values.get(SKOS + "exactMatch", []) if v.is_iri]
    if wikidata:
        rows.append(("Wikidata", ", ".join(
            f'<a href="{e(w)}" target="_blank" rel="noopener noreferrer">{e(_local_name(w))}</a>'
            for w in wikidata)))
    desc = entity.descriptions.get(lang or "en") or entity.descriptions.get("en") or ""
    body = "".join(f"<tr><th>{h}</th><td>{v}</td></tr>" for h, v in rows)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{e(name_lang or "en")}"><head><meta charset="utf-8">'
        f"<title>{e(name)} - siberia-kg</title>"
        "<style>body{font:13px/1.35 system-ui,sans-serif;margin:6px;color:#222}"
        "h1{font-size:15px;margin:0 0 2px}p{margin:2px 0 4px;color:#444}"
        "table{border-collapse:collapse}th{text-align:left;padding:1px 6px 1px 0;color:#555;"
        "vertical-align:top;font-weight:normal;white-space:nowrap}td{padding:1px 0}"
        "small{color:#666}</style></head><body>"
        f'<h1 lang="{e(name_lang or "en")}">{e(name)}</h1>'
        f"<small>{e(entity.id)}</small>"
        + (f"<p>{e(desc)}</p>" if desc else "")
        + f"<table>{body}</table>"
        + f'<p><a href="{e(page_path)}" target="_blank" rel="noopener">'
        "Full entry in siberia-kg</a></p>"
        "</body></html>\n")


# --------------------------------------------------------------------------------------------
# The index of a running server
# --------------------------------------------------------------------------------------------

_lock = threading.Lock()
STATE_KEY = "reconcile"


def index_for(state) -> Index:
    """The index of this server's graph: built at startup (or on first use), kept for its life."""
    found = state.extras.get(STATE_KEY)
    if found is None:
        with _lock:
            found = state.extras.get(STATE_KEY)
            if found is None:
                found = Index.build(state.store, state.base)
                state.extras[STATE_KEY] = found
    return found

