"""Scoring a Wikidata candidate against one of our entities, and deciding.

Each kind of evidence adds to (or takes from) a log-odds score: labels in every language we
have, type compatibility through P31/P279*, dates, coordinates, countries, enclosing places,
makers of works, occupations of people, and words shared with the description. The scores of
all candidates of one entity are then normalised against each other and against "none of them"
(``p = odds / (1 + sum of odds)``), so that two equally good homonyms share the probability and
neither reaches the threshold: the linker abstains and a person decides.

An automatic link needs more than a high score: a compatible type, no contradiction (a date,
place or language that disagrees) and at least one piece of evidence besides the name itself.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from .candidates import Item, Variant
from .entities import DateValue, Entity, Label
from .mapping import (BROAD_CLASSES, COUNTRY_PROPS, CREATOR_PROPS, DATE_PROPERTIES,
                      EXCLUDED_CLASSES, OCCUPATION_PROP, ROLE_OCCUPATIONS, STRICT_DATES,
                      UMBRELLA_COUNTRIES, WEAK_ROLE, allowed_classes, coord_tolerance)

PRIOR = -2.0  # log-odds that an item sharing a name is the entity, before any evidence

# weights (log-odds)
W_LABEL_SCALE, W_LABEL_OFFSET = 4.0, -1.0
W_GROUP = 1.5          # each further language (script) whose names agree
W_NAME = 0.5           # each further name of ours, in the same language, that matches
W_LANG_CONFLICT, W_LANG_PARTIAL = -2.0, -1.0
W_TYPE_SPECIFIC, W_TYPE_BROAD, W_TYPE_NONE, W_TYPE_WRONG = 1.0, 0.3, -1.0, -4.0
W_DATE = {11: 2.5, 10: 2.0, 9: 1.2}
W_DATE_WRONG, W_DATE_WRONG_STRICT = -2.0, -3.0
W_COORD_NEAR, W_COORD_CLOSE, W_COORD_FAR = 1.5, 0.3, -3.0
W_COUNTRY, W_COUNTRY_WRONG = 0.8, -3.0
W_CONTAINER, W_CONTAINER_WRONG = 1.2, -0.5
W_CREATOR, W_CREATOR_WRONG = 2.0, -1.5
W_OCCUPATION, W_OCCUPATION_WEAK, W_OCCUPATION_WRONG = 1.2, 0.5, -2.0
W_DESC_WORD, W_DESC_MAX, W_DESC_TYPE = 0.3, 0.9, 0.8
W_UNIQUE, W_UNIQUE_PERSON = 1.0, 0.5
W_QUALIFIER, W_QUALIFIER_WRONG = 1.0, -1.5
W_BASED_ON, W_MADE = 1.5, 2.0

SCRIPT_GROUPS = {"en": "latin", "mul": "latin", "ja-latn": "latin", "ru-latn": "latin"}


GROUP_NAMES = {"latin": "English", "ja": "Japanese", "ru": "Russian", "ko": "Korean",
               "zh": "Chinese", "kk": "Kazakh"}


def shown(group: str) -> str:
    return GROUP_NAMES.get(group, group)


def group_of(lang: str) -> str:
    lang = lang.lower()
    return SCRIPT_GROUPS.get(lang, lang.split("-")[0])


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """Case, accents, punctuation and spacing do not tell names apart: "Fumō Chitai",
    "fumo chitai" and "Fumo-Chitai" are one name."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = _strip_marks(t)
    t = re.sub(r"[\W_]+", " ", t)
    return " ".join(t.split())


def compact(text: str) -> str:
    return normalize(text).replace(" ", "")


def tokens(text: str) -> list[str]:
    return normalize(text).split()


def contains(a: str, b: str, group: str) -> bool:
    """Whether one name is part of the other: whole words for alphabetic scripts, characters
    for Japanese and Chinese (which do not separate words)."""
    if group in ("ja", "zh"):
        ca, cb = compact(a), compact(b)
        return bool(ca and cb) and (ca in cb or cb in ca)
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return False
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    return any(long_[i:i + len(short)] == short for i in range(len(long_) - len(short) + 1))


@dataclass
class Evidence:
    kind: str
    weight: float
    text: str
    corroborates: bool = False   # independent of the name
    contradicts: bool = False    # rules out an automatic link

    def __str__(self) -> str:
        return self.text


