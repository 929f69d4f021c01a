"""Linked data over real HTTP on loopback: entity IRIs (303 by Accept), their documents, the
ontology, the VoID description and the dataset IRI, paging, and the configured base."""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import FOAF, RDF, RDFS, SKOS

from siberia_kg.config import Settings

from .conftest import start_server, stop_server

SKG = Namespace("https://w3id.org/siberia-kg/ontology#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VOID = Namespace("http://rdfs.org/ns/void#")
BASE = "https://w3id.org/siberia-kg/"
TAISHET = URIRef(BASE + "id/camp/taishet")
RDF_FORMATS = {
    ".ttl": ("text/turtle; charset=utf-8", "turtle"),
    ".nt": ("application/n-triples", "nt"),
    ".jsonld": ("application/ld+json", "json-ld"),
    ".rdf": ("application/rdf+xml; charset=utf-8", "xml"),
}
ENTITY_TYPES = ["text/html", "text/turtle", "application/n-triples", "application/ld+json",
                "application/rdf+xml"]
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(server, path: str, headers: dict | None = None, method: str = "GET") -> Answer:
    """One request with exactly the headers given (http.client adds no Accept), and checks that
    hold for every answer: no raw non-ASCII in Location, no server error."""
    headers = dict(headers or {})
    url = urlsplit(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        answer = Answer(r.status, r.headers, body)
    finally:
        conn.close()
    location = answer.header("Location")
    if location is not None:
        assert location.isascii(), f"raw non-ASCII in Location: {location!r}"
        assert location.startswith("/"), f"Location should be a local path: {location!r}"
    assert answer.status < 500, f"{method} {path}: {answer.status} {body[:300]!r}"
    return answer


def parse(answer: Answer, fmt: str) -> Graph:
    return Graph().parse(data=answer.body, format=fmt)


def same_headers_without_body(server, path: str, headers: dict | None = None) -> None:
    get = fetch(server, path, headers)
    head = fetch(server, path, headers, method="HEAD")
    assert head.body == b""
    assert head.status == get.status
    drop = {"date", "transfer-encoding"}
    g = sorted((k.lower(), v) for k, v in get.headers.items() if k.lower() not in drop)
    h = sorted((k.lower(), v) for k, v in head.headers.items() if k.lower() not in drop)
    assert g == h


def vary(answer: Answer) -> set[str]:
    return {v.strip().lower() for v in (answer.header("Vary") or "").split(",") if v.strip()}


# --- entity IRIs: 303 by Accept -------------------------------------------------------------

@pytest.mark.parametrize("accept, suffix", [
    (None, ".ttl"),                       # no Accept: a program; Turtle, as Cool URIs advise
    ("*/*", ".ttl"),                      # curl's default
    (FIREFOX, ".html"),
    ("text/html", ".html"),
    ("text/turtle", ".ttl"),
    ("application/n-triples", ".nt"),
    ("application/ld+json", ".jsonld"),
    ("application/rdf+xml", ".rdf"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", ".jsonld"),
    ("text/html;q=0.1, application/rdf+xml", ".rdf"),
    ("text/html, text/turtle", ".html"),
    ("text/*", ".ttl"),
    ("application/*", ".nt"),
    ("image/png, */*;q=0.1", ".ttl"),
])
def test_entity_iri_answers_303_by_accept(live, accept, suffix):
    headers = {"Accept": accept} if accept is not None else {}
    r = fetch(live, "/id/camp/taishet", headers)
    assert r.status == 303
    assert r.header("Location") == "/id/camp/taishet" + suffix
    assert "accept" in vary(r)


@pytest.mark.parametrize("accept", ["application/pdf", "image/png, text/plain",
                                    "text/turtle;q=0, text/html;q=0, application/*;q=0"])
def test_entity_iri_answers_406_listing_the_offered_types(live, accept):
    r = fetch(live, "/id/camp/taishet", {"Accept": accept})
    assert r.status == 406
    assert r.header("Location") is None
    for t in ENTITY_TYPES:
        assert t in r.text


def test_query_strings_are_not_part_of_the_iri(live):
    r = fetch(live, "/id/camp/taishet?utm_source=x&lang=ja", {"Accept": "text/turtle"})
    assert r.status == 303 and r.header("Location") == "/id/camp/taishet.ttl"
    r = fetch(live, "/id/camp/taishet.ttl?utm_source=x")
    assert r.status == 200 and (TAISHET, RDF.type, SKG.Camp) in parse(r, "turtle")


# --- entity documents -----------------------------------------------------------------------

@pytest.mark.parametrize("suffix", list(RDF_FORMATS))
def test_suffix_documents_serve_the_bounded_description(live, suffix):
    ctype, fmt = RDF_FORMATS[suffix]
    r = fetch(live, "/id/camp/taishet" + suffix, {"Accept": "application/pdf"})  # suffix wins
    assert r.status == 200
    assert r.header("Content-Type") == ctype
    assert r.header("Content-Location") == "/id/camp/taishet" + suffix
    assert r.header("ETag")
    link = r.header("Link")
    for other in [s for s in [*RDF_FORMATS, ".html"] if s != suffix]:
        assert f"</id/camp/taishet{other}>; rel=\"alternate\"" in link
    assert f"</id/camp/taishet{suffix}>" not in link
    g = parse(r, fmt)
    # its statements, with every label, and where each comes from
    assert (TAISHET, RDF.type, SKG.Camp) in g
    assert (TAISHET, SKOS.prefLabel, Literal("Baikal-Amur Mainline camp at Taishet", lang="en")) in g
    assert (TAISHET, SKOS.altLabel, Literal("Baikal-Amur Mainline camp at Tayshet", lang="en")) in g
    cit = URIRef(BASE + "id/citation/s000-bam")
    assert (TAISHET, SKG.citation, cit) in g
    assert (cit, SKG.source, URIRef(BASE + "id/source/s000")) in g
    assert (cit, SKG.locator, None) in g
    assert (URIRef(BASE + "id/source/s000"), RDF.type, SKG.SourceDocument) in g
    # the document says what it is about
    doc = URIRef(BASE + "id/camp/taishet" + suffix)
    assert (doc, FOAF.primaryTopic, TAISHET) in g
    assert (None, HYDRA.next, None) not in g  # nothing is cut here


def test_all_rdf_formats_carry_the_same_graph(live):
    graphs = []
    for suffix, (_, fmt) in RDF_FORMATS.items():
        g = parse(fetch(live, "/id/person/s-i-kuznetsov" + suffix), fmt)
        doc = URIRef(BASE + "id/person/s-i-kuznetsov" + suffix)
        assert (doc, FOAF.primaryTopic, URIRef(BASE + "id/person/s-i-kuznetsov")) in g
        g.remove((doc, None, None))  # each document names itself; the rest is the same
        graphs.append(g)
    assert len(graphs[0]) > 20
    for g in graphs[1:]:
        assert isomorphic(graphs[0], g)


def test_description_holds_labels_in_every_language_estimates_and_inbound_links(live):
    internment = URIRef(BASE + "id/event/siberian-internment")
    g = parse(fetch(live, "/id/event/siberian-internment.ttl"), "turtle")
    langs = {o.language for o in g.objects(internment, SKOS.prefLabel)}
    assert {"en", "ja"} <= langs
    # every estimate about the internment, with its own statements and its citation
    estimates = set(g.subjects(SKG.about, internment)) & set(g.subjects(RDF.type, SKG.Estimate))
    assert len(estimates) > 10
    nimmo = URIRef(BASE + "id/estimate/s000-died-nimmo")
    assert nimmo in estimates
    assert (nimmo, SKG.measure, SKG.NumberDied) in g
    assert (nimmo, SKG.citation, URIRef(BASE + "id/citation/s000-deaths")) in g
    assert (URIRef(BASE + "id/citation/s000-deaths"), SKG.source, None) in g
    # inbound links: things that point at the internment from other entities
    inbound = {(s, p) for s, p, o in g.triples((None, None, internment)) if s != internment}
    assert any(p == URIRef("https://schema.org/superEvent") for _, p in inbound)


def test_estimates_by_a_person_are_in_their_description(live):
    nimmo = URIRef(BASE + "id/person/william-f-nimmo")
    g = parse(fetch(live, "/id/person/william-f-nimmo.ttl"), "turtle")
    est = URIRef(BASE + "id/estimate/s000-died-nimmo")
    assert (est, SKG.estimatedBy, nimmo) in g
    assert (est, URIRef("https://schema.org/value"), None) in g


def test_html_document(live):
    r = fetch(live, "/id/camp/taishet.html")
    assert r.status == 200
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("Content-Location") == "/id/camp/taishet.html"
    assert "Taishet" in r.text
    assert '</id/camp/taishet.ttl>; rel="alternate"' in r.header("Link")


@pytest.mark.parametrize("path", ["/id/camp/taishet.ttl", "/id/camp/taishet.jsonld",
                                  "/id/camp/taishet.html", "/ontology.ttl", "/ontology.html",
                                  "/id/dataset/siberia-kg.ttl", "/shapes.ttl"])
def test_etag_gives_304(live, path):
    r = fetch(live, path)
    etag = r.header("ETag")
    assert r.status == 200 and etag
    again = fetch(live, path, {"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.header("ETag") == etag
    weak = fetch(live, path, {"If-None-Match": f'"nope", W/{etag}'})
    assert weak.status == 304
    assert fetch(live, path, {"If-None-Match": '"something-else"'}).status == 200


@pytest.mark.parametrize("path, headers", [
    ("/id/camp/taishet", {}),
    ("/id/camp/taishet", {"Accept": FIREFOX}),
    ("/id/camp/taishet", {"Accept": "application/pdf"}),
    ("/id/camp/taishet.ttl", {}),
    ("/id/camp/taishet.rdf", {}),
    ("/id/camp/taishet.html", {}),
    ("/id/camp/no-such-camp", {}),
    ("/id/camp/no-such-camp", {"Accept": "text/html"}),
    ("/id/nokind/x", {}),
    ("/ontology", {}),
    ("/ontology", {"Accept": "text/html"}),
    ("/ontology.jsonld", {}),
    ("/shapes.ttl", {}),
    ("/.well-known/void", {}),
    ("/.well-known/void", {"Accept": "application/ld+json"}),
    ("/id/dataset/siberia-kg", {}),
    ("/id/dataset/siberia-kg.nt", {}),
])
def test_head_gives_the_headers_of_get_without_a_body(live, path, headers):
    same_headers_without_body(live, path, headers)


# --- not found ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/id/camp/no-such-camp", "/id/camp/no-such-camp.ttl", "/id/camp/no-such-camp.html",
    "/id/spaceship/taishet", "/id/spaceship/taishet.ttl", "/id/camp/taishet/more",
    "/id/", "/id", "/id/camp/", "/id/camp/taishet.pdf",
])
def test_unknown_entities_and_kinds_are_404(live, path):
    plain = fetch(live, path, {"Accept": "text/turtle"})
    assert plain.status == 404
    assert plain.header("Content-Type").startswith("text/plain")
    page = fetch(live, path, {"Accept": FIREFOX})
    assert page.status == 404
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert "<html" in page.text.lower()


def test_non_ascii_paths_are_404_never_a_crash(live):
    for path in ["/id/camp/%E6%9D%B1%E4%BA%AC", "/id/camp/%E6%9D%B1%E4%BA%AC.ttl",
                 "/id/%D0%BB%D0%B0%D0%B3%D0%B5%D1%80%D1%8C/x", "/id/camp/taishet%0D%0AX:%201",
                 "/id/camp/%3Cscript%3E"]:
        for accept in ("text/html", "text/turtle", "*/*"):
            r = fetch(live, path, {"Accept": accept})
            assert r.status == 404, path
            assert r.header("Location") is None
            if r.header("Content-Type").startswith("text/html"):
                assert "<script>" not in r.text
                if "%3Cscript" in path:
                    assert "&lt;script&gt;" in r.text


def test_raw_non_ascii_bytes_in_the_request_line_are_refused_cleanly(live):
    url = urlsplit(live.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall("GET /id/camp/東京 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    assert 400 <= status < 500
    assert b"\nlocation:" not in data.lower()


def test_page_must_be_a_positive_integer(live):
    for bad in ("0", "-1", "abc", "1.5", "%E4%B8%80"):
        r = fetch(live, f"/id/camp/taishet.ttl?page={bad}")
        assert r.status == 400, bad
    r = fetch(live, "/id/camp/taishet.ttl?page=2")
    assert r.status == 404 and "page 2" in r.text


# --- paging of inbound links ----------------------------------------------------------------

@pytest.fixture(scope="module")
def paged(built, tmp_path_factory):
    """A server that cuts inbound links into pages of 7."""
    log = tmp_path_factory.mktemp("paged") / "server.log"
    server = start_server(built.out_dir, log, env={"SIBERIA_KG_PAGE_SIZE": "7"})
    yield server
    stop_server(server)


def test_truncated_descriptions_say_so_in_the_data(paged):
    internment = URIRef(BASE + "id/event/siberian-internment")
    doc = BASE + "id/event/siberian-internment.ttl"
    seen: set = set()
    page, total, pages = 1, None, 0
    while True:
        r = fetch(paged, "/id/event/siberian-internment.ttl" + (f"?page={page}" if page > 1 else ""))
        assert r.status == 200
        g = parse(r, "turtle")
        me = URIRef(doc if page == 1 else f"{doc}?page={page}")
        assert (me, RDF.type, HYDRA.PartialCollectionView) in g
        assert (me, FOAF.primaryTopic, internment) in g
        comment = str(g.value(me, RDFS.comment))
        assert comment.startswith("Truncated") and f"page {page} of" in comment
        collection = URIRef(f"{internment}#inbound-links")
        total = int(g.value(collection, HYDRA.totalItems))
        assert (collection, HYDRA.view, me) in g
        assert (me, HYDRA.first, URIRef(doc)) in g
        # this page's links, plus the estimates about the internment (always in full), whose
        # links are inbound links too: together the pages hold every link exactly
        seen |= {(s, p) for s, p, o in g.triples((None, None, internment))
                 if s not in (internment, me)}
        pages += 1
        if page > 1:
            prev = f"{doc}?page={page - 1}" if page > 2 else doc
            assert (me, HYDRA.previous, URIRef(prev)) in g
        nxt = g.value(me, HYDRA["next"])
        if nxt is None:
            assert (me, HYDRA.last, me) in g
            break
        assert str(nxt) == f"{doc}?page={page + 1}"
        page += 1
        assert page < 100
    assert pages == -(-total // 7) and pages > 1
    assert len(seen) == total


def test_the_303_keeps_the_page(paged):
    r = fetch(paged, "/id/event/siberian-internment?page=2&x=1", {"Accept": "application/ld+json"})
    assert r.status == 303
    assert r.header("Location") == "/id/event/siberian-internment.jsonld?page=2"
    r = fetch(paged, "/id/event/siberian-internment.nt?page=2")
    assert r.status == 200
    assert r.header("Content-Location") == "/id/event/siberian-internment.nt?page=2"
    assert "/id/event/siberian-internment.ttl?page=2>" in r.header("Link")


def test_a_page_past_the_last_is_404(paged):
    assert fetch(paged, "/id/event/siberian-internment.ttl?page=9999").status == 404


# --- the ontology ---------------------------------------------------------------------------

@pytest.mark.parametrize("accept, ctype, location", [
    (None, "text/turtle; charset=utf-8", "/ontology.ttl"),
    ("*/*", "text/turtle; charset=utf-8", "/ontology.ttl"),
    ("text/turtle", "text/turtle; charset=utf-8", "/ontology.ttl"),
    (FIREFOX, "text/html; charset=utf-8", "/ontology.html"),
    ("text/html;q=0.5, application/ld+json", "application/ld+json", "/ontology.jsonld"),
    ("application/n-triples", "application/n-triples", "/ontology.nt"),
    ("application/rdf+xml", "application/rdf+xml; charset=utf-8", "/ontology.rdf"),
])
def test_ontology_iri_by_accept(live, built, accept, ctype, location):
    r = fetch(live, "/ontology", {"Accept": accept} if accept else {})
    assert r.status == 200
    assert r.header("Content-Type") == ctype
    assert r.header("Content-Location") == location
    assert "accept" in vary(r)
    if location == "/ontology.ttl":
        assert r.body == (built.out_dir / "siberia-kg-ontology.ttl").read_bytes()


def test_ontology_406(live):
    r = fetch(live, "/ontology", {"Accept": "application/pdf"})
    assert r.status == 406
    for t in ENTITY_TYPES:
        assert t in r.text


def test_ontology_serialisations_agree(live, ontology):
    for suffix, (ctype, fmt) in RDF_FORMATS.items():
        r = fetch(live, "/ontology" + suffix)
        assert r.status == 200 and r.header("Content-Type") == ctype
        assert r.header("Content-Location") == "/ontology" + suffix
        assert "accept" not in vary(r)
        assert isomorphic(parse(r, fmt), ontology), suffix


def test_ontology_documentation_page(live, ontology):
    r = fetch(live, "/ontology.html")
    assert r.status == 200
    text = r.text
    # every class and property has an anchor named after it, with its labels
    for term in ontology.subjects(RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")):
        if str(term).startswith(str(SKG)):
            assert f'id="{str(term)[len(str(SKG)):]}"' in text
    assert 'id="Camp"' in text and "収容所" in text and 'id="measures"' in text
    assert 'id="NumberDied"' in text and 'id="estimatedBy"' in text
    assert '<a href="/ontology.ttl">' in text


def test_ontology_page_escapes_everything():
    from siberia_kg.web.routes.ontology import documentation

    g = Graph()
    evil = URIRef(str(SKG) + "Evil")
    g.add((evil, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")))
    g.add((evil, RDFS.label, Literal("<script>alert(1)</script>", lang="en")))
    g.add((evil, RDFS.comment, Literal('" onmouseover="x" & <b>', lang="en")))
    page = documentation(g)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '" onmouseover' not in page and "&amp; &lt;b&gt;" in page


def test_shapes(live):
    r = fetch(live, "/shapes.ttl")
    assert r.status == 200 and r.header("Content-Type") == "text/turtle; charset=utf-8"
    g = parse(r, "turtle")
    assert (None, RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape")) in g


# --- the dataset: /.well-known/void and its IRI ---------------------------------------------

DATASET = URIRef(BASE + "id/dataset/siberia-kg")


@pytest.mark.parametrize("accept, suffix", [
    (None, ".ttl"), ("*/*", ".ttl"), ("text/turtle", ".ttl"), ("application/n-triples", ".nt"),
    ("application/ld+json", ".jsonld"), ("application/rdf+xml;q=0.9, text/turtle;q=0.2", ".rdf"),
])
def test_well_known_void_by_accept(live, accept, suffix):
    r = fetch(live, "/.well-known/void", {"Accept": accept} if accept else {})
    ctype, fmt = RDF_FORMATS[suffix]
    assert r.status == 200
    assert r.header("Content-Type") == ctype
    assert r.header("Content-Location") == "/id/dataset/siberia-kg" + suffix
    assert "accept" in vary(r)
    g = parse(r, fmt)
    assert (DATASET, RDF.type, VOID.Dataset) in g
    assert (DATASET, VOID.dataDump, URIRef(BASE + "dumps/siberia-kg.nq")) in g


def test_well_known_void_is_the_build_file_in_turtle(live, built):
    assert fetch(live, "/.well-known/void").body == (built.out_dir / "void.ttl").read_bytes()


@pytest.mark.parametrize("path", ["/.well-known/void", "/id/dataset/siberia-kg"])
def test_dataset_description_for_browsers_and_unknown_types(live, path):
    r = fetch(live, path, {"Accept": FIREFOX})
    assert r.status == 303 and r.header("Location") == "/"
    assert "accept" in vary(r)
    r = fetch(live, path, {"Accept": "application/pdf"})
    assert r.status == 406
    for t in ENTITY_TYPES:
        assert t in r.text


@pytest.mark.parametrize("accept, suffix", [
    (None, ".ttl"), ("*/*", ".ttl"), ("application/ld+json", ".jsonld"),
    ("application/n-triples", ".nt"), ("application/rdf+xml", ".rdf"), ("text/*", ".ttl"),
])
def test_dataset_iri_answers_303(live, accept, suffix):
    r = fetch(live, "/id/dataset/siberia-kg", {"Accept": accept} if accept else {})
    assert r.status == 303
    assert r.header("Location") == "/id/dataset/siberia-kg" + suffix
    assert "accept" in vary(r)
    doc = fetch(live, r.header("Location"))
    ctype, fmt = RDF_FORMATS[suffix]
    assert doc.status == 200 and doc.header("Content-Type") == ctype
    assert doc.header("Content-Location") == "/id/dataset/siberia-kg" + suffix
    assert (DATASET, RDF.type, VOID.Dataset) in parse(doc, fmt)


def test_dataset_html_suffix_goes_to_the_landing_page(live):
    r = fetch(live, "/id/dataset/siberia-kg.html")
    assert r.status == 303 and r.header("Location") == "/"


def test_other_datasets_are_ordinary_entities(live):
    r = fetch(live, "/id/dataset/repatriation-s000")
    assert r.status == 303 and r.header("Location") == "/id/dataset/repatriation-s000.ttl"
    g = parse(fetch(live, "/id/dataset/repatriation-s000.ttl"), "turtle")
    qb = Namespace("http://purl.org/linked-data/cube#")
    assert (URIRef(BASE + "id/dataset/repatriation-s000"), RDF.type, qb.DataSet) in g


# --- the configured base, never the Host header ---------------------------------------------

OTHER_BASE = "http://example.org/kg/"


@pytest.fixture(scope="module")
def rebased(tmp_path_factory):
    from siberia_kg.build import build

    root = tmp_path_factory.mktemp("rebased")
    settings = Settings(base=OTHER_BASE, out_dir=root / "dist")
    build(settings)
    server = start_server(settings.out_dir, root / "server.log", base=OTHER_BASE)
    yield server
    stop_server(server)


def test_base_comes_from_configuration_not_from_host(rebased):
    bogus = {"Host": "evil.example:666", "X-Forwarded-Host": "evil2.example"}
    r = fetch(rebased, "/id/camp/taishet", {**bogus, "Accept": "text/turtle"})
    assert r.status == 303 and r.header("Location") == "/id/camp/taishet.ttl"
    r = fetch(rebased, "/id/camp/taishet.ttl", bogus)
    assert r.status == 200
    assert "evil" not in r.text and "w3id.org/siberia-kg/id/" not in r.text
    g = parse(r, "turtle")
    me = URIRef(OTHER_BASE + "id/camp/taishet")
    assert (me, RDF.type, SKG.Camp) in g
    assert (me, SKG.citation, URIRef(OTHER_BASE + "id/citation/s000-bam")) in g
    assert (URIRef(OTHER_BASE + "id/camp/taishet.ttl"), FOAF.primaryTopic, me) in g
    # the dataset IRI is the rebased one too
    r = fetch(rebased, "/id/dataset/siberia-kg.ttl", bogus)
    assert (URIRef(OTHER_BASE + "id/dataset/siberia-kg"), RDF.type, VOID.Dataset) in parse(r, "turtle")
    assert "evil" not in r.text
    r = fetch(rebased, "/dumps/", {**bogus, "Accept": "application/json"})
    assert f'"{OTHER_BASE}dumps/siberia-kg.nq"' in r.text and "evil" not in r.text


# --- the services the HTML pages share, called directly -------------------------------------

@pytest.fixture(scope="module")
def state(store):
    from types import SimpleNamespace

    from siberia_kg.web.config import ServerConfig

    return SimpleNamespace(store=store, base=BASE, config=ServerConfig(page_size=5))


def test_describe_structure(state):
    from siberia_kg.web import services

    assert services.describe(state, BASE + "id/camp/no-such-camp") is None
    assert services.describe(state, "not an iri") is None
    d = services.describe(state, BASE + "id/camp/taishet")
    assert d.kind == "camp" and str(SKG.Camp) in d.types
    assert d.labels["en"]["pref"] == "Baikal-Amur Mainline camp at Taishet"
    assert "Baikal-Amur Mainline camp at Tayshet" in d.labels["en"]["alt"]
    contained = [st for st in d.statements if st.predicate == URIRef("https://schema.org/containedInPlace")]
    assert contained and contained[0].citations == [BASE + "id/citation/s000-bam",
                                                     BASE + "id/citation/s001-bam"]
    info = d.citations[BASE + "id/citation/s000-bam"]
    assert info.source == BASE + "id/source/s000" and info.locator and info.source_title
    assert d.names[BASE + "id/place/taishet"]["en"] == "Taishet"
    assert d.name(str(SKG.laborProject)) == "labour project"  # ontology terms are named too
    assert d.label("ja") == d.label("en")  # no Japanese label: English


def test_describe_pages_and_out_of_range(state):
    from siberia_kg.web import services

    iri = BASE + "id/event/siberian-internment"
    first = services.describe(state, iri)
    assert first.truncated and first.page == 1 and len(first.inbound) == 5
    assert first.pages == -(-first.inbound_total // 5)
    last = services.describe(state, iri, first.pages)
    assert 1 <= len(last.inbound) <= 5
    with pytest.raises(services.PageOutOfRange):
        services.describe(state, iri, first.pages + 1)
    assert any(est.iri.endswith("s000-died-nimmo") and str(SKG.about) in est.via
               for est in first.estimates)


def test_exists_instances_and_classes(state):
    from siberia_kg.web import services

    assert services.exists(state, str(TAISHET))
    assert not services.exists(state, BASE + "id/camp/nowhere")
    assert not services.exists(state, "https://w3id.org/siberia-kg/ontology")  # only in the ontology graph
    camps = services.instances(state, str(SKG.Camp))
    assert str(TAISHET) in {c.iri for c in camps}
    assert [c.label.casefold() for c in camps] == sorted(c.label.casefold() for c in camps)
    counts = {c.iri: c.count for c in services.classes(state)}
    assert counts[str(SKG.Camp)] == len(camps)


def test_fallback_entity_page_escapes_everything(state):
    from siberia_kg.web import services
    from siberia_kg.web.routes.entity import fallback_entity_page

    d = services.describe(state, str(TAISHET))
    d.statements.append(services.Statement(RDFS.comment, Literal('<img src=x onerror="alert(1)">')))
    page = fallback_entity_page(d, BASE, [("/id/camp/taishet.ttl", "text/turtle")])
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert 'href="/id/place/taishet"' in page and 'href="/id/camp/taishet.ttl"' in page
    assert "Baikal-Amur Mainline camp at Taishet" in page
