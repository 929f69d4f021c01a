"""Wikidata's side: candidates found by exact label, and what the endpoint says about them.

Only plain SPARQL 1.1 over Wikidata's RDF model is used (``rdfs:label``, ``skos:altLabel``,
``schema:description``, ``wdt:``, ``p:``/``ps:``/``psv:``, ``owl:sameAs``), so that any endpoint
holding that model answers: the public query service, a mirror, or a test endpoint. Values are
batched with ``VALUES``; a batch the endpoint gives up on is split in two and retried.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Iterable, Sequence

from .client import QueryTimeout, SparqlClient, SparqlError
from .entities import DateValue, Label
from .mapping import (COUNTRY_PROPS, CREATOR_PROPS, EXCLUDED_CLASSES, LABEL_LANGUAGES,
                      OCCUPATION_PROP, WD, WIKIDATA_DATE_PROPS, all_occupations,
                      all_type_classes)

PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX p: <http://www.wikidata.org/prop/>
PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX psv: <http://www.wikidata.org/prop/statement/value/>
PREFIX pq: <http://www.wikidata.org/prop/qualifier/>
PREFIX wikibase: <http://wikiba.se/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""

LATIN_LANGS = frozenset({"en", "mul", "ja-latn", "ru-latn"})
_QID = re.compile(r"^Q[1-9][0-9]*$")
_POINT = re.compile(r"Point\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)")


def sparql_string(text: str) -> str:
    out = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
           .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{out}"'


def sparql_literal(text: str, lang: str) -> str:
    if not re.match(r"^[a-zA-Z]+(-[a-zA-Z0-9]+)*$", lang):
        raise ValueError(f"bad language tag {lang!r}")
    return f"{sparql_string(text)}@{lang}"


def check_qid(qid: str) -> str:
    if not _QID.match(qid):
        raise ValueError(f"{qid!r} is not a Wikidata item id (Q followed by digits)")
    return qid


def search_languages(lang: str) -> tuple[str, ...]:
    """In which Wikidata label languages to look for one of our labels."""
    if lang in LATIN_LANGS:
        return ("en", "mul")
    primary = lang.split("-")[0]
    return (primary,) if primary in LABEL_LANGUAGES else ()


_PAREN = re.compile(r"^(.*\S)\s*\(([^()]+)\)$")


@dataclass(frozen=True)
class Variant:
    """A form of one of our labels to look for: the label itself, or a shortened form."""
    text: str
    qualifier: str = ""   # what was dropped
    kind: str = ""        # "" (the label), "qualifier" (parenthetical or after a comma), "subtitle"


def label_variants(label: Label, kind: str) -> list[Variant]:
    """The label itself and shortened forms that Wikidata tends to use: without a trailing
    parenthetical qualifier ("House of Representatives (Japan)"), for places without what
    follows a comma ("Lincoln, Nebraska"), for works without the subtitle ("The Anguish of
    Surrender: Japanese POWs of World War II")."""
    out = [Variant(label.text)]
    m = _PAREN.match(label.text)
    if m:
        out.append(Variant(m.group(1), m.group(2), "qualifier"))
    elif kind in ("place", "camp") and "," in label.text:
        head, _, tail = label.text.partition(",")
        if head.strip() and tail.strip():
            out.append(Variant(head.strip(), tail.strip(), "qualifier"))
    if kind == "work" and ": " in label.text:
        head, _, tail = label.text.partition(": ")
        if len(head.strip()) >= 3:
            out.append(Variant(head.strip(), tail.strip(), "subtitle"))
    return out


def case_forms(text: str) -> list[str]:
    """Exact label search is case-sensitive; Wikidata capitalises names its own way
    ("Korean peninsula" / "Korean Peninsula", "GULAG" / "Gulag")."""
    forms = [text]
    words = text.split(" ")
    titled = " ".join(w[:1].upper() + w[1:] if len(w) > 3 or i == 0 else w
                      for i, w in enumerate(words))
    if titled != text:
        forms.append(titled)
    if text.isupper() and len(text) > 4 and " " not in text:
        forms.append(text[:1] + text[1:].lower())
    return forms


@dataclass(frozen=True)
class SearchKey:
    text: str
    lang: str  # a Wikidata label language

    def sparql(self) -> str:
        return sparql_literal(self.text, self.lang)


@dataclass(frozen=True)
class LabelHit:
    qid: str
    key: SearchKey
    how: str  # "label" or "alias"


@dataclass
class WikidataDate:
    value: DateValue
    precision: int
    raw: str


@dataclass
class Item:
    qid: str
    labels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    aliases: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    descriptions: dict[str, str] = field(default_factory=dict)
    p31: dict[str, str] = field(default_factory=dict)        # class qid -> English label
    classes: set[str] = field(default_factory=set)           # configured classes it falls under
    occupations: set[str] = field(default_factory=set)       # configured occupations it has
    occupation_labels: set[str] = field(default_factory=set)
    dates: dict[str, list[WikidataDate]] = field(default_factory=lambda: defaultdict(list))
    coords: list[tuple[float, float]] = field(default_factory=list)
    related: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set)))  # prop -> value qid -> names

    def name(self, lang: str = "en") -> str:
        for lg in (lang, "mul", "en"):
            if self.labels.get(lg):
                return sorted(self.labels[lg])[0]
        for names in self.labels.values():
            if names:
                return sorted(names)[0]
        return self.qid

    def related_names(self, *props: str) -> set[str]:
        out: set[str] = set()
        for prop in props:
            for names in self.related.get(prop, {}).values():
                out |= names
        return out

    def related_items(self, *props: str) -> set[str]:
        out: set[str] = set()
        for prop in props:
            out |= set(self.related.get(prop, {}))
        return out

    @property
    def excluded(self) -> str | None:
        hit = sorted(self.classes & set(EXCLUDED_CLASSES))
        return EXCLUDED_CLASSES[hit[0]] if hit else None


