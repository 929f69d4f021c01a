"""``siberia-kg link wikidata``: find, score and record links from our entities to Wikidata.

For every place, camp, person, organization, work and event that no citable source links yet:

1. search the endpoint for items whose label or alias is exactly one of our labels (in English,
   Japanese, Russian and the romanizations; batched with VALUES);
2. check their types through P31/P279* against the classes that fit ours, and drop pages that
   are not things (disambiguation pages, categories, names, fictional characters);
3. fetch names, descriptions, dates, coordinates, countries, enclosing units, makers and
   occupations of the candidates whose type fits;
4. score them (``scoring``), and accept the best only when it clears the threshold, fits,
   is contradicted by nothing and is supported by something besides its name.

Accepted links go to ``data/links/wikidata.trig``, each in a citation graph of its own whose
declaration carries the provenance (method, score, date, endpoint) and whose source document is
the evidence record ``wikidata-evidence.json`` beside it. The others go to the review queue
``wikidata-review.tsv``; the decisions a person writes there are applied on the next run and
never overwritten. Links that a citable source already gives (the gazetteer's) are left alone:
the linker never adds a second, weaker link for the same entity.
"""

from __future__ import annotations

from ..fsutil import atomic_write as _atomic_write

import datetime as _dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .. import __version__
from ..config import Settings
from ..namespaces import DEFAULT_BASE, SKG, entity_kind
from .candidates import (Item, SearchKey, Variant, WikidataReader, case_forms, label_variants,
                         search_languages)
from .client import SparqlClient
from .entities import Entity, OurData, curie, load_data, read_entities
from .mapping import CREATOR_PROPS, allowed_classes
from .review import ReviewRow, read_review, render_review
from .scoring import Context, Scored, compact, decide, excluded_reason, rank, score_candidate

LINKS_FILE = "wikidata.trig"
REVIEW_FILE = "wikidata-review.tsv"
EVIDENCE_FILE = "wikidata-evidence.json"
SOURCE = f"{DEFAULT_BASE}id/source/wikidata-reconciliation"
SSSOM = "https://w3id.org/sssom/"
SEMAPV = "https://w3id.org/semapv/vocab/"
METHODS = {"automatic": f"{SEMAPV}CompositeMatching", "review": f"{SEMAPV}ManualMappingCuration"}
TOOL = "siberia-kg link wikidata"
MAX_LISTED = 5  # candidates listed per row of the review file


class LinkError(Exception):
    """The linker cannot run (bad review file, unreadable previous output ...)."""


@dataclass
class LinkOptions:
    threshold: float = 0.9
    batch_size: int = 50
    links_dir: Path | None = None
    date: str | None = None   # YYYY-MM-DD of this run (default: today)
    kinds: tuple[str, ...] = ("place", "camp", "person", "org", "work", "event")


@dataclass
class LinkRecord:
    entity: str
    qid: str
    method: str               # "automatic" or "review"
    date: str
    endpoint: str
    score: float | None = None
    evidence: list[str] = field(default_factory=list)
    item: dict = field(default_factory=dict)
    decision: str = ""

    @property
    def citation(self) -> str:
        kind = entity_kind(self.entity, DEFAULT_BASE) or "entity"
        slug = self.entity.rstrip("/").rsplit("/", 1)[-1]
        return f"{DEFAULT_BASE}id/citation/wikidata-{kind}-{slug}"


@dataclass
class LinkResult:
    records: dict[str, LinkRecord]
    review: list[ReviewRow]
    known: dict[str, list[str]]          # entity -> items a citable source already gives
    no_candidate: list[str]
    considered: int
    ranked: dict[str, list[Scored]]
    paths: dict[str, Path]

    @property
    def automatic(self) -> list[LinkRecord]:
        return [r for r in self.records.values() if r.method == "automatic"]

    @property
    def reviewed(self) -> list[LinkRecord]:
        return [r for r in self.records.values() if r.method == "review"]


def paths_for(settings: Settings, links_dir: Path | None = None) -> dict[str, Path]:
    d = Path(links_dir) if links_dir else settings.data_dir / "links"  # type: ignore[operator]
    return {"dir": d, "links": d / LINKS_FILE, "review": d / REVIEW_FILE, "evidence": d / EVIDENCE_FILE}


