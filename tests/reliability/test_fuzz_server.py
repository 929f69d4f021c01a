"""Fuzzing the real server on loopback with generated requests (hypothesis, derandomized).

Five lanes, run one after the other against one server (the real build, a 1 s SPARQL time
limit, see conftest.py); each hypothesis example is a batch of requests sent at once from
several threads over persistent keep-alive connections:

- paths: GET/HEAD on the site's paths and on /id/{kind}/{slug}[.suffix] variants, mangled
  (percent-encoding in either case, %2F, dot segments, doubled slashes, overlong and non-ASCII
  segments, invalid UTF-8 once decoded), with generated query strings and headers;
- headers: the same paths with Accept, Accept-Language, Accept-Encoding, Content-Type, Range,
  If-None-Match, If-Modified-Since, Origin and made-up headers, valid and malformed;
- methods: any method (known, unknown, lower case) with bodies (binary, invalid UTF-8, forms,
  JSON, one over the 1 MB cap);
- sparql: queries from a small grammar (every query form, nested groups, OPTIONAL, UNION,
  MINUS, FILTER expressions, BIND, VALUES, GRAPH, subqueries, property paths, modifiers) with
  random mutations (deleted, inserted, repeated, truncated text, SERVICE, updates, FROM, NUL,
  non-ASCII), sent by GET, by form POST and by direct POST (sometimes with invalid UTF-8);
- raw: hand-made bytes over a fresh socket, for what an HTTP client library will not send
  (raw non-ASCII and control bytes in the request line, odd versions, broken header lines,
  conflicting Content-Length and Transfer-Encoding, malformed chunks, Expect: 100-continue).

Every response must be below 500, except 503/504 from /sparql with Retry-After (a query past
its time limit, or all workers busy: the documented answers); every response carries
X-Content-Type-Options and Content-Security-Policy; no request may hang (client timeout); at
the end the server still answers known-good requests and its log holds no traceback. Counts by
status, lane and method go to test-artifacts/fuzz.json.

The run takes about two minutes on two cores; hypothesis is derandomized, so it sends the same
requests on every run (responses to concurrent requests can still differ, such as which slow
query finds the workers busy).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .conftest import ARTIFACTS, BODY_TIMEOUT, HEADER_TIMEOUT, SPARQL_TIMEOUT

pytestmark = pytest.mark.slow

MIN_REQUESTS = 10_000
BATCH = 4                # requests per hypothesis example, sent at once from BATCH threads
CLIENT_TIMEOUT = 30.0    # a request without an answer by then counts as a hang
HEAD_LIMIT = 64 * 1024   # the server's limit on a request head (above: 400, connection closed)
EXAMPLES = {"paths": 1100, "headers": 550, "methods": 350, "sparql": 650, "raw": 150}

BASE = "https://w3id.org/siberia-kg/"
SLUGS = {
    "camp": ["taishet", "komsomolsk-on-amur-1", "komsomolsk-on-amur-2"],
    "place": ["taishet", "soviet-union", "komsomolsk-on-amur"],
    "person": ["s-i-kuznetsov", "tetsuro-ahiko", "joseph-stalin"],
    "org": ["gupvi", "government-of-russia"],
    "work": ["fumo-chitai", "kuznetsov-1995"],
    "event": ["siberian-internment", "last-major-release-1956", "transfer-to-ussr"],
    "estimate": ["s005-died", "s005-names-dead-total"],
    "claim": ["kuznetsov-paradoxical-phenomenon", "internees-not-pows"],
    "dataset": ["repatriation-s000", "siberia-kg"],
    "observation": ["repatriation-s000-1947"],
    "source": ["s000", "s005"],
    "citation": ["s000-in-fiction", "s005-figures", "ne-taishet"],
}
KINDS = list(SLUGS) + ["nope", "CAMP", "", "ｃａｍｐ"]
SUFFIXES = ["", "", ".html", ".ttl", ".nt", ".jsonld", ".rdf", ".HTML", ".Ttl", ".pdf", ".",
            ".ttl.html", "/", ".html/", "%2Ehtml"]
FIXED = ["/", "/search", "/classes", "/class/skg:Camp", "/class/schema:City", "/class/Camp",
         "/class/skg%3ACamp", "/class/nope:x", "/map", "/timeline", "/stats", "/query",
         "/ontology", "/ontology.ttl", "/ontology.html", "/ontology.nt", "/ontology.jsonld",
         "/ontology.rdf", "/shapes.ttl", "/dumps", "/dumps/", "/dumps/siberia-kg.ttl",
         "/dumps/siberia-kg.nq", "/dumps/siberia-kg.jsonld", "/dumps/void.ttl",
         "/dumps/siberia-kg-ontology.ttl", "/dumps/nothing.ttl", "/.well-known/void",
         "/id/dataset/siberia-kg", "/id/dataset/siberia-kg.html", "/id/dataset/siberia-kg.ttl",
         "/sparql", "/sparql/", "/reconcile", "/reconcile/preview", "/reconcile/flyout/entity",
         "/reconcile/suggest/entity", "/reconcile/suggest/type", "/reconcile/suggest/property",
         "/reconcile/extend/propose", "/reconcile/1.0-draft", "/reconcile/1.0-draft/reconcile",
         "/reconcile/1.0-draft/extend", "/reconcile/1.0-draft/suggest/entity",
         "/static/site.css", "/static/search.js", "/static/nothing.js",
         "/vendor/leaflet/leaflet.js", "/vendor/yasgui/yasgui.min.js", "/favicon.ico",
         "/robots.txt", "/id", "/id/", "/id/camp", "/id/camp/", "/openapi.json", "/index.html"]
QUERY_KEYS = ["page", "lang", "q", "format", "limit", "sample", "query", "queries", "callback",
              "prefix", "type", "id", "extend", "default-graph-uri", "named-graph-uri", "update",
              "cursor", "x", ""]
QUERY_VALUES = ["1", "2", "0", "-1", "999999999", "9" * 30, "1.5", "+2", "２", "en", "ja", "ru",
                "xx", "json", "html", "ttl", "csv", "text/turtle", "skg:Camp", "taishet",
                "タイシェト", "Тайшет", "fumō", "<script>alert(1)</script>", '{"q0":{"query":"Taishet"}}',
                "{", "[]", "null", "cb", "jQuery_1.x", "a.b.c", "alert(1)//", "http://x/",
                "https://w3id.org/siberia-kg/id/camp/taishet", "camp/taishet", " ", ""]
RAW_QUERY_TAILS = ["%ff", "%", "%%", "%zz", "%00", "%e6%97", "&&", "==", "+", "a=1&a=2&a=3",
                   "q=%c0%af", "lang=%ff", "page=%ef%bc%92", ";", "&" * 50]

MEDIA = ["text/html", "text/turtle", "application/n-triples", "application/ld+json",
         "application/rdf+xml", "application/json", "application/sparql-results+json",
         "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
         "text/plain", "application/xml", "text/xml", "image/png", "*/*", "text/*",
         "application/*", "*/html", "text", "text/html/x", ""]
ACCEPT_JUNK = ["text/html;q=2", "text/html;q=abc", "text/html;q=-1", "text/html;q=0.0001",
               "text/html;q=", ";;;,,,", "*/*;q=0", "text/turtle;q=0, */*;q=0", "text/html;level=1",
               'application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"',
               'text/html;x="a,b;c"', 'text/html;x="unterminated', ",".join(["text/plain"] * 300),
               "TEXT/HTML", "text/html ; q = 0.5", "\u00e9/\u00e9"]
LANGS = ["ja", "ru", "en", "ja-JP,ja;q=0.9,en;q=0.5", "*", "xx-YY", "ja;q=x", "", "ru;q=1.0001",
         "日本語", "en-US,en;q=0.9," * 40]
ENCODINGS = ["gzip", "br", "identity", "gzip;q=0", "*;q=0", "gzip;q=2", "x-gzip", "*", "gzip, deflate, br",
             "gzip;q=abc", ",,,"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/sparql-query",
                 "application/sparql-update", "application/json", "text/plain",
                 "application/sparql-query; charset=utf-8", "application/sparql-query; charset=latin-1",
                 "application/x-www-form-urlencoded; charset=UTF8", 'application/sparql-query; charset="utf-8"',
                 "multipart/form-data; boundary=x", "application/", ";", ";;charset=utf-8",
                 "APPLICATION/SPARQL-QUERY", "text/turtle", "application/octet-stream"]
RANGES = ["bytes=0-0", "bytes=0-99", "bytes=-1", "bytes=-500", "bytes=100-", "bytes=10-5",
          "bytes=0-0,2-3,5-", "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 400, 2)),
          "bytes=99999999999999999999-", "bytes=-99999999999999999999", "bytes=0-99999999999999999999",
          "items=0-1", "bytes=", "bytes = 1-2", "bytes=a-b", "bytes=-0", "bytes=5000000-",
          "bytes=0--1", "bytes=1-2, ,3-4"]
ETAGS = ["*", '"abc"', 'W/"abc"', '"', "W/", ",,,", '"a", "b", W/"c"', ", ".join(['"x"'] * 200),
         "W/W/\"a\"", "\u00ff"]
DATES = ["Sun, 06 Nov 1994 08:49:37 GMT", "Thu, 01 Jan 2099 00:00:00 GMT", "yesterday",
         "Mon, 99 Xyz 99999 99:99:99 GMT", "0", "Sunday, 06-Nov-94 08:49:37 GMT",
         "Sun Nov  6 08:49:37 1994", ""]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND",
           "get", "FOO", "M-SEARCH", "QUERY"]

# --- SPARQL: a grammar-ish generator ---------------------------------------------------------

PREFIXES = {"skg": "https://w3id.org/siberia-kg/ontology#", "schema": "https://schema.org/",
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "camp": BASE + "id/camp/", "place": BASE + "id/place/"}
VARS = ["?s", "?p", "?o", "?x", "?label", "$n", "?g"]
IRIS = [f"<{BASE}id/camp/taishet>", f"<{BASE}id/place/taishet>", "<https://schema.org/name>",
        f"<{BASE}id/person/tetsuro-ahiko>", "<http://www.wikidata.org/entity/Q1>", "<urn:x>",
        "<relative>", "<>", "<http://127.0.0.1:9/x>"]  # relative: resolved against the endpoint
CLASSES = ["skg:Camp", "skg:Estimate", "schema:Person", "schema:City", "skg:Citation", "schema:Event"]
PREDICATES = ["schema:name", "schema:containedInPlace", "schema:value", "skos:prefLabel",
              "skos:altLabel", "rdfs:label", "rdf:type", "skg:measure", "skg:citation",
              "schema:startDate", "skg:source", "schema:latitude", "a"]
LITERALS = ['"Taishet"', '"Taishet"@en', '"タイシェト"@ja', '"x"^^xsd:integer', '"1946"^^xsd:gYear',
            "12", "-3.5e2", "0.5", "true", "false", '"""multi\nline"""', "'single'",
            '"esc\\"aped\\n\\u0041"', '""', '"\\U0001F600"', '"x"@ja-Latn', '"1"^^<urn:dt>']
INSERTS = ["{", "}", "(", ")", ".", ";", ",", "?", "<", ">", '"', "'", "\\", "#", "\n", "*", "+",
           "^^", "@en", "_:b", "[]", "()", "GRAPH", "SELECT", "OPTIONAL", " UNION ", "FILTER",
           "SERVICE <http://127.0.0.1:9/sparql> { ?a ?b ?c }", "INSERT DATA { <a:b> <a:b> <a:b> }",
           "LOAD <http://127.0.0.1:9/x>", "FROM <http://127.0.0.1:9/x>", "FROM NAMED <urn:g>",
           "<http://example.org/%ZZ>", "<a b>", "\x00", "\ufffd", "日本", "\U0001F600", "\u202e", "%", "LIMIT -1",
           "LIMIT 99999999999999999999", "OFFSET 999999999", "PREFIX : <urn:> ", "BASE <urn:b/> ",
           "servicex", "\t", "\r\n", "ORDER BY ?s", "GROUP BY ?s", "(COUNT(*) AS ?c)"]


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # a triple cross join


def _st_join(*parts):
    return st.tuples(*parts).map(lambda t: " ".join(t))


subject = st.one_of(st.sampled_from(VARS), st.sampled_from(IRIS + ["camp:taishet", "place:taishet"]),
                    st.sampled_from(["[]", "_:b1", "[ schema:name ?bn ]"]))
path = st.one_of(
    st.sampled_from(PREDICATES[:-1]).map(lambda p: p + "+"),
    st.sampled_from(PREDICATES[:-1]).map(lambda p: "^" + p),
    st.tuples(st.sampled_from(PREDICATES[:-1]), st.sampled_from("/|"), st.sampled_from(PREDICATES[:-1]))
    .map("".join),
    st.sampled_from(["schema:containedInPlace*", "(schema:containedInPlace)?", "!(rdf:type|schema:name)",
                     "!rdf:type", "(skos:prefLabel|skos:altLabel)"]),
)
predicate = st.one_of(st.sampled_from(VARS[:4]), st.sampled_from(PREDICATES), path)
obj = st.one_of(st.sampled_from(VARS), st.sampled_from(IRIS + CLASSES), st.sampled_from(LITERALS))
triple = _st_join(subject, predicate, obj)
plain_triple = _st_join(subject, st.one_of(st.sampled_from(VARS[:4]), st.sampled_from(PREDICATES)), obj)

FUNCS1 = ["STR", "LANG", "DATATYPE", "isIRI", "isLiteral", "isBlank", "STRLEN", "UCASE", "LCASE",
          "ABS", "ROUND", "CEIL", "YEAR", "ENCODE_FOR_URI", "MD5", "xsd:integer", "xsd:date", "BNODE",
          "IRI", "STRLANG"]
atom = st.one_of(st.sampled_from(VARS), st.sampled_from(LITERALS), st.sampled_from(["NOW()", "RAND()", "UUID()"]))
expr = st.recursive(atom, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["=", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "-", "*", "/"]), inner)
    .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.tuples(st.sampled_from(FUNCS1), inner).map(lambda t: f"{t[0]}({t[1]})"),
    st.tuples(inner, st.sampled_from(['"a"', '"^Tai"', '"(a+)+$"', '"["', '"."'])).map(
        lambda t: f'REGEX(STR({t[0]}), {t[1]}, "i")'),
    st.tuples(st.sampled_from(["CONTAINS", "STRSTARTS", "STRENDS", "LANGMATCHES", "sameTerm",
                               "COALESCE", "CONCAT", "STRBEFORE"]), inner, inner)
    .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    st.tuples(inner, inner, inner).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
    st.tuples(inner, st.lists(inner, max_size=3)).map(lambda t: f"({t[0]} IN ({', '.join(t[1])}))"),
    st.tuples(inner, st.integers(-3, 5), st.integers(-1, 5)).map(lambda t: f"SUBSTR(STR({t[0]}), {t[1]}, {t[2]})"),
    inner.map(lambda e: f"BOUND({e})" if e.startswith(("?", "$")) else f"!({e})"),
), max_leaves=6)

group = st.recursive(
    st.lists(triple, min_size=1, max_size=3).map(" . ".join),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(" . ".join),
        inner.map(lambda g: f"OPTIONAL {{ {g} }}"),
        st.tuples(inner, inner).map(lambda t: f"{{ {t[0]} }} UNION {{ {t[1]} }}"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]} MINUS {{ {t[1]} }}"),
        st.tuples(inner, expr).map(lambda t: f"{t[0]} FILTER({t[1]})"),
        st.tuples(inner, expr).map(lambda t: f"{t[0]} BIND({t[1]} AS ?b{len(t[1]) % 7})"),
        st.tuples(inner, st.sampled_from(["(NOT EXISTS", "(EXISTS"]), inner).map(
            lambda t: f"{t[0]} FILTER {t[1][1:]} {{ {t[2]} }}"),
        inner.map(lambda g: f"GRAPH ?g {{ {g} }}"),
        st.tuples(st.sampled_from(VARS[:5]), st.lists(st.sampled_from(IRIS[:4] + LITERALS[:4] + ["UNDEF"]),
                                                      max_size=4), inner)
        .map(lambda t: f"VALUES {t[0]} {{ {' '.join(t[1])} }} {t[2]}"),
        inner.map(lambda g: f"{{ SELECT * WHERE {{ {g} }} LIMIT 3 }}"),
        inner.map(lambda g: f"{{ {g} }}"),
    ), max_leaves=5)

limit = st.one_of(st.sampled_from([" LIMIT 0", " LIMIT 1", " LIMIT 5", " LIMIT 20", " LIMIT 100",
                                   " LIMIT 1000", " LIMIT 3 OFFSET 2", " OFFSET 5 LIMIT 2"]),
                  st.just(""))
order = st.sampled_from(["", "", "", " ORDER BY ?s", " ORDER BY DESC(?o) ?s", " ORDER BY RAND()"])
# (projection, grouping): a grouped query projects only what it groups by, and aggregates.
projection = st.one_of(
    st.tuples(st.sampled_from(["*", "DISTINCT *", "REDUCED ?o", "DISTINCT ?s", "(STR(?s) AS ?t)"]), st.just("")),
    st.tuples(st.lists(st.sampled_from(VARS), min_size=1, max_size=4, unique=True).map(" ".join), st.just("")),
    st.sampled_from([("(COUNT(*) AS ?c)", ""), ("(MAX(?o) AS ?m) (MIN(?o) AS ?n2)", ""),
                     ('(GROUP_CONCAT(STR(?o); separator="|") AS ?all)', ""),
                     ("?s (SAMPLE(?o) AS ?any)", " GROUP BY ?s"),
                     ("?s (COUNT(?o) AS ?c)", " GROUP BY ?s HAVING(COUNT(?o) > 1)"),
                     ("(COUNT(DISTINCT ?s) AS ?c) ?p", " GROUP BY ?p"),
                     ("?s", " GROUP BY ?s")]))


@st.composite
def sparql_query(draw) -> str:
    # Every prefix declared, as usual; now and then only some (undeclared prefixes: 400).
    declared = list(PREFIXES) if draw(st.sampled_from(range(10))) != 7 else \
        draw(st.lists(st.sampled_from(list(PREFIXES)), unique=True))
    prologue = " ".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in declared)
    where = draw(group)
    form = draw(st.sampled_from(["SELECT", "SELECT", "SELECT", "ASK", "CONSTRUCT", "CONSTRUCT WHERE",
                                 "DESCRIBE"]))
    if form == "SELECT":
        select, grouping = draw(projection)
        body = f"SELECT {select} WHERE {{ {where} }}{grouping}{draw(order)}{draw(limit)}"
    elif form == "ASK":
        body = f"ASK {{ {where} }}"
    elif form == "CONSTRUCT":
        template = draw(st.lists(plain_triple, min_size=1, max_size=3).map(" . ".join))
        body = f"CONSTRUCT {{ {template} }} WHERE {{ {where} }}{draw(limit)}"
    elif form == "CONSTRUCT WHERE":
        body = f"CONSTRUCT WHERE {{ {draw(st.lists(plain_triple, min_size=1, max_size=2).map(' . '.join))} }}{draw(limit)}"
    else:
        body = draw(st.sampled_from([f"DESCRIBE {IRIS[0]}", "DESCRIBE camp:taishet ?s",
                                     f"DESCRIBE ?s WHERE {{ {where} }}"])) + draw(limit)
    query = f"{prologue} {body}".strip()
    # Mutations: what a person typing, a broken client or an attacker sends.
    # Now and then one that runs into the time limit: 503. (A value other than 0 or the
    # bounds: hypothesis draws those far more often than the others.)
    if draw(st.sampled_from(range(250))) == 137:
        return SLOW
    for op, pos, arg in draw(st.one_of(st.just([]), st.lists(st.tuples(
            st.sampled_from(["delete", "insert", "insert", "repeat", "truncate", "case", "text"]),
            st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=3))):
        i = pos % (len(query) + 1)
        if op == "delete":
            query = query[:i] + query[i + 1 + arg % 20:]
        elif op == "insert":
            query = query[:i] + INSERTS[arg % len(INSERTS)] + query[i:]
        elif op == "repeat":
            piece = query[i:i + 1 + arg % 12]
            query = query[:i] + piece * (2 + arg % 300) + query[i:]
        elif op == "truncate":
            query = query[:i]
        elif op == "case":
            query = query.swapcase()
        else:
            query = query[:i] + draw(st.text(max_size=12)) + query[i:]
    return query


# --- requests --------------------------------------------------------------------------------

@dataclass
class Req:
    lane: str
    method: str
    target: str                    # sent as is: path and query string, already encoded
    headers: list = field(default_factory=list)
    body: bytes | None = None

    def head_size(self) -> int:
        return (len(self.method) + len(self.target) + 64
                + sum(len(k) + len(v) + 4 for k, v in self.headers))

    def describe(self) -> str:
        return (f"{self.method} {self.target[:300]} headers={self.headers!r:.300} "
                f"body={self.body[:200] if self.body else self.body!r}")


_VCHAR = "".join(chr(c) for c in range(0x21, 0x7F))


def _encode(text: str, upper: bool = True) -> str:
    """Percent-encode everything but unreserved characters (in either hex case)."""
    out = quote(text, safe="")
    return out if upper else re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), out)


def _target_safe(text: str) -> str:
    """What an HTTP/1.1 client may put in a request target: visible ASCII only."""
    return "".join(c if 0x21 <= ord(c) < 0x7F else quote(c, safe="") for c in text)


@st.composite
def entity_path(draw) -> str:
    kind = draw(st.sampled_from(KINDS))
    slugs = SLUGS.get(kind) or ["taishet"]
    slug = draw(st.one_of(st.sampled_from(slugs), st.sampled_from(sum(SLUGS.values(), [])),
                          st.text(min_size=0, max_size=30)))
    return f"/id/{_encode(kind)}/{_encode(slug, draw(st.booleans()))}{draw(st.sampled_from(SUFFIXES))}"


@st.composite
def mangled(draw, base) -> str:
    path = draw(base)
    for op, arg in draw(st.one_of(st.just([]), st.lists(st.tuples(st.sampled_from(
            ["encode", "slash", "dots", "double", "long", "utf8", "badutf8", "junk", "trail"]),
            st.integers(0, 10**6)), min_size=1, max_size=3))):
        segs = path.split("/")
        i = 1 + arg % max(1, len(segs) - 1)
        if op == "encode" and len(path) > 1:
            j = 1 + arg % (len(path) - 1)
            if path[j] != "%":
                code = f"%{ord(path[j]):02X}" if ord(path[j]) < 128 else quote(path[j], safe="")
                path = path[:j] + (code if arg % 2 else code.lower()) + path[j + 1:]
        elif op == "slash":
            path = path.replace("/", "%2F" if arg % 2 else "%2f", 1 + arg % 3).replace("%2F", "/", 1) \
                if path.count("/") > 1 else path
        elif op == "dots":
            dot = ["/./", "/../", "/%2e%2e/", "/.%2E/", "/%2E/", "/..;/", "/...", "/../../../../"][arg % 8]
            segs.insert(i, dot.strip("/"))
            path = "/".join(segs)
        elif op == "double":
            path = path.replace("/", "//", 1) if arg % 2 else path + "//"
        elif op == "long":
            size = [300, 2000, 8000, 30000, 70000][arg % 5]  # 64 KiB is the server's head limit
            segs.insert(i, "a" * size if arg % 3 else _encode("日" * (size // 9)))
            path = "/".join(segs)
        elif op == "utf8":
            segs.insert(i, _encode(draw(st.text(min_size=1, max_size=20)), arg % 2 == 0))
            path = "/".join(segs)
        elif op == "badutf8":
            segs.insert(i, ["%ff", "%c0%af", "%ed%a0%80", "%00", "%e6%97", "%FE%FF", "%80"][arg % 7])
            path = "/".join(segs)
        elif op == "junk":
            segs.insert(i, draw(st.text(alphabet=_VCHAR, max_size=15)))
            path = "/".join(segs)
        else:
            path += ["/", "?", "#x", "%", ";x=1", "*", "~"][arg % 7]
    return _target_safe(path or "/")


@st.composite
def query_string(draw) -> str:
    pairs = draw(st.lists(st.tuples(
        st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=8)),
        st.one_of(st.sampled_from(QUERY_VALUES), st.text(max_size=20), st.integers().map(str))),
        max_size=4))
    parts = [f"{_encode(k)}={_encode(v, draw(st.booleans()))}" for k, v in pairs]
    if draw(st.sampled_from(range(6))) == 3:
        parts.append(draw(st.sampled_from(RAW_QUERY_TAILS)))
    return "?" + "&".join(parts) if parts else ""


def _value(text) -> bytes:
    """A header value an HTTP client can send: no CR, LF, NUL, VT or FF, no surrounding blanks;
    text beyond ASCII goes as UTF-8 bytes (obs-text)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return re.sub(rb"[\r\n\x00\x0b\x0c]", b"", text).strip(b" \t")


