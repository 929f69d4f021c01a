"""The ontology IRI (https://w3id.org/siberia-kg/ontology, served at /ontology) and the shapes.

The ontology is a hash namespace (skg:Camp is ``...ontology#Camp``), so, as the Cool URIs note
advises for hash IRIs, /ontology answers 200 directly with the negotiated document (Vary:
Accept, Content-Location naming the variant): Turtle (the ontology file itself, as the build
copied it into dist/) for programs, a generated documentation page for browsers, where every
term has the anchor of its local name, so /ontology#Camp lands on skg:Camp. N-Triples, JSON-LD
and RDF/XML are offered too. /ontology.ttl, .nt, .jsonld, .rdf and .html are the documents
themselves; /shapes.ttl is the SHACL shapes the build validates with.
"""

from __future__ import annotations

import html
from pathlib import Path
from threading import Lock

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...build import ONTOLOGY_DUMP
from ...namespaces import ONTOLOGY_IRI, PREFIXES, QB, SKG
from ..conneg import ENTITY_TYPES as OFFERED
from ..conneg import HTML, TURTLE, choose, suffix_for
from ..render.rdf import document_response, serialize_graph
from .entity import _page, not_acceptable, not_found

NS = str(SKG)
VANN = "http://purl.org/vocab/vann/"
CRM = "http://www.cidoc-crm.org/cidoc-crm/"
DOC_PREFIXES = {**PREFIXES, "crm": CRM, "vann": VANN, "sh": "http://www.w3.org/ns/shacl#"}

# Sections of the documentation page: (anchor, heading, rdf:type of its terms).
SECTIONS = (
    ("classes", "Classes", OWL.Class),
    ("object-properties", "Object properties", OWL.ObjectProperty),
    ("datatype-properties", "Datatype properties", OWL.DatatypeProperty),
)
RELATIONS = (
    (RDFS.subClassOf, "subclass of"), (RDFS.subPropertyOf, "subproperty of"),
    (RDFS.domain, "domain"), (RDFS.range, "range"), (SKOS.inScheme, "in scheme"),
)


def _local(iri: str) -> str | None:
    return iri[len(NS):] if iri.startswith(NS) and len(iri) > len(NS) else None


def _short(iri: str) -> str:
    best = max((p for p, ns in DOC_PREFIXES.items() if iri.startswith(ns) and len(iri) > len(ns)),
               key=lambda p: len(DOC_PREFIXES[p]), default=None)
    return f"{best}:{iri[len(DOC_PREFIXES[best]):]}" if best else iri


class OntologyDocs:
    """The ontology's documents, made once on first use (the build's copy does not change
    while the server runs; a rebuild means a restart)."""

    def __init__(self, turtle_path: Path):
        self.path = turtle_path
        self._lock = Lock()
        self._graph: Graph | None = None
        self._docs: dict[str, bytes] = {}

    def graph(self) -> Graph:
        with self._lock:
            if self._graph is None:
                self._graph = Graph().parse(self.path, format="turtle")
            return self._graph

    def document(self, media_type: str) -> bytes:
        if media_type in self._docs:
            return self._docs[media_type]
        if media_type == TURTLE:
            body = self.path.read_bytes()  # the file as written, comments and all
        elif media_type == HTML:
            body = documentation(self.graph()).encode()
        else:
            prefixes = {p: str(ns) for p, ns in self.graph().namespaces() if p}
            body = serialize_graph(self.graph(), media_type, {**prefixes, **DOC_PREFIXES})
        self._docs[media_type] = body
        return body


# --- the documentation page -----------------------------------------------------------------

def _texts(g: Graph, s, p) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for o in g.objects(s, p):
        if isinstance(o, Literal):
            out.setdefault(o.language or "", []).append(str(o))
    for v in out.values():
        v.sort()
    return out


def _link(iri) -> str:
    if isinstance(iri, BNode):
        return "<em>(structure)</em>"
    iri = str(iri)
    local = _local(iri)
    if local:
        return f'<a href="#{html.escape(local)}"><code>skg:{html.escape(local)}</code></a>'
    return f'<a href="{html.escape(iri)}"><code>{html.escape(_short(iri))}</code></a>'


