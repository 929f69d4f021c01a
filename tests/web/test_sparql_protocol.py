"""The W3C SPARQL 1.1 Protocol test suite, driven from its manifest, against a real server on
loopback; then the rest of the protocol surface (methods, media types, negotiation, the service
description) against the server of the real build.

The conformance server serves a dist folder built here from the suite's data: data1.nt..data3.nt
as named graphs named by the manifest's ``ut:graphData`` labels, an empty ontology, the dumps
and a build marker. The marker records the project's current input digest, so that ``serve``
takes the folder as up to date instead of rebuilding the real data over it.

The endpoint is read-only, so the manifest's update requests (which expect 2xx on a read-write
endpoint) must get 4xx here (conformance README; SPARQL 1.1 Protocol section 2.2 leaves
updates to services that offer them), and the ASK that follows each checks that nothing was
written: it must answer false where the suite, after a successful update, expects true.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from siberia_kg import __version__
from siberia_kg.build import DUMP_NAME, FLAT, MARKER, ONTOLOGY_DUMP, QUADS, input_digest
from siberia_kg.config import Settings
from siberia_kg.describe import describe
from siberia_kg.dumps import FORMATS, serialize_quads, serialize_triples, sorted_quads, sorted_triples
from siberia_kg.namespaces import all_prefixes

from .conftest import start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT.parent / "shared" / "conformance" / "w3c-sparql11-protocol"
MANIFEST = SUITE / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")

RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values"}
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt",
             "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
SRX = "{http://www.w3.org/2005/sparql-results#}"


# --- the manifest ----------------------------------------------------------------------------

def _manifest() -> Graph:
    return Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())


def _list(g: Graph, node) -> list:
    return list(Collection(g, node)) if node is not None else []


def load_cases() -> list[dict]:
    g = _manifest()
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    cases = []
    for test in _list(g, g.value(manifest, MF.entries)):
        requests = []
        action = g.value(test, MF.action)
        for req in _list(g, g.value(action, HT.requests)):
            headers = {}
            for h in _list(g, g.value(req, HT.headers)):
                headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = g.value(req, HT.body)
            resp = g.value(req, HT.resp)
            boolean = g.value(resp, MF.expectedBoolean)
            fmt = g.value(resp, MF.expectedFormat)
            requests.append({
                "path": str(g.value(req, HT.absolutePath)),
                "method": str(g.value(req, HT.methodName)),
                "headers": headers,
                "body": None if body is None else str(g.value(body, CNT.chars)),
                "encoding": None if body is None else str(g.value(body, CNT.characterEncoding)),
                "status": sorted(str(s)[len(HTS):] for s in g.objects(resp, MF.expectedStatus)),
                "format": None if fmt is None else str(fmt),
                "boolean": None if boolean is None else bool(boolean.toPython()),
            })
        graphs = {str(g.value(d, RDFS.label)): Path(str(g.value(d, UT.graph)).replace("file://", ""))
                  for d in g.objects(test, UT.graphData)}
        cases.append({"id": str(test).rpartition("#")[2], "name": str(g.value(test, MF.name)),
                      "requests": requests, "graphs": graphs})
    return cases


CASES = load_cases()


def all_graph_data() -> dict[str, Path]:
    graphs: dict[str, Path] = {}
    for case in CASES:
        graphs.update(case["graphs"])
    return graphs


def test_manifest_is_read_whole():
    """Every entry becomes a case, each with at least one request and an expected status."""
    g = _manifest()
    assert len(CASES) == len(list(g.subjects(RDF.type, MF.ProtocolTest))) == 34
    assert all(c["requests"] and all(r["status"] for r in c["requests"]) for c in CASES)
    assert set(all_graph_data()) == {f"http://kasei.us/2009/09/sparql/data/data{i}.rdf"
                                     for i in (1, 2, 3)}


# --- a dist folder holding the suite's data ---------------------------------------------------

def write_conformance_dist(out: Path) -> Path:
    settings = Settings(out_dir=out)
    prefixes = all_prefixes(settings.base)
    quads = []
    for label, path in sorted(all_graph_data().items()):
        for s, p, o in Graph().parse(path, format="nt"):
            quads.append((s, p, o, URIRef(label)))
    quads = sorted_quads(quads)
    triples = sorted_triples(quads)
    out.mkdir(parents=True)
    files = {}

    def write(name: str, data: bytes, media: str, title: str, statements: int) -> None:
        (out / name).write_bytes(data)
        files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                       "media_type": media, "title": title, "statements": statements}

    for fmt in FLAT + QUADS:
        suffix, media, _ = FORMATS[fmt]
        data = (serialize_quads(quads, fmt, prefixes) if fmt in QUADS
                else serialize_triples(triples, fmt, prefixes))
        write(f"{DUMP_NAME}{suffix}", data, media, f"W3C protocol test data ({fmt})",
              len(quads) if fmt in QUADS else len(triples))
    write(ONTOLOGY_DUMP, b"# no ontology: the W3C protocol test data only\n", "text/turtle",
          "empty ontology", 0)
    union = Graph()
    for s, p, o in triples:
        union.add((s, p, o))
    dumps = [{"name": k, **v} for k, v in files.items()]
    void = describe(union, settings.base, dumps, [])
    write("void.ttl", serialize_triples(sorted_triples((s, p, o, None) for s, p, o in void),
                                        "turtle", prefixes),
          "text/turtle", "VoID", len(void))
    marker = {"tool": "siberia-kg", "version": __version__, "base": settings.base,
              "input": input_digest(settings), "files": files}
    (out / MARKER).write_text(json.dumps(marker, indent=1, sort_keys=True) + "\n")
    return out


@pytest.fixture(scope="module")
def conformance(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w3c-protocol")
    dist = write_conformance_dist(folder / "dist")
    server = start_server(dist, folder / "server.log")
    yield server
    stop_server(server)
    # serve must not have rebuilt the real data over the suite's
    assert (dist / f"{DUMP_NAME}.nq").read_bytes().count(b"\n") == 3


# --- sending the manifest's requests ---------------------------------------------------------

def send(url: str, method: str, path: str, headers: dict | None = None,
         body: bytes | None = None) -> tuple[int, dict, bytes]:
    """One raw HTTP request: http.client adds no Content-Type of its own, which the tests of
    requests without a media type need."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def is_update(req: dict) -> bool:
    ctype = req["headers"].get("content-type", "")
    form = req["body"] if ctype.startswith("application/x-www-form-urlencoded") else ""
    query = urlsplit(req["path"]).query
    return (ctype.startswith("application/sparql-update") or "update" in parse_qs(form)
            or "update" in parse_qs(query))


