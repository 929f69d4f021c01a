"""The HTML pages over real HTTP on loopback: every page answers with the layout, security
headers and escaped content; search ranks and folds accents, case and width; the map, timeline,
statistics and query pages show what the graph holds; a hostile graph (markup in labels,
descriptions, locators and sample queries) is shown escaped; the server works without
node_modules."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest

from siberia_kg.config import Settings

from .conftest import ROOT, start_server, stop_server

BASE = "https://w3id.org/siberia-kg/"
S = "https://schema.org/"
SKG = "https://w3id.org/siberia-kg/ontology#"
PAGES = ["/", "/classes", "/class/skg:Camp", "/search", "/search?q=taishet", "/map",
         "/timeline", "/stats", "/query", "/id/camp/taishet.html", "/id/place/taishet.html",
         "/id/event/siberian-internment.html", "/id/estimate/s000-died-nimmo.html",
         "/id/citation/s000-bam.html", "/id/source/s000.html"]


class Doc(HTMLParser):
    """The parts of an HTML page the tests look at: every tag with its attributes, the text of
    script blocks, and the visible text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._buf: list[str] = []
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script":
            self._script, self._buf = a, []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._buf.append(data)
        else:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag
                and all(a.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def hrefs(self) -> list[str]:
        return [a["href"] for t, a in self.tags if t == "a" and "href" in a]

    def data_block(self, element_id: str):
        for attrs, body in self.scripts:
            if attrs.get("id") == element_id:
                return json.loads(body)
        raise AssertionError(f"no data block #{element_id}")


@pytest.fixture(scope="module")
def client(live):
    with httpx.Client(base_url=live.url, timeout=30, follow_redirects=False) as c:
        yield c


def page(client, path: str, status: int = 200, **kw) -> tuple[httpx.Response, Doc]:
    r = client.get(path, **kw)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert r.headers["content-type"] == "text/html; charset=utf-8", path
    return r, Doc(r.text)


def sparql_values(store, query: str, var: str) -> list[str]:
    return [row[var].value for row in store.query(query)]


# --- every page -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_layout_and_the_security_headers(client, path):
    r, doc = page(client, path)
    html_tag = doc.find("html")[0]
    assert html_tag["lang"] == "en"
    assert doc.find("meta", name="viewport"), "readable on a phone needs the viewport meta"
    assert doc.find("nav", aria_label="Main")
    nav = {a["href"] for t, a in doc.tags if t == "a"}
    assert {"/", "/search", "/classes", "/map", "/timeline", "/stats", "/query"} <= nav
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    # Only this server's own script files; inline blocks only as non-executed JSON data.
    for attrs, body in doc.scripts:
        if "src" in attrs:
            assert attrs["src"].startswith("/") and not attrs["src"].startswith("//"), attrs
            assert not body.strip()
        else:
            assert attrs.get("type") in ("application/ld+json", "application/json"), attrs
            json.loads(body)
    # Every stylesheet and script named is served.
    for ref in [a["src"] for a, _ in doc.scripts if "src" in a] + \
               [a["href"] for a in doc.find("link", rel="stylesheet")]:
        assert client.get(ref).status_code == 200, ref


def test_head_answers_without_a_body(client):
    r = client.head("/stats")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_unknown_class_and_bad_parameters(client):
    r, doc = page(client, "/class/skg:NoSuchClass", 404)
    assert doc.find("form", action="/search"), "the 404 page offers search"
    page(client, "/class/NoSuchClass", 404)
    for path in ("/map?lang=xx", "/class/skg:Camp?page=0", "/class/skg:Camp?page=abc",
                 "/class/skg:Camp?page=2", "/search?q=a&limit=0", "/search?q=a&limit=9999",
                 "/search?q=a&format=xml", "/query?sample=no-such-query",
                 "/id/camp/taishet.html?lang=de"):
        r = client.get(path)
        assert r.status_code == 400, path
        assert r.headers["content-type"].startswith("text/html")
        assert "error-message" in r.text


# --- landing page ---------------------------------------------------------------------------

def test_landing_page(client, store, built):
    r, doc = page(client, "/")
    text = doc.text
    assert "Soviet Union and Mongolia" in text and "1945" in text
    # counts by class, from the store
    camps = sparql_values(store, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{SKG}Camp> }}", "n")[0]
    row = re.search(r'href="/class/skg:Camp">[^<]+</a></td><td><code>skg:Camp</code></td>'
                    r'<td class="num">([\d,]+)</td>', r.text)
    assert row and row.group(1).replace(",", "") == camps
    # example queries: every queries/*.rq, its question, linked to the query page
    for rq in sorted((ROOT / "queries").glob("*.rq")):
        question = re.search(r"^#\s*Question:\s*(.+)$", rq.read_text(), re.M)
        link = f"/query?sample={quote(rq.stem)}"
        assert link in doc.hrefs(), rq.name
        if question:
            assert question.group(1).strip() in text
    # downloads from the build marker
    marker = json.loads((built.out_dir / ".siberia-kg-build").read_text())
    for name in marker["files"]:
        assert f"/dumps/{name}" in doc.hrefs()
        assert marker["files"][name]["sha256"][:16] in r.text
    # how to cite (CITATION.cff) and the licence
    assert "siberia-kg contributors" in text and "version 0.1.0" in text
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in doc.hrefs()