# ------------------------------------------------------------------ previous output


@dataclass
class PreviousLink:
    entity: str
    qid: str
    method: str
    date: str


def read_previous(path: Path) -> dict[str, PreviousLink]:
    """The links this tool wrote last time, to keep the date each was first made."""
    if not path.exists():
        return {}
    ds = Dataset()
    try:
        ds.parse(str(path), format="trig")
    except Exception as e:  # rdflib raises many kinds
        raise LinkError(f"{path} cannot be read ({e}); it is written by this command: delete it "
                        "and run again (review decisions are kept in the review file)") from e
    default = ds.default_graph
    out: dict[str, PreviousLink] = {}
    for cit in default.subjects(SKG.source, URIRef(SOURCE)):
        date = default.value(cit, DCTERMS.date)
        just = default.value(cit, URIRef(f"{SSSOM}mapping_justification"))
        method = "review" if just is not None and str(just) == METHODS["review"] else "automatic"
        for s, _, o in ds.graph(cit).triples((None, SKOS.exactMatch, None)):
            q = str(o).rsplit("/", 1)[-1]
            out[str(s)] = PreviousLink(str(s), q, method, str(date) if date else "")
    return out


# ------------------------------------------------------------------ the run


def _today(options: LinkOptions) -> str:
    if options.date:
        _dt.date.fromisoformat(options.date)
        return options.date
    return _dt.date.today().isoformat()


def _item_summary(item: Item) -> dict:
    return {
        "qid": item.qid,
        "labels": {k: sorted(v) for k, v in sorted(item.labels.items()) if k in ("en", "ja", "ru", "mul")},
        "description": item.descriptions.get("en") or item.descriptions.get("mul") or "",
        "instance_of": sorted(set(item.p31.values())),
    }


def _candidate_cell(s: Scored) -> str:
    name = s.item.name()
    desc = s.item.descriptions.get("en") or s.item.descriptions.get("mul") or ""
    desc = f" ({desc})" if desc else ""
    return f'{s.qid} {s.score:.3f} "{name}"{desc} [{s.summary(6)}]'


def _types_cell(entity: Entity) -> str:
    return " ".join(sorted(curie(t) for t in entity.types))