@st.composite
def header_list(draw, heavy: bool = False) -> list:
    chosen = []
    n = 4 if heavy else 1
    gens = {
        "accept": st.one_of(st.sampled_from(MEDIA), st.sampled_from(ACCEPT_JUNK),
                            st.lists(st.tuples(st.sampled_from(MEDIA), st.sampled_from(
                                ["", ";q=0", ";q=0.5", ";q=1", ";q=1.0", ";q=0.001", ";q=2", ";x=y"])),
                                     min_size=1, max_size=5).map(lambda l: ", ".join(m + q for m, q in l)),
                            st.text(alphabet=_VCHAR + " ", max_size=40)),
        "accept-language": st.one_of(st.sampled_from(LANGS), st.text(max_size=20)),
        "accept-encoding": st.sampled_from(ENCODINGS),
        "content-type": st.sampled_from(CONTENT_TYPES),
        "range": st.one_of(st.sampled_from(RANGES), st.text(alphabet="bytes=0123456789-, ", max_size=30)),
        "if-none-match": st.one_of(st.sampled_from(ETAGS), st.text(max_size=30)),
        "if-modified-since": st.sampled_from(DATES),
        "if-range": st.sampled_from(ETAGS + DATES),
        "origin": st.sampled_from(["https://elsewhere.example", "null", "http://127.0.0.1", "\u00ff"]),
        "access-control-request-method": st.sampled_from(["POST", "GET", "DELETE", "x"]),
        "x-forwarded-host": st.sampled_from(["evil.example", "a" * 500]),
        "host": st.sampled_from(["evil.example", "127.0.0.1:1", "[::1]", "a" * 300, ""]),
        "cookie": st.text(max_size=50),
        "connection": st.sampled_from(["keep-alive", "upgrade", "foo"]),
        "upgrade": st.sampled_from(["websocket", "h2c"]),
    }
    for _ in range(draw(st.integers(0, n + 2))):
        name = draw(st.one_of(st.sampled_from(list(gens)),
                              st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=12)))
        if name == "host" and any(n == "host" for n, _ in chosen):
            continue  # h11 will not send two (the raw lane does)
        value = draw(gens.get(name, st.text(max_size=40)))
        chosen.append((name, _value(value)))
    return chosen