def _term_html(g: Graph, term: URIRef, extra_types: bool = False) -> str:
    local = _local(str(term)) or str(term)
    labels = _texts(g, term, RDFS.label)
    comments = _texts(g, term, RDFS.comment)
    parts = [f'<section class="term" id="{html.escape(local)}">',
             f'<h3><a href="#{html.escape(local)}">skg:{html.escape(local)}</a>',
             f' <small>{html.escape(", ".join(labels.get("en", [])))}</small>',
             f' <small lang="ja">{html.escape("、".join(labels.get("ja", [])))}</small></h3>',
             f"<p><code>{html.escape(str(term))}</code></p>"]
    for lang in ("en", "ja", *sorted(k for k in comments if k not in ("en", "ja"))):
        for c in comments.get(lang, []):
            parts.append(f'<p lang="{html.escape(lang or "und")}">{html.escape(c)}</p>')
    rows = []
    if extra_types:
        types = sorted(str(t) for t in g.objects(term, RDF.type))
        if types:
            rows.append(f"<tr><th>type</th><td>{', '.join(_link(URIRef(t)) for t in types)}</td></tr>")
    for p, name in RELATIONS:
        values = sorted(g.objects(term, p), key=str)
        if values:
            rows.append(f"<tr><th>{html.escape(name)}</th><td>{', '.join(_link(v) for v in values)}</td></tr>")
    if rows:
        parts.append("<table>" + "".join(rows) + "</table>")
    parts.append("</section>")
    return "".join(parts)


def documentation(g: Graph) -> str:
    """A self-contained HTML page documenting the ontology, everything escaped."""
    onto = ONTOLOGY_IRI
    title = (_texts(g, onto, DCTERMS.title).get("en") or _texts(g, onto, RDFS.label).get("en")
             or ["siberia-kg ontology"])[0]
    ja = _texts(g, onto, RDFS.label).get("ja", [])
    version = next((str(v) for v in g.objects(onto, OWL.versionInfo)), "")
    licence = next((str(v) for v in g.objects(onto, DCTERMS.license)), "")
    comments = _texts(g, onto, RDFS.comment)

    def terms_of(rdf_type) -> list[URIRef]:
        return sorted({s for s in g.subjects(RDF.type, rdf_type)
                       if isinstance(s, URIRef) and _local(str(s))}, key=lambda s: str(s).lower())

    documented: set[URIRef] = set()
    sections = []
    toc = []
    for anchor, heading, rdf_type in SECTIONS:
        terms = terms_of(rdf_type)
        documented.update(terms)
        toc.append(f'<li><a href="#{anchor}">{html.escape(heading)}</a> ({len(terms)}): '
                   + ", ".join(f'<a href="#{html.escape(_local(str(t)))}">{html.escape(_local(str(t)))}</a>'
                               for t in terms) + "</li>")
        sections.append(f'<h2 id="{anchor}">{html.escape(heading)}</h2>'
                        + "".join(_term_html(g, t) for t in terms))

    # Data cube properties that are not also OWL properties, then the concept schemes.
    cube = [t for t in terms_of(QB.DimensionProperty) + terms_of(QB.MeasureProperty)
            + terms_of(QB.AttributeProperty) + terms_of(QB.DataStructureDefinition)
            if t not in documented]
    schemes = terms_of(SKOS.ConceptScheme)
    scheme_parts = []
    for scheme in schemes:
        documented.add(scheme)
        concepts = sorted({s for s in g.subjects(SKOS.inScheme, scheme)
                           if isinstance(s, URIRef) and _local(str(s))}, key=lambda s: str(s).lower())
        documented.update(concepts)
        scheme_parts.append(_term_html(g, scheme)
                            + '<div class="concepts">'
                            + "".join(_term_html(g, c, extra_types=True) for c in concepts) + "</div>")
    toc.append('<li><a href="#concept-schemes">Concept schemes</a> (' + str(len(schemes)) + "): "
               + ", ".join(f'<a href="#{html.escape(_local(str(s)))}">{html.escape(_local(str(s)))}</a>'
                           for s in schemes) + "</li>")
    others = sorted({s for s in g.subjects() if isinstance(s, URIRef) and _local(str(s))}
                    - documented - set(cube), key=lambda s: str(s).lower())
    cube_html = ""
    if cube or others:
        toc.append('<li><a href="#other-terms">Statistics (RDF Data Cube) and other terms</a></li>')
        cube_html = ('<h2 id="other-terms">Statistics (RDF Data Cube) and other terms</h2>'
                     + "".join(_term_html(g, t, extra_types=True) for t in cube + others))

    head = (f"<h1>{html.escape(title)}</h1>"
            + (f'<p lang="ja">{html.escape(ja[0])}</p>' if ja else "")
            + f"<p>IRI: <code>{html.escape(str(onto))}</code>"
            + (f" · version {html.escape(version)}" if version else "")
            + (f' · licence <a href="{html.escape(licence)}">{html.escape(licence)}</a>' if licence else "")
            + f"</p><p>Namespace: <code>{html.escape(NS)}</code> (prefix <code>skg:</code>)</p>"
            + "".join(f'<p lang="{html.escape(lang or "und")}">{html.escape(c)}</p>'
                      for lang in ("en", "ja") for c in comments.get(lang, []))
            + '<p>Machine-readable: <a href="/ontology.ttl">Turtle</a> · '
              '<a href="/ontology.nt">N-Triples</a> · <a href="/ontology.jsonld">JSON-LD</a> · '
              '<a href="/ontology.rdf">RDF/XML</a> · SHACL shapes: <a href="/shapes.ttl">shapes.ttl</a></p>'
            + "<nav><h2>Contents</h2><ul>" + "".join(toc) + "</ul></nav>")
    body = (head + "".join(sections)
            + '<h2 id="concept-schemes">Concept schemes</h2>' + "".join(scheme_parts) + cube_html)
    return _page(title, body, css=(
        ".term{border-top:1px solid #ddd;padding:.4rem 0}.term h3{margin:.4rem 0}"
        ".term table{width:auto}.term th{font-weight:normal;color:#555;padding-right:1rem}"
        ".concepts{margin-left:1.2rem}:target{background:#fff7d6}"))


