"""SPARQLWrapper, a client in wide use, querying the running server: each answer must equal the
same query run locally on the built store (siberia_kg.query.run_local)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper

from siberia_kg.query import run_local, run_remote

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "queries").glob("*.rq"))

CAMPS = """PREFIX skg: <https://w3id.org/siberia-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?camp ?label WHERE {
  ?camp a skg:Camp ; skos:prefLabel ?label .
} ORDER BY ?camp ?label"""
LABELS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?label WHERE { ?s skos:prefLabel ?label FILTER(LANG(?label) IN ("ja", "ru")) }
ORDER BY ?s ?label"""
CONSTRUCT = """PREFIX skg: <https://w3id.org/siberia-kg/ontology#>
PREFIX schema: <https://schema.org/>
CONSTRUCT { ?camp a skg:Camp ; schema:containedInPlace ?place }
WHERE { ?camp a skg:Camp ; schema:containedInPlace ?place }"""


def client(live, fmt, method=None, only_conneg=False) -> SPARQLWrapper:
    c = SPARQLWrapper(live("/sparql"), agent="siberia-kg tests")
    c.setReturnFormat(fmt)
    c.setTimeout(30)
    if only_conneg:
        c.setOnlyConneg(True)
    if method == "form":
        c.setMethod(POST)
    elif method == "direct":
        c.setMethod(POST)
        c.setRequestMethod(POSTDIRECTLY)
    return c


def term_from_json(b: dict):
    if b["type"] == "uri":
        return URIRef(b["value"])
    if b["type"] == "bnode":
        return BNode(b["value"])
    if "xml:lang" in b:
        return Literal(b["value"], lang=b["xml:lang"])
    return Literal(b["value"], datatype=URIRef(b["datatype"]) if "datatype" in b else None)


def term_from_xml(node):
    kind = node.tagName
    text = "".join(c.data for c in node.childNodes if c.nodeType == c.TEXT_NODE)
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if node.getAttribute("xml:lang"):
        return Literal(text, lang=node.getAttribute("xml:lang"))
    dt = node.getAttribute("datatype")
    return Literal(text, datatype=URIRef(dt) if dt else None)


def local_rows(store, query):
    result = run_local(store, query)
    assert result.kind == "select"
    return result.variables, result.rows


@pytest.mark.parametrize("method", [None, "form", "direct"])
def test_select_json(live, store, method):
    c = client(live, JSON, method)
    c.setQuery(CAMPS)
    doc = c.query().convert()
    variables, rows = local_rows(store, CAMPS)
    assert doc["head"]["vars"] == variables
    remote = [{k: term_from_json(v) for k, v in b.items()} for b in doc["results"]["bindings"]]
    assert remote == rows and len(rows) > 10


@pytest.mark.parametrize("only_conneg", [False, True])
def test_select_xml(live, store, only_conneg):
    c = client(live, XML, only_conneg=only_conneg)
    c.setQuery(LABELS)
    dom = c.query().convert()
    variables, rows = local_rows(store, LABELS)
    assert [v.getAttribute("name") for v in dom.getElementsByTagName("variable")] == variables
    remote = []
    for result in dom.getElementsByTagName("result"):
        row = {}
        for binding in result.getElementsByTagName("binding"):
            value = next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
            row[binding.getAttribute("name")] = term_from_xml(value)
        remote.append(row)
    assert remote == rows
    assert {r["label"].language for r in rows} == {"ja", "ru"}  # non-ASCII made the round trip


@pytest.mark.parametrize("fmt", [CSV, TSV])
def test_select_csv_and_tsv(live, store, fmt):
    c = client(live, fmt)
    c.setQuery(CAMPS)
    raw = c.query().convert().decode("utf-8")
    variables, rows = local_rows(store, CAMPS)
    if fmt == CSV:
        table = list(csv.reader(io.StringIO(raw)))
        assert table[0] == variables
        assert table[1:] == [[str(r.get(v, "")) for v in variables] for r in rows]
    else:
        lines = raw.rstrip("\n").split("\n")
        assert lines[0].split("\t") == [f"?{v}" for v in variables]
        assert lines[1:] == ["\t".join(r[v].n3() for v in variables) for r in rows]


@pytest.mark.parametrize("query,expected", [
    ("ASK { ?c a <https://w3id.org/siberia-kg/ontology#Camp> }", True),
    ("ASK { ?c a <http://example.org/NoSuchClass> }", False),
])
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(live, store, query, expected, fmt):
    c = client(live, fmt)
    c.setQuery(query)
    answer = c.query().convert()
    if fmt == JSON:
        value = answer["boolean"]
    else:
        value = answer.getElementsByTagName("boolean")[0].firstChild.data == "true"
    assert value is expected is run_local(store, query).boolean


@pytest.mark.parametrize("method", [None, "direct"])
def test_construct_turtle(live, store, method):
    c = client(live, TURTLE, method)
    c.setQuery(CONSTRUCT)
    raw = c.query().convert()
    remote = Graph().parse(data=raw.decode("utf-8"), format="turtle")
    local = Graph()
    for t in run_local(store, CONSTRUCT).triples:
        local.add(t)
    assert len(local) > 10 and isomorphic(remote, local)


def test_there_are_sample_queries():
    assert SAMPLES, "queries/ holds no sample query"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_sample_query_answers_as_locally(live, store, path):
    """The project's own remote client (run_remote, SPARQLWrapper inside) against the server,
    for every sample query: the same answer as run_local on the same build."""
    query = path.read_text(encoding="utf-8")
    local = run_local(store, query)
    remote = run_remote(live("/sparql"), query, timeout=30)
    assert remote.kind == local.kind
    if local.kind == "graph":
        assert isomorphic(_graph(remote.triples), _graph(local.triples))
    elif local.kind == "ask":
        assert remote.boolean is local.boolean
    else:
        assert remote.variables == local.variables
        if "ORDER BY" in query.upper():
            assert remote.rows == local.rows
        else:
            assert _multiset(remote.rows) == _multiset(local.rows)


def _graph(triples) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


def _multiset(rows) -> Counter:
    return Counter(tuple(sorted(r.items())) for r in rows)