def media(headers: dict) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def read_boolean(headers: dict, body: bytes) -> bool:
    kind = media(headers)
    assert kind in BOOLEAN_TYPES, f"a boolean result as {kind!r}"
    if kind.endswith("json"):
        doc = json.loads(body)
        assert doc["head"] == {} or "vars" not in doc["head"] or doc["head"]["vars"] == []
        return doc["boolean"]
    root = ET.fromstring(body)
    return root.find(f"{SRX}boolean").text.strip() == "true"


def read_table(headers: dict, body: bytes) -> tuple[list[str], list[dict]]:
    kind = media(headers)
    assert kind in RESULT_TYPES, f"a SELECT result as {kind!r}"
    text = body.decode("utf-8")
    if kind.endswith("json"):
        doc = json.loads(text)
        return doc["head"]["vars"], [{k: v["value"] for k, v in b.items()}
                                     for b in doc["results"]["bindings"]]
    if kind.endswith("xml"):
        root = ET.fromstring(body)
        names = [v.get("name") for v in root.find(f"{SRX}head")]
        rows = [{b.get("name"): b[0].text for b in r} for r in root.find(f"{SRX}results")]
        return names, rows
    if kind == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    lines = text.rstrip("\n").split("\n")
    names = [v.lstrip("?") for v in lines[0].split("\t")]
    return names, [dict(zip(names, line.split("\t"))) for line in lines[1:]]


