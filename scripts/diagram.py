"""Draw the data model (docs/data-model.svg and .png) with Graphviz's dot.

The edges are the paths a query follows most; every class and property named here is checked
against the ontology or schema.org names so that the picture cannot drift from the model.
Run: .venv/bin/python scripts/diagram.py   (needs Debian's graphviz)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from rdflib import Graph, URIRef

ROOT = Path(__file__).resolve().parents[1]
SKG = "https://w3id.org/siberia-kg/ontology#"

NODES = {
    "Citation": ("skg:Citation", "named graph = one located part\nof a source document", "#fde68a"),
    "SourceDocument": ("skg:SourceDocument", "000-005 + gazetteer", "#fde68a"),
    "Camp": ("skg:Camp", "⊑ schema:Place, crm:E53", "#bfdbfe"),
    "Place": ("schema:Place", "Country, AdministrativeArea,\nCity, TrainStation…", "#bfdbfe"),
    "Person": ("schema:Person", "skg:role → skg:Role", "#bbf7d0"),
    "Organization": ("schema:Organization", "skg:MilitaryUnit …", "#bbf7d0"),
    "Work": ("schema:CreativeWork", "skg:FictionalWork | skg:Memoir |\nskg:ScholarlyWork | skg:ArchiveCollection", "#e9d5ff"),
    "Event": ("schema:Event", "skg:eventType → skg:EventType", "#fecaca"),
    "Internment": ("skg:Internment", "event:siberian-internment", "#fecaca"),
    "Estimate": ("skg:Estimate", "schema:value | minValue | maxValue\nskg:qualifier, skg:period, skg:asOf", "#fed7aa"),
    "Measure": ("skg:Measure", "what is counted", "#fed7aa"),
    "Claim": ("skg:Claim", "skg:evidenceGenre", "#e5e7eb"),
    "DataSet": ("qb:DataSet", "repatriation table", "#fed7aa"),
    "Observation": ("qb:Observation", "skg:refYear, skg:numberReleased,\nskg:observationNote", "#fed7aa"),
}

EDGES = [
    ("Citation", "SourceDocument", "skg:source"),
    ("Camp", "Place", "schema:containedInPlace"),
    ("Place", "Place", "schema:containedInPlace"),
    ("Camp", "Organization", "skg:administeredBy"),
    ("Camp", "Place", "skg:laborProject"),
    ("Person", "Place", "skg:heldIn"),
    ("Person", "Organization", "schema:affiliation"),
    ("Work", "Person", "schema:author / director / creator"),
    ("Work", "Organization", "schema:publisher"),
    ("Work", "Internment", "schema:about"),
    ("Event", "Internment", "schema:superEvent"),
    ("Event", "Person", "skg:agent / skg:participant"),
    ("Event", "Place", "schema:location"),
    ("Internment", "Place", "skg:placeOfCapture /\nregionOfInternment /\nportOfRepatriation"),
    ("Estimate", "Measure", "skg:measure"),
    ("Estimate", "Internment", "skg:about"),
    ("Estimate", "Person", "skg:estimatedBy"),
    ("Estimate", "Place", "skg:scope"),
    ("Estimate", "Estimate", "skg:componentOf"),
    ("Claim", "Person", "skg:claimant"),
    ("Claim", "Claim", "skg:disputes"),
    ("Observation", "DataSet", "qb:dataSet"),
    ("SourceDocument", "Citation", ""),
]


def check(ontology: Graph) -> None:
    defined = {str(s)[len(SKG):] for s in ontology.subjects() if str(s).startswith(SKG)}
    names = [n for _, (label, _, _) in NODES.items() for n in [label]] + \
            [p.strip() for *_, label in EDGES for p in label.replace("\n", " ").split("/") if p.strip()]
    for name in names:
        name = name.split()[0]
        if name.startswith("skg:") and name[4:] not in defined:
            sys.exit(f"diagram names {name}, which the ontology does not define")


def dot_source() -> str:
    out = ['digraph model {', '  rankdir=LR; bgcolor="white"; pad=0.3;',
           '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=11];',
           '  edge [fontname="DejaVu Sans", fontsize=9, color="#555555"];',
           '  label="siberia-kg data model: every statement sits in a named graph = a skg:Citation";',
           '  labelloc=t; fontname="DejaVu Sans"; fontsize=14;']
    for key, (label, note, color) in NODES.items():
        out.append(f'  {key} [label="{label}\\n{note.replace(chr(10), chr(92) + "n")}", fillcolor="{color}"];')
    for a, b, label in EDGES:
        if not label:
            continue
        out.append(f'  {a} -> {b} [label="{label.replace(chr(10), chr(92) + "n")}"];')
    out.append('  Everything [label="every entity", shape=ellipse, fillcolor="#f3f4f6"];')
    out.append('  Everything -> Citation [label="skg:citation (derived)\\nGRAPH ?citation { … }", style=dashed];')
    out.append("}")
    return "\n".join(out) + "\n"


def main() -> None:
    check(Graph().parse(ROOT / "ontology" / "siberia-kg.ttl"))
    if not shutil.which("dot"):
        sys.exit("needs Graphviz's dot (Debian package graphviz)")
    src = dot_source()
    docs = ROOT / "docs"
    (docs / "data-model.dot").write_text(src)
    for fmt in ("svg", "png"):
        subprocess.run(["dot", f"-T{fmt}", "-Gdpi=110" if fmt == "png" else "-Gdpi=72",
                        "-o", str(docs / f"data-model.{fmt}")], input=src.encode(), check=True)
    print("wrote docs/data-model.{dot,svg,png}")


if __name__ == "__main__":
    main()
