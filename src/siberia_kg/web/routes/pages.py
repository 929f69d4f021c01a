"""Routes: the HTML pages a person reads (landing, entities, classes, search, map, timeline,
statistics, the SPARQL query page), their static files, and the 404 page.

The graph does not change while the server runs, so what every request would otherwise recompute
(labels, citations, class counts) is read once and kept in ``state.extras``. Page data comes from
the store through the small functions below; ``entity_page`` is called by the entity router for
``/id/{kind}/{slug}.html``.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Literal, URIRef
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...dumps import jsonld as jsonld_document
from ...namespaces import GEO, PREFIXES, SCHEMA, SKG, all_prefixes, entity_kind
from ...query import competency_question
from .. import conneg, services
from ..paths import path_for_iri
from ..render.html import LANGS, intcomma, renderer
from ..search import MAX_QUERY, labels_for

STATIC = Path(__file__).resolve().parents[1] / "static"

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
QB = "http://purl.org/linked-data/cube#"
WIKIDATA = "http://www.wikidata.org/entity/"
S, K = str(SCHEMA), str(SKG)
# Vocabularies whose terms, where the ontology gives no label, read well as words
# (rdf:type -> "type", skos:exactMatch -> "exact match"); others are shown as compact IRIs.
HUMANIZED = (S, K, QB, "http://www.w3.org/1999/02/22-rdf-syntax-ns#", RDFS, SKOS,
             "http://purl.org/dc/terms/", "http://www.w3.org/ns/prov#",
             "http://www.w3.org/2002/07/owl#")

LABEL_PROPS = {SKOS + "prefLabel", SKOS + "altLabel"}
# Derived by the build for the flat dumps (data/README.md); the page shows what they derive from.
DERIVED = {K + "citation", RDFS + "label", S + "name", S + "alternateName", str(GEO.lat),
           str(GEO.long), S + "sameAs"}
# Properties shown first on an entity page, in this order; the rest follow by label.
FIRST = [S + "description", RDF_TYPE, K + "role", K + "eventType", S + "startDate",
         S + "endDate", S + "location", S + "containedInPlace", K + "measure", S + "value",
         S + "minValue", S + "maxValue", K + "qualifier", K + "about", K + "estimatedBy"]
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long",
                             "nonNegativeInteger", "positiveInteger")}

# Front-end libraries, installed by `npm ci` into node_modules/ and served from there.
VENDOR = {
    "leaflet": "leaflet/dist",
    "topojson-client": "topojson-client/dist",
    "world-atlas": "world-atlas",
    "yasgui": "@zazuko/yasgui/build",
}
VENDOR_NEEDS = {
    "map": ["leaflet/leaflet.js", "leaflet/leaflet.css", "topojson-client/topojson-client.min.js",
            "world-atlas/countries-50m.json"],
    "query": ["yasgui/yasgui.min.js", "yasgui/yasgui.min.css"],
}
ATLAS = "/vendor/world-atlas/countries-50m.json"


class VendorFiles(StaticFiles):
    """Files of one installed npm package; a clear 404 (not a server error) while node_modules/
    is missing, so the server runs, and says why, before `npm ci`."""

    async def __call__(self, scope, receive, send):
        if not Path(str(self.directory)).is_dir():
            response = PlainTextResponse(
                "404 Not Found: this front-end library is not installed on the server "
                "(run `npm ci` in the project folder).\n", status_code=404)
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class BadRequest(Exception):
    """A request this page cannot answer as asked: answered 400 with the message."""


# ---------------------------------------------------------------------------------------------
# Small helpers: languages, terms, links
# ---------------------------------------------------------------------------------------------

def _lang(request) -> str:
    lang = request.query_params.get("lang", "en") or "en"
    if lang not in LANGS:
        raise BadRequest(f"unsupported lang={lang[:20]!r}; choose one of {', '.join(LANGS)}")
    return lang


def _int_param(request, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    # ASCII digits only: int() would also take "+2", "2_0" and full-width digits.
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadRequest(f"{name} must be a whole number, not {raw[:20]!r}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"{name} must be {bound}, not {value}")
    return value


def curie(iri: str) -> str:
    best = max((p for p, ns in PREFIXES.items() if iri.startswith(ns)),
               key=lambda p: len(PREFIXES[p]), default=None)
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


def _humanize(iri: str) -> str:
    """'https://schema.org/containedInPlace' -> 'contained in place' (terms without labels)."""
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ")
    return words.lower() if not words.isupper() else words


def entity_href(state, iri: str, lang: str = "en") -> str | None:
    """The local HTML page of one of our entities (None for other IRIs)."""
    if not entity_kind(iri, state.base):
        return None
    path = path_for_iri(state.base, iri)
    return f"{path}.html" + (f"?lang={lang}" if lang != "en" else "")


def term_label(state, iri: str, lang: str) -> str:
    labels = labels_for(state)
    return labels.label(iri, lang) or (_citation_text(state, iri) if iri in _citations(state)
                                       else None) or (
        _humanize(iri) if iri.startswith(HUMANIZED) else curie(iri))


def link_view(state, iri: str, lang: str) -> dict:
    """How an IRI is shown: our entities link to their page, ontology terms to the ontology
    documentation, everything else out (Wikidata, schema.org)."""
    labels = labels_for(state)
    href = entity_href(state, iri, lang)
    external = False
    if href is None:
        # Ontology terms are fragments of the ontology document: /ontology#Camp.
        doc, hash_, frag = iri.partition("#")
        local = path_for_iri(state.base, doc)
        if local is not None:
            href = local + hash_ + quote(frag, safe="")
        else:
            href, external = iri, True
    return {"href": href, "text": term_label(state, iri, lang), "iri": iri,
            "lang": labels.label_lang(iri, lang), "external": external}


def _term_parts(term):
    """(kind, text, language, datatype IRI) of a pyoxigraph or rdflib term."""
    if isinstance(term, (ox.NamedNode, URIRef)):
        return "iri", (term.value if isinstance(term, ox.NamedNode) else str(term)), None, None
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.language or None,
                term.datatype.value if term.datatype else XSD + "string")
    if isinstance(term, Literal):
        return ("literal", str(term), term.language or None,
                str(term.datatype) if term.datatype else XSD + "string")
    return "literal", str(term), None, XSD + "string"


def value_view(state, term, lang: str) -> dict:
    kind, text, language, dt = _term_parts(term)
    if kind == "iri":
        return {"kind": "link", **link_view(state, text, lang)}
    if dt == XSD + "anyURI":
        return {"kind": "link", "href": text, "text": text, "iri": text, "lang": None,
                "external": True}
    if dt in NUMERIC:
        text = intcomma(text)
    short = "" if dt in (XSD + "string", RDF_LANGSTRING) else curie(dt)
    return {"kind": "literal", "text": text, "lang": language, "datatype": short}


# ---------------------------------------------------------------------------------------------
# Data read once: citations, class counts
# ---------------------------------------------------------------------------------------------

_once = threading.Lock()


def _cached(state, key: str, make):
    value = state.extras.get(key)
    if value is None:
        with _once:
            value = state.extras.get(key)
            if value is None:
                value = state.extras[key] = make()
    return value


def _citations(state) -> dict[str, dict]:
    """citation IRI -> {locator, source}: the provenance every statement's graph name points to."""
    def make():
        out = {}
        q = f"""SELECT ?c ?src ?loc WHERE {{ ?c a <{K}Citation> .
                 OPTIONAL {{ ?c <{K}source> ?src }} OPTIONAL {{ ?c <{K}locator> ?loc }} }}"""
        for row in state.store.query(q):
            out[row["c"].value] = {"source": row["src"].value if row["src"] else None,
                                   "locator": row["loc"].value if row["loc"] else None}
        return out
    return _cached(state, "page_citations", make)