def link_wikidata(settings: Settings, client: SparqlClient, options: LinkOptions | None = None,
                  progress: Callable | None = None) -> LinkResult:
    options = options or LinkOptions()
    if not 0.0 < options.threshold <= 1.0:
        raise LinkError("--threshold must be in (0, 1]")
    today = _today(options)
    paths = paths_for(settings, options.links_dir)
    ours: OurData = read_entities(load_data(settings, exclude=(paths["links"],)))
    previous = read_previous(paths["links"])
    try:
        review = read_review(paths["review"])
    except ValueError as e:
        raise LinkError(str(e)) from e
    reader = WikidataReader(client, batch_size=options.batch_size, progress=progress)

    entities = {iri: e for iri, e in ours.entities.items() if e.kind in options.kinds}
    known = {iri: sorted({l.item for l in e.links}) for iri, e in entities.items() if e.links}
    records: dict[str, LinkRecord] = {}
    rows: dict[str, ReviewRow] = {}

    # Human decisions first: they are never overwritten.
    accepts: dict[str, str] = {}
    for iri, row in review.items():
        if not row.decided:
            continue  # an undecided row is the machine's: it is written afresh below
        rows[iri] = row
        if iri not in ours.entities:
            row.note = "no such entity in the data; decision not applied"
            continue
        if iri in known:
            row.note = (f"a citable source already links it to {', '.join(known[iri])}; "
                        "decision not applied")
            continue
        if row.decision.action == "accept":  # type: ignore[union-attr]
            accepts[iri] = row.decision.qid  # type: ignore[union-attr]
        else:
            row.note = f"{row.decision}: not linked"  # type: ignore[union-attr]

    if accepts:
        statuses = reader.resolve(accepts.values())
        targets = {q: (st.redirect or q) for q, st in statuses.items() if st.exists or st.redirect}
        items = reader.details(set(targets.values()))
        classes = reader.classify(set(targets.values()))
        for iri, qid in sorted(accepts.items()):
            row = rows[iri]
            st = statuses.get(qid)
            if not st or not (st.exists or st.redirect):
                row.note = f"{qid} does not exist on {client.endpoint}; not linked"
                continue
            target = targets[qid]
            item = items[target]
            item.classes = classes.get(target, set())
            scored = rank([score_candidate(ours.entities[iri], item)])[0]
            note = f"linked to {target}"
            if target != qid:
                note += f" ({qid} redirects to it)"
            if not scored.type_ok:
                note += "; warning: its type does not fit ours"
            row.note = note
            records[iri] = LinkRecord(entity=iri, qid=target, method="review", date=today,
                                      endpoint=client.endpoint, score=None,
                                      evidence=[e.text for e in scored.evidence],
                                      item=_item_summary(item), decision=str(row.decision))

    # Everything else that no source links and no decision settles: search and score.
    todo = [e for iri, e in sorted(entities.items())
            if iri not in known and not (iri in rows and rows[iri].decided)]
    keys_of: dict[str, set[SearchKey]] = {}
    variants_of: dict[str, list[Variant]] = {}
    for e in todo:
        keys: set[SearchKey] = set()
        variants: list[Variant] = []
        for lab in e.labels:
            for v in label_variants(lab, e.kind):
                for form in case_forms(v.text):
                    for lang in search_languages(lab.lang):
                        keys.add(SearchKey(form, lang))
                if v.kind and v not in variants:
                    variants.append(v)
        keys_of[e.iri] = keys
        variants_of[e.iri] = variants
    all_keys = {k for ks in keys_of.values() for k in ks}
    hits = reader.search(all_keys) if all_keys else {}

    candidates_of: dict[str, set[str]] = {}
    unique: dict[str, set[str]] = defaultdict(set)
    for e in todo:
        qids: set[str] = set()
        found_by_name: dict[str, set[str]] = defaultdict(set)
        for key in keys_of[e.iri]:
            found = {h.qid for h in hits.get(key, [])}
            qids |= found
            found_by_name[compact(key.text)] |= found
        for name, found in found_by_name.items():
            if len(found) == 1:
                unique[e.iri].add(name)
        candidates_of[e.iri] = qids
    all_qids = set().union(*candidates_of.values()) if candidates_of else set()
    classes = reader.classify(all_qids) if all_qids else {}

    fitting: dict[str, set[str]] = {}
    for e in todo:
        wanted, _ = allowed_classes(e.types)
        fitting[e.iri] = {q for q in candidates_of[e.iri]
                          if classes.get(q, set()) & wanted
                          and not excluded_reason(Item(q, classes=classes.get(q, set())))}
    detail_qids = set().union(*fitting.values()) if fitting else set()
    items = reader.details(detail_qids) if detail_qids else {}
    person_qids = {q for e in todo if e.kind == "person" for q in fitting[e.iri]}
    occupations = reader.occupations(person_qids) if person_qids else {}
    for q, item in items.items():
        item.classes = classes.get(q, set())
        item.occupations = occupations.get(q, set())

    # Who made the candidates of our works: evidence for the people and bodies who made them.
    makers_of_work: dict[str, set[str]] = {}
    for e in todo:
        if e.kind == "work":
            makers_of_work[e.iri] = {m for q in fitting[e.iri] if q in items
                                     for m in items[q].related_items(*CREATOR_PROPS)}

    ranked_all: dict[str, list[Scored]] = {}
    no_candidate: list[str] = []
    for e in todo:
        made: dict[str, str] = {}
        for work in e.made:
            title = ours.entities[work].name if work in ours.entities else curie(work)
            for m in makers_of_work.get(work, ()):
                made.setdefault(m, title)
        ctx = Context(variants=variants_of[e.iri], unique_names=unique[e.iri], made=made)
        scored = []
        for q in sorted(candidates_of[e.iri], key=lambda q: int(q[1:])):
            if q in items:
                item = items[q]
            else:
                item = Item(q, classes=classes.get(q, set()))
                if excluded_reason(item):
                    continue
                for key in keys_of[e.iri]:
                    for h in hits.get(key, []):
                        if h.qid == q:
                            (item.labels if h.how == "label" else item.aliases)[key.lang].add(key.text)
                item.p31 = {"?": "not of a fitting class"}
            scored.append(score_candidate(e, item, ctx))
        ranked = rank(scored)
        ranked_all[e.iri] = ranked
        if not ranked:
            no_candidate.append(e.iri)
            continue
        decision = decide(ranked, options.threshold)
        if decision.accept is not None:
            best = decision.accept
            records[e.iri] = LinkRecord(entity=e.iri, qid=best.qid, method="automatic",
                                        date=today, endpoint=client.endpoint,
                                        score=round(best.score, 3),
                                        evidence=[x.text for x in best.evidence],
                                        item=_item_summary(best.item))
            continue
        rows[e.iri] = ReviewRow(
            entity=e.iri, types=_types_cell(e), label=e.name,
            candidates=" || ".join(_candidate_cell(s) for s in ranked[:MAX_LISTED]),
            note=decision.reason + (f"; {len(ranked) - MAX_LISTED} more candidates not listed"
                                    if len(ranked) > MAX_LISTED else ""))

    # One item, one entity: an item that a source or a person already gives to another of our
    # entities, or that fits two of them, is not linked automatically; a person decides.
    owners: dict[str, set[str]] = defaultdict(set)
    for link in ours.links:
        if link.entity in ours.entities:
            owners[link.item].add(link.entity)
    for iri, rec in records.items():
        if rec.method == "review":
            owners[rec.qid].add(iri)
    automatic: dict[str, list[str]] = defaultdict(list)
    for iri, rec in records.items():
        if rec.method == "automatic":
            automatic[rec.qid].append(iri)
    for qid, claimants in automatic.items():
        others = owners.get(qid, set())
        if not others and len(claimants) == 1:
            continue
        for iri in claimants:
            rivals = sorted(curie(x) for x in (others | set(claimants)) if x != iri)
            del records[iri]
            rows[iri] = ReviewRow(
                entity=iri, types=_types_cell(ours.entities[iri]), label=ours.entities[iri].name,
                candidates=" || ".join(_candidate_cell(s) for s in ranked_all[iri][:MAX_LISTED]),
                note=f"{qid} fits, but it is also the item of {', '.join(rivals)}: one item "
                     "cannot be two of our entities")

    # The date a link was first made survives reruns.
    for iri, rec in records.items():
        prev = previous.get(iri)
        if prev and prev.qid == rec.qid and prev.method == rec.method and prev.date:
            rec.date = prev.date
    # Rows of entities decided by a review or linked by a source drop undecided leftovers.
    final_rows = [r for iri, r in rows.items() if r.decided or iri not in records]
    final_rows = [r for r in final_rows if r.decided or r.entity not in known]

    result = LinkResult(records=records, review=final_rows, known=known, no_candidate=no_candidate,
                        considered=len(entities), ranked=ranked_all, paths=paths)
    write_outputs(result, client.endpoint, options.threshold)
    return result