@dataclass
class Scored:
    item: Item
    logit: float
    evidence: list[Evidence] = field(default_factory=list)
    type_ok: bool = False
    score: float = 0.0           # normalised among the entity's candidates
    variant_only: bool = False

    @property
    def qid(self) -> str:
        return self.item.qid

    @property
    def contradictions(self) -> list[Evidence]:
        return [e for e in self.evidence if e.contradicts]

    @property
    def corroborations(self) -> list[Evidence]:
        return [e for e in self.evidence if e.corroborates]

    def summary(self, limit: int = 8) -> str:
        parts = [e.text for e in sorted(self.evidence, key=lambda e: -abs(e.weight))[:limit]]
        return "; ".join(parts)


@dataclass
class Context:
    """What the scoring of one entity's candidates knows besides the two items themselves."""
    variants: list[Variant] = field(default_factory=list)     # shortened forms of our labels
    unique_names: set[str] = field(default_factory=set)       # compact names only one item has
    made: dict[str, str] = field(default_factory=dict)        # qid -> title of a work of ours
                                                              # whose candidates it made


def _their_names(item: Item) -> dict[str, dict[str, set[str]]]:
    """group -> {"label": names, "alias": names}"""
    out: dict[str, dict[str, set[str]]] = {}
    for kind, source in (("label", item.labels), ("alias", item.aliases)):
        for lang, names in source.items():
            g = group_of(lang)
            out.setdefault(g, {"label": set(), "alias": set()})[kind] |= set(names)
    return out


def _match_quality(pref: bool, kind: str) -> float:
    if pref and kind == "label":
        return 1.0
    if not pref and kind == "alias":
        return 0.8
    return 0.9


def _label_evidence(entity: Entity, item: Item, ctx: Context) -> tuple[list[Evidence], float, bool]:
    """Labels: the best match in any language, further languages and names that agree, and
    languages in which both sides name the thing differently. Returns the evidence, the best
    match quality and whether only a shortened form of our labels matched."""
    ours: dict[str, list[Label]] = {}
    for lab in entity.labels:
        ours.setdefault(group_of(lab.lang), []).append(lab)
    theirs = _their_names(item)
    evidence: list[Evidence] = []
    best_q, best_text, agreeing, variant_only = 0.0, "", [], True
    for g, labs in sorted(ours.items()):
        names = theirs.get(g)
        if not names:
            continue
        g_best, g_text, matched = 0.0, "", set()
        for lab in labs:
            for kind in ("label", "alias"):
                for their in names[kind]:
                    if lab.text == their:
                        q = _match_quality(lab.pref, kind)
                    elif compact(lab.text) == compact(their):
                        q = _match_quality(lab.pref, kind) * 0.92
                    else:
                        continue
                    matched.add(compact(lab.text))
                    if q > g_best:
                        g_best = q
                        g_text = f'{shown(g)} {"name" if lab.pref else "other name"} "{lab.text}" = their {kind}'
        if g_best > 0:
            variant_only = False
        elif g == "latin":
            for v in ctx.variants:
                for kind in ("label", "alias"):
                    if any(compact(v.text) == compact(n) for n in names[kind]):
                        q = 0.72 if kind == "label" else 0.65
                        if q > g_best:
                            g_best = q
                            g_text = f'English "{v.text}" (ours without "{v.qualifier}") = their {kind}'
        if g_best > 0:
            agreeing.append(g)
            if g_best > best_q:
                best_q, best_text = g_best, g_text
            if len(matched) > 1:
                extra = min(2, len(matched) - 1)
                evidence.append(Evidence("names", W_NAME * extra,
                                         f"{len(matched)} of our {shown(g)} names match", corroborates=True))
            continue
        our_prefs = [l.text for l in labs if l.pref]
        their_labels = names["label"]
        if not our_prefs or not their_labels:
            continue
        partial = any(contains(a, b, g) for a in [l.text for l in labs]
                      for b in names["label"] | names["alias"])
        if partial:
            evidence.append(Evidence("language", W_LANG_PARTIAL,
                                     f'{shown(g)} names only overlap: ours "{our_prefs[0]}", theirs '
                                     f'"{sorted(their_labels)[0]}"'))
        else:
            evidence.append(Evidence(
                "language", W_LANG_CONFLICT,
                f'{shown(g)} names differ: ours "{our_prefs[0]}", theirs "{sorted(their_labels)[0]}"',
                contradicts=True))
    if best_q == 0:
        return evidence, 0.0, True
    evidence.insert(0, Evidence("label", W_LABEL_SCALE * best_q + W_LABEL_OFFSET, best_text))
    if len(agreeing) > 1:
        extra = min(2, len(agreeing) - 1)
        evidence.append(Evidence("languages", W_GROUP * extra,
                                 f"names agree in {', '.join(shown(g) for g in sorted(agreeing))}", corroborates=True))
    return evidence, best_q, variant_only


