"""Curated TriG files -> one rdflib Dataset, refusing anything that breaks the data contract.

The contract (data/README.md): every statement but labels sits in a named graph that is a
declared citation; labels and the declarations of sources and citations may stand in a file's
default graph. Problems are collected across all files and reported together, each with the
file and line (syntax) or the entity and property (content).
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, SKOS, XSD

from .namespaces import DEFAULT_BASE, SKG, entity_kind, rebase

LABEL_PREDICATES = frozenset({SKOS.prefLabel, SKOS.altLabel})
DECLARATION_CLASSES = frozenset({SKG.Citation, SKG.SourceDocument})
# Characters outside XML 1.0's Char production, and the carriage return, which XML parsers turn
# into a line feed: text with them would not survive the RDF/XML dump (nor rapper's Turtle).
_UNPORTABLE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

LANGUAGES = frozenset({"en", "ja", "ru", "ja-latn", "ja-hrkt", "ru-latn", "ko", "zh", "kk"})


@dataclass(frozen=True, order=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class DataError(Exception):
    """The curated data cannot be built; ``problems`` says what and where."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class LoadedData:
    dataset: Dataset
    # Which files describe each subject, so that later reports can name the file.
    origins: dict[URIRef, set[str]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def files_of(self, node) -> str:
        return ", ".join(sorted(self.origins.get(node, ()))) or "?"


def data_files(data_dir: Path) -> list[Path]:
    # Sorted by name: the graph never depends on the order files are found in.
    return sorted(p for p in data_dir.rglob("*") if p.suffix in (".trig", ".ttl") and p.is_file())


def _rel(path: Path, root: Path | None) -> str:
    try:
        return str(path.relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


def _syntax_check(path: Path, shown: str) -> Problem | None:
    """pyoxigraph's parser is strict and names line and column, unlike rdflib's."""
    fmt = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE
    try:
        for _ in ox.parse(path=str(path), format=fmt):
            pass
    except SyntaxError as e:
        line = f":{e.lineno}" if e.lineno else ""
        msg = str(e.msg if hasattr(e, "msg") else e)
        msg = re.sub(r"^Parser error at line \d+ between columns \d+ and \d+: ", "", msg)
        col = f":{e.offset}" if e.offset else ""
        return Problem(f"{shown}{line}{col}", f"syntax error: {msg}")
    except (OSError, ValueError) as e:
        return Problem(shown, f"cannot read: {e}")
    return None


_DATE_RE = {
    XSD.date: re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})$"),
    XSD.gYearMonth: re.compile(r"^(-?\d{4,})-(\d{2})$"),
    XSD.gYear: re.compile(r"^(-?\d{4,})$"),
}