def read_graph(headers: dict, body: bytes) -> Graph:
    kind = media(headers)
    assert kind in RDF_TYPES, f"an RDF result as {kind!r}"
    return Graph().parse(data=body.decode("utf-8"), format=RDF_TYPES[kind])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_w3c_protocol(conformance, case):
    """One test of the W3C manifest: its requests in order, each checked against the expected
    status class, result format and boolean (with updates refused: see the module doc)."""
    refused_update = False
    for req in case["requests"]:
        path = "/sparql" + req["path"][len("/sparql/"):] if req["path"].startswith(
            "/sparql/") else req["path"]
        body = None if req["body"] is None else req["body"].encode(req["encoding"] or "utf-8")
        status, headers, payload = send(conformance.url, req["method"], path, req["headers"], body)
        detail = f"{case['name']}: {req['method']} {path} -> {status} {payload[:300]!r}"
        assert status < 500, detail
        expected = set(req["status"])
        if is_update(req):
            # read-only endpoint: the update must be refused with 4xx, whatever a read-write
            # endpoint would answer
            assert status // 100 == 4, detail
            refused_update = True
            continue
        assert f"{status // 100}xx" in expected, detail
        if status // 100 != 2:
            continue
        if req["format"] == "boolean":
            value = read_boolean(headers, payload)
            if req["boolean"] is not None:
                # after a refused update, the graph it would have written does not exist
                assert value is (False if refused_update else req["boolean"]), detail
        elif req["format"] == "tabular":
            names, rows = read_table(headers, payload)
            assert names == ["value"] and [r["value"] for r in rows] == ["1"], detail
        elif req["format"] == "RDF":
            g = read_graph(headers, payload)
            if "CONSTRUCT" in (req["body"] or ""):
                # <s> <p> 1, relative IRIs resolved against the endpoint IRI
                assert set(g) == {(URIRef("https://w3id.org/siberia-kg/s"),
                                   URIRef("https://w3id.org/siberia-kg/p"), Literal(1))}, detail
            else:
                assert len(g) == 0, detail  # DESCRIBE of an IRI the data does not hold


def test_w3c_data_is_served_as_named_graphs(conformance):
    """The union default graph holds the three documents; each sits in the graph named by its
    manifest label, and only there."""
    q = "SELECT ?g ?s { GRAPH ?g { ?s a <http://xmlns.com/foaf/0.1/Document> } } ORDER BY ?g"
    status, headers, body = send(conformance.url, "GET", "/sparql?query=" + quote(q))
    assert status == 200
    _, rows = read_table(headers, body)
    assert [(r["g"], r["s"]) for r in rows] == [
        (f"http://kasei.us/2009/09/sparql/data/data{i}.rdf",) * 2 for i in (1, 2, 3)]


# --- the rest of the protocol surface, on the real build -------------------------------------

SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/siberia-kg/ontology#Camp> } LIMIT 3"
CONSTRUCT = ("CONSTRUCT { ?s a <https://w3id.org/siberia-kg/ontology#Camp> } "
             "WHERE { ?s a <https://w3id.org/siberia-kg/ontology#Camp> } LIMIT 3")
FORM = {"content-type": "application/x-www-form-urlencoded"}


def get(live, query: str, accept: str | None = None, extra: str = ""):
    headers = {"accept": accept} if accept else {}
    return send(live.url, "GET", "/sparql?query=" + quote(query) + extra, headers)


@pytest.mark.parametrize("method", ["GET", "FORM", "DIRECT"])
def test_three_ways_to_ask_give_one_answer(live, method):
    if method == "GET":
        status, headers, body = get(live, SELECT)
    elif method == "FORM":
        status, headers, body = send(live.url, "POST", "/sparql", FORM,
                                     ("query=" + quote(SELECT)).encode())
    else:
        status, headers, body = send(live.url, "POST", "/sparql",
                                     {"content-type": "application/sparql-query; charset=UTF-8"},
                                     SELECT.encode())
    assert status == 200 and media(headers) == "application/sparql-results+json"
    names, rows = read_table(headers, body)
    assert names == ["s"] and len(rows) == 3
    assert all(r["s"].startswith("https://w3id.org/siberia-kg/id/camp/") for r in rows)


@pytest.mark.parametrize("accept,expected", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("application/sparql-results+json;q=0.1, text/*;q=0.8", "text/csv"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
     "application/sparql-results+xml"),
])
def test_select_negotiates_by_accept(live, accept, expected):
    status, headers, body = get(live, SELECT, accept)
    assert status == 200 and media(headers) == expected
    assert "accept" in headers["vary"].lower()
    names, rows = read_table(headers, body)
    assert names == ["s"] and len(rows) == 3