def _citation_text(state, iri: str) -> str:
    c = _citations(state).get(iri, {})
    return c.get("locator") or curie(iri)


def source_view(state, graph: str | None, lang: str) -> dict | None:
    """One statement's provenance: the citation (with its locator) and the source document."""
    if graph is None:
        return None
    c = _citations(state).get(graph)
    if c is None:
        return {"citation": link_view(state, graph, lang), "locator": None, "document": None}
    return {"citation": link_view(state, graph, lang), "locator": c["locator"],
            "document": link_view(state, c["source"], lang) if c["source"] else None}


def class_counts(state) -> list[tuple[str, int]]:
    """Every class our entities have, with how many entities have it, most frequent first."""
    return _cached(state, "page_class_counts",
                   lambda: [(c.iri, c.count) for c in services.classes(state)])


def class_name(iri: str) -> str:
    """The /class/{name} segment: the class's compact name, such as 'skg:Camp'."""
    return curie(iri)


def class_href(iri: str, lang: str = "en") -> str:
    return "/class/" + quote(class_name(iri), safe=":") + (f"?lang={lang}" if lang != "en" else "")


def class_iri(state, name: str) -> str | None:
    """'skg:Camp', 'schema:City', or an unambiguous bare 'Camp'/'City' -> the class IRI, if any
    of our entities has it."""
    known = [iri for iri, _ in class_counts(state)]
    if ":" in name:
        prefix, _, local = name.partition(":")
        ns = PREFIXES.get(prefix)
        iri = ns + local if ns else None
        return iri if iri in known else None
    matches = [iri for iri in known if re.split(r"[#/]", iri)[-1] == name]
    skg = [m for m in matches if m.startswith(K)]
    if len(skg) == 1:
        return skg[0]
    return matches[0] if len(matches) == 1 else None


