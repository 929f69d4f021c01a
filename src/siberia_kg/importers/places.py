"""Matching camp and place names as a register writes them to the curated places and camps.

A name matches an entity when its folded form equals the folded form of one of the entity's
labels (skos:prefLabel or skos:altLabel, any language) and of no other entity's: a match must
be unambiguous, and there is no fuzzy matching. Folding removes what does not tell two places
apart: Unicode width (NFKC), case, accents and other diacritics (but not the voicing marks of
kana), hiragana against katakana, punctuation and spaces, the words for "camp" and camp
numbers ("Taishet camp No. 7" is at Taishet), and the usual variants of romanising Russian
(y/i/j, kh/h: Tayshet = Taishet).

A settlement name is matched to the settlement, not to a camp there: a register's "Taishet"
may be any of the camps around Taishet, and a wrong link is worse than none.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import DEFAULT_BASE

SCHEMA = "https://schema.org/"
SKG = "https://w3id.org/siberia-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PLACE_TYPES = frozenset({
    SCHEMA + "Place", SCHEMA + "Country", SCHEMA + "AdministrativeArea", SCHEMA + "City",
    SCHEMA + "TrainStation", SCHEMA + "Cemetery", SKG + "Camp",
})
LABELS = frozenset({SKOS + "prefLabel", SKOS + "altLabel"})

_CAMP_WORDS = re.compile(
    r"\b(?:prisoner[- ]of[- ]war|pow|labou?r|special|transit|camp|lager|lagpunkt)\b"
    r"|\b(?:no|nr|n)\.?\s*\d+\b|[#№]\s*\d+"
    r"|第\s*\d+\s*(?:収容所|分所|地区|ラーゲリ)?|\d+\s*号"
    r"|捕虜収容所|収容所|分所|ラーゲリ|ラーゲル"
    r"|лагерн\w*|лагер\w*|лагпункт\w*|отделени\w*"
)
_NON_WORD = re.compile(r"[\W_]+")
_LATIN = re.compile(r"[a-z]+")
_KEEP_MARKS = {"\u3099", "\u309a"}  # kana voicing marks: ガ is not カ


def _latin_variants(m: re.Match) -> str:
    w = m.group(0)
    w = w.replace("kh", "h").replace("j", "i").replace("y", "i")
    return w.replace("ou", "o").replace("oo", "o").replace("uu", "u")


def fold(text: str) -> str:
    """The matching key of a name (see the module's description)."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = _CAMP_WORDS.sub(" ", t)
    decomposed = unicodedata.normalize("NFKD", t)
    t = unicodedata.normalize("NFC", "".join(
        c for c in decomposed if not unicodedata.combining(c) or c in _KEEP_MARKS))
    t = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in t)  # hira -> kata
    t = _NON_WORD.sub("", t)
    return _LATIN.sub(_latin_variants, t)


class PlaceIndex:
    """Folded label -> the curated places and camps that carry it."""

    def __init__(self, labels: dict[str, set[str]], source: str = "", sha256: str = ""):
        self._keys = {k: frozenset(v) for k, v in labels.items() if k}
        self.source = source
        self.sha256 = sha256
        self._cache: dict[str, str | None] = {}
        self.entities = len({iri for v in self._keys.values() for iri in v})

    CACHE_LIMIT = 100_000  # distinct names remembered; memory stays bounded on any file

    def match(self, name: str) -> str | None:
        """The one entity this name designates, or None (no match, or more than one)."""
        try:
            return self._cache[name]
        except KeyError:
            pass
        found = self._keys.get(fold(name))
        iri = next(iter(found)) if found and len(found) == 1 else None
        if len(self._cache) < self.CACHE_LIMIT:
            self._cache[name] = iri
        return iri

    def candidates(self, name: str) -> frozenset[str]:
        return self._keys.get(fold(name), frozenset())

    @classmethod
    def from_quads(cls, quads, *, from_base: str = DEFAULT_BASE, to_base: str = DEFAULT_BASE,
                   source: str = "", sha256: str = "") -> "PlaceIndex":
        types: dict[str, set[str]] = defaultdict(set)
        labels: dict[str, set[str]] = defaultdict(set)
        for q in quads:
            s = q.subject
            if not isinstance(s, ox.NamedNode):
                continue
            p = q.predicate.value
            if p == RDF_TYPE:
                types[s.value].add(q.object.value)
            elif p in LABELS and isinstance(q.object, ox.Literal):
                labels[s.value].add(q.object.value)
        index: dict[str, set[str]] = defaultdict(set)
        for iri, names in labels.items():
            if not types.get(iri, set()) & PLACE_TYPES:
                continue
            if from_base != to_base and iri.startswith(from_base):
                iri = to_base + iri[len(from_base):]
            for n in names:
                index[fold(n)].add(iri)
        return cls(index, source=source, sha256=sha256)

    @classmethod
    def from_file(cls, path: Path, *, from_base: str = DEFAULT_BASE,
                  to_base: str = DEFAULT_BASE) -> "PlaceIndex":
        """From a dump of the curated graph (N-Quads, TriG, Turtle or N-Triples)."""
        import hashlib

        fmt = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG,
               ".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}[path.suffix]
        data = path.read_bytes()
        return cls.from_quads(ox.parse(data, format=fmt), from_base=from_base, to_base=to_base,
                              source=path.name, sha256=hashlib.sha256(data).hexdigest())

    @classmethod
    def from_files(cls, paths: list[Path], source: str = "") -> "PlaceIndex":
        """From the curated TriG files themselves (data/), at the default base."""
        import hashlib

        h = hashlib.sha256()
        quads = []
        for p in sorted(paths):
            data = p.read_bytes()
            h.update(p.name.encode() + b"\0" + data)
            fmt = ox.RdfFormat.TRIG if p.suffix == ".trig" else ox.RdfFormat.TURTLE
            quads.extend(ox.parse(data, format=fmt))
        return cls.from_quads(quads, source=source, sha256=h.hexdigest())

    @classmethod
    def empty(cls) -> "PlaceIndex":
        return cls({}, source="(none)")