@st.composite
def page_request(draw, lane: str) -> Req:
    base = st.one_of(st.sampled_from(FIXED), entity_path())
    target = draw(mangled(base)) + draw(query_string())
    return Req(lane, draw(st.sampled_from(["GET", "GET", "GET", "HEAD"])), target,
               draw(header_list(heavy=lane == "headers")))


BODIES = st.one_of(
    st.none(), st.just(b""), st.binary(max_size=300),
    st.sampled_from([b"\xff\xfe\xfd", b"query=%ff", b"query=\xff", b"queries=%7B", b"\xc0\xaf",
                     b'{"q0": {"query": "Taishet"}}', b'{"ids": [], "properties": []}', b"[1,2",
                     b"a=" + b"&a=" * 2000, b"\x00" * 64]),
    st.text(max_size=100).map(lambda t: t.encode("utf-8")),
    st.sampled_from(range(40)).map(lambda n: b"x" * 1_000_001 if n == 17 else b"q" * n * 1000),
)


@st.composite
def method_request(draw) -> Req:
    method = draw(st.one_of(st.sampled_from(METHODS), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-",
                                                              min_size=1, max_size=10)))
    target = draw(mangled(st.one_of(st.sampled_from(FIXED), entity_path()))) + draw(query_string())
    return Req("methods", method, target, draw(header_list()), draw(BODIES))


