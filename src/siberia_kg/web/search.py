"""Labels of every entity, for display and for search in every script and romanization.

The graph is loaded once and does not change while the server runs, so the labels are read
once into memory: a few thousand strings, scanned linearly per query (well under a millisecond
for the curated graph).

Matching is accent-, case- and width-insensitive: both the query and every label are folded by
NFKD (which also maps full-width and half-width forms to their plain ones), dropping combining
marks, and case folding. Kana voicing marks (゛゜, U+3099/U+309A after NFKD) are kept, because
dropping them would make バ, パ and ハ the same letter; "Fumo Chitai" still finds "Fumō Chitai",
and "taishet" finds "Taishet".
"""

from __future__ import annotations

from ..textfold import fold

import threading
from dataclasses import dataclass, field

import pyoxigraph as ox

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PREF = SKOS + "prefLabel"
ALT = SKOS + "altLabel"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


MAX_QUERY = 200  # characters; longer queries are refused (400)

# Ranks, best first; JSON results name them.
EXACT, PREFIX, WORD, SUBSTRING, ALL_WORDS = range(5)
RANK_NAMES = ("exact", "prefix", "word-prefix", "substring", "all-words")


def normalize(text: str) -> str:
    """Fold a label or a query for matching (see siberia_kg.textfold)."""
    return fold(text)


def names_in_store(store: ox.Store, iris) -> dict[str, dict[str, str]]:
    """{IRI: {lang: label}} read from the store: skos:prefLabel wins over rdfs:label in each
    language (the ontology's terms have only rdfs:label); of two labels in one language the
    first in code-point order, so that every page shows the same one."""
    out: dict[str, dict[str, str]] = {}
    pref, lab = ox.NamedNode(PREF), ox.NamedNode(RDFS_LABEL)
    for iri in iris:
        try:
            node = ox.NamedNode(str(iri))
        except ValueError:
            continue
        names: dict[str, str] = {}
        for predicate in (lab, pref):  # prefLabel second, so it overwrites
            values: dict[str, list[str]] = {}
            for q in store.quads_for_pattern(node, predicate, None, None):
                if isinstance(q.object, ox.Literal):
                    values.setdefault(q.object.language or "", []).append(q.object.value)
            for lang, vs in values.items():
                names[lang] = min(vs)
        if names:
            out[str(iri)] = names
    return out


@dataclass
class Entry:
    norm: str
    label: str
    lang: str
    alt: bool
    iri: str


@dataclass
class Hit:
    iri: str
    label: str       # the label that matched, as written
    lang: str
    alt: bool
    rank: int

    @property
    def match(self) -> str:
        return RANK_NAMES[self.rank]