@dataclass
class ItemStatus:
    qid: str
    exists: bool
    redirect: str | None = None  # the item it now redirects to (owl:sameAs), if any


def _value(term: dict | None) -> str | None:
    return None if term is None else term.get("value")


def _qid(term: dict | None) -> str | None:
    v = _value(term)
    if v and v.startswith(WD):
        q = v[len(WD):]
        return q if _QID.match(q) else None
    return None


def parse_wikidata_date(raw: str, precision: int | None) -> WikidataDate | None:
    """"1878-12-18T00:00:00Z" at precision 9 (year), 10 (month) or 11 (day). Coarser precisions
    (decade, century) are not comparable with ours and are dropped."""
    m = re.match(r"^([+-]?\d{1,})-(\d{2})-(\d{2})", raw)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if precision is None:  # a mirror without value nodes: guess from the value
        precision = 9 if (month, day) == (1, 1) else 11
    if precision < 9:
        return None
    if precision >= 11 and month and day:
        value = DateValue(year, month, day)
    elif precision >= 10 and month:
        value = DateValue(year, month)
        precision = 10
    else:
        value = DateValue(year)
        precision = 9
    return WikidataDate(value=value, precision=precision, raw=raw)


def parse_point(raw: str) -> tuple[float, float] | None:
    m = _POINT.search(raw)
    if not m:
        return None
    lon, lat = float(m.group(1)), float(m.group(2))
    return (lat, lon)


