"""``siberia-kg link check``: is every Wikidata link still good, and where do we disagree?

For every ``skos:exactMatch`` to Wikidata in the data, whatever its source:

- does the item still exist, or was it redirected (merged into another item: Wikidata's RDF
  model says ``wd:Qold owl:sameAs wd:Qnew``)? Do two of our entities now end at one item?
- is its type still compatible with ours (P31/P279*)?
- where do our values and Wikidata's disagree: dates (birth, death, publication, start, end),
  coordinates (distance beyond the tolerance of the kind of place), and labels (our preferred
  label in English, Japanese or Russian that is neither a label nor an alias there).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from ..config import Settings
from .candidates import WikidataReader, label_variants
from .client import SparqlClient
from .entities import Link, curie, load_data, read_entities
from .mapping import DATE_PROPERTIES, allowed_classes, coord_tolerance
from .scoring import compact, compare_dates, haversine_km

COLUMNS = ("entity", "item", "source", "check", "status", "ours", "wikidata", "note")
PROBLEMS = frozenset({"missing", "redirected", "merged", "type"})


@dataclass(frozen=True, order=True)
class CheckRow:
    entity: str
    item: str
    source: str
    check: str        # item, type, date, coordinates, label
    status: str       # ok, missing, redirected, merged, type, differs
    ours: str = ""
    wikidata: str = ""
    note: str = ""

    def cells(self) -> list[str]:
        return [self.entity, self.item, self.source, self.check, self.status, self.ours,
                self.wikidata, self.note]


@dataclass
class CheckReport:
    rows: list[CheckRow] = field(default_factory=list)
    links: int = 0

    @property
    def problems(self) -> list[CheckRow]:
        return [r for r in self.rows if r.status in PROBLEMS]

    @property
    def disagreements(self) -> list[CheckRow]:
        return [r for r in self.rows if r.status == "differs"]

    def csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in self.rows:
            w.writerow(r.cells())
        return out.getvalue()

    def table(self, width: int = 48) -> str:
        rows = [list(COLUMNS)] + [[c if len(c) <= width else c[:width - 1] + "…" for c in r.cells()]
                                  for r in self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
        lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines) + "\n"


def _date_text(values) -> str:
    return ", ".join(sorted({str(v) for v in values}))


def check_links(settings: Settings, client: SparqlClient, batch_size: int = 50,
                progress: Callable | None = None) -> CheckReport:
    ours = read_entities(load_data(settings))
    links: list[Link] = [l for l in ours.links if l.entity in ours.entities]
    report = CheckReport(links=len(links))
    if not links:
        return report
    reader = WikidataReader(client, batch_size=batch_size, progress=progress)
    statuses = reader.resolve({l.item for l in links})
    final = {q: (st.redirect or q) for q, st in statuses.items() if st.exists or st.redirect}
    targets = set(final.values())
    classes = reader.classify(targets)
    items = reader.details(targets)
    for q, item in items.items():
        item.classes = classes.get(q, set())

    ends: dict[str, set[str]] = defaultdict(set)   # final item -> our entities
    for l in links:
        if l.item in final:
            ends[final[l.item]].add(l.entity)

    rows: list[CheckRow] = []
    seen: set[tuple[str, str]] = set()
    for l in links:
        entity = ours.entities[l.entity]
        src = curie(l.source) if l.source else "?"
        base = dict(entity=curie(l.entity), item=l.item, source=src)
        if l.item not in final:
            rows.append(CheckRow(**base, check="item", status="missing",
                                 note=f"{l.item} does not exist on {client.endpoint} (deleted)"))
            continue
        target = final[l.item]
        if target != l.item:
            rows.append(CheckRow(**base, check="item", status="redirected", wikidata=target,
                                 note=f"{l.item} was merged into {target}: link to {target}"))
        others = sorted(curie(e) for e in ends[target] if e != l.entity)
        if others:
            rows.append(CheckRow(**base, check="item", status="merged", wikidata=target,
                                 note=f"{', '.join(others)} also end at {target}: one item for "
                                      "several of our entities"))
        if (l.entity, target) in seen:
            continue  # the same link from two sources: compare values once
        seen.add((l.entity, target))
        item = items[target]
        wanted, _ = allowed_classes(entity.types)
        if wanted and not (item.classes & wanted):
            rows.append(CheckRow(**base, check="type", status="type",
                                 ours=" ".join(sorted(curie(t) for t in entity.types)),
                                 wikidata=", ".join(sorted(set(item.p31.values()))) or "no P31",
                                 note="its type no longer fits ours"))
        elif target == l.item:
            rows.append(CheckRow(**base, check="item", status="ok"))
        # dates
        for prop, values in sorted(entity.dates.items()):
            theirs = [d for p in DATE_PROPERTIES.get(prop, ())[:1] for d in item.dates.get(p, [])]
            if not theirs:
                continue
            # Our most precise statement decides: "2020" and "2020-06-18" are one claim.
            finest = max(v.precision for v in values)
            agree = any(compare_dates(a, b.value)[1] == 0
                        for a in values if a.precision == finest for b in theirs)
            if not agree:
                rows.append(CheckRow(**base, check="date", status="differs",
                                     ours=f"{curie(prop)} {_date_text(values)}",
                                     wikidata=f"{DATE_PROPERTIES[prop][0]} {_date_text(b.value for b in theirs)}"))
        # coordinates
        if entity.coords and item.coords:
            d = min(haversine_km(a, b) for a in entity.coords for b in item.coords)
            tol = coord_tolerance(entity.types) * (2 if entity.coords_approximate else 1)
            if d > tol:
                rows.append(CheckRow(**base, check="coordinates", status="differs",
                                     ours=" ".join(f"{a:.4f},{b:.4f}" for a, b in entity.coords),
                                     wikidata=" ".join(f"{a:.4f},{b:.4f}" for a, b in item.coords),
                                     note=f"{d:.1f} km apart (tolerance {tol:g} km)"))
        # labels
        for lab in entity.labels:
            if not lab.pref or lab.lang not in ("en", "ja", "ru"):
                continue
            theirs_names = item.labels.get(lab.lang, set()) | item.aliases.get(lab.lang, set())
            if lab.lang == "en":
                theirs_names |= item.labels.get("mul", set()) | item.aliases.get("mul", set())
            if not theirs_names:
                continue
            forms = {compact(v.text) for v in label_variants(lab, entity.kind)}
            if not forms & {compact(n) for n in theirs_names}:
                main = sorted(item.labels.get(lab.lang, set()) or theirs_names)[0]
                rows.append(CheckRow(**base, check="label", status="differs",
                                     ours=f"{lab.text}@{lab.lang}", wikidata=f"{main}@{lab.lang}",
                                     note="ours is neither their label nor an alias"))
    report.rows = sorted(rows)
    return report
