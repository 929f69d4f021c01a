"""A tiny writer of Wikidata's RDF model, for test fixtures.

It writes what the Wikidata query service holds for an item: ``rdfs:label``, ``skos:altLabel``,
``schema:description`` (http://schema.org/), one ``p:`` statement node per claim with ``ps:`` value,
``wikibase:rank``, ``pq:`` qualifiers and, for times, a ``psv:`` value node with
``wikibase:timePrecision``; ``wdt:`` direct claims for the best rank only (preferred statements if
there are any, otherwise normal ones; never deprecated ones); coordinates as
``geo:wktLiteral "Point(long lat)"``; redirects as ``owl:sameAs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PREFIXES = """@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix psv: <http://www.wikidata.org/prop/statement/value/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix wds: <http://www.wikidata.org/entity/statement/> .
@prefix wdv: <http://www.wikidata.org/value/> .
@prefix wikibase: <http://wikiba.se/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_QID = re.compile(r"^Q\d+$")


def lit(text: str, lang: str | None = None) -> str:
    s = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"@{lang}' if lang else f'"{s}"'


def time_value(spec: str) -> tuple[str, int]:
    """'1878-12-18' -> day precision; '1945-08' month; '1939' year (stored as Jan 1st)."""
    m = _DATE.match(spec)
    if not m:
        raise ValueError(f"bad date {spec!r}")
    y, mo, d = m.groups()
    precision = 11 if d else 10 if mo else 9
    return f"{y}-{mo or '01'}-{d or '01'}T00:00:00Z", precision


@dataclass
class Claim:
    prop: str
    value: object                 # "Q123", a date string, or (lat, lon) for P625
    rank: str = "normal"          # normal, preferred, deprecated
    qualifiers: dict[str, str] = field(default_factory=dict)


@dataclass
class Entity:
    qid: str
    labels: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    gold: str | None = None       # our entity this item is (test oracle only, never written)


def _value_term(prop: str, value) -> tuple[str, str | None, int | None]:
    """(term, time literal if a time, precision)"""
    if prop == "P625":
        lat, lon = value
        return f'"Point({lon} {lat})"^^geo:wktLiteral', None, None
    if isinstance(value, str) and _QID.match(value):
        return f"wd:{value}", None, None
    if isinstance(value, str) and _DATE.match(value):
        t, prec = time_value(value)
        return f'"{t}"^^xsd:dateTime', t, prec
    return lit(str(value)), None, None


def render(entities: list[Entity], redirects: dict[str, str]) -> str:
    out = [PREFIXES]
    for e in sorted(entities, key=lambda e: int(e.qid[1:])):
        lines = [f"wd:{e.qid} a wikibase:Item"]
        for lang, text in sorted(e.labels.items()):
            lines.append(f"    rdfs:label {lit(text, lang)}")
        for lang, names in sorted(e.aliases.items()):
            for text in names:
                lines.append(f"    skos:altLabel {lit(text, lang)}")
        for lang, text in sorted(e.descriptions.items()):
            lines.append(f"    schema:description {lit(text, lang)}")
        by_prop: dict[str, list[Claim]] = {}
        for c in e.claims:
            by_prop.setdefault(c.prop, []).append(c)
        nodes = []
        n = 0
        for prop, claims in by_prop.items():
            live = [c for c in claims if c.rank != "deprecated"]
            best = [c for c in live if c.rank == "preferred"] or live
            for c in claims:
                n += 1
                st = f"wds:{e.qid}-{n}"
                term, t, prec = _value_term(prop, c.value)
                lines.append(f"    p:{prop} {st}")
                if c in best:
                    lines.append(f"    wdt:{prop} {term}")
                rank = {"normal": "NormalRank", "preferred": "PreferredRank",
                        "deprecated": "DeprecatedRank"}[c.rank]
                node = [f"{st} a wikibase:Statement" + (", wikibase:BestRank" if c in best else ""),
                        f"    wikibase:rank wikibase:{rank}", f"    ps:{prop} {term}"]
                if t:
                    v = f"wdv:{e.qid.lower()}-{n}"
                    node.append(f"    psv:{prop} {v}")
                    nodes.append(f"{v} a wikibase:TimeValue ;\n    wikibase:timeValue "
                                 f'"{t}"^^xsd:dateTime ;\n    wikibase:timePrecision "{prec}"^^xsd:integer ;\n'
                                 '    wikibase:timeTimezone "0"^^xsd:integer ;\n'
                                 "    wikibase:timeCalendarModel wd:Q1985727 .")
                for q, qv in sorted(c.qualifiers.items()):
                    qterm, _, _ = _value_term(q, qv)
                    node.append(f"    pq:{q} {qterm}")
                nodes.append(" ;\n".join(node) + " .")
        out.append(" ;\n".join(lines) + " .")
        out += nodes
        out.append("")
    for old, new in sorted(redirects.items()):
        out.append(f"wd:{old} owl:sameAs wd:{new} .")
    return "\n".join(out) + "\n"