# --- routes ---------------------------------------------------------------------------------

def routes(state):
    docs = OntologyDocs(state.dist / ONTOLOGY_DUMP)
    shapes_path: Path = state.settings.shapes_file
    alternates = [(f"/ontology{suffix_for(mt)}", mt) for mt in OFFERED]

    async def serve(request: Request, media_type: str, negotiated: bool) -> Response:
        if not docs.path.is_file():
            return not_found(request, "The ontology file is missing from the build folder; "
                                      "run siberia-kg build.", state)
        body = await run_in_threadpool(docs.document, media_type)
        return document_response(
            request, body, media_type, content_location=f"/ontology{suffix_for(media_type)}",
            alternates=[a for a in alternates if a[1] != media_type], vary_accept=negotiated)

    async def ontology(request: Request) -> Response:
        chosen = choose(request.headers.get("accept"), OFFERED, default=TURTLE)
        if chosen is None:
            return not_acceptable(request, OFFERED)
        return await serve(request, chosen, negotiated=True)

    def suffix_endpoint(media_type: str):
        async def endpoint(request: Request) -> Response:
            return await serve(request, media_type, negotiated=False)
        return endpoint

    async def shapes(request: Request) -> Response:
        try:
            body = await run_in_threadpool(shapes_path.read_bytes)
        except OSError:
            return not_found(request, "The SHACL shapes file is not available on this server.", state)
        return document_response(request, body, TURTLE, content_location="/shapes.ttl")

    return [
        Route("/ontology", ontology, methods=["GET", "HEAD"]),
        *[Route(f"/ontology{suffix_for(mt)}", suffix_endpoint(mt), methods=["GET", "HEAD"])
          for mt in OFFERED],
        Route("/shapes.ttl", shapes, methods=["GET", "HEAD"]),
    ]