def test_classes_and_class_pages(client, store):
    _, doc = page(client, "/classes")
    assert "/class/skg:Camp" in doc.hrefs() and "/class/schema:City" in doc.hrefs()
    camps = set(sparql_values(store, f"SELECT DISTINCT ?c WHERE {{ ?c a <{SKG}Camp> }}", "c"))
    _, doc = page(client, "/class/skg:Camp")
    linked = {h for h in doc.hrefs() if h.startswith("/id/camp/")}
    assert linked == {c[len(BASE) - 1:] + ".html" for c in camps}
    assert "labour or prison camp" in doc.text  # the class's comment from the ontology
    # a bare name resolves when unambiguous
    _, bare = page(client, "/class/Camp")
    assert {h for h in bare.hrefs() if h.startswith("/id/camp/")} == linked
    _, ja = page(client, "/class/skg:Camp?lang=ja")
    assert ja.find("html")[0]["lang"] == "ja" and "収容所" in ja.text


# --- search ---------------------------------------------------------------------------------

def search(client, q: str, **params) -> dict:
    r = client.get("/search", params={"q": q, "format": "json", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


RANKS = ["exact", "prefix", "word-prefix", "substring", "all-words"]


@pytest.mark.parametrize("q, first, match", [
    ("Fumo Chitai", "work/fumo-chitai", "exact"),        # macron dropped
    ("fumō chitai", "work/fumo-chitai", "exact"),
    ("taishet", "place/taishet", "exact"),
    ("TAYSHET", "place/taishet", "exact"),               # the altLabel, upper case
    ("ｔａｉｓｈｅｔ", "place/taishet", "exact"),          # full-width letters
    ("Тайшет", "place/taishet", "exact"),
    ("シベリア", "place/siberia", "exact"),
    ("ｼﾍﾞﾘｱ", "place/siberia", "exact"),                 # half-width katakana
    ("シベリア抑留", "event/siberian-internment", "exact"),
    ("Кузнецов", "person/s-i-kuznetsov", "word-prefix"),
    ("S I Kuznetsov", "person/s-i-kuznetsov", "exact"),    # punctuation does not matter
    ("komsomolsk-on-amur", "place/komsomolsk-on-amur", "exact"),
    ("USSR", "place/soviet-union", "exact"),
])
def test_search_finds_labels_in_every_script(client, q, first, match):
    body = search(client, q)
    assert body["query"] == q and body["total"] >= 1
    top = body["results"][0]
    assert top["iri"] == BASE + "id/" + first, [r["iri"] for r in body["results"][:5]]
    assert top["url"] == "/id/" + first + ".html"
    if match:
        assert top["match"] == match


def test_search_ranks_exact_then_prefix_then_substring(client):
    body = search(client, "taishet")
    ranks = [RANKS.index(r["match"]) for r in body["results"]]
    assert ranks == sorted(ranks)
    assert [r["iri"] for r in body["results"][:2]] == [BASE + "id/place/taishet", BASE + "id/camp/taishet"]
    body = search(client, "fumo chitai")
    assert [r["match"] for r in body["results"]][:2] == ["exact", "prefix"]
    body = search(client, "komsomolsk", limit=100)
    ranks = [RANKS.index(r["match"]) for r in body["results"]]
    assert ranks == sorted(ranks) and len(set(ranks)) > 1
    assert len({r["iri"] for r in body["results"]}) == len(body["results"]), "one hit per entity"


def test_search_json_by_accept_header_and_limits(client):
    r = client.get("/search", params={"q": "taishet"}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert "accept" in r.headers["vary"].lower()
    assert r.json()["results"][0]["label"] == "Taishet"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = client.get("/search", params={"q": "taishet"}, headers={"Accept": browser})
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    r = client.get("/search", params={"q": "taishet"}, headers={"Accept": "image/png"})
    assert r.status_code == 406 and "application/json" in r.text
    body = search(client, "a", limit=3)
    assert len(body["results"]) == 3 and body["total"] > 3
    r = client.get("/search", params={"format": "json"})
    assert r.status_code == 400 and "error" in r.json()
    r = client.get("/search", params={"q": "x" * 201, "format": "json"})
    assert r.status_code == 400
    assert search(client, "zzzqqqxxx")["results"] == []
    ja = search(client, "シベリア抑留", lang="ja")["results"][0]
    assert ja["label"] == "シベリア抑留" and ja["url"].endswith("?lang=ja")


def test_search_page_shows_results_and_escapes_the_query(client):
    _, doc = page(client, "/search", params={"q": "Fumo Chitai"})
    assert doc.hrefs().count("/id/work/fumo-chitai.html") == 1
    assert doc.find("input", id="q")[0]["value"] == "Fumo Chitai"
    hostile = "<script>alert(1)</script>"
    r, doc = page(client, "/search", params={"q": hostile})
    assert hostile not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert doc.find("input", id="q")[0]["value"] == hostile


# --- entity pages ---------------------------------------------------------------------------

def test_entity_page_labels_languages_and_alternates(client):
    r, doc = page(client, "/id/place/taishet.html")
    assert "Taishet" in doc.text and "Tayshet" in doc.text and "Тайшет" in doc.text
    langs = {a["hreflang"]: a["href"] for a in doc.find("link", rel="alternate") if "hreflang" in a}
    assert langs == {"en": BASE + "id/place/taishet.html", "ja": BASE + "id/place/taishet.html?lang=ja",
                     "ru": BASE + "id/place/taishet.html?lang=ru", "x-default": BASE + "id/place/taishet.html"}
    types = {a["type"]: a["href"] for a in doc.find("link", rel="alternate") if "type" in a}
    assert types == {"text/turtle": "/id/place/taishet.ttl", "application/n-triples": "/id/place/taishet.nt",
                     "application/ld+json": "/id/place/taishet.jsonld", "application/rdf+xml": "/id/place/taishet.rdf"}
    for href in types.values():
        assert client.get(href).status_code == 200
    assert any(h.startswith("http://www.wikidata.org/entity/Q") for h in doc.hrefs())
    assert "/id/place/taishet.html?lang=ru" in doc.hrefs()
    r, ru = page(client, "/id/place/taishet.html?lang=ru")
    assert ru.find("html")[0]["lang"] == "ru"
    assert re.search(r'<h1 lang="ru">Тайшет</h1>', r.text)
    assert ru.find("a", href="/id/camp/taishet.html?lang=ru"), "links keep the language"


def test_entity_page_statements_sources_and_json_ld(client, store):
    r, doc = page(client, "/id/camp/taishet.html")
    # grouped by property, linked, each with its citation's locator and document
    assert doc.find("a", href="/id/place/taishet.html")
    locators = sparql_values(store, f"""SELECT ?loc WHERE {{ GRAPH ?g {{ <{BASE}id/camp/taishet> ?p ?o }}
        ?g <{SKG}locator> ?loc }}""", "loc")
    for loc in set(locators):
        assert loc in doc.text
    assert "/id/source/s000.html" in doc.hrefs()
    assert "approximate" in doc.text
    points = doc.data_block("map-data")
    assert len(points) == 1 and points[0]["approximate"] is True
    # JSON-LD for search engines: the entity's own statements, with schema.org names
    blocks = [json.loads(b) for a, b in doc.scripts if a.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    node = next(n for n in blocks[0]["@graph"] if n["@id"] == "camp:taishet")
    assert "skg:Camp" in node["@type"]
    assert {"@value": "Baikal-Amur Mainline camp at Taishet", "@language": "en"} in node["schema:name"]
    assert blocks[0]["@context"]["schema"] == S


def test_entity_page_puts_disagreeing_estimates_side_by_side(client):
    _, doc = page(client, "/id/event/siberian-internment.html")
    text = doc.text
    assert "deaths in captivity" in text
    assert "60,000" in text and "347,000" in text
    assert "≈ 10%" in text or "10%" in text  # a share, with its unit
    _, est = page(client, "/id/estimate/s000-died-nimmo.html")
    rows = [a for a in est.find("tr") if a.get("class") == "current"]
    assert rows, "the estimate itself is marked among its competitors"
    assert "/id/estimate/s000-died-ussr-certified.html" in est.hrefs()


def test_entity_page_inbound_links(client):
    _, doc = page(client, "/id/place/taishet.html")
    assert "/id/camp/taishet.html" in doc.hrefs()
    assert client.get("/id/place/taishet.html?page=99").status_code == 404


@pytest.fixture(scope="module")
def paged(built, tmp_path_factory):
    log = tmp_path_factory.mktemp("pages-paged") / "server.log"
    server = start_server(built.out_dir, log, env={"SIBERIA_KG_PAGE_SIZE": "5"})
    yield server
    stop_server(server)


def test_inbound_links_are_paged(paged, store):
    internment = f"{BASE}id/event/siberian-internment"
    total = len(set((r["s"].value, r["p"].value) for r in store.query(
        f"SELECT ?s ?p WHERE {{ ?s ?p <{internment}> FILTER(isIRI(?s)) }}")))
    seen = set()
    page_no, pages = 1, None
    with httpx.Client(base_url=paged.url, timeout=30) as c:
        while True:
            r = c.get(f"/id/event/siberian-internment.html?page={page_no}")
            assert r.status_code == 200
            doc = Doc(r.text)
            items = re.findall(r'<li><a href="([^"]+)"[^>]*>[^<]*</a> <span class="via"><a href="([^"]+)"',
                               r.text)
            assert 0 < len(items) <= 5
            seen |= set(items)
            pages = int(re.search(rf"Page {page_no} of (\d+)\.", doc.text).group(1))
            assert "Only part of the links" in doc.text
            if page_no == pages:
                break
            assert f"/id/event/siberian-internment.html?page={page_no + 1}#inbound" in doc.hrefs()
            page_no += 1
    assert pages == -(-total // 5)
    assert len(seen) == total


# --- map, timeline, statistics, query -------------------------------------------------------

def test_map_page_lists_every_place_with_coordinates(client, store):
    _, doc = page(client, "/map")
    expected = set(sparql_values(store, f"SELECT DISTINCT ?s WHERE {{ ?s <{S}latitude> ?lat }}", "s"))
    points = doc.data_block("map-data")
    assert {BASE + p["href"][1:-len(".html")] for p in points} == expected
    for p in points:
        assert -90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180
        if p["kind"] == "camp":
            assert p["approximate"] is True and p["from"]["href"].startswith("/id/place/")
    # offline basemap: the outlines come from this server
    div = doc.find("div", id="map")[0]
    assert div["data-atlas"].startswith("/vendor/world-atlas/")
    assert client.get(div["data-atlas"]).json()["type"] == "Topology"
    assert not [s for s in doc.scripts if s[0].get("src", "/").startswith("http")]


def test_timeline_keeps_the_precision_of_each_date(client, store):
    r, doc = page(client, "/timeline")
    dates = sparql_values(store, f"SELECT DISTINCT ?d WHERE {{ ?e <{S}startDate> ?d }}", "d")
    shown = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', r.text)
    assert all(a == b for a, b in shown)
    assert set(dates) <= {a for a, _ in shown}
    assert any(len(d) == 4 for d in dates) and any(len(d) == 7 for d in dates)
    for d in dates:
        if len(d) == 4:
            assert f"{d}-01-01" not in r.text  # never padded
    firsts = [m for m in re.findall(r'<div class="when"><time datetime="([^"]+)"', r.text)]
    assert firsts == sorted(firsts)
    assert "/id/event/last-major-release-1956.html" in doc.hrefs()
    assert "/id/source/s000.html" in doc.hrefs()


def test_stats_page_charts_the_series_and_sets_estimates_side_by_side(client, store):
    r, doc = page(client, "/stats")
    obs = store.query(f"""SELECT ?y ?n WHERE {{ ?o a <http://purl.org/linked-data/cube#Observation> ;
        <{SKG}refYear> ?y ; <{SKG}numberReleased> ?n }} ORDER BY ?y""")
    rows = [(o["y"].value, int(o["n"].value)) for o in obs]
    bars = [a for t, a in doc.tags if t == "rect" and a.get("class") == "bar"]
    assert len(bars) == len(rows) == 5
    heights = [float(b["height"]) for b in bars]
    top = max(n for _, n in rows)
    for (_, n), h in zip(rows, heights):
        assert abs(h / max(heights) - n / top) < 0.01
    for year, n in rows:
        assert f"{n:,}" in doc.text and year in doc.text
    # estimates grouped by measure, with qualifier, who, and source + locator
    measures = set(sparql_values(store, f"SELECT DISTINCT ?m WHERE {{ ?e <{SKG}measure> ?m }}", "m"))
    assert len(doc.find("table", class_="estimates")) == len(measures)
    died = r.text.split('href="/ontology#NumberDied"', 1)[1].split("</table>", 1)[0]
    assert "60,000" in died and "347,000" in died and "William F. Nimmo" in died
    assert "range" in r.text and "–" in r.text


def test_query_page_offers_every_sample(client):
    r, doc = page(client, "/query")
    samples = sorted((ROOT / "queries").glob("*.rq"))
    assert samples
    for rq in samples:
        assert doc.find("button", data_sample=rq.stem), rq.name
        pre = doc.find("pre", id=f"sample-{rq.stem}")
        assert pre
    assert rq.read_text().split("\n", 1)[0].replace("<", "&lt;") in r.text
    assert doc.find("div", id="yasgui")[0]["data-endpoint"] == "/sparql"
    assert "/vendor/yasgui/yasgui.min.js" in [a.get("src") for a, _ in doc.scripts]
    chosen = samples[0].stem
    _, doc = page(client, f"/query?sample={chosen}")
    assert doc.find("div", id="yasgui")[0]["data-chosen"] == chosen


def test_front_end_libraries_are_served_from_node_modules(client):
    assert (ROOT / "node_modules").is_dir(), "front-end libraries missing: run `npm ci`"
    for path, ctype in [("/vendor/leaflet/leaflet.js", "text/javascript"),
                        ("/vendor/leaflet/leaflet.css", "text/css"),
                        ("/vendor/topojson-client/topojson-client.min.js", "text/javascript"),
                        ("/vendor/world-atlas/countries-50m.json", "application/json"),
                        ("/vendor/yasgui/yasgui.min.js", "text/javascript"),
                        ("/vendor/yasgui/yasgui.min.css", "text/css")]:
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype), path
    assert client.get("/vendor/leaflet/../../package.json").status_code == 404
    assert client.get("/vendor/nothing/x.js").status_code == 404


# --- a hostile graph, sample queries read at request time, no node_modules ------------------

HOSTILE_LABEL = "<script>alert('label')</script>"
HOSTILE_TEXT = "</script><script>alert('desc')</script><!--"
HOSTILE_QUESTION = "<img src=x onerror=alert('q')> Which camps?"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A project whose data puts markup in a label, a description and a locator, served from
    a root with no node_modules and no CITATION.cff."""
    from siberia_kg.build import build

    root = tmp_path_factory.mktemp("hostile")
    (root / "ontology").mkdir()
    shutil.copy(ROOT / "ontology" / "siberia-kg.ttl", root / "ontology" / "siberia-kg.ttl")
    (root / "ontology" / "shapes.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n")
    shutil.copytree(ROOT / "tests" / "fixtures" / "minidata", root / "data")
    places = root / "data" / "places.trig"
    text = places.read_text()
    text = text.replace('skos:altLabel "Tayshet"@en .',
                        f'skos:altLabel "Tayshet"@en , {json.dumps(HOSTILE_LABEL)}@en .')
    text = text.replace('schema:startDate "1946"^^xsd:gYear .',
                        f'schema:startDate "1946"^^xsd:gYear ; schema:description {json.dumps(HOSTILE_TEXT)}@en .')
    places.write_text(text)
    sources = root / "data" / "sources.trig"
    sources.write_text(sources.read_text().replace('"paragraph on the railway"', '"<b>bold</b> locator"'))
    (root / "queries").mkdir()
    settings = Settings(root=root, out_dir=root / "dist")
    build(settings)
    server = start_server(settings.out_dir, root / "server.log", env={"SIBERIA_KG_ROOT": str(root)})
    yield server, root
    stop_server(server)


def test_markup_in_the_data_is_shown_escaped(hostile):
    server, _ = hostile
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r, doc = page(c, "/id/camp/taishet.html")
        assert "alert('desc')" in doc.text  # shown as text ...
        assert "<script>alert(" not in r.text  # ... never as markup
        assert "&lt;b&gt;bold&lt;/b&gt; locator" in r.text
        ld = [b for a, b in doc.scripts if a.get("type") == "application/ld+json"]
        assert len(ld) == 1 and "</" not in ld[0] and "<!--" not in ld[0]
        node = next(n for n in json.loads(ld[0])["@graph"] if n["@id"] == "camp:taishet")
        assert node["schema:description"][0]["@value"] == HOSTILE_TEXT
        assert all(a.get("type") in ("application/ld+json", "application/json")
                   for a, _ in doc.scripts if "src" not in a)
        r, doc = page(c, "/id/place/taishet.html")
        assert HOSTILE_LABEL in doc.text and HOSTILE_LABEL not in r.text
        r, doc = page(c, "/search", params={"q": "alert('label')"})
        assert "/id/place/taishet.html" in doc.hrefs()
        assert HOSTILE_LABEL not in r.text and "&lt;script&gt;" in r.text
        body = c.get("/search", params={"q": "<script>", "format": "json"}).json()
        assert body["results"][0]["matched"] == HOSTILE_LABEL  # JSON carries the text as it is
        for path in ("/map", "/timeline", "/"):
            r = c.get(path)
            assert r.status_code == 200 and "<script>alert(" not in r.text, path


def test_sample_queries_are_read_at_request_time(hostile):
    server, root = hostile
    with httpx.Client(base_url=server.url, timeout=30) as c:
        _, doc = page(c, "/query")
        assert not doc.find("button", class_="run-sample")
        (root / "queries" / "added-later.rq").write_text(
            f"# Question: {HOSTILE_QUESTION}\nSELECT * WHERE {{ ?s ?p ?o }} LIMIT 1\n")
        try:
            r, doc = page(c, "/query?sample=added-later")
            assert HOSTILE_QUESTION in doc.text and "<img src=x" not in r.text
            assert "SELECT * WHERE { ?s ?p ?o } LIMIT 1" in doc.text
            r, doc = page(c, "/")
            assert "/query?sample=added-later" in doc.hrefs() and "<img src=x" not in r.text
        finally:
            (root / "queries" / "added-later.rq").unlink()


def test_pages_work_without_node_modules(hostile):
    server, _ = hostile
    with httpx.Client(base_url=server.url, timeout=30) as c:
        _, doc = page(c, "/map")
        assert "npm ci" in doc.text
        assert not [a for a, _ in doc.scripts if "src" in a], "no script that cannot load"
        assert len(doc.data_block("map-data")) == 1  # the one place with coordinates, listed below
        assert "/id/place/taishet.html" in doc.hrefs()
        _, doc = page(c, "/query")
        assert "npm ci" in doc.text and doc.find("form", action="/sparql")
        r = c.get("/vendor/leaflet/leaflet.js")
        assert r.status_code == 404 and "npm ci" in r.text
        _, doc = page(c, "/")  # no CITATION.cff: still a landing page
        assert "How to cite" in doc.text