class WikidataReader:
    """Batched, cached reads from an endpoint holding Wikidata's RDF model."""

    def __init__(self, client: SparqlClient, batch_size: int = 50,
                 progress: Callable[[str, int], ContextManager] | None = None):
        """``progress(label, total)`` returns a context manager whose ``update(n)`` is called
        after each batch (a click progress bar, in the commands)."""
        if batch_size < 1:
            raise ValueError("batch size must be at least 1")
        self.client = client
        self.batch_size = batch_size
        self._supers: dict[str, set[str]] = {}
        self._progress = progress or (lambda label, n: NullProgress())

    # ---------------------------------------------------------- batching

    def _batched(self, label: str, values: Sequence, run: Callable[[Sequence], list[dict]]) -> list[dict]:
        values = list(values)
        batches = [values[i:i + self.batch_size] for i in range(0, len(values), self.batch_size)]
        rows: list[dict] = []
        with self._progress(label, len(batches)) as bar:
            for batch in batches:
                rows += self._run_split(batch, run)
                bar.update(1)
        return rows

    def _run_split(self, batch: Sequence, run: Callable[[Sequence], list[dict]]) -> list[dict]:
        try:
            return run(batch)
        except QueryTimeout:
            if len(batch) <= 1:
                raise
            half = len(batch) // 2
            return self._run_split(batch[:half], run) + self._run_split(batch[half:], run)

    @staticmethod
    def _items(qids: Iterable[str]) -> str:
        return " ".join(f"wd:{check_qid(q)}" for q in sorted(set(qids), key=lambda q: int(q[1:])))

    # ---------------------------------------------------------- queries

    def search(self, keys: Iterable[SearchKey]) -> dict[SearchKey, list[LabelHit]]:
        """Items whose label or alias is exactly one of the keys."""
        keys = sorted(set(keys), key=lambda k: (k.lang, k.text))

        def run(batch):
            values = " ".join(k.sparql() for k in batch)
            q = (f"{PREFIXES}SELECT ?text ?item ?how WHERE {{\n  VALUES ?text {{ {values} }}\n"
                 "  { ?item rdfs:label ?text . BIND(\"label\" AS ?how) }\n"
                 "  UNION { ?item skos:altLabel ?text . BIND(\"alias\" AS ?how) }\n"
                 "  FILTER(STRSTARTS(STR(?item), \"http://www.wikidata.org/entity/Q\"))\n}")
            return self.client.select(q)

        out: dict[SearchKey, list[LabelHit]] = defaultdict(list)
        seen = set()
        for row in self._batched("searching labels", keys, run):
            qid = _qid(row.get("item"))
            text = row.get("text") or {}
            if not qid or "value" not in text:
                continue
            key = SearchKey(text["value"], (text.get("xml:lang") or "").lower())
            hit = LabelHit(qid, key, _value(row.get("how")) or "label")
            if hit not in seen:
                seen.add(hit)
                out[key].append(hit)
        return out

    def _direct(self, label: str, prop: str, qids: Iterable[str]) -> dict[str, set[str]]:
        """item -> its direct values of a property (P31, P106)."""

        def run(batch):
            q = (f"{PREFIXES}SELECT ?item ?v WHERE {{\n  VALUES ?item {{ {self._items(batch)} }}\n"
                 f"  ?item wdt:{prop} ?v .\n}}")
            return self.client.select(q)

        out: dict[str, set[str]] = defaultdict(set)
        for row in self._batched(label, sorted(set(qids)), run):
            item, v = _qid(row.get("item")), _qid(row.get("v"))
            if item and v:
                out[item].add(v)
        return out

    def superclasses(self, classes: Iterable[str]) -> dict[str, set[str]]:
        """class -> itself and every class above it (P279*). The path is walked upwards from
        bound classes only, which every engine does quickly; asking instead whether an item
        reaches a given class lets some engines walk down from very general classes."""
        todo = sorted(set(classes) - set(self._supers), key=lambda q: int(q[1:]))

        def run(batch):
            q = (f"{PREFIXES}SELECT ?cls ?super WHERE {{\n  VALUES ?cls {{ {self._items(batch)} }}\n"
                 "  ?cls wdt:P279* ?super .\n}")
            return self.client.select(q)

        found: dict[str, set[str]] = defaultdict(set)
        for row in self._batched("walking up classes", todo, run):
            cls, sup = _qid(row.get("cls")), _qid(row.get("super"))
            if cls and sup:
                found[cls].add(sup)
        for cls in todo:
            self._supers[cls] = found.get(cls, set()) | {cls}
        return {c: self._supers[c] for c in classes}

    def _closure(self, label: str, prop: str, qids: Iterable[str], wanted: set[str]) -> dict[str, set[str]]:
        direct = self._direct(label, prop, qids)
        supers = self.superclasses({c for cs in direct.values() for c in cs})
        out: dict[str, set[str]] = {}
        for item, cs in direct.items():
            hit = {s for c in cs for s in supers.get(c, {c})} & wanted
            if hit:
                out[item] = hit
        return out

    def classify(self, qids: Iterable[str]) -> dict[str, set[str]]:
        """The configured classes (and excluded classes) each item is an instance of, through
        P31/P279*."""
        return self._closure("checking types", "P31", qids, set(all_type_classes()))

    def occupations(self, qids: Iterable[str]) -> dict[str, set[str]]:
        """The configured occupations each person has, through P106/P279*."""
        return self._closure("checking occupations", OCCUPATION_PROP, qids, set(all_occupations()))

    def details(self, qids: Iterable[str], items: dict[str, Item] | None = None) -> dict[str, Item]:
        """Labels, aliases, descriptions, direct classes, dates (with precision, deprecated
        statements left out), coordinates, countries, enclosing administrative units, makers
        and occupations of each item."""
        items = items if items is not None else {}
        qids = sorted(set(qids))
        for q in qids:
            items.setdefault(q, Item(q))
        langs = ", ".join(sparql_string(l) for l in LABEL_LANGUAGES)

        def names(batch):
            q = (f"{PREFIXES}SELECT ?item ?kind ?v WHERE {{\n  VALUES ?item {{ {self._items(batch)} }}\n"
                 "  { ?item rdfs:label ?v . BIND(\"label\" AS ?kind) }\n"
                 "  UNION { ?item skos:altLabel ?v . BIND(\"alias\" AS ?kind) }\n"
                 "  UNION { ?item schema:description ?v . BIND(\"description\" AS ?kind) }\n"
                 f"  FILTER(LANG(?v) IN ({langs}))\n}}")
            return self.client.select(q)

        for row in self._batched("fetching names", qids, names):
            item = items.get(_qid(row.get("item")) or "")
            v = row.get("v") or {}
            if item is None or "value" not in v:
                continue
            lang = (v.get("xml:lang") or "").lower()
            kind = _value(row.get("kind"))
            if kind == "label":
                item.labels[lang].add(v["value"])
            elif kind == "alias":
                item.aliases[lang].add(v["value"])
            elif kind == "description":
                item.descriptions.setdefault(lang, v["value"])

        date_rows = " ".join(f'("{p}" p:{p} ps:{p} psv:{p})' for p in WIKIDATA_DATE_PROPS)

        def claims(batch):
            q = (f"{PREFIXES}SELECT ?item ?prop ?v ?precision ?vlabel WHERE {{\n"
                 f"  VALUES ?item {{ {self._items(batch)} }}\n"
                 f"  {{ VALUES (?prop ?p ?ps ?psv) {{ {date_rows} }}\n"
                 "    ?item ?p ?st . ?st ?ps ?v ; wikibase:rank ?rank .\n"
                 "    FILTER(?rank != wikibase:DeprecatedRank)\n"
                 "    OPTIONAL { ?st ?psv ?node . ?node wikibase:timePrecision ?precision } }\n"
                 "  UNION { ?item wdt:P625 ?v . BIND(\"P625\" AS ?prop) }\n"
                 "  UNION { ?item wdt:P31 ?v . BIND(\"P31\" AS ?prop)\n"
                 "    OPTIONAL { ?v rdfs:label ?vlabel . FILTER(LANG(?vlabel) = \"en\") } }\n}")
            return self.client.select(q)

        for row in self._batched("fetching statements", qids, claims):
            item = items.get(_qid(row.get("item")) or "")
            prop, raw = _value(row.get("prop")), _value(row.get("v"))
            if item is None or not prop or raw is None:
                continue
            if prop == "P625":
                pt = parse_point(raw)
                if pt and pt not in item.coords:
                    item.coords.append(pt)
            elif prop == "P31":
                cls = _qid(row.get("v"))
                if cls:
                    label = _value(row.get("vlabel"))
                    if label or cls not in item.p31:
                        item.p31[cls] = label or item.p31.get(cls) or cls
            else:
                prec = _value(row.get("precision"))
                d = parse_wikidata_date(raw, int(prec) if prec and prec.lstrip("-").isdigit() else None)
                if d and all(x.raw != d.raw or x.precision != d.precision for x in item.dates[prop]):
                    item.dates[prop].append(d)

        rel_props = " ".join(f'("{p}" wdt:{p})' for p in (*COUNTRY_PROPS, *CREATOR_PROPS,
                                                            OCCUPATION_PROP, "P131", "P144"))

        def related(batch):
            q = (f"{PREFIXES}SELECT ?item ?prop ?v ?name WHERE {{\n"
                 f"  VALUES ?item {{ {self._items(batch)} }}\n"
                 f"  {{ VALUES (?prop ?d) {{ {rel_props} }} ?item ?d ?v . }}\n"
                 "  UNION { ?item wdt:P131/wdt:P131+ ?v . BIND(\"P131+\" AS ?prop) }\n"
                 "  { ?v rdfs:label ?name } UNION { ?v skos:altLabel ?name }\n"
                 f"  FILTER(LANG(?name) IN ({langs}))\n}}")
            return self.client.select(q)

        for row in self._batched("fetching related items", qids, related):
            item = items.get(_qid(row.get("item")) or "")
            prop, value, name = _value(row.get("prop")), _qid(row.get("v")), _value(row.get("name"))
            if item is None or not prop or not value or not name:
                continue
            item.related[prop][value].add(name)
            if prop == OCCUPATION_PROP and (row.get("name") or {}).get("xml:lang") == "en":
                item.occupation_labels.add(name)
        return items

    def status(self, qids: Iterable[str]) -> dict[str, ItemStatus]:
        """Whether each item exists, and where it redirects if it was merged (Wikidata's RDF
        model writes a redirect as ``wd:Qold owl:sameAs wd:Qnew``)."""

        def run(batch):
            q = (f"{PREFIXES}SELECT ?item ?target ?exists WHERE {{\n"
                 f"  VALUES ?item {{ {self._items(batch)} }}\n"
                 "  OPTIONAL { ?item owl:sameAs ?target }\n"
                 "  BIND(EXISTS { ?item ?p ?o . FILTER(?p != owl:sameAs) } AS ?exists)\n}")
            return self.client.select(q)

        out = {q: ItemStatus(q, exists=False) for q in qids}
        for row in self._batched("checking items", sorted(set(qids)), run):
            qid = _qid(row.get("item"))
            if not qid:
                continue
            st = out.setdefault(qid, ItemStatus(qid, exists=False))
            if _value(row.get("exists")) in ("true", "1"):
                st.exists = True
            target = _qid(row.get("target"))
            if target and target != qid:
                st.redirect = target
        return out

    def resolve(self, qids: Iterable[str], max_hops: int = 5) -> dict[str, ItemStatus]:
        """Status of each item, following chains of redirects to the item they end at."""
        statuses = self.status(qids)
        for st in list(statuses.values()):
            hops, target = 0, st.redirect
            while target and hops < max_hops:
                nxt = self.status([target])[target]
                if nxt.redirect and nxt.redirect != target:
                    target, hops = nxt.redirect, hops + 1
                    continue
                break
            if st.redirect:
                st.redirect = target
        return statuses

    def values(self, qids: Iterable[str], props: Sequence[str]) -> dict[str, dict[str, set[str]]]:
        """Every value (of any rank) of some properties: item -> property -> values, where an
        item value is its Q-id and anything else its lexical form."""
        for p in props:
            if not re.match(r"^P[1-9][0-9]*$", p):
                raise ValueError(f"bad property id {p!r}")
        rows_spec = " ".join(f'("{p}" p:{p} ps:{p})' for p in props)

        def run(batch):
            q = (f"{PREFIXES}SELECT ?item ?prop ?v WHERE {{\n  VALUES ?item {{ {self._items(batch)} }}\n"
                 f"  VALUES (?prop ?p ?ps) {{ {rows_spec} }}\n  ?item ?p ?st . ?st ?ps ?v .\n}}")
            return self.client.select(q)

        out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for row in self._batched("reading statements", sorted(set(qids)), run):
            item, prop = _qid(row.get("item")), _value(row.get("prop"))
            if not item or not prop:
                continue
            v = _qid(row.get("v")) or _value(row.get("v"))
            if v is not None:
                out[item][prop].add(v)
        return out


class NullProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        pass


__all__ = ["Item", "ItemStatus", "LabelHit", "SearchKey", "WikidataReader", "SparqlError",
           "Variant", "case_forms", "label_variants", "search_languages", "parse_wikidata_date", "parse_point",
           "sparql_literal", "sparql_string", "check_qid"]
