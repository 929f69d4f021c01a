"""Counts by class, by source document and labels by language, from the built graph."""

from __future__ import annotations

from dataclasses import dataclass

from .query import run_local
from .store import GraphStore

BY_CLASS = """
PREFIX skg: <https://w3id.org/siberia-kg/ontology#>
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class } ?g a skg:Citation .
} GROUP BY ?class ORDER BY DESC(?n) STR(?class)
"""

BY_SOURCE = """
PREFIX skg: <https://w3id.org/siberia-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?source ?label (COUNT(*) AS ?statements) (COUNT(DISTINCT ?s) AS ?entities)
       (COUNT(DISTINCT ?g) AS ?citations) WHERE {
  GRAPH ?g { ?s ?p ?o FILTER(?p != skg:citation) }
  ?g skg:source ?source .
  OPTIONAL { ?source skos:prefLabel ?label FILTER(LANG(?label) = "en") }
} GROUP BY ?source ?label ORDER BY STR(?source)
"""

BY_LANGUAGE = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?lang (SUM(IF(?p = skos:prefLabel, 1, 0)) AS ?prefLabels)
       (SUM(IF(?p = skos:altLabel, 1, 0)) AS ?altLabels) (COUNT(DISTINCT ?s) AS ?entities) WHERE {
  VALUES ?p { skos:prefLabel skos:altLabel }
  ?s ?p ?label BIND(LANG(?label) AS ?lang)
} GROUP BY ?lang ORDER BY DESC(?entities) ?lang
"""


@dataclass
class Stats:
    by_class: list[tuple[str, int]]
    by_source: list[tuple[str, str, int, int, int]]
    by_language: list[tuple[str, int, int, int]]


def compute(store: GraphStore) -> Stats:
    def num(t):
        return int(str(t)) if t is not None else 0

    c = run_local(store, BY_CLASS)
    s = run_local(store, BY_SOURCE)
    lang = run_local(store, BY_LANGUAGE)
    return Stats(
        by_class=[(str(r["class"]), num(r.get("n"))) for r in c.rows],
        by_source=[(str(r["source"]), str(r.get("label", "")), num(r.get("statements")),
                    num(r.get("entities")), num(r.get("citations"))) for r in s.rows],
        by_language=[(str(r.get("lang", "")), num(r.get("prefLabels")), num(r.get("altLabels")),
                      num(r.get("entities"))) for r in lang.rows],
    )


def render(stats: Stats, short) -> str:
    out = ["Entities by class"]
    w = max([len(short(c)) for c, _ in stats.by_class] + [5])
    out += [f"  {short(c).ljust(w)}  {n:>6}" for c, n in stats.by_class]
    out += ["", "Statements by source document (statements, entities, citations)"]
    w = max([len(short(s)) for s, *_ in stats.by_source] + [6])
    out += [f"  {short(s).ljust(w)}  {st:>6} {en:>6} {ci:>4}  {label}"
            for s, label, st, en, ci in stats.by_source]
    out += ["", "Labels by language (prefLabel, altLabel, entities)"]
    out += [f"  {(lang or '(none)').ljust(8)}  {p:>6} {a:>6} {e:>6}"
            for lang, p, a, e in stats.by_language]
    return "\n".join(out) + "\n"