@dataclass
class Labels:
    """prefLabels (and rdfs:labels of ontology terms) by IRI and language, plus the search index."""

    pref: dict[str, dict[str, str]] = field(default_factory=dict)
    alts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    types: dict[str, list[str]] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    # Register records are not read at start (see curated_graphs): their labels are looked up
    # in the store when a page shows them, and the latest few thousand kept.
    store: object = None
    register_prefix: str | None = None
    _looked_up: dict = field(default_factory=dict)

    def _by_lang(self, iri: str) -> dict | None:
        found = self.pref.get(iri)
        if found or self.store is None or not self.register_prefix \
                or not iri.startswith(self.register_prefix):
            return found
        if iri not in self._looked_up:
            names = names_in_store(self.store, [iri]).get(iri, {})
            if len(self._looked_up) > 10_000:
                self._looked_up.clear()
            self._looked_up[iri] = names
        return self._looked_up[iri]

    def label(self, iri: str, lang: str = "en") -> str | None:
        """The label in ``lang``, else English, else any (sorted, so always the same one)."""
        by_lang = self._by_lang(iri)
        if not by_lang:
            return None
        for key in (lang, "en", ""):
            if key in by_lang:
                return by_lang[key]
        return by_lang[sorted(by_lang)[0]]

    def label_lang(self, iri: str, lang: str = "en") -> str | None:
        """The language tag of the label ``label()`` returns (for a lang attribute)."""
        by_lang = self._by_lang(iri)
        if not by_lang:
            return None
        for key in (lang, "en", ""):
            if key in by_lang:
                return key
        return sorted(by_lang)[0]

    def search(self, query: str, limit: int = 50) -> tuple[list[Hit], int]:
        """Entities whose labels match, best first: exact > prefix > word prefix > substring >
        all words somewhere. One hit per entity (its best label). Returns (hits, total)."""
        q = normalize(query)
        if not q:
            return [], 0
        words = q.split()
        best: dict[str, tuple] = {}
        for e in self.entries:
            n = e.norm
            if n == q:
                rank = EXACT
            elif n.startswith(q):
                rank = PREFIX
            elif (" " + q) in n:
                rank = WORD
            elif q in n:
                rank = SUBSTRING
            elif len(words) > 1 and all(w in n for w in words):
                rank = ALL_WORDS
            else:
                continue
            key = (rank, e.alt, len(e.norm), len(e.label), e.label, e.lang)
            if e.iri not in best or key < best[e.iri][0]:
                best[e.iri] = (key, e)
        ordered = sorted(best.values(), key=lambda kv: (kv[0], kv[1].iri))
        hits = [Hit(iri=e.iri, label=e.label, lang=e.lang, alt=e.alt, rank=k[0])
                for k, e in ordered[:limit]]
        return hits, len(ordered)


def curated_graphs(raw: ox.Store, base: str) -> list:
    """The default graph and every named graph but the person registers' citation graphs.

    A register holds up to millions of records: the in-memory label and reconciliation indexes
    cover the curated entities (hundreds), so that a server starts in seconds whatever the
    registers' size; register records are found through SPARQL and their own pages."""
    register = f"{base}id/citation/register-"
    return [ox.DefaultGraph()] + sorted(
        (g for g in raw.named_graphs() if not (isinstance(g, ox.NamedNode)
                                               and g.value.startswith(register))),
        key=str)


def load_labels(store, base: str) -> Labels:
    """Read every label of our entities (prefLabel, altLabel) and of ontology terms (rdfs:label,
    prefLabel), and every entity's types."""
    raw = store.raw
    labels = Labels(store=raw, register_prefix=f"{base}id/person/register-")
    ours = f"{base}id/"
    graphs = curated_graphs(raw, base)
    for pred, alt in ((PREF, False), (ALT, True), (RDFS_LABEL, False)):
        for q in (q for g in graphs for q in raw.quads_for_pattern(None, ox.NamedNode(pred), None, g)):
            s, o = q.subject, q.object
            if not isinstance(s, ox.NamedNode) or not isinstance(o, ox.Literal):
                continue
            iri, text, lang = s.value, o.value, o.language or ""
            mine = iri.startswith(ours)
            if pred == RDFS_LABEL and mine:
                continue  # derived from prefLabel by the build: nothing new
            if alt:
                labels.alts.setdefault(iri, []).append((text, lang))
            else:
                # Ontology terms carry both skos:prefLabel and rdfs:label; either will do.
                labels.pref.setdefault(iri, {}).setdefault(lang, text)
            if mine:
                labels.entries.append(Entry(normalize(text), text, lang, alt, iri))
    for q in (q for g in graphs for q in raw.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, g)):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ours):
            ts = labels.types.setdefault(q.subject.value, [])
            if q.object.value not in ts:
                ts.append(q.object.value)
    for iri in labels.alts:
        labels.alts[iri].sort(key=lambda t: (t[1], t[0]))
    # Deterministic scan order, so ties always come out the same way.
    labels.entries.sort(key=lambda e: (e.iri, e.alt, e.lang, e.label))
    return labels


_lock = threading.Lock()


def labels_for(state) -> Labels:
    """The labels of this server's graph, read on first use and kept for the server's life."""
    cached = state.extras.get("labels")
    if cached is None:
        with _lock:
            cached = state.extras.get("labels")
            if cached is None:
                cached = load_labels(state.store, state.base)
                state.extras["labels"] = cached
    return cached