@pytest.mark.parametrize("accept,expected", [
    (None, "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/rdf+xml;q=0.4, application/n-triples;q=0.6", "application/n-triples"),
])
def test_construct_negotiates_by_accept(live, accept, expected):
    status, headers, body = get(live, CONSTRUCT, accept)
    assert status == 200 and media(headers) == expected
    g = read_graph(headers, body)
    assert len(g) == 3 and all(str(s).startswith("https://w3id.org/siberia-kg/id/camp/")
                               for s in g.subjects())


@pytest.mark.parametrize("fmt,expected", [
    ("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
    ("text/csv", "text/csv")])
def test_format_parameter_wins_over_accept(live, fmt, expected):
    status, headers, _ = get(live, SELECT, "application/sparql-results+json",
                             "&format=" + quote(fmt))
    assert status == 200 and media(headers) == expected


@pytest.mark.parametrize("fmt,expected", [
    ("ttl", "text/turtle"), ("nt", "application/n-triples"), ("jsonld", "application/ld+json"),
    ("rdf", "application/rdf+xml"), ("json", "application/ld+json"), ("xml", "application/rdf+xml")])
def test_format_parameter_for_graphs(live, fmt, expected):
    status, headers, body = get(live, CONSTRUCT, None, "&format=" + fmt)
    assert status == 200 and media(headers) == expected
    assert len(read_graph(headers, body)) == 3


def test_ask_and_describe(live):
    status, headers, body = get(live, "ASK { ?s a <https://w3id.org/siberia-kg/ontology#Camp> }")
    assert status == 200 and read_boolean(headers, body) is True
    status, headers, body = get(live, "ASK { ?s a <http://example.org/Nothing> }",
                                "application/sparql-results+xml")
    assert status == 200 and read_boolean(headers, body) is False
    status, headers, body = get(live, "DESCRIBE <https://w3id.org/siberia-kg/id/camp/taishet>")
    assert status == 200 and media(headers) == "text/turtle"
    g = read_graph(headers, body)
    assert (URIRef("https://w3id.org/siberia-kg/id/camp/taishet"), RDF.type,
            URIRef("https://w3id.org/siberia-kg/ontology#Camp")) in g


def test_406_lists_what_is_offered(live):
    status, headers, body = get(live, SELECT, "image/png")
    assert status == 406 and media(headers) == "text/plain"
    text = body.decode()
    for offered in ("application/sparql-results+json", "application/sparql-results+xml",
                    "text/csv", "text/tab-separated-values"):
        assert offered in text
    status, _, body = get(live, CONSTRUCT, "text/csv")
    assert status == 406 and "text/turtle" in body.decode()
    status, _, body = get(live, SELECT, None, "&format=ttl")
    assert status == 406
    status, _, body = get(live, SELECT, None, "&format=pdf")
    assert status == 400 and "unknown format" in body.decode()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow(live, method):
    status, headers, body = send(live.url, method, "/sparql?query=" + quote("ASK {}"))
    assert status == 405
    assert set(h.strip() for h in headers["allow"].split(",")) >= {"GET", "POST"}
    assert b"not allowed" in body


def test_post_media_types(live):
    status, _, body = send(live.url, "POST", "/sparql", {"content-type": "text/plain"},
                           b"ASK {}")
    assert status == 415 and b"application/sparql-query" in body
    status, _, body = send(live.url, "POST", "/sparql", {}, b"query=ASK%20%7B%7D")
    assert status == 415 and b"Content-Type" in body
    status, _, _ = send(live.url, "POST", "/sparql",
                        {"content-type": "application/sparql-query; charset=UTF-16"},
                        "ASK {}".encode("utf-16"))
    assert status == 415
    status, _, body = send(live.url, "POST", "/sparql",
                           {"content-type": "application/sparql-query"}, b"ASK {\xff}")
    assert status == 400 and b"UTF-8" in body
    status, _, body = send(live.url, "POST", "/sparql", FORM, b"format=json")
    assert status == 400 and b"missing query" in body


def test_protocol_dataset_selects_graphs_of_the_store(live):
    """default-graph-uri / named-graph-uri narrow the dataset to graphs of the store."""
    cit = "https://w3id.org/siberia-kg/id/citation/"
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    status, headers, body = get(live, q, None, "&named-graph-uri=" + quote(cit + "ne-taishet"))
    assert status == 200
    assert [r["g"] for r in read_table(headers, body)[1]] == [cit + "ne-taishet"]
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    status, headers, body = get(live, q, None, "&default-graph-uri=" + quote(cit + "ne-taishet")
                                + "&default-graph-uri=" + quote("http://example.org/absent"))
    n = int(read_table(headers, body)[1][0]["n"])
    status, headers, body = get(live, q.replace("?s ?p ?o", f"GRAPH <{cit}ne-taishet> {{?s ?p ?o}}"))
    assert n == int(read_table(headers, body)[1][0]["n"]) > 0
    status, _, body = get(live, q, None, "&default-graph-uri=not%20an%20iri")
    assert status == 400 and b"default-graph-uri" in body


def test_from_in_the_query_selects_graphs_of_the_store(live):
    cit = "https://w3id.org/siberia-kg/id/citation/ne-taishet"
    q = f"SELECT (COUNT(*) AS ?n) FROM <{cit}> WHERE {{ ?s ?p ?o }}"
    _, headers, body = get(live, q)
    from_count = int(read_table(headers, body)[1][0]["n"])
    _, headers, body = get(live, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{cit}> {{ ?s ?p ?o }} }}")
    assert from_count == int(read_table(headers, body)[1][0]["n"]) > 0
    _, headers, body = get(live, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(read_table(headers, body)[1][0]["n"]) > from_count  # the union, without FROM
    _, headers, body = get(live, f"SELECT ?g FROM NAMED <{cit}> WHERE {{ GRAPH ?g {{}} }}")
    assert [r["g"] for r in read_table(headers, body)[1]] == [cit]


# --- the service description -----------------------------------------------------------------

@pytest.mark.parametrize("accept,fmt", [(None, "turtle"), ("text/turtle", "turtle"),
                                        ("application/n-triples", "nt"),
                                        ("application/ld+json", "json-ld"),
                                        ("application/rdf+xml", "xml")])
def test_service_description(live, store, accept, fmt):
    status, headers, body = send(live.url, "GET", "/sparql", {"accept": accept} if accept else {})
    assert status == 200
    g = Graph().parse(data=body.decode(), format=fmt)
    endpoint = URIRef("https://w3id.org/siberia-kg/sparql")
    assert (endpoint, RDF.type, SD.Service) in g
    assert (endpoint, SD.endpoint, endpoint) in g
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in g
    formats = {str(f).rpartition("/")[2] for f in g.objects(endpoint, SD.resultFormat)}
    assert formats == {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                       "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML"}
    dataset = g.value(endpoint, SD.defaultDataset)
    assert dataset == URIRef("https://w3id.org/siberia-kg/id/dataset/siberia-kg")
    assert (dataset, VOID.sparqlEndpoint, endpoint) in g
    assert (endpoint, RDFS.seeAlso, URIRef("https://w3id.org/siberia-kg/.well-known/void")) in g
    names = {g.value(ng, SD.name) for ng in g.objects(dataset, SD.namedGraph)}
    in_store = {URIRef(r["g"].value) for r in store.raw.query(
        "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")}
    assert names == in_store and len(names) > 10
    assert URIRef("https://w3id.org/siberia-kg/ontology") in names


def test_trailing_slash_is_redirected_keeping_the_method(live):
    status, headers, _ = send(live.url, "POST", "/sparql/?default-graph-uri=x",
                              {"content-type": "application/sparql-query"}, b"ASK {}")
    assert status == 308 and headers["location"] == "/sparql?default-graph-uri=x"


def test_service_description_sends_browsers_to_the_query_page(live):
    status, headers, _ = send(live.url, "GET", "/sparql", {
        "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert status == 303 and headers["location"] == "/query"
    status, _, _ = send(live.url, "GET", "/sparql", {"accept": "image/png"})
    assert status == 406
    status, _, body = send(live.url, "GET", "/sparql?default-graph-uri=" + quote("http://x/"))
    assert status == 400 and b"missing query" in body