def _content_words(text: str) -> set[str]:
    return {w[:-1] if w.endswith("s") and len(w) > 4 else w for w in tokens(text)
            if w not in STOPWORDS and len(w) > 2 and not w.isdigit()}


def _their_context_words(item: Item) -> set[str]:
    words: set[str] = set()
    for k, v in item.descriptions.items():
        if k in ("en", "mul"):
            words |= _content_words(v)
    for name in item.related_names("P17", "P131", "P131+", "P495"):
        words |= _content_words(name)
    for label in item.p31.values():
        words |= _content_words(label)
    return words


def _qualifier_evidence(item: Item, ctx: Context, variant_only: bool) -> list[Evidence]:
    """What our labels say in brackets or after a comma ("(Japan)", ", Nebraska") should be
    found in the item's description, places or type; a match that needed to drop it and does
    not find it there is doubtful."""
    quals = [v for v in ctx.variants if v.kind == "qualifier" and _content_words(v.qualifier)]
    if not quals:
        return []
    words = _their_context_words(item)
    for v in quals:
        if _content_words(v.qualifier) & words:
            return [Evidence("qualifier", W_QUALIFIER, f'"{v.qualifier}" (in our name) agrees',
                             corroborates=True)]
    if variant_only:
        return [Evidence("qualifier", W_QUALIFIER_WRONG,
                         f'"{quals[0].qualifier}" (in our name) is not found on the item')]
    return []


def _type_evidence(entity: Entity, item: Item) -> tuple[Evidence, bool]:
    wanted, _specific = allowed_classes(entity.types)
    hits = item.classes & wanted
    p31 = ", ".join(sorted(set(item.p31.values()))[:3]) or "no P31"
    if hits:
        specific = hits - BROAD_CLASSES
        w = W_TYPE_SPECIFIC if specific else W_TYPE_BROAD
        return Evidence("type", w, f"type fits ({p31})"), True
    if not item.p31:
        return Evidence("type", W_TYPE_NONE, "no type (P31) on the item"), False
    return Evidence("type", W_TYPE_WRONG, f"type does not fit ({p31})", contradicts=True), False


def compare_dates(a: DateValue, b: DateValue) -> tuple[int, int]:
    """(common precision, difference in years at that precision; 0 when equal)."""
    precision = min(a.precision, b.precision)
    if a.year != b.year:
        return precision, abs(a.year - b.year) or 1
    if precision >= 10 and a.month != b.month:
        return precision, -1
    if precision >= 11 and a.day != b.day:
        return precision, -1
    return precision, 0


def _date_evidence(entity: Entity, item: Item) -> list[Evidence]:
    out = []
    for prop, ours in entity.dates.items():
        theirs = [d for p in DATE_PROPERTIES.get(prop, ()) for d in item.dates.get(p, [])]
        if not theirs:
            continue
        name = prop.rsplit("/", 1)[-1]
        best = None
        for a in ours:
            for b in theirs:
                precision, diff = compare_dates(a, b.value)
                rank = (diff == 0, precision if diff == 0 else -abs(diff))
                if best is None or rank > best[0]:
                    best = (rank, precision, diff, a, b)
        _, precision, diff, a, b = best
        if diff == 0:
            out.append(Evidence("date", W_DATE[precision], f"{name} {a} agrees ({b.value})",
                                corroborates=True))
        elif diff == 1 and prop not in STRICT_DATES:
            out.append(Evidence("date", 0.0, f"{name} {a} is a year off ({b.value})"))
        else:
            strict = prop in STRICT_DATES
            out.append(Evidence("date", W_DATE_WRONG_STRICT if strict else W_DATE_WRONG,
                                f"{name} {a} disagrees ({', '.join(sorted({str(x.value) for x in theirs}))})",
                                contradicts=True))
    return out


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _coord_evidence(entity: Entity, item: Item) -> list[Evidence]:
    if not entity.coords or not item.coords:
        return []
    d = min(haversine_km(a, b) for a in entity.coords for b in item.coords)
    tol = coord_tolerance(entity.types) * (2 if entity.coords_approximate else 1)
    if d <= tol:
        return [Evidence("coordinates", W_COORD_NEAR, f"{d:.0f} km apart", corroborates=True)]
    if d <= 3 * tol:
        return [Evidence("coordinates", W_COORD_CLOSE, f"{d:.0f} km apart")]
    return [Evidence("coordinates", W_COORD_FAR, f"{d:.0f} km apart", contradicts=True)]


def _names(labels: list[Label]) -> set[str]:
    return {compact(l.text) for l in labels} - {""}