# ------------------------------------------------------------------ writing


def evidence_document(records: dict[str, LinkRecord], threshold: float) -> bytes:
    doc = {
        "title": "Evidence for the links from siberia-kg to Wikidata",
        "tool": f"{TOOL} {__version__}",
        "threshold": threshold,
        "links": [
            {"entity": curie(r.entity), "item": r.qid, "method": r.method, "score": r.score,
             "date": r.date, "endpoint": r.endpoint, "decision": r.decision or None,
             "evidence": r.evidence, "wikidata": r.item}
            for r in sorted(records.values(), key=lambda r: curie(r.entity))
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _lit(text: str, lang: str | None = None) -> str:
    return Literal(text, lang=lang).n3()


def links_document(records: dict[str, LinkRecord], evidence_sha256: str, threshold: float) -> str:
    head = [
        "# Links from siberia-kg entities to Wikidata items, written by `siberia-kg link wikidata`.",
        "# Do not edit by hand: decide in wikidata-review.tsv and run the linker again. Each link",
        "# sits in a citation graph of its own; the citation's declaration says how the link was",
        "# made (method, score, date, endpoint), and its source document is the evidence record",
        "# wikidata-evidence.json. Links that a citable source gives (the gazetteer) are not here.",
        "@prefix skg:     <https://w3id.org/siberia-kg/ontology#> .",
        "@prefix src:     <https://w3id.org/siberia-kg/id/source/> .",
        "@prefix cit:     <https://w3id.org/siberia-kg/id/citation/> .",
        *[f"@prefix {k + ':':<8} <https://w3id.org/siberia-kg/id/{k}/> ." for k in
          ("place", "camp", "person", "org", "work", "event")],
        "@prefix schema:  <https://schema.org/> .",
        "@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .",
        f"@prefix sssom:   <{SSSOM}> .",
        f"@prefix semapv:  <{SEMAPV}> .",
        "",
    ]
    if not records:
        head.append("# No links yet. The gazetteer's links to Wikidata are in places.trig, cited to it.")
        return "\n".join(head) + "\n"
    latest = max(r.date for r in records.values())
    out = head + [
        "src:wikidata-reconciliation a skg:SourceDocument ;",
        f"    skos:prefLabel {_lit('Wikidata, as reconciled with siberia-kg by siberia-kg link wikidata', 'en')} ;",
        f"    dcterms:title {_lit('Wikidata, as reconciled with siberia-kg by siberia-kg link wikidata')} ;",
        "    skg:sourceGenre skg:Encyclopedia ;",
        f"    skg:fileName {_lit(EVIDENCE_FILE)} ;",
        f"    skg:sha256 {_lit(evidence_sha256)} ;",
        f'    dcterms:date "{latest}"^^xsd:date ;',
        '    schema:url "https://www.wikidata.org/"^^xsd:anyURI ;',
        "    schema:description " + _lit(
            "Record of the evidence on which siberia-kg entities were linked to Wikidata items: "
            "for each link the item's labels, types, dates and places as the endpoint gave them, "
            "the score, and the review decision where a person made one.", "en") + " .",
        "",
    ]
    for r in sorted(records.values(), key=lambda r: curie(r.entity)):
        cit = "cit:" + r.citation.rsplit("/", 1)[-1]
        if r.method == "automatic":
            desc = (f"Accepted automatically on {r.date} with score {r.score:.3f} (threshold "
                    f"{threshold:g}) against {r.endpoint}: " + "; ".join(r.evidence[:6]) + ".")
        else:
            desc = (f"Accepted by a person in the review file ({r.decision}); item checked "
                    f"on {r.date} against {r.endpoint}.")
        lines = [
            f"{cit} a skg:Citation ;",
            "    skg:source src:wikidata-reconciliation ;",
            f"    skg:locator {_lit(f'record {curie(r.entity)}')} ;",
            f'    dcterms:date "{r.date}"^^xsd:date ;',
            f"    sssom:mapping_justification semapv:{METHODS[r.method].rsplit('/', 1)[-1]} ;",
        ]
        if r.score is not None:
            lines.append(f'    sssom:confidence "{r.score:.3f}"^^xsd:double ;')
        lines += [
            f"    sssom:mapping_tool {_lit(TOOL)} ;",
            f"    sssom:mapping_tool_version {_lit(__version__)} ;",
            f"    sssom:mapping_provider <{r.endpoint}> ;",
            f"    schema:description {_lit(' '.join(desc.split()), 'en')} .",
            f"{cit} {{",
            f"    {curie(r.entity)} skos:exactMatch <http://www.wikidata.org/entity/{r.qid}> .",
            "}",
            "",
        ]
        out += lines
    return "\n".join(out)


def write_outputs(result: LinkResult, endpoint: str, threshold: float) -> None:
    paths = result.paths
    evidence = evidence_document(result.records, threshold)
    sha = hashlib.sha256(evidence).hexdigest()
    if result.records:
        _atomic_write(paths["evidence"], evidence)
    elif paths["evidence"].exists():
        paths["evidence"].unlink()
    _atomic_write(paths["links"], links_document(result.records, sha, threshold).encode("utf-8"))
    _atomic_write(paths["review"], render_review(result.review).encode("utf-8"))