def _kind_counts(state) -> list[tuple[str, int]]:
    def make():
        q = f"""SELECT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{state.base}id/")) }}"""
        seen = {r["s"].value for r in state.store.query(q)}
        counts: dict[str, int] = defaultdict(int)
        for s in seen:
            counts[entity_kind(s, state.base) or "other"] += 1
        return sorted(counts.items(), key=lambda t: (-t[1], t[0]))
    return _cached(state, "page_kind_counts", make)


# ---------------------------------------------------------------------------------------------
# Entity page
# ---------------------------------------------------------------------------------------------

def _quads(state, s=None, p=None, o=None):
    node = lambda x: ox.NamedNode(x) if isinstance(x, str) else x  # noqa: E731
    return state.store.raw.quads_for_pattern(node(s) if s else None, node(p) if p else None,
                                             node(o) if o else None, None)


def _graph(q) -> str | None:
    return q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None


def statement_groups(state, d, lang: str) -> list[dict]:
    """The description's statements grouped by property, each value with the sources that
    state it; labels (shown in their own table) and triples derived by the build are left out."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for st in d.statements:
        p = str(st.predicate)
        if p in LABEL_PROPS or p in DERIVED:
            continue
        srcs = [source_view(state, g, lang) for g in st.citations]
        srcs.sort(key=lambda s: ((s["document"] or {}).get("text", ""), s["locator"] or ""))
        grouped[p].append({"value": value_view(state, st.object, lang), "sources": srcs})
    order = {p: i for i, p in enumerate(FIRST)}
    groups = []
    for p in sorted(grouped, key=lambda p: (order.get(p, len(order)),
                                            term_label(state, p, lang).casefold())):
        values = sorted(grouped[p], key=lambda st: (st["value"].get("lang") not in (lang, None),
                                                    st["value"]["text"].casefold()))
        groups.append({"property": link_view(state, p, lang), "statements": values})
    return groups


def label_table(d) -> list[dict]:
    """Every label of the entity by language: the preferred one and the alternatives."""
    first = {"en": 0, "ja": 1, "ru": 2}
    rows = [{"lang": lang, "pref": v.get("pref"), "alts": v.get("alt", [])}
            for lang, v in d.labels.items()]
    return sorted(rows, key=lambda r: (first.get(r["lang"], 3), r["lang"]))


def inbound_view(state, d, lang: str) -> dict:
    """This page of links to the entity (paged by the description), sorted for reading."""
    rows = [{"subject": link_view(state, str(link.subject), lang),
             "property": link_view(state, str(link.predicate), lang)} for link in d.inbound]
    rows.sort(key=lambda r: (r["property"]["text"].casefold(), r["subject"]["text"].casefold()))
    return {"total": d.inbound_total, "page": d.page, "pages": d.pages, "size": d.page_size,
            "rows": rows}


def _sparql_iri(iri: str) -> str:
    """An IRI as a SPARQL term; pyoxigraph refuses anything that is not a valid IRI, so nothing
    from a request can close the <...> and change the query."""
    return str(ox.NamedNode(iri))


def _literal_number(term) -> float | None:
    try:
        return float(term.value)
    except (AttributeError, ValueError):
        return None


def estimate_views(state, lang: str, iris: list[str] | None = None) -> list[dict]:
    """Estimates (all, or the given ones) as rows for side-by-side tables."""
    filt = ""
    if iris is not None:
        if not iris:
            return []
        filt = "VALUES ?e { " + " ".join(_sparql_iri(i) for i in iris) + " }"
    q = f"""SELECT ?e ?p ?o ?g WHERE {{ {filt} GRAPH ?g {{ ?e a <{K}Estimate> ; ?p ?o }} }}"""
    props: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    graphs: dict[str, list[str]] = defaultdict(list)
    for row in state.store.query(q):
        e, p = row["e"].value, row["p"].value
        if row["o"] not in props[e][p]:
            props[e][p].append(row["o"])
        g = row["g"].value
        if g not in graphs[e]:
            graphs[e].append(g)
    out = []
    for e, pr in props.items():
        def one(p):
            return pr.get(p, [None])[0]
        qualifier = one(K + "qualifier")
        qual = qualifier.value if qualifier is not None else None
        value, low, high = one(S + "value"), one(S + "minValue"), one(S + "maxValue")
        unit = one(S + "unitCode")
        out.append({
            "iri": e, "link": link_view(state, e, lang),
            "measure": link_view(state, one(K + "measure").value, lang) if one(K + "measure") else None,
            "qualifier": link_view(state, qual, lang) if qual else None,
            "value_text": format_estimate(qual, value, low, high,
                                          unit.value if unit is not None else None),
            "sort_value": next((n for n in map(_literal_number, (value, low, high)) if n is not None), 0.0),
            "about": [link_view(state, o.value, lang) for o in pr.get(K + "about", [])],
            "scope": [link_view(state, o.value, lang) for o in pr.get(K + "scope", [])],
            "period": [value_view(state, o, lang) for o in pr.get(K + "period", [])],
            "as_of": [value_view(state, o, lang) for o in pr.get(K + "asOf", [])],
            "estimated_by": [link_view(state, o.value, lang) for o in pr.get(K + "estimatedBy", [])],
            "basis": [o.value for o in pr.get(K + "basis", [])],
            "sources": [source_view(state, g, lang) for g in sorted(graphs[e])],
        })
    return out


def format_estimate(qualifier: str | None, value, low, high, unit: str | None) -> str:
    """A figure as the source states it: '≈ 500,000', '> 200,000', '560,000–760,000'."""
    def n(term):
        return intcomma(term.value) + ("%" if unit == "P1" else "") if term is not None else "?"
    q = (qualifier or "").rsplit("#", 1)[-1]
    if q in ("Range", "ApproximateRange") or (value is None and low is not None and high is not None):
        text = f"{n(low)}–{n(high)}"
        return ("≈ " + text) if q == "ApproximateRange" else text
    if q == "MoreThan":
        return "> " + n(low if low is not None else value)
    if q == "AtLeast":
        return "≥ " + n(low if low is not None else value)
    if q == "LessThan":
        return "< " + n(high if high is not None else value)
    if q == "Approximate":
        return "≈ " + n(value if value is not None else low)
    return n(value if value is not None else (low if low is not None else high))


def group_estimates(state, rows: list[dict], lang: str) -> list[dict]:
    """Estimates grouped by measure, each group sorted by what it is about, then by value."""
    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        groups[r["measure"]["iri"] if r["measure"] else ""].append(r)
    out = []
    for m, items in groups.items():
        items.sort(key=lambda r: ([a["text"] for a in r["about"]], [s["text"] for s in r["scope"]],
                                  r["sort_value"], r["iri"]))
        out.append({"measure": link_view(state, m, lang) if m else None, "rows": items})
    out.sort(key=lambda g: (-len(g["rows"]), (g["measure"] or {}).get("text", "")))
    return out


def _competing_estimates(state, iri: str) -> list[str]:
    """For an estimate: every estimate of the same measure about the same thing (itself too)."""
    me = _sparql_iri(iri)
    q = f"""SELECT DISTINCT ?e WHERE {{ {me} <{K}measure> ?m . ?e <{K}measure> ?m .
             OPTIONAL {{ {me} <{K}about> ?a }}
             FILTER(!BOUND(?a) || EXISTS {{ ?e <{K}about> ?a }}) }}"""
    return [r["e"].value for r in state.store.query(q)]


def coordinates_of(state, iri: str, lang: str) -> dict | None:
    me = _sparql_iri(iri)
    q = f"""SELECT ?lat ?long ?approx ?from WHERE {{ {me} <{S}latitude> ?lat ; <{S}longitude> ?long .
             OPTIONAL {{ {me} <{K}coordinatesApproximate> ?approx }}
             OPTIONAL {{ {me} <{K}coordinatesFrom> ?from }} }} LIMIT 1"""
    for r in state.store.query(q):
        try:
            lat, lon = float(r["lat"].value), float(r["long"].value)
        except ValueError:
            return None
        labels = labels_for(state)
        return {"iri": iri, "lat": lat, "lon": lon,
                "approximate": r["approx"] is not None and r["approx"].value in ("true", "1"),
                "from": link_view(state, r["from"].value, lang) if r["from"] else None,
                "label": labels.label(iri, lang) or curie(iri),
                "href": entity_href(state, iri, lang), "kind": entity_kind(iri, state.base)}
    return None


def entity_jsonld(state, d) -> str:
    """The entity's own statements (labels and derived schema.org terms included) as JSON-LD,
    for search engines."""
    me = URIRef(d.iri)
    triples = [(me, st.predicate, st.object) for st in d.statements]
    return jsonld_document(triples, all_prefixes(state.base)).decode("utf-8")


async def entity_page(state, request, iri: str) -> Response:
    """The HTML page of one entity. Awaited by the entity router for /id/{kind}/{slug}.html;
    the store calls are synchronous, so they run in a worker thread."""
    return await run_in_threadpool(_entity_page_or_error, state, request, iri)


def _entity_page_or_error(state, request, iri: str) -> Response:
    try:
        return _entity_page(state, request, iri)
    except BadRequest as e:
        return error_page(state, request, 400, str(e))


def _entity_page(state, request, iri: str) -> Response:
    lang = _lang(request)
    page = _int_param(request, "page", 1, 1)
    try:
        d = services.describe(state, iri, page)
    except services.PageOutOfRange as e:
        return not_found_page(state, request, str(e))
    if d is None:
        return not_found_page(state, request, f"There is no entity {iri} in this dataset.")
    labels = labels_for(state)
    kind = d.kind
    if kind == "estimate":
        est_iris = _competing_estimates(state, iri)
    else:
        est_iris = [e.iri for e in d.estimates]
    estimates = group_estimates(state, estimate_views(state, lang, est_iris), lang)
    matches = [str(st.object) for st in d.statements
               if str(st.predicate) == SKOS + "exactMatch" and isinstance(st.object, URIRef)]
    coords = coordinates_of(state, iri, lang)
    path = path_for_iri(state.base, iri) or request.url.path.removesuffix(".html")
    public = state.base + path.lstrip("/")
    head_links = [{"rel": "canonical", "href": f"{public}.html" + (f"?lang={lang}" if lang != "en" else "")}]
    for code in LANGS:
        head_links.append({"rel": "alternate", "hreflang": code,
                           "href": f"{public}.html" + (f"?lang={code}" if code != "en" else "")})
    head_links.append({"rel": "alternate", "hreflang": "x-default", "href": f"{public}.html"})
    formats = [(conneg.TURTLE, ".ttl", "Turtle"), (conneg.NTRIPLES, ".nt", "N-Triples"),
               (conneg.JSONLD, ".jsonld", "JSON-LD"), (conneg.RDFXML, ".rdf", "RDF/XML")]
    alternates = [{"type": t, "href": f"{path}{suffix}", "name": name} for t, suffix, name in formats]
    head_links += [{"rel": "alternate", "type": a["type"], "href": a["href"]} for a in alternates]
    vendor = vendor_status(state)
    with_map = bool(coords) and vendor["map"]
    return renderer(state).page(
        "entity.html", request, lang=lang, title=d.label(lang),
        title_lang=labels.label_lang(iri, lang), iri=iri, kind=kind,
        types=[{"iri": t, "text": term_label(state, t, lang), "href": class_href(t, lang)}
               for t in d.types],
        label_rows=label_table(d), groups=statement_groups(state, d, lang),
        inbound=inbound_view(state, d, lang),
        wikidata=[{"iri": w, "qid": w[len(WIKIDATA):]} for w in matches if w.startswith(WIKIDATA)],
        other_matches=[w for w in matches if not w.startswith(WIKIDATA)],
        estimates=estimates, coords=coords, alternates=alternates, head_links=head_links,
        jsonld=entity_jsonld(state, d), map_points=[coords] if coords else [], vendor=vendor,
        atlas=ATLAS, lang_switch=path + ".html", entity_path=path + ".html",
        styles=["/vendor/leaflet/leaflet.css"] if with_map else [],
        scripts=(["/vendor/leaflet/leaflet.js", "/vendor/topojson-client/topojson-client.min.js",
                  "/static/map.js"] if with_map else []))


# ---------------------------------------------------------------------------------------------
# Other pages' data
# ---------------------------------------------------------------------------------------------

def sample_queries(state) -> list[dict]:
    """queries/*.rq, read at request time: name, question (its '# Question:' lines, else its
    leading comments) and text."""
    folder = Path(state.settings.queries_dir)
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        question = " ".join(m.strip() for m in re.findall(r"^\s*#\s*Question:\s*(.+)$", text, re.M))
        out.append({"name": path.stem, "question": question or competency_question(text) or path.stem,
                    "text": text})
    return out


def read_citation_cff(root: Path) -> dict:
    """The few fields of CITATION.cff the landing page shows (a flat reading; no YAML library)."""
    path = root / "CITATION.cff"
    info: dict = {"authors": []}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return info
    section = None
    person: dict = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        top = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
        if top:
            if section == "authors" and person:
                info["authors"].append(person)
            person, section = {}, top.group(1)
            value = top.group(2).strip().strip('"')
            if value and value not in (">-", "|", ">"):
                info[section] = value
            continue
        if section == "authors":
            m = re.match(r"^\s*(-\s*)?([A-Za-z-]+):\s*(.*)$", line)
            if m:
                if m.group(1) and person:
                    info["authors"].append(person)
                    person = {}
                person[m.group(2)] = m.group(3).strip().strip('"')
        elif section == "abstract":
            info["abstract"] = (info.get("abstract", "") + " " + line.strip()).strip()
    if section == "authors" and person:
        info["authors"].append(person)
    names = []
    for a in info["authors"]:
        if a.get("name"):
            names.append(a["name"])
        elif a.get("family-names"):
            names.append(", ".join(x for x in (a["family-names"], a.get("given-names")) if x))
    info["author_names"] = names
    return info


LICENCES = {"CC-BY-SA-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
            "CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
            "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/")}


def timeline_items(state, lang: str) -> list[dict]:
    """Dated events, each with its dates as the sources give them (any precision, never padded)
    and the source of each date; sorted by their earliest date."""
    q = f"""SELECT ?e ?p ?d ?g WHERE {{ GRAPH ?g {{ ?e ?p ?d }}
             VALUES ?p {{ <{S}startDate> <{S}endDate> }} }}"""
    dates: dict[str, dict[str, dict[str, list]]] = defaultdict(lambda: {"start": {}, "end": {}})
    for r in state.store.query(q):
        which = "start" if r["p"].value.endswith("startDate") else "end"
        srcs = dates[r["e"].value][which].setdefault(r["d"].value, [])
        g = r["g"].value
        if g not in srcs:
            srcs.append(g)
    items = []
    for e, d in dates.items():
        keys = sorted(d["start"]) or sorted(d["end"])
        types = [link_view(state, qd.object.value, lang)
                 for qd in _quads(state, s=e, p=K + "eventType") if isinstance(qd.object, ox.NamedNode)]
        uniq_types = list({t["iri"]: t for t in types}.values())
        items.append({
            "key": keys[0], "year": keys[0][:4], "link": link_view(state, e, lang),
            "types": uniq_types,
            "start": [{"date": v, "sources": [source_view(state, g, lang) for g in sorted(gs)]}
                      for v, gs in sorted(d["start"].items())],
            "end": [{"date": v, "sources": [source_view(state, g, lang) for g in sorted(gs)]}
                    for v, gs in sorted(d["end"].items())],
        })
    items.sort(key=lambda i: (i["key"], i["link"]["text"].casefold()))
    return items


def repatriation_series(state, lang: str) -> list[dict]:
    """Every qb:DataSet with its observations (year, number released, note, source) and the
    geometry of an SVG bar chart of them."""
    q = f"""SELECT ?ds ?obs ?year ?n ?note ?g WHERE {{ GRAPH ?g {{
             ?obs a <{QB}Observation> ; <{QB}dataSet> ?ds ; <{K}refYear> ?year ; <{K}numberReleased> ?n .
             OPTIONAL {{ ?obs <{K}observationNote> ?note }} }} }}"""
    sets: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in state.store.query(q):
        obs = sets[r["ds"].value].setdefault(r["obs"].value, {
            "iri": r["obs"].value, "link": link_view(state, r["obs"].value, lang),
            "year": r["year"].value, "value": int(float(r["n"].value)), "notes": [], "sources": []})
        if r["note"] is not None and r["note"].value not in obs["notes"]:
            obs["notes"].append(r["note"].value)
        src = source_view(state, r["g"].value, lang)
        if src not in obs["sources"]:
            obs["sources"].append(src)
    out = []
    for ds, observations in sorted(sets.items()):
        rows = sorted(observations.values(), key=lambda o: o["year"])
        out.append({"link": link_view(state, ds, lang), "rows": rows, "chart": bar_chart(rows),
                    "total": sum(o["value"] for o in rows)})
    return out


def bar_chart(rows: list[dict]) -> dict:
    """Geometry of a vertical bar chart in a 640 x 300 viewBox: bars, value labels, a few
    horizontal gridlines at round numbers."""
    width, height, left, right, top, bottom = 640, 300, 70, 10, 20, 40
    top_value = max((r["value"] for r in rows), default=0) or 1
    step = 10 ** (len(str(int(top_value))) - 1)
    for mult in (1, 2, 2.5, 5, 10):
        if top_value / (step * mult) <= 5:
            step = int(step * mult)
            break
    ceiling = -(-top_value // step) * step
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(1, len(rows))
    bars = []
    for i, r in enumerate(rows):
        h = plot_h * r["value"] / ceiling
        x = left + i * slot + slot * 0.15
        bars.append({"x": round(x, 1), "y": round(top + plot_h - h, 1), "w": round(slot * 0.7, 1),
                     "h": round(h, 1), "cx": round(x + slot * 0.35, 1), "year": r["year"],
                     "value": r["value"], "href": r["link"]["href"]})
    grid = [{"y": round(top + plot_h - plot_h * v / ceiling, 1), "value": v}
            for v in range(0, ceiling + 1, step)]
    return {"width": width, "height": height, "left": left, "right": width - right,
            "base": top + plot_h, "bars": bars, "grid": grid}


def map_points(state, lang: str) -> list[dict]:
    q = f"""SELECT DISTINCT ?s WHERE {{ ?s <{S}latitude> ?lat ; <{S}longitude> ?long }}"""
    points = []
    for r in state.store.query(q):
        c = coordinates_of(state, r["s"].value, lang)
        if c:
            c["sources"] = sorted({(s["document"] or {}).get("text", "") for s in
                                   (source_view(state, _graph(qd), lang)
                                    for qd in _quads(state, s=c["iri"], p=S + "latitude")) if s})
            c["types"] = [term_label(state, t, lang) for t in labels_for(state).types.get(c["iri"], [])]
            points.append(c)
    points.sort(key=lambda p: (p["kind"] != "camp", p["label"].casefold()))
    return points


def vendor_status(state) -> dict[str, bool]:
    """Which front-end features have their npm files installed (node_modules may be missing)."""
    root = node_modules(state)
    out = {}
    for feature, files in VENDOR_NEEDS.items():
        out[feature] = all((root / VENDOR[f.split("/", 1)[0]] / f.split("/", 1)[1]).is_file()
                           for f in files)
    return out


def node_modules(state) -> Path:
    return Path(state.settings.root) / "node_modules"


# ---------------------------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------------------------

def error_page(state, request, status: int, message: str) -> Response:
    lang = request.query_params.get("lang", "en")
    lang = lang if lang in LANGS else "en"
    return renderer(state).page("error.html", request, lang=lang, status=status,
                                title=f"{status}", code=status, message=message)


def not_found_page(state, request, message: str | None = None) -> Response:
    """The 404 page, with a search box; ``message`` says what was not found."""
    lang = request.query_params.get("lang", "en")
    lang = lang if lang in LANGS else "en"
    return renderer(state).page("404.html", request, lang=lang, status=404, title="404",
                                message=message, headers={"Cache-Control": "no-cache"})


def _page(state, handler):
    """A route endpoint that answers BadRequest with a 400 page (run in a worker thread: the
    store calls are synchronous)."""
    def endpoint(request):
        try:
            return handler(state, request)
        except BadRequest as e:
            return error_page(state, request, 400, str(e))
    return endpoint


def landing(state, request):
    lang = _lang(request)
    files = state.build_info.get("files", {})
    downloads = [{"name": name, "href": f"/dumps/{name}", **meta} for name, meta in sorted(files.items())]
    cff = read_citation_cff(Path(state.settings.root))
    licence = LICENCES.get(cff.get("license", ""), (cff.get("license", ""), None))
    counts = class_counts(state)
    return renderer(state).page(
        "index.html", request, lang=lang, title="siberia-kg",
        kinds=_kind_counts(state),
        classes=[{"iri": c, "text": term_label(state, c, lang), "curie": curie(c),
                  "href": class_href(c, lang), "count": n} for c, n in counts],
        statements=len(state.store), citations=len(_citations(state)),
        samples=sample_queries(state), downloads=downloads, cff=cff, licence=licence,
        version=state.build_info.get("version"),
        root_entity=link_view(state, f"{state.base}id/event/siberian-internment", lang))


def classes_page(state, request):
    lang = _lang(request)
    rows = []
    for c, n in class_counts(state):
        rows.append({"iri": c, "text": term_label(state, c, lang), "curie": curie(c),
                     "href": class_href(c, lang), "count": n})
    rows.sort(key=lambda r: r["text"].casefold())
    return renderer(state).page("classes.html", request, lang=lang, title="Classes", rows=rows)


LARGE_CLASS = 5000  # members above which a class page is read page by page, not sorted


def class_page(state, request):
    lang = _lang(request)
    name = request.path_params["name"]
    iri = class_iri(state, name)
    if iri is None:
        return not_found_page(state, request, f"No entity of this graph has a class {name!r}; "
                                              "see the list of classes.")
    page = _int_param(request, "page", 1, 1)
    size = state.config.page_size
    labels = labels_for(state)
    total = dict(class_counts(state)).get(iri, 0)
    pages = max(1, -(-total // size))
    if page > pages:
        raise BadRequest(f"page {page} is past the last page ({pages})")
    if total > LARGE_CLASS:
        # A class with register records (up to millions): one page read from the store's
        # index, in its order, rather than every member read and sorted by label.
        page_members = services.instances_page(state, iri, (page - 1) * size, size)
        by_label = False
    else:
        members = sorted((i.iri for i in services.instances(state, iri)),
                         key=lambda s: ((labels.label(s, lang) or s).casefold(), s))
        total = len(members)
        page_members = members[(page - 1) * size: page * size]
        by_label = True
    comment = None
    for qd in _quads(state, s=iri, p=RDFS + "comment"):
        if isinstance(qd.object, ox.Literal) and (qd.object.language or "en") in (lang, "en"):
            if comment is None or qd.object.language == lang:
                comment = qd.object.value
    supers = [link_view(state, qd.object.value, lang) for qd in _quads(state, s=iri, p=RDFS + "subClassOf")
              if isinstance(qd.object, ox.NamedNode)]
    rows = [{"link": link_view(state, s, lang), "kind": entity_kind(s, state.base),
             "others": [{"text": term_label(state, t, lang), "href": class_href(t, lang)}
                        for t in labels.types.get(s, []) if t != iri]}
            for s in page_members]
    return renderer(state).page(
        "class.html", request, lang=lang, title=term_label(state, iri, lang), iri=iri,
        curie=curie(iri), label=term_label(state, iri, lang), comment=comment, supers=supers,
        total=total, page=page, pages=pages, rows=rows, by_label=by_label,
        external=not iri.startswith(K))


def search_page(state, request):
    lang = _lang(request)
    q = request.query_params.get("q", "")
    fmt = request.query_params.get("format")
    if fmt not in (None, "", "html", "json"):
        raise BadRequest(f"format must be html or json, not {fmt[:20]!r}")
    if not fmt:
        chosen = conneg.choose(request.headers.get("accept"), [conneg.HTML, conneg.JSON], conneg.HTML)
        if chosen is None:
            return Response(conneg.not_acceptable_text([conneg.HTML, conneg.JSON],
                                                       request.headers.get("accept")),
                            status_code=406, media_type="text/plain; charset=utf-8",
                            headers={"Vary": "Accept"})
        fmt = "json" if chosen == conneg.JSON else "html"
    limit = _int_param(request, "limit", 50, 1, 500)
    if len(q) > MAX_QUERY:
        if fmt == "json":
            return JSONResponse({"error": f"query longer than {MAX_QUERY} characters"},
                                status_code=400, headers={"Vary": "Accept"})
        raise BadRequest(f"the search text is longer than {MAX_QUERY} characters")
    labels = labels_for(state)
    hits, total = labels.search(q, limit) if q.strip() else ([], 0)
    results = []
    for h in hits:
        results.append({
            "iri": h.iri, "url": entity_href(state, h.iri, lang) or h.iri,
            "label": labels.label(h.iri, lang) or h.label,
            "label_lang": labels.label_lang(h.iri, lang),
            "matched": h.label, "matched_lang": h.lang or None, "match": h.match,
            "alt": h.alt, "kind": entity_kind(h.iri, state.base),
            "types": [curie(t) for t in labels.types.get(h.iri, [])],
        })
    if fmt == "json":
        if not q.strip():
            return JSONResponse({"error": "missing search text: use ?q=..."}, status_code=400,
                                headers={"Vary": "Accept"})
        body = {"query": q, "total": total, "limit": limit,
                "results": [{k: v for k, v in r.items() if k != "label_lang"} for r in results]}
        return JSONResponse(body, headers={"Vary": "Accept"},
                            media_type="application/json")
    for r in results:
        r["type_links"] = [{"text": term_label(state, t, lang), "href": class_href(t, lang)}
                           for t in labels.types.get(r["iri"], [])]
    return renderer(state).page("search.html", request, lang=lang,
                                title=f"Search: {q}" if q else "Search", q=q, results=results,
                                total=total, limit=limit, headers={"Vary": "Accept"},
                                scripts=["/static/search.js"])


def map_page(state, request):
    lang = _lang(request)
    points = map_points(state, lang)
    vendor = vendor_status(state)
    return renderer(state).page(
        "map.html", request, lang=lang, title="Map", points=points, vendor=vendor,
        map_points=points, atlas=ATLAS,
        styles=["/vendor/leaflet/leaflet.css"] if vendor["map"] else [],
        scripts=(["/vendor/leaflet/leaflet.js", "/vendor/topojson-client/topojson-client.min.js",
                  "/static/map.js"] if vendor["map"] else []))


def timeline_page(state, request):
    lang = _lang(request)
    items = timeline_items(state, lang)
    years: list[dict] = []
    for item in items:
        if not years or years[-1]["year"] != item["year"]:
            years.append({"year": item["year"], "events": []})
        years[-1]["events"].append(item)
    return renderer(state).page("timeline.html", request, lang=lang, title="Timeline",
                                years=years, total=len(items))


def stats_page(state, request):
    lang = _lang(request)
    return renderer(state).page(
        "stats.html", request, lang=lang, title="Statistics",
        series=repatriation_series(state, lang),
        estimate_groups=group_estimates(state, estimate_views(state, lang), lang))


def query_page(state, request):
    lang = _lang(request)
    samples = sample_queries(state)
    chosen = request.query_params.get("sample")
    if chosen and chosen not in {s["name"] for s in samples}:
        raise BadRequest(f"no sample query named {chosen[:60]!r}")
    vendor = vendor_status(state)
    return renderer(state).page(
        "query.html", request, lang=lang, title="SPARQL query", samples=samples, chosen=chosen,
        wide=True,
        vendor=vendor, endpoint="/sparql",
        styles=["/vendor/yasgui/yasgui.min.css"] if vendor["query"] else [],
        scripts=["/vendor/yasgui/yasgui.min.js", "/static/query.js"] if vendor["query"] else [])


def routes(state):
    root = node_modules(state)
    vendor_mounts = [Mount(f"/vendor/{name}", app=VendorFiles(directory=str(root / sub), check_dir=False),
                           name=f"vendor-{name}") for name, sub in VENDOR.items()]
    pages = [("/", landing), ("/classes", classes_page), ("/class/{name}", class_page),
             ("/search", search_page), ("/map", map_page), ("/timeline", timeline_page),
             ("/stats", stats_page), ("/query", query_page)]
    return [
        *[Route(path, _page(state, handler), methods=["GET", "HEAD"]) for path, handler in pages],
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
        *vendor_mounts,
    ]


async def startup(state):
    """Read the labels and citations before the first request, not during it."""
    labels_for(state)
    _citations(state)
    class_counts(state)