def _overlap(ours: list[list[Label]], theirs: set[str]) -> tuple[bool, list[str]]:
    their_c = {compact(t) for t in theirs} - {""}
    hit = [next((l.text for l in labs if l.pref), labs[0].text) for labs in ours
           if _names(labs) & their_c]
    return bool(hit), hit


def _country_evidence(entity: Entity, item: Item) -> list[Evidence]:
    theirs = item.related_names(*COUNTRY_PROPS)
    if not entity.countries or not theirs:
        return []
    ok, hit = _overlap(entity.countries, theirs)
    if ok:
        return [Evidence("country", W_COUNTRY, f"country {hit[0]} agrees", corroborates=True)]
    ours_n = {normalize(l.text) for labs in entity.countries for l in labs}
    theirs_n = {normalize(t) for t in theirs}
    if (ours_n | theirs_n) & UMBRELLA_COUNTRIES:
        return [Evidence("country", 0.0, "countries differ, one a former state")]
    ours_name = next((l.text for l in entity.countries[0] if l.pref), entity.countries[0][0].text)
    their_en = sorted(n for n in theirs if re.match(r"^[\x00-\x7f]+$", n))
    return [Evidence("country", W_COUNTRY_WRONG,
                     f"country differs: ours {ours_name}, theirs {their_en[0] if their_en else sorted(theirs)[0]}",
                     contradicts=True)]


def _container_evidence(entity: Entity, item: Item) -> list[Evidence]:
    theirs = item.related_names("P131", "P131+")
    if not entity.containers or not theirs:
        return []
    ok, hit = _overlap(entity.containers, theirs)
    if ok:
        return [Evidence("located in", W_CONTAINER, f"located in {hit[0]}", corroborates=True)]
    return [Evidence("located in", W_CONTAINER_WRONG, "enclosing places differ")]


def _creator_evidence(entity: Entity, item: Item) -> list[Evidence]:
    theirs = item.related_names(*CREATOR_PROPS)
    if not entity.creators or not theirs:
        return []
    ok, hit = _overlap(entity.creators, theirs)
    if ok:
        return [Evidence("maker", W_CREATOR, f"made by {hit[0]}", corroborates=True)]
    # A surname alone, or a name in another form, is not a contradiction: compare word sets.
    ours_words = {w for labs in entity.creators for l in labs for w in tokens(l.text) if len(w) > 2}
    theirs_words = {w for t in theirs for w in tokens(t) if len(w) > 2}
    if ours_words & theirs_words:
        return [Evidence("maker", 0.5, "a maker's name partly agrees")]
    return [Evidence("maker", W_CREATOR_WRONG, "makers differ")]


def _occupation_evidence(entity: Entity, item: Item) -> list[Evidence]:
    """Occupations that fit our roles. Being the author of a cited work (skg:Author) says little
    of an occupation, so it only weakly supports a writer or scholar."""
    strong = {q for r in entity.roles if r != WEAK_ROLE for q in ROLE_OCCUPATIONS.get(r, ())}
    weak = set(ROLE_OCCUPATIONS.get(WEAK_ROLE, ())) if WEAK_ROLE in entity.roles else set()
    if not strong and not weak:
        return []
    label = ", ".join(sorted(item.occupation_labels)[:2])
    if item.occupations & strong:
        return [Evidence("occupation", W_OCCUPATION, f"occupation {label or 'fits our role'}",
                         corroborates=True)]
    if item.occupations & weak:
        return [Evidence("occupation", W_OCCUPATION_WEAK, f"occupation {label or 'fits'}")]
    if item.related.get(OCCUPATION_PROP):
        return [Evidence("occupation", W_OCCUPATION_WRONG,
                         f"occupation {label or 'another'} does not fit our roles")]
    return []


def _based_on_evidence(entity: Entity, item: Item) -> list[Evidence]:
    theirs = item.related_names("P144")
    if not entity.based_on or not theirs:
        return []
    ok, hit = _overlap(entity.based_on, theirs)
    if ok:
        return [Evidence("based on", W_BASED_ON, f"based on {hit[0]}", corroborates=True)]
    return []


def _made_evidence(item: Item, ctx: Context) -> list[Evidence]:
    title = ctx.made.get(item.qid)
    if title:
        return [Evidence("made", W_MADE, f"Wikidata credits it with {title}", corroborates=True)]
    return []


STOPWORDS = frozenset("""a an the of in on at to for from by with and or as is was were be been
that which who whose whom where when this these those its his her their it he she they one two
also after before during about into over under between than then there other another same such
some most more many much only each both all any not no nor but""".split())