@st.composite
def sparql_request(draw) -> Req:
    query = draw(sparql_query())
    how = draw(st.sampled_from(["get"] * 5 + ["form"] * 3 + ["direct"] * 3 + ["direct-bad-utf8", "slash"]))
    accept = draw(st.one_of(st.none(), st.none(), st.sampled_from(MEDIA), st.sampled_from(ACCEPT_JUNK[:6])))
    headers = [("accept", _value(accept))] if accept is not None else []
    extra = draw(st.lists(st.sampled_from(
        ["format=json", "format=xml", "format=csv", "format=tsv", "format=ttl", "format=nt",
         "format=jsonld", "format=rdf", "format=nope", "format=text%2Fturtle",
         "default-graph-uri=" + quote(BASE + "id/citation/ne-taishet", safe=""),
         "named-graph-uri=" + quote(BASE + "id/citation/s005-figures", safe=""),
         "default-graph-uri=not%20an%20iri", "named-graph-uri=", "timeout=0"]), max_size=2))
    tail = "".join("&" + e for e in extra)
    path = "/sparql/" if how == "slash" else "/sparql"
    if how in ("get", "slash"):
        return Req("sparql", "GET", f"{path}?query={_encode(query)}{tail}", headers)
    if how == "form":
        ctype = draw(st.sampled_from(CONTENT_TYPES[:1] * 3 + CONTENT_TYPES[7:8]))
        return Req("sparql", "POST", path + ("?" + tail[1:] if tail else ""),
                   headers + [("content-type", ctype.encode())],
                   f"query={_encode(query)}".encode())
    body = query.encode("utf-8", "surrogatepass")
    if how == "direct-bad-utf8":
        i = draw(st.integers(0, len(body)))
        body = body[:i] + draw(st.sampled_from([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe6\x97"])) + body[i:]
    ctype = draw(st.sampled_from(CONTENT_TYPES[1:2] * 4 + CONTENT_TYPES[5:7] + CONTENT_TYPES[8:9] +
                                 CONTENT_TYPES[13:14]))
    return Req("sparql", "POST", path + ("?" + tail[1:] if tail else ""),
               headers + [("content-type", ctype.encode())], body)


# --- raw requests: bytes no client library sends ---------------------------------------------

@st.composite
def raw_request(draw) -> bytes:
    method = draw(st.sampled_from([b"GET", b"POST", b"HEAD", b"get", b"G\tET", b"", b"GET GET",
                                   b"\xff", b"POST\x00"]))
    target = draw(st.one_of(
        st.sampled_from([b"/", b"/id/camp/taishet", b"/sparql", b"*", b"http://evil.example/",
                         b"//x/y", b"/id/camp/\xe6\x97\xa5", b"/id/camp/\xff", b"/a b",
                         b"/\x01", b"/\x7f", b"", b"/search?q=\xd0\xa2", b"/" + b"a" * 70000]),
        st.binary(max_size=30).map(lambda b: b"/" + b)))
    version = draw(st.sampled_from([b"HTTP/1.1"] * 4 + [b"HTTP/1.0", b"HTTP/2.0", b"HTTP/0.9",
                                                        b"http/1.1", b"HTTP/1.10", b"", b"HTTP/1.1 x"]))
    eol = draw(st.sampled_from([b"\r\n"] * 6 + [b"\n"]))
    body = draw(st.sampled_from([b"", b"", b"query=ASK%7B%7D", b"ASK {}", b"\xff\xfe"]))
    lines = [method + b" " + target + (b" " + version if version else b"")]
    if draw(st.sampled_from(range(6))) != 3:  # a Host header, mostly
        lines.append(b"Host: 127.0.0.1")
    framing = draw(st.sampled_from(["length", "length", "none", "chunked", "bad-chunked",
                                    "both", "two-lengths", "negative", "junk-length"]))
    if framing == "length":
        lines.append(b"Content-Length: %d" % len(body))
    elif framing in ("chunked", "bad-chunked", "both"):
        lines.append(b"Transfer-Encoding: chunked")
        if framing == "both":
            lines.append(b"Content-Length: 3")
        body = (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)) if framing != "bad-chunked" else \
            draw(st.sampled_from([b"zz\r\nabc\r\n0\r\n\r\n", b"-1\r\n\r\n", b"1;" + b"x" * 5000 + b"\r\na\r\n0\r\n\r\n",
                                  b"fffffffffffffffffff\r\n"]))
    elif framing == "two-lengths":
        lines += [b"Content-Length: %d" % len(body), b"Content-Length: %d" % (len(body) + 1)]
    elif framing == "negative":
        lines.append(b"Content-Length: -1")
    elif framing == "junk-length":
        lines.append(b"Content-Length: 1e3")
    for extra in draw(st.lists(st.sampled_from([
            b"Content-Type: application/sparql-query", b"Accept: text/html", b"X-Fold: a\r\n b",
            b"NoColon", b"Space : x", b": empty-name", b"X-Bin: \xff\xfe", b"X-Nul: a\x00b",
            b"Expect: 100-continue", b"Upgrade: websocket", b"Connection: upgrade",
            b"X-Long: " + b"v" * 70000, b"Transfer-Encoding: gzip", b"Accept: \x01"]), max_size=3)):
        lines.append(extra)
    lines.append(b"Connection: close")
    return eol.join(lines) + eol + eol + body


_STATUS = re.compile(rb"(?:^|\r?\n)HTTP/1\.[01] (\d{3})")


def send_raw(url: str, data: bytes) -> tuple[list[int], bytes]:
    """Send bytes on a fresh connection; the statuses of the responses and the bytes read,
    until the server closes the connection (a request that never ends is dropped by the
    server's header and body time limits)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=CLIENT_TIMEOUT) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (400) and closed before everything was sent
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    return [int(m) for m in _STATUS.findall(raw)], raw


# --- the run ---------------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.status: Counter = Counter()
        self.lanes: Counter = Counter()
        self.methods: Counter = Counter()
        self.lane_status: dict[str, Counter] = {}
        self.sparql_503 = 0

    def add(self, lane: str, method: str, status: str) -> None:
        with self.lock:
            self.status[status] += 1
            self.lanes[lane] += 1
            self.methods[method] += 1
            self.lane_status.setdefault(lane, Counter())[status] += 1
            self.sparql_503 += status == "503"  # any other 5xx fails the run

    @property
    def total(self) -> int:
        return sum(self.lanes.values())


def _problem(req: Req, status: int, headers) -> str | None:
    """What is wrong with this answer, if anything."""
    path = req.target.split("?", 1)[0]
    if status >= 500:
        documented = (status in (503, 504) and path in ("/sparql", "/sparql/")
                      and "retry-after" in headers)
        if not documented:
            return f"server error {status}"
    location = headers.get("location", "")
    if "evil.example" in location or location.startswith("//"):
        return "a Location built from the Host header"  # addresses come from configuration only
    if headers.get("x-content-type-options") != "nosniff":
        return "no X-Content-Type-Options: nosniff"
    if "content-security-policy" not in headers:
        return "no Content-Security-Policy"
    return None


def test_fuzzing_the_live_server(server):
    tally = Tally()
    started = time.monotonic()
    client = httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT, follow_redirects=False,
                          transport=RawTargetTransport(limits=httpx.Limits(
                              max_connections=BATCH, max_keepalive_connections=BATCH)))
    pool = ThreadPoolExecutor(BATCH, thread_name_prefix="fuzz")

    def send(req: Req) -> str | None:
        try:
            r = client.request(req.method, "/", headers=req.headers, content=req.body,
                               extensions={"raw_target": req.target.encode("ascii")})
        except httpx.TimeoutException:
            return f"no answer within {CLIENT_TIMEOUT} s (hang): {req.describe()}"
        except httpx.TransportError as e:
            if req.head_size() > HEAD_LIMIT:
                # Refused (400) and closed while the client still sends its head: the 400 may
                # be lost to the reset. "4xx or connection closed" is the expected outcome.
                tally.add(req.lane, req.method, "closed")
                return None
            return f"transport error {e!r}: {req.describe()}"
        status = r.status_code
        tally.add(req.lane, req.method, str(status))
        problem = _problem(req, status, r.headers)
        return f"{problem}: {req.describe()}\n{r.text[:500]}" if problem else None

    def run_batch(batch: list[Req]) -> None:
        problems = [p for p in pool.map(send, batch) if p]
        assert not problems, "\n\n".join(problems)

    common = dict(derandomize=True, database=None, deadline=None, print_blob=True,
                  phases=[Phase.explicit, Phase.generate, Phase.shrink],
                  suppress_health_check=list(HealthCheck))

    @settings(max_examples=EXAMPLES["paths"], **common)
    @given(st.lists(page_request("paths"), min_size=BATCH, max_size=BATCH))
    def fuzz_paths(batch):
        run_batch(batch)

    @settings(max_examples=EXAMPLES["headers"], **common)
    @given(st.lists(page_request("headers"), min_size=BATCH, max_size=BATCH))
    def fuzz_headers(batch):
        run_batch(batch)

    @settings(max_examples=EXAMPLES["methods"], **common)
    @given(st.lists(method_request(), min_size=BATCH, max_size=BATCH))
    def fuzz_methods_and_bodies(batch):
        run_batch(batch)

    @settings(max_examples=EXAMPLES["sparql"], **common)
    @given(st.lists(sparql_request(), min_size=BATCH, max_size=BATCH))
    def fuzz_sparql(batch):
        run_batch(batch)

    def send_raw_checked(data: bytes) -> str | None:
        try:
            statuses, raw = send_raw(server.url, data)
        except socket.timeout:
            return f"raw request: no answer and not closed within {CLIENT_TIMEOUT} s: {data[:300]!r}"
        final = [s for s in statuses if s >= 200]
        tally.add("raw", data.split(b" ", 1)[0][:10].decode("latin-1") or "(none)",
                  str(final[0]) if final else "closed")
        if any(s >= 500 for s in statuses):
            return f"raw request: server error {statuses}: {data[:300]!r}\n{raw[:500]!r}"
        if final:
            head = raw.split(b"\r\n\r\n", 1)[0].lower()
            if b"x-content-type-options: nosniff" not in head or b"content-security-policy:" not in head:
                return f"raw request: no security headers: {data[:300]!r}\n{raw[:500]!r}"
        return None

    @settings(max_examples=EXAMPLES["raw"], **common)
    @given(st.lists(raw_request(), min_size=BATCH, max_size=BATCH))
    def fuzz_raw(batch):
        problems = [p for p in pool.map(send_raw_checked, batch) if p]
        assert not problems, "\n\n".join(problems)

    try:
        lane_times = {}
        for name, fn in [("paths", fuzz_paths), ("headers", fuzz_headers),
                         ("methods", fuzz_methods_and_bodies), ("sparql", fuzz_sparql),
                         ("raw", fuzz_raw)]:
            t = time.monotonic()
            fn()
            lane_times[name] = round(time.monotonic() - t, 1)

        # The server is still there and still right.
        assert server.proc.poll() is None, "the server died"
        r = client.get("/id/camp/taishet.ttl")
        assert r.status_code == 200 and "taishet" in r.text
        r = client.get("/sparql", params={"query": "ASK { ?s a <https://w3id.org/siberia-kg/ontology#Camp> }"},
                       headers={"accept": "application/sparql-results+json"})
        assert r.status_code == 200 and r.json()["boolean"] is True
    finally:
        pool.shutdown(wait=True)
        client.close()

    elapsed = time.monotonic() - started
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-5000:]
    assert tally.total >= MIN_REQUESTS, f"only {tally.total} requests were sent"
    server_errors = sum(n for s, n in tally.status.items() if s.isdigit() and int(s) >= 500)
    report = {
        "requests": tally.total,
        "seconds": round(elapsed, 1),
        "by_status": dict(sorted(tally.status.items())),
        "by_lane": dict(tally.lanes),
        "by_lane_and_status": {lane: dict(sorted(c.items())) for lane, c in tally.lane_status.items()},
        "lane_seconds": lane_times,
        "by_method": dict(tally.methods.most_common()),
        "server_errors_5xx": server_errors,
        "documented_sparql_503": tally.sparql_503,
        "hangs": 0,
        "settings": {"hypothesis": "derandomize=True, deadline=None", "batch": BATCH,
                     "examples": EXAMPLES, "client_timeout_s": CLIENT_TIMEOUT,
                     "sparql_timeout_s": SPARQL_TIMEOUT, "header_timeout_s": HEADER_TIMEOUT,
                     "body_timeout_s": BODY_TIMEOUT},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fuzz.json").write_text(json.dumps(report, indent=1) + "\n")
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.status.items()))
    print(f"\nfuzz: {tally.total} requests in {elapsed:.0f} s, 0 hangs, "
          f"{server_errors} 5xx (all documented SPARQL 503s); by status {statuses}")


class RawTargetTransport(httpx.HTTPTransport):
    """httpx's transport, but sending the request target given in the ``raw_target`` extension
    byte for byte: httpx itself would normalise dot segments away."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = request.extensions.pop("raw_target", None)
        if target is None:
            return super().handle_request(request)
        url = request.url
        request.url = _Target(url.raw_scheme, url.raw_host, url.port, target)  # type: ignore[assignment]
        try:
            return super().handle_request(request)
        finally:
            request.url = url


@dataclass
class _Target:
    raw_scheme: bytes
    raw_host: bytes
    port: int | None
    raw_path: bytes