def literal_problem(lit: Literal) -> str | None:
    """Why a typed literal is not a valid value of its datatype, or None."""
    dt = lit.datatype
    text = str(lit)
    if dt in _DATE_RE:
        m = _DATE_RE[dt].match(text)
        if not m:
            return f"{text!r} is not a valid {dt.n3().split('#')[-1].rstrip('>')} (expected " \
                   f"{ {XSD.date: 'YYYY-MM-DD', XSD.gYearMonth: 'YYYY-MM', XSD.gYear: 'YYYY'}[dt] })"
        parts = [int(x) for x in m.groups()]
        try:
            if dt == XSD.date:
                _dt.date(*parts)
            elif dt == XSD.gYearMonth and not 1 <= parts[1] <= 12:
                raise ValueError("month must be in 1..12")
        except ValueError as e:
            return f"{text!r} is not a valid date: {e}"
        return None
    if dt in (XSD.integer, XSD.nonNegativeInteger, XSD.int, XSD.long):
        return None if re.match(r"^[+-]?\d+$", text) else f"{text!r} is not an integer"
    if dt == XSD.decimal:
        return None if re.match(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", text) else f"{text!r} is not a decimal"
    if dt == XSD.boolean:
        return None if text in ("true", "false", "1", "0") else f"{text!r} is not a boolean"
    return None


def _short(node, base: str = DEFAULT_BASE) -> str:
    """A compact name for messages: place:taishet, schema:name."""
    from .namespaces import all_prefixes

    if not isinstance(node, URIRef):
        return node.n3() if isinstance(node, Literal) else str(node)
    s = str(node)
    best = max(((p, ns) for p, ns in all_prefixes(base).items() if s.startswith(ns)),
               key=lambda x: len(x[1]), default=None)
    return f"{best[0]}:{s[len(best[1]):]}" if best else f"<{s}>"


def load(data_dir: Path, ontology: Graph, base: str = DEFAULT_BASE,
         root: Path | None = None) -> LoadedData:
    """Parse and check every data file; raise DataError listing every problem found."""
    problems: list[Problem] = []
    files = data_files(data_dir)
    if not files:
        raise DataError([Problem(str(data_dir), "no .trig or .ttl data files found")])

    ontology_terms = {s for s in ontology.subjects() if isinstance(s, URIRef)}
    merged = Dataset()
    origins: dict[URIRef, set[str]] = defaultdict(set)
    default_id = DATASET_DEFAULT_GRAPH_ID
    # graph name -> files using it; declared citations; default-graph triples per file
    graph_users: dict[URIRef, set[str]] = defaultdict(set)
    defaults: list[tuple[str, tuple]] = []

    rdflib_log = logging.getLogger("rdflib.term")
    old_level = rdflib_log.level
    rdflib_log.setLevel(logging.CRITICAL)  # rdflib logs a traceback per ill-typed literal
    try:
        for path in files:
            shown = _rel(path, root)
            syntax = _syntax_check(path, shown)
            if syntax:
                problems.append(syntax)
                continue
            ds = Dataset()
            ds.parse(str(path), format="trig" if path.suffix == ".trig" else "turtle")
            for s, p, o, g in ds.quads((None, None, None, None)):
                gid = g if g is not None else default_id
                if any(isinstance(t, BNode) for t in (s, o)) or isinstance(gid, BNode):
                    problems.append(Problem(shown, f"blank node in {_short(s)} {_short(p)}: "
                                            "every node needs an IRI so that builds are "
                                            "reproducible and linkable"))
                    continue
                if isinstance(o, Literal):
                    why = literal_problem(o) if o.datatype else None
                    if why:
                        problems.append(Problem(f"{shown}: {_short(s)} {_short(p)}", why))
                    bad = _UNPORTABLE.search(str(o))
                    if bad:
                        problems.append(Problem(
                            f"{shown}: {_short(s)} {_short(p)}",
                            f"the text holds U+{ord(bad.group()):04X}, which the RDF/XML dump "
                            f"cannot carry (a control character, a carriage return or a "
                            f"noncharacter); write a line break as \\n"))
                    if o.language and o.language.lower() not in LANGUAGES:
                        problems.append(Problem(
                            f"{shown}: {_short(s)} {_short(p)}",
                            f"language tag @{o.language} is not one of the declared languages "
                            f"({', '.join(sorted(LANGUAGES))})"))
                for term in (p, o) if p != RDF.type else (o,):
                    if isinstance(term, URIRef) and str(term).startswith(str(SKG)) \
                            and term not in ontology_terms:
                        problems.append(Problem(f"{shown}: {_short(s)}",
                                                f"{_short(term)} is not defined in the ontology"))
                origins[s].add(shown)
                if gid == default_id:
                    defaults.append((shown, (s, p, o)))
                else:
                    graph_users[gid].add(shown)
                merged.add((s, p, o, gid))
    finally:
        rdflib_log.setLevel(old_level)

    if problems:
        raise DataError(problems)

    default_graph = merged.default_graph
    declared = set(default_graph.subjects(RDF.type, SKG.Citation))
    declaration_subjects = {s for c in DECLARATION_CLASSES for s in default_graph.subjects(RDF.type, c)}

    for shown, (s, p, o) in defaults:
        if p in LABEL_PREDICATES or s in declaration_subjects:
            continue
        problems.append(Problem(
            f"{shown}: {_short(s)} {_short(p)}",
            "statement outside a citation graph: only labels (skos:prefLabel, skos:altLabel) "
            "and source/citation declarations may stand in the default graph"))

    for gid, users in graph_users.items():
        if gid not in declared:
            problems.append(Problem(", ".join(sorted(users)),
                                    f"graph {_short(gid)} is not a declared skg:Citation"))

    # Every IRI of ours that is used as an object must be described somewhere.
    subjects = {s for s in merged.subjects() if isinstance(s, URIRef)}
    for s, p, o, g in merged.quads((None, None, None, None)):
        if isinstance(o, URIRef) and entity_kind(str(o)) and o not in subjects:
            problems.append(Problem(f"{', '.join(sorted(origins[s]))}: {_short(s)} {_short(p)}",
                                    f"dangling reference: {_short(o)} is described nowhere"))

    problems += _kind_problems(merged, origins, ontology)
    if problems:
        raise DataError(problems)

    if base != DEFAULT_BASE:
        merged = _rebased(merged, base)
        origins = {URIRef(rebase(str(k), base)): v for k, v in origins.items()}
    return LoadedData(dataset=merged, origins=dict(origins), files=files)


# The class every entity of a kind must have (directly or through rdfs:subClassOf).
KIND_CLASSES = {
    "place": "https://schema.org/Place", "camp": str(SKG.Camp),
    "person": "https://schema.org/Person", "org": "https://schema.org/Organization",
    "work": "https://schema.org/CreativeWork", "event": "https://schema.org/Event",
    "estimate": str(SKG.Estimate), "claim": str(SKG.Claim),
    "dataset": "http://purl.org/linked-data/cube#DataSet",
    "observation": "http://purl.org/linked-data/cube#Observation",
    "source": str(SKG.SourceDocument), "citation": str(SKG.Citation),
}

# The schema.org subclass relations the data relies on; the ontology gives our own.
SCHEMA_SUBCLASSES = {
    "Place": ["Country", "AdministrativeArea", "City", "TrainStation", "Cemetery",
              "CivicStructure", "Landform", "Continent", "State", "Accommodation"],
    "Organization": ["GovernmentOrganization", "CollegeOrUniversity", "NewsMediaOrganization",
                     "ArchiveOrganization", "EducationalOrganization", "NGO", "Corporation",
                     "Museum", "PoliticalParty", "ResearchOrganization", "Library"],
    "CreativeWork": ["Book", "Movie", "TVSeries", "ComicStory", "ScholarlyArticle", "NewsArticle",
                     "Article", "WebPage", "Map", "Legislation", "Report", "Collection",
                     "Periodical", "PublicationIssue", "PublicationVolume", "Thesis", "Photograph",
                     "Dataset", "Chapter", "CreativeWorkSeries", "ArchiveComponent", "Poem",
                     "MovieSeries", "TVEpisode", "Clip", "WebSite", "Blog", "BlogPosting",
                     "Claim", "Review", "Quotation", "ImageObject", "MediaObject"],
    "Event": ["SocialEvent", "PublicationEvent"],
    "Cemetery": [], "Museum": [],
}


def _superclasses(ontology: Graph) -> dict[str, set[str]]:
    from rdflib.namespace import RDFS
    direct: dict[str, set[str]] = defaultdict(set)
    for s, o in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            direct[str(s)].add(str(o))
    for sup, subs in SCHEMA_SUBCLASSES.items():
        for sub in subs:
            direct[f"https://schema.org/{sub}"].add(f"https://schema.org/{sup}")
    direct["https://schema.org/Museum"].add("https://schema.org/Place")
    direct["https://schema.org/ArchiveComponent"].add("https://schema.org/CreativeWork")

    closure: dict[str, set[str]] = {}

    def up(c: str, seen: frozenset = frozenset()) -> set[str]:
        if c in closure:
            return closure[c]
        out = {c}
        for d in direct.get(c, ()):
            if d not in seen:
                out |= up(d, seen | {c})
        closure[c] = out
        return out

    for c in list(direct):
        up(c)
    return closure


def _kind_problems(ds: Dataset, origins, ontology: Graph) -> list[Problem]:
    """An IRI's kind segment must agree with its classes: catches one slug used for two things."""
    sup = _superclasses(ontology)
    types: dict[URIRef, set[str]] = defaultdict(set)
    for s, _, o, _ in ds.quads((None, RDF.type, None, None)):
        types[s].add(str(o))
    problems = []
    for s in {q[0] for q in ds.quads((None, None, None, None))}:
        kind = entity_kind(str(s))
        if not kind:
            continue
        want = KIND_CLASSES[kind]
        have = types.get(s, set())
        if not have:
            problems.append(Problem(f"{', '.join(sorted(origins.get(s, ())))}: {_short(s)}",
                                    f"has no rdf:type (a {kind} must be a {_short(URIRef(want))})"))
        elif not any(want in sup.get(t, {t}) for t in have):
            problems.append(Problem(f"{', '.join(sorted(origins.get(s, ())))}: {_short(s)}",
                                    f"is a {kind} by its IRI but typed only "
                                    f"{', '.join(sorted(_short(URIRef(t)) for t in have))}"))
    return problems


def _rebased(ds: Dataset, base: str) -> Dataset:
    out = Dataset()

    def rb(t):
        return URIRef(rebase(str(t), base)) if isinstance(t, URIRef) else t

    for s, p, o, g in ds.quads((None, None, None, None)):
        gid = g if g is not None else DATASET_DEFAULT_GRAPH_ID
        out.add((rb(s), p, rb(o), gid if gid == DATASET_DEFAULT_GRAPH_ID else rb(gid)))
    return out