def _desc_evidence(entity: Entity, item: Item) -> list[Evidence]:
    """Words our description shares with theirs; and whether the first words of ours name the
    kind of thing their type names ("Island on whose southern part ..." and an island)."""
    if not entity.description:
        return []
    out = []
    ours = _content_words(entity.description)
    theirs = set()
    for k, v in item.descriptions.items():
        if k in ("en", "mul"):
            theirs |= _content_words(v)
    shared = sorted(ours & theirs)
    if shared:
        w = min(W_DESC_MAX, W_DESC_WORD * len(shared))
        out.append(Evidence("description", w, f"descriptions share {', '.join(shared[:4])}",
                            corroborates=len(shared) >= 3))
    head = set()
    for w in tokens(entity.description)[:3]:
        head |= _content_words(w)
    kinds = set()
    for label in item.p31.values():
        kinds |= _content_words(label)
    common = sorted(head & kinds)
    if common:
        out.append(Evidence("description", W_DESC_TYPE,
                            f"our description calls it {common[0]}, as its type does",
                            corroborates=True))
    return out


def _unique_evidence(entity: Entity, item: Item, ctx: Context, type_ok: bool) -> list[Evidence]:
    """A name of ours (of two words or more) that, of all the items the endpoint holds, only this
    one has. Strong for works, bodies and places; for people only a hint (namesakes)."""
    if not ctx.unique_names or not type_ok:
        return []
    theirs = {compact(n) for names in (*item.labels.values(), *item.aliases.values()) for n in names}
    for lab in entity.labels:
        c = compact(lab.text)
        if c in ctx.unique_names and c in theirs and len(tokens(lab.text)) >= 2:
            if entity.kind == "person":
                return [Evidence("unique", W_UNIQUE_PERSON, f'no other item is named "{lab.text}"')]
            return [Evidence("unique", W_UNIQUE, f'no other item is named "{lab.text}"',
                             corroborates=True)]
    return []


def score_candidate(entity: Entity, item: Item, ctx: Context | None = None) -> Scored:
    ctx = ctx or Context()
    evidence: list[Evidence] = []
    label_ev, best_q, variant_only = _label_evidence(entity, item, ctx)
    evidence += label_ev
    type_ev, type_ok = _type_evidence(entity, item)
    evidence.append(type_ev)
    evidence += _qualifier_evidence(item, ctx, variant_only)
    evidence += _date_evidence(entity, item)
    evidence += _coord_evidence(entity, item)
    evidence += _country_evidence(entity, item)
    evidence += _container_evidence(entity, item)
    evidence += _creator_evidence(entity, item)
    evidence += _based_on_evidence(entity, item)
    evidence += _made_evidence(item, ctx)
    evidence += _occupation_evidence(entity, item)
    evidence += _desc_evidence(entity, item)
    evidence += _unique_evidence(entity, item, ctx, type_ok)
    logit = PRIOR + sum(e.weight for e in evidence)
    return Scored(item=item, logit=logit, evidence=evidence, type_ok=type_ok,
                  variant_only=variant_only)


def rank(scored: list[Scored]) -> list[Scored]:
    """Normalise: each candidate's odds against the sum of all candidates' odds and one for
    "none of them"."""
    odds = [math.exp(min(50.0, s.logit)) for s in scored]
    total = 1.0 + sum(odds)
    for s, o in zip(scored, odds):
        s.score = o / total
    return sorted(scored, key=lambda s: (-s.score, int(s.qid[1:])))


@dataclass
class Decision:
    accept: Scored | None
    reason: str


def decide(ranked: list[Scored], threshold: float) -> Decision:
    """Accept the best candidate only when its normalised score reaches the threshold, its type
    fits, nothing contradicts it, and something besides its name speaks for it."""
    if not ranked:
        return Decision(None, "no candidate")
    best = ranked[0]
    if not any(s.type_ok for s in ranked):
        return Decision(None, "no candidate of a fitting type")
    if best.score < threshold:
        if len(ranked) > 1 and ranked[1].score > 0.2 * best.score and ranked[1].logit > 0:
            return Decision(None, f"homonyms: {best.qid} and {ranked[1].qid} both fit")
        return Decision(None, f"best score {best.score:.3f} is below the threshold {threshold:g}")
    if not best.type_ok:
        return Decision(None, "the type of the best candidate does not fit")
    if best.contradictions:
        return Decision(None, "contradicted: " + "; ".join(e.text for e in best.contradictions))
    if not best.corroborations:
        return Decision(None, "only the name speaks for it")
    return Decision(best, "accepted")


def excluded_reason(item: Item) -> str | None:
    hit = sorted(item.classes & set(EXCLUDED_CLASSES))
    return EXCLUDED_CLASSES[hit[0]] if hit else None
