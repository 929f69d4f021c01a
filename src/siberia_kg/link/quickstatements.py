"""``siberia-kg link export quickstatements``: statements we can source that Wikidata lacks.

Only between items that are both linked (a work "about" the internment gets P921 "main subject"
= the internment's item only when the internment itself is linked), only facts from sources fit
to be cited on Wikidata (not blogs or fiction, by default), and only where Wikidata has no such
statement yet (for dates and single-valued properties: no value at all; for the others: not this
value). Each statement carries a reference: S248 "stated in" the source document's own item when
it has one (or ``--stated-in``), S854 "reference URL" our citation's IRI, which names the
document and the place in it, and S813 "retrieved".

The output is QuickStatements V1 (tab-separated commands), for a person to review and submit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

from rdflib import Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF

from ..config import Settings
from ..namespaces import SCHEMA, SKG, rebase
from .candidates import WikidataReader, check_qid
from .client import SparqlClient
from .entities import DateValue, curie, load_data, read_entities
from .mapping import DATE_PROPERTIES as SAME_DATE_BY_IRI

S = SCHEMA

# our property -> (Wikidata property, kinds of subject it applies to, object condition, single-valued)
ITEM_PROPERTIES = {
    S.about: ("P921", ("work",), None, False),
    S.author: ("P50", ("work",), None, False),
    S.director: ("P57", ("work",), None, False),
    S.publisher: ("P123", ("work",), None, False),
    S.isBasedOn: ("P144", ("work",), None, False),
    S.nationality: ("P27", ("person",), None, False),
    S.location: ("P276", ("event",), None, False),
    S.containedInPlace: ("P131", ("place", "camp"), str(S.AdministrativeArea), True),
}
COUNTRY_OF_PLACE = "P17"   # schema:containedInPlace a schema:Country
DATE_PROPERTIES = {
    S.birthDate: ("P569", ("person",)),
    S.deathDate: ("P570", ("person",)),
    S.datePublished: ("P577", ("work",)),
    S.startDate: ("P580", ("event",)),
    S.endDate: ("P582", ("event",)),
    S.foundingDate: ("P571", ("org",)),
}
DEFAULT_EXCLUDED_GENRES = (str(SKG.Blog), str(SKG.Fiction))
SAME_DATE = {URIRef(k): v for k, v in SAME_DATE_BY_IRI.items()}


@dataclass(frozen=True, order=True)
class Statement:
    item: str
    prop: str
    value: str          # QuickStatements value: Q-id or a time
    citation: str       # our citation IRI (public form)
    stated_in: str = ""


@dataclass
class ExportResult:
    statements: list[Statement] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def commands(self, retrieved: str) -> str:
        lines = []
        for s in self.statements:
            refs = []
            if s.stated_in:
                refs += ["S248", s.stated_in]
            refs += ["S854", f'"{s.citation}"', "S813", f"+{retrieved}T00:00:00Z/11"]
            lines.append("\t".join([s.item, s.prop, s.value, *refs]))
        return "\n".join(lines) + ("\n" if lines else "")


def qs_time(d: DateValue) -> str:
    """QuickStatements time: +1976-00-00T00:00:00Z/9 (year), /10 (month), /11 (day)."""
    return f"+{d.year:04d}-{(d.month or 0):02d}-{(d.day or 0):02d}T00:00:00Z/{d.precision}"


def export_quickstatements(settings: Settings, client: SparqlClient, *, stated_in: str | None = None,
                           excluded_genres: tuple[str, ...] = DEFAULT_EXCLUDED_GENRES,
                           batch_size: int = 50, progress: Callable | None = None) -> ExportResult:
    if stated_in:
        check_qid(stated_in)
    ours = read_entities(load_data(settings))
    ds = ours.dataset
    default = ds.graph(DATASET_DEFAULT_GRAPH_ID)
    genre = {str(s): str(o) for s, o in default.subject_objects(SKG.sourceGenre)}
    result = ExportResult()

    # One item per linked entity; an entity linked to two items is left out (check it first).
    linked: dict[str, str] = {}
    by_entity: dict[str, set[str]] = defaultdict(set)
    for l in ours.links:
        by_entity[l.entity].add(l.item)
    reader = WikidataReader(client, batch_size=batch_size, progress=progress)
    statuses = reader.resolve({q for qs in by_entity.values() for q in qs}) if by_entity else {}
    for entity, qs in by_entity.items():
        final = {statuses[q].redirect or q for q in qs if statuses[q].exists or statuses[q].redirect}
        if len(final) == 1:
            linked[entity] = final.pop()
        else:
            result.skipped["entity without exactly one existing item"] += 1

    types: dict[str, set[str]] = defaultdict(set)
    for s, _, o, _ in ds.quads((None, RDF.type, None, None)):
        types[str(s)].add(str(o))

    wanted: set[Statement] = set()
    for s, p, o, g in ds.quads((None, None, None, None)):
        if g is None or g == DATASET_DEFAULT_GRAPH_ID or str(s) not in linked:
            continue
        subject = ours.entities.get(str(s))
        if subject is None:
            continue
        citation = str(g)
        source = ours.sources.get(citation, "")
        if genre.get(source) in excluded_genres:
            result.skipped["from a blog or fiction"] += 1
            continue
        if source.endswith("/wikidata-reconciliation"):
            continue
        ref_item = stated_in or ours.source_wikidata.get(source, "")
        public_citation = rebase(citation, settings.base)
        if p in ITEM_PROPERTIES and isinstance(o, URIRef):
            prop, kinds, condition, _ = ITEM_PROPERTIES[p]
            if subject.kind not in kinds:
                continue
            target = linked.get(str(o))
            if not target:
                result.skipped["object not linked"] += 1
                continue
            if p == S.containedInPlace and str(S.Country) in types.get(str(o), ()):
                prop = COUNTRY_OF_PLACE
            elif condition and condition not in types.get(str(o), ()):
                continue
            wanted.add(Statement(linked[str(s)], prop, target, public_citation, ref_item))
        elif p in DATE_PROPERTIES and isinstance(o, Literal):
            prop, kinds = DATE_PROPERTIES[p]
            if subject.kind not in kinds:
                continue
            d = DateValue.from_literal(o)
            if d:
                wanted.add(Statement(linked[str(s)], prop, qs_time(d), public_citation, ref_item))

    if not wanted:
        return result
    # A date is there already when Wikidata holds it under any property that means the same
    # (a start date as P580 start time, P585 point in time or P571 inception).
    alternatives = {prop: tuple(dict.fromkeys((prop, *SAME_DATE.get(our, ()))))
                    for our, (prop, _) in DATE_PROPERTIES.items()}
    props = sorted({p for w in wanted for p in alternatives.get(w.prop, (w.prop,))},
                   key=lambda p: int(p[1:]))
    existing = reader.values({w.item for w in wanted}, props)
    single = {v[0] for v in ITEM_PROPERTIES.values() if v[3]} | {COUNTRY_OF_PLACE} | \
        {v[0] for v in DATE_PROPERTIES.values()}
    for w in sorted(wanted):
        have: set[str] = set()
        for p in alternatives.get(w.prop, (w.prop,)):
            have |= existing.get(w.item, {}).get(p, set())
        if w.prop in single and have:
            result.skipped["Wikidata has a value already"] += 1
            continue
        if w.value in have:
            result.skipped["Wikidata has this value already"] += 1
            continue
        result.statements.append(w)
    return result


__all__ = ["export_quickstatements", "ExportResult", "Statement", "qs_time", "curie"]
