"""Places as GeoJSON (for QGIS and web maps) and one CSV table per class (for spreadsheets)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict

from rdflib import Literal
from rdflib.namespace import RDF

from .query import run_local
from .store import GraphStore

PLACES = """
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX skg: <https://w3id.org/siberia-kg/ontology#>
SELECT ?s ?lat ?long ?en ?ja ?ru ?approx ?from ?wikidata
       (GROUP_CONCAT(DISTINCT STR(?type); SEPARATOR=" ") AS ?types)
       (GROUP_CONCAT(DISTINCT STR(?in); SEPARATOR=" ") AS ?within) WHERE {
  ?s schema:latitude ?lat ; schema:longitude ?long ; a ?type .
  OPTIONAL { ?s skos:prefLabel ?en FILTER(LANG(?en) = "en") }
  OPTIONAL { ?s skos:prefLabel ?ja FILTER(LANG(?ja) = "ja") }
  OPTIONAL { ?s skos:prefLabel ?ru FILTER(LANG(?ru) = "ru") }
  OPTIONAL { ?s skg:coordinatesApproximate ?approx }
  OPTIONAL { ?s skg:coordinatesFrom ?from }
  OPTIONAL { ?s skos:exactMatch ?wikidata FILTER(STRSTARTS(STR(?wikidata), "http://www.wikidata.org/entity/")) }
  OPTIONAL { ?s schema:containedInPlace ?in }
} GROUP BY ?s ?lat ?long ?en ?ja ?ru ?approx ?from ?wikidata ORDER BY STR(?s)
"""


def geojson(store: GraphStore) -> str:
    res = run_local(store, PLACES)
    features = []
    seen = set()
    for r in res.rows:
        s = str(r["s"])
        if s in seen:  # two coordinates from two sources: keep the first, say so in properties
            continue
        seen.add(s)
        props = {"id": s, "name": str(r.get("en", "")), "types": sorted(str(r["types"]).split()),
                 "approximate": str(r.get("approx", "false")) == "true"}
        for key in ("ja", "ru"):
            if r.get(key) is not None:
                props[f"name_{key}"] = str(r[key])
        if r.get("from") is not None:
            props["coordinates_from"] = str(r["from"])
        if r.get("wikidata") is not None:
            props["wikidata"] = str(r["wikidata"])
        if str(r.get("within", "")):
            props["contained_in"] = sorted(str(r["within"]).split())
        features.append({"type": "Feature", "id": s,
                         "geometry": {"type": "Point",
                                      "coordinates": [float(str(r["long"])), float(str(r["lat"]))]},
                         "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, indent=1) + "\n"


ALL = """
SELECT ?class ?s ?p ?o WHERE { ?s a ?class ; ?p ?o . FILTER(isIRI(?s)) }
"""


def _col(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


def csv_tables(store: GraphStore, base: str) -> dict[str, str]:
    """One CSV per class of our entities: file name -> text. Multiple values joined by ' | '."""
    res = run_local(store, f"""
SELECT ?class ?s ?p ?o WHERE {{
  ?s a ?class ; ?p ?o . FILTER(STRSTARTS(STR(?s), "{base}id/"))
}}""")
    tables: dict[str, dict[str, dict[str, set]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for r in res.rows:
        cls, s, p, o = str(r["class"]), str(r["s"]), r["p"], r["o"]
        if p == RDF.type:
            continue
        if isinstance(o, Literal) and o.language:
            col = f"{_col(str(p))}@{o.language}"
        else:
            col = _col(str(p))
        tables[cls][s][col].add(str(o))
    out = {}
    for cls, rows in sorted(tables.items()):
        cols = sorted({c for row in rows.values() for c in row},
                      key=lambda c: (not c.startswith("prefLabel@en"), not c.startswith("prefLabel"), c))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["id", *cols])
        for s in sorted(rows):
            w.writerow([s, *[" | ".join(sorted(rows[s].get(c, ()))) for c in cols]])
        name = cls.split("//", 1)[-1].split("/", 1)[0].split(".")[-2] if "//" in cls else "x"
        prefix = {"schema": "schema", "w3id": "skg", "purl": "qb"}.get(name, name)
        out[f"{prefix}-{_col(cls)}.csv"] = buf.getvalue()
    return out
