"""The W3C Entity Reconciliation API (what OpenRefine speaks), over real HTTP on loopback.

Responses are checked against the structure the API's published JSON schemas require
(reconciliation-api/specs, versions 0.2 and 1.0-draft). No package on PyPI or npm ships those
schemas, so their requirements are written out below as checks, each naming the schema file
and version it follows; see ``check_*``.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import httpx
import pytest

SKG = "https://w3id.org/siberia-kg/ontology#"
SCHEMA = "https://schema.org/"
CAMP, PLACE, PERSON, ORG, WORK, EVENT = (SKG + "Camp", SCHEMA + "Place", SCHEMA + "Person",
                                         SCHEMA + "Organization", SCHEMA + "CreativeWork",
                                         SCHEMA + "Event")


@pytest.fixture(scope="module")
def http(live):
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


def reconcile(http, batch: dict, method: str = "POST") -> dict:
    """Send a batch the way OpenRefine does (form field ``queries``), check it, return results."""
    check_query_batch_02(batch)
    if method == "POST":
        r = http.post("/reconcile", data={"queries": json.dumps(batch)})
    else:
        r = http.get("/reconcile", params={"queries": json.dumps(batch)})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    data = r.json()
    check_result_batch_02(data, batch.keys())
    return data


def one(http, query: dict) -> list[dict]:
    return reconcile(http, {"q0": query})["q0"]["result"]


def ids(result: list[dict]) -> list[str]:
    return [c["id"] for c in result]


def draft_post(http, path: str, body) -> httpx.Response:
    return http.post(f"/reconcile/1.0-draft{path}", content=json.dumps(body),
                     headers={"Content-Type": "application/json"})


# --------------------------------------------------------------------------------------------
# Structural checks from the published schemas
# --------------------------------------------------------------------------------------------

def _is_str(x) -> bool:
    return isinstance(x, str)


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_type_object(t, draft: bool = False) -> None:
    # 0.2/schemas/type.json and 1.0-draft/schemas/type.json: object, required id and name
    # (strings), optional description (string), broader (array of type.json).
    assert isinstance(t, dict) and _is_str(t["id"]) and _is_str(t["name"]), t
    assert _is_str(t.get("description", "")), t
    for b in t.get("broader", []):
        check_type_object(b, draft)


def check_manifest_02(m) -> None:
    # 0.2/schemas/manifest.json
    assert isinstance(m, dict)
    for key in ("versions", "name", "identifierSpace", "schemaSpace"):  # "required"
        assert key in m, key
    assert isinstance(m["versions"], list) and all(map(_is_str, m["versions"]))
    assert "0.2" in m["versions"]                                       # "contains": ["0.2"]
    for key in ("name", "identifierSpace", "schemaSpace", "documentation", "serviceVersion",
                "logo"):
        assert _is_str(m.get(key, "")), key
    for key in ("view", "feature_view"):
        if key in m:
            assert re.fullmatch(r".*\{\{id\}\}.*", m[key]["url"])       # required url, pattern
    types = m.get("defaultTypes", [])
    for t in types:
        check_type_object(t)
    assert len({json.dumps(t, sort_keys=True) for t in types}) == len(types)  # uniqueItems
    if "suggest" in m:
        for kind in ("entity", "property", "type"):
            d = m["suggest"].get(kind)
            if d is None:
                continue
            assert isinstance(d, dict)
            for key in ("service_url", "service_path", "flyout_service_url", "flyout_service_path"):
                assert _is_str(d.get(key, "")), key
            if "flyout_service_path" in d:
                assert re.fullmatch(r".*\$\{id\}.*", d["flyout_service_path"])
    if "preview" in m:
        p = m["preview"]
        assert re.fullmatch(r".*\{\{id\}\}.*", p["url"])
        assert isinstance(p["width"], int) and isinstance(p["height"], int)
    if "extend" in m:
        pp = m["extend"].get("propose_properties", {})
        assert isinstance(pp, dict)
        assert all(_is_str(pp.get(k, "")) for k in ("service_url", "service_path"))
        for s in m["extend"].get("property_settings", []):
            # oneOf number | text | checkbox | select, each requiring type, label, name
            assert s["type"] in ("number", "text", "checkbox", "select")
            assert _is_str(s["label"]) and _is_str(s["name"])
            default_check = {"number": _is_num, "text": _is_str, "select": _is_str,
                             "checkbox": lambda x: isinstance(x, bool)}[s["type"]]
            if "default" in s:
                assert default_check(s["default"]), s
            if s["type"] == "select":
                assert all(_is_str(c["value"]) and _is_str(c["name"]) for c in s["choices"])


def _check_property_value(v) -> None:
    # reconciliation-query-batch.json#/definitions/property_value (0.2 and 1.0-draft)
    if isinstance(v, dict):
        assert _is_str(v["id"]) and _is_str(v.get("name", ""))
    else:
        assert isinstance(v, (str, int, float, bool))


def check_query_batch_02(batch) -> None:
    # 0.2/schemas/reconciliation-query-batch.json: what we send is a valid 0.2 batch.
    assert isinstance(batch, dict)
    for q in batch.values():
        assert isinstance(q, dict)
        # additionalProperties: false
        assert set(q) <= {"query", "type", "limit", "properties", "type_strict"}
        assert "query" in q or q.get("properties")                              # anyOf
        assert _is_str(q.get("query", ""))
        t = q.get("type", "")
        assert _is_str(t) or (isinstance(t, list) and all(map(_is_str, t)))
        assert _is_num(q.get("limit", 1))
        assert q.get("type_strict", "any") in ("any", "should", "all")
        for p in q.get("properties", []):
            assert _is_str(p["pid"])
            for v in (p["v"] if isinstance(p["v"], list) else [p["v"]]):
                _check_property_value(v)


def _check_candidate(c, draft: bool) -> None:
    # reconciliation-result-batch.json, candidate items: required id, name (and score in 0.2).
    assert _is_str(c["id"]) and _is_str(c["name"])
    if not draft:
        assert "score" in c
    assert _is_num(c.get("score", 0))
    assert _is_str(c.get("description", ""))
    assert isinstance(c.get("match", False), bool)
    for f in c.get("features", []):
        assert _is_str(f["id"]) and isinstance(f["value"], (bool, int, float))  # oneOf bool|number
        if draft:
            assert _is_str(f["name"])  # 1.0-draft requires id, name and value
    for t in c.get("type", []):
        assert _is_str(t) or (isinstance(t, dict) and _is_str(t["id"])
                              and _is_str(t.get("name", "")))


def check_result_batch_02(data, keys) -> None:
    # 0.2/schemas/reconciliation-result-batch.json: object of {"result": [candidates]}.
    assert isinstance(data, dict) and set(data) == set(keys)
    for value in data.values():
        assert isinstance(value["result"], list)
        for c in value["result"]:
            _check_candidate(c, draft=False)
        scores = [c["score"] for c in value["result"]]
        assert scores == sorted(scores, reverse=True)  # the spec: SHOULD be sorted by score


def check_suggest(data, what: str, draft: bool = False) -> None:
    # {0.2,1.0-draft}/schemas/suggest-{entities,properties,types}-response.json
    assert isinstance(data["result"], list)
    for item in data["result"]:
        if what == "type":
            check_type_object(item, draft)
            continue
        assert _is_str(item["id"]) and _is_str(item["name"])
        assert _is_str(item.get("description", ""))
        for t in item.get("notable", []):
            assert _is_str(t) or (_is_str(t["id"]) and _is_str(t.get("name", "")))


_DATE = re.compile(r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T"
                   r"(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?"
                   r"(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$")


def _check_extension_value(v, draft: bool) -> None:
    # data-extension-response.json, value items: oneOf {} | {id, name, description?} |
    # {str} | {float} | {int} | {date (ISO date-time)}, each with additionalProperties false
    # (1.0-draft also allows lang and dir on {id, name} and {str}).
    extra = {"lang", "dir"} if draft else set()
    shapes = [
        (set(), set()),
        ({"id", "name"}, {"description"} | extra),
        ({"str"}, extra),
        ({"float"}, set()),
        ({"int"}, set()),
        ({"date"}, set()),
    ]
    fits = [req for req, opt in shapes if req <= set(v) and set(v) <= req | opt]
    assert len(fits) == 1, v
    if "float" in v:
        assert _is_num(v["float"])
    if "int" in v:
        assert isinstance(v["int"], int) and not isinstance(v["int"], bool)
    if "date" in v:
        assert _DATE.match(v["date"]), v
    for key in ("id", "name", "str", "description"):
        assert _is_str(v.get(key, ""))


def check_extension_response(data, draft: bool) -> None:
    assert "rows" in data and "meta" in data
    for m in data["meta"]:
        assert _is_str(m["id"]) and _is_str(m["name"])
        if "type" in m:
            assert _is_str(m["type"]["id"])
    if draft:   # 1.0-draft: rows is an array of {id, properties: [{id, values}]}
        for row in data["rows"]:
            assert _is_str(row["id"])
            for p in row["properties"]:
                assert _is_str(p["id"])
                for v in p["values"]:
                    _check_extension_value(v, True)
    else:       # 0.2: rows is an object: id -> property id -> array of values
        for row in data["rows"].values():
            for values in row.values():
                for v in values:
                    _check_extension_value(v, False)


def check_property_proposal(data) -> None:
    # 1.0-draft/schemas/data-extension-property-proposal.json (0.2 gives only an example of
    # the same shape): required properties (items with required id, name), type, limit.
    for p in data["properties"]:
        assert _is_str(p["id"]) and _is_str(p["name"])
    assert _is_str(data.get("type", ""))
    assert _is_num(data.get("limit", 0))


def check_manifest_10(m) -> None:
    # 1.0-draft/schemas/manifest.json
    for key in ("versions", "name", "view"):
        assert key in m, key
    assert "1.0-draft" in m["versions"] and all(map(_is_str, m["versions"]))
    assert re.fullmatch(r".*\{.*id.*\}.*", m["view"]["url"])
    for t in m.get("defaultTypes", []):
        check_type_object(t, draft=True)
    s = m["suggest"]
    assert all(isinstance(s[k], bool) for k in ("entity", "property", "type"))  # all required
    assert isinstance(m["preview"]["width"], int) and isinstance(m["preview"]["height"], int)
    assert isinstance(m["extend"]["proposeProperties"], bool)
    for setting in m["extend"]["propertySettings"]:
        assert setting["type"] in ("number", "text", "checkbox", "select")
        assert _is_str(setting["id"]) and _is_str(setting["name"])
        if setting["type"] == "select":
            assert all(_is_str(c["value"]) and _is_str(c["name"]) for c in setting["choices"])
    assert isinstance(m.get("standardizedScore", False), bool)


def check_query_batch_10(batch) -> None:
    # 1.0-draft/schemas/reconciliation-query-batch.json (what we send)
    assert isinstance(batch["queries"], list)
    for q in batch["queries"]:
        assert set(q) <= {"type", "limit", "lang", "dir", "conditions"}
        assert isinstance(q["conditions"], list) and q["conditions"]
        for c in q["conditions"]:
            assert c["matchType"] in ("name", "property") and "v" in c
            assert c.get("matchQuantifier", "any") in ("any", "all", "none")


def check_result_batch_10(data, n: int) -> None:
    # 1.0-draft/schemas/reconciliation-result-batch.json: {"results": [{"candidates": [...]}]}
    assert isinstance(data["results"], list) and len(data["results"]) == n
    for result in data["results"]:
        for c in result["candidates"]:
            _check_candidate(c, draft=True)
            assert 0 <= c["score"] <= 100  # the manifest says standardizedScore: true


# --------------------------------------------------------------------------------------------
# Manifest, JSONP
# --------------------------------------------------------------------------------------------

def test_manifest_describes_the_service(http, live):
    r = http.get("/reconcile")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.headers["access-control-allow-origin"] == "*"
    m = r.json()
    check_manifest_02(m)
    assert m["identifierSpace"] == f"{live.base}id/"
    assert m["schemaSpace"] == SKG
    assert [t["id"] for t in m["defaultTypes"]] == [CAMP, PLACE, PERSON, ORG, WORK, EVENT]
    assert [t["name"] for t in m["defaultTypes"]] == ["camp", "place", "person", "organization",
                                                      "work", "event"]
    assert m["view"]["url"] == f"{live.url}/id/{{{{id}}}}"
    assert m["batchSize"] == 100
    # Every URL in the manifest leads somewhere real on this server.
    view = m["view"]["url"].replace("{{id}}", quote("camp/taishet", safe=""))
    r = http.get(view, headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"] == "/id/camp/taishet.html"
    assert http.get(r.headers["location"]).status_code == 200
    preview = m["preview"]["url"].replace("{{id}}", quote("camp/taishet", safe=""))
    assert "Taishet" in http.get(preview).text
    for kind, query in (("entity", "taish"), ("type", "cam"), ("property", "contained")):
        s = m["suggest"][kind]
        r = http.get(s["service_url"] + s["service_path"], params={"prefix": query})
        assert r.status_code == 200 and r.json()["result"], kind
    flyout = m["suggest"]["entity"]
    path = flyout["flyout_service_path"].replace("${id}", "camp/taishet")
    r = http.get(flyout["service_url"] + path)
    assert "Taishet" in r.json()["html"]
    pp = m["extend"]["propose_properties"]
    r = http.get(pp["service_url"] + pp["service_path"], params={"type": CAMP})
    assert r.status_code == 200 and r.json()["properties"]


def test_manifest_ignores_a_forged_host(live):
    # The identifier space comes from the configured base, never from the request.
    with httpx.Client(base_url=live.url, timeout=10) as c:
        m = c.get("/reconcile", headers={"Host": "evil.example"}).json()
        assert m["identifierSpace"] == f"{live.base}id/"
        # The sub-services are where the client asked.
        assert m["preview"]["url"].startswith("http://evil.example/reconcile/")
        m = c.get("/reconcile", headers={"Host": 'x"/><script>'}).json()
        assert m["identifierSpace"] == f"{live.base}id/"
        assert "<script>" not in json.dumps(m)
        assert m["preview"]["url"].startswith(live.base.rstrip("/") + "/reconcile/preview")


def test_manifest_as_jsonp(http):
    plain = http.get("/reconcile").json()
    r = http.get("/reconcile", params={"callback": "jQuery34107_1700000000000",
                                       "_": "1700000000001"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/javascript; charset=utf-8"
    m = re.fullmatch(r"/\*\*/jQuery34107_1700000000000\((.*)\);", r.text, re.S)
    assert m, r.text[:80]
    assert json.loads(m.group(1)) == plain
    dotted = http.get("/reconcile", params={"callback": "ns.refine.cb_1"})
    assert dotted.text.startswith("/**/ns.refine.cb_1(")


@pytest.mark.parametrize("callback", [
    "alert(1)", "a;b", "1abc", "a..b", "a.", "<script>", "a b", "", "x" * 129, "a-b", "ä",
    "cb\u2028", "a[0]",
])
def test_jsonp_refuses_bad_callback_names(http, callback):
    for path in ("/reconcile", "/reconcile/suggest/entity?prefix=a"):
        r = http.get(path, params={"callback": callback})
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("application/json")
        assert "callback" in r.json()["error"]


# --------------------------------------------------------------------------------------------
# Reconciliation queries
# --------------------------------------------------------------------------------------------

# Ten queries as OpenRefine 3.x sends a batch: a type with type_strict "should", a limit, and
# the columns chosen as properties.
OPENREFINE_BATCH = {
    "q0": {"query": "Fumo Chitai", "type": WORK, "type_strict": "should", "limit": 5},
    "q1": {"query": "TAYSHET", "limit": 5},
    "q2": {"query": "TAYSHET", "type": CAMP, "type_strict": "should", "limit": 5},
    "q3": {"query": "Khabarovsk", "type": SCHEMA + "City", "type_strict": "should", "limit": 5},
    "q4": {"query": "Khabarovsk", "type": SCHEMA + "AdministrativeArea", "type_strict": "should",
           "limit": 5},
    "q5": {"query": "ハバロフスク", "limit": 5},
    "q6": {"query": "Хабаровский край", "type": PLACE, "type_strict": "should", "limit": 5},
    "q7": {"query": "Komsomolsk-on-Amur", "type": CAMP, "type_strict": "should", "limit": 5},
    "q8": {"query": "Tetsuro Ahiko", "type": PERSON, "type_strict": "should", "limit": 5,
           "properties": [{"pid": SCHEMA + "deathDate", "v": "2020"}]},
    "q9": {"query": "Taishet", "type": CAMP, "type_strict": "should", "limit": 5,
           "properties": [{"pid": SCHEMA + "containedInPlace", "v": "Irkutsk Oblast"}]},
}


def test_openrefine_batch(http):
    res = reconcile(http, OPENREFINE_BATCH)
    top = {k: v["result"][0] for k, v in res.items()}

    # Accents: "Fumo Chitai" is the novel Fumō Chitai, an unambiguous exact match; its
    # adaptations (film, television) are candidates too, below it and not matches.
    assert top["q0"]["id"] == "work/fumo-chitai" and top["q0"]["name"] == "Fumō Chitai"
    assert top["q0"]["score"] == 100 and top["q0"]["match"] is True
    rest = res["q0"]["result"][1:]
    assert "work/fumo-chitai-film" in ids(rest) and not any(c["match"] for c in rest)

    # Case: TAYSHET is the place (its altLabel Tayshet); as a camp, the camp at Taishet.
    assert top["q1"]["id"] == "place/taishet" and top["q1"]["match"] is True
    assert "camp/taishet" in ids(res["q1"]["result"])
    assert top["q2"]["id"] == "camp/taishet" and top["q2"]["match"] is False

    # Homonyms told apart by type: the city and the krai.
    assert top["q3"]["id"] == "place/khabarovsk" and top["q3"]["match"] is True
    assert top["q4"]["id"] == "place/khabarovsk-krai" and top["q4"]["match"] is False
    city = next(c for c in res["q4"]["result"] if c["id"] == "place/khabarovsk")
    assert city["score"] < top["q4"]["score"] and city["match"] is False
    assert {"id": "type_match", "value": False} in city["features"]

    # Japanese and Russian names, answered in the language asked.
    assert top["q5"]["id"] == "place/khabarovsk" and top["q5"]["name"] == "ハバロフスク"
    assert top["q5"]["match"] is True
    assert res["q5"]["result"][1]["id"] == "place/khabarovsk-krai"
    assert top["q6"]["id"] == "place/khabarovsk-krai" and top["q6"]["name"] == "Хабаровский край"
    assert top["q6"]["match"] is True

    # Two camps at Komsomolsk-on-Amur: both candidates, equal, neither a match.
    assert set(ids(res["q7"]["result"][:2])) == {"camp/komsomolsk-on-amur-1",
                                                 "camp/komsomolsk-on-amur-2"}
    assert res["q7"]["result"][0]["score"] == res["q7"]["result"][1]["score"]
    assert not any(c["match"] for c in res["q7"]["result"])

    # A person by name and death year.
    assert top["q8"]["id"] == "person/tetsuro-ahiko" and top["q8"]["match"] is True
    assert {"id": "property:schema:deathDate", "value": 1.0} in top["q8"]["features"]

    # A camp by its town's name and its region (Taishet lies in Irkutsk Oblast).
    assert top["q9"]["id"] == "camp/taishet"
    assert {"id": "property:schema:containedInPlace", "value": 1.0} in top["q9"]["features"]
    assert top["q9"]["score"] > top["q2"]["score"]

    # Candidates say what they are, for OpenRefine's type column and disambiguation.
    assert {"id": SCHEMA + "City", "name": "city"} in top["q3"]["type"]
    assert "Irkutsk Oblast" in top["q1"]["description"]


def test_batch_latency(http, capsys):
    """Ten queries in one POST, as OpenRefine sends them, timed over real HTTP."""
    body = {"queries": json.dumps(OPENREFINE_BATCH)}
    http.post("/reconcile", data=body)  # warm the connection
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        r = http.post("/reconcile", data=body)
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200
    median, worst = statistics.median(times), max(times)
    with capsys.disabled():
        print(f"\n10-query reconciliation batch over HTTP: median {median * 1000:.1f} ms, "
              f"max {worst * 1000:.1f} ms (20 runs)")
    assert median < 0.5, f"median {median:.3f} s for a 10-query batch"


def test_get_post_and_json_body_agree(http):
    batch = {k: OPENREFINE_BATCH[k] for k in ("q0", "q4", "q9")}
    posted = reconcile(http, batch, "POST")
    assert reconcile(http, batch, "GET") == posted
    r = http.post("/reconcile", content=json.dumps(batch).encode(),
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == posted
    r = http.post("/reconcile", content=("queries=" + quote(json.dumps(batch))).encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert r.json() == posted


def test_type_constraints(http):
    # Strict (the default, "any"): only candidates of the type.
    krai = one(http, {"query": "Khabarovsk", "type": SCHEMA + "AdministrativeArea"})
    assert ids(krai) == ["place/khabarovsk-krai"]
    # "should": others stay, ranked lower.
    soft = one(http, {"query": "Khabarovsk", "type": SCHEMA + "AdministrativeArea",
                      "type_strict": "should"})
    assert ids(soft)[0] == "place/khabarovsk-krai" and "place/khabarovsk" in ids(soft)
    # Types are closed upwards: a city is a place, a camp is a place.
    places = one(http, {"query": "Taishet", "type": PLACE, "limit": 10})
    assert {"place/taishet", "camp/taishet"} <= set(ids(places))
    # The same type by IRI, CURIE or short name.
    by_iri = one(http, {"query": "Taishet", "type": CAMP})
    assert one(http, {"query": "Taishet", "type": "skg:Camp"}) == by_iri
    assert one(http, {"query": "Taishet", "type": "camp"}) == by_iri
    assert ids(by_iri) == ["camp/taishet"]
    # A list of types: any of them, or all of them.
    either = one(http, {"query": "Fumo Chitai", "type": [SCHEMA + "Movie", SCHEMA + "TVSeries"]})
    assert set(ids(either)) == {"work/fumo-chitai-film", "work/fumo-chitai-tv-drama-1",
                                "work/fumo-chitai-tv-drama-2"}
    both = one(http, {"query": "Fumo Chitai", "type": [SCHEMA + "Book", SKG + "FictionalWork"],
                      "type_strict": "all"})
    assert ids(both) == ["work/fumo-chitai"] and both[0]["match"] is True
    # The film, asked for as a film, is the best candidate but not an exact label match.
    film = one(http, {"query": "Fumo Chitai", "type": SCHEMA + "Movie"})
    assert ids(film) == ["work/fumo-chitai-film"] and film[0]["match"] is False


def test_property_constraints(http):
    base = one(http, {"query": "Taishet", "type": CAMP})[0]
    by_name = one(http, {"query": "Taishet", "type": CAMP, "properties": [
        {"pid": "schema:containedInPlace", "v": "Irkutsk Oblast"}]})[0]
    by_id = one(http, {"query": "Taishet", "type": CAMP, "properties": [
        {"pid": SCHEMA + "containedInPlace",
         "v": {"id": "place/irkutsk-oblast", "name": "Irkutsk"}}]})[0]
    wrong = one(http, {"query": "Taishet", "type": CAMP, "properties": [
        {"pid": SCHEMA + "containedInPlace", "v": "Khabarovsk Krai"}]})[0]
    assert by_name["score"] == by_id["score"] > base["score"] > wrong["score"]
    assert {"id": "property:schema:containedInPlace", "value": 0.0} not in by_name["features"]
    # A death year that contradicts ours: still a candidate, but halved and never a match.
    ahiko = one(http, {"query": "Tetsuro Ahiko", "type": PERSON, "properties": [
        {"pid": SCHEMA + "deathDate", "v": 1999}]})
    assert ids(ahiko) == ["person/tetsuro-ahiko"]
    assert ahiko[0]["match"] is False and ahiko[0]["score"] == 50
    # A full date and a year-and-month agree with the day the graph gives.
    for v in ("2020-06-18", "2020-06", 2020):
        got = one(http, {"query": "Tetsuro Ahiko",
                         "properties": [{"pid": SCHEMA + "deathDate", "v": v}]})
        assert got[0]["match"] is True, v
    # Properties alone: the camps in Khabarovsk Krai (at any depth), not the one at Taishet.
    krai = one(http, {"properties": [{"pid": SCHEMA + "containedInPlace",
                                      "v": {"id": "place/khabarovsk-krai"}}],
                      "type": CAMP, "limit": 20})
    assert {"camp/komsomolsk-on-amur-1", "camp/komsomolsk-on-amur-2"} <= set(ids(krai))
    assert "camp/taishet" not in ids(krai) and not any(c["match"] for c in krai)
    # A blank cell in a property column changes nothing.
    blank = one(http, {"query": "Taishet", "type": CAMP, "properties": [
        {"pid": SCHEMA + "containedInPlace", "v": ""}, {"pid": SCHEMA + "deathDate", "v": [" "]}]})
    assert blank == [base]
    # A Wikidata item as a value of skos:exactMatch.
    wd = one(http, {"properties": [{"pid": "skos:exactMatch", "v": {"id": "Q196594"}}]})
    assert ids(wd) == ["place/taishet"]


@pytest.mark.parametrize("query,expected,score,match", [
    ("Fumo Chitai", "work/fumo-chitai", 100, True),
    ("FUMŌ CHITAI", "work/fumo-chitai", 100, True),
    ("Ｆｕｍｏ　Ｃｈｉｔａｉ", "work/fumo-chitai", 100, True),   # full-width
    ("不毛地帯", "work/fumo-chitai", 100, True),
    ("ﾊﾊﾞﾛﾌｽｸ", "place/khabarovsk", 100, True),               # half-width katakana
    ("Тайшет", "place/taishet", 100, True),
    ("tayshet", "place/taishet", 100, True),
    ("Komsomolsk na Amure", "place/komsomolsk-on-amur", 100, True),
    ("Fumou Chitai", "work/fumo-chitai", 95, False),          # romanization variant (ou)
    ("Taischet", "place/taishet", 95, False),                 # German spelling
    ("Райчиха", "place/raychikha-station", 95, False),        # Cyrillic vs romanized label
    ("Nikolay Gagen", "person/nikolai-gagen", 95, False),
])
def test_accents_width_scripts_and_romanizations(http, query, expected, score, match):
    top = one(http, {"query": query})[0]
    assert (top["id"], top["score"], top["match"]) == (expected, score, match)


def test_near_misses_are_candidates_not_matches(http):
    typo = one(http, {"query": "Khabarovks"})
    assert typo[0]["id"] == "place/khabarovsk" and 60 <= typo[0]["score"] < 95
    assert not any(c["match"] for c in typo)
    inverted = one(http, {"query": "Stalin, Joseph"})
    assert inverted[0]["id"] == "person/joseph-stalin" and inverted[0]["match"] is False
    assert one(http, {"query": "Qwxzvbnm Plokijuh"}) == []


def test_identifier_as_query(http, live):
    for q in ("camp/taishet", f"{live.base}id/camp/taishet"):
        top = one(http, {"query": q})[0]
        assert (top["id"], top["score"], top["match"]) == ("camp/taishet", 100, True)


def test_single_query_of_version_0_1(http):
    r = http.get("/reconcile", params={"query": "Taishet"})
    assert r.status_code == 200 and r.json()["result"][0]["id"] == "place/taishet"
    r = http.get("/reconcile", params={"query": json.dumps({"query": "Taishet", "type": "camp"})})
    assert [c["id"] for c in r.json()["result"]] == ["camp/taishet"]


# --------------------------------------------------------------------------------------------
# Preview, flyout, suggest
# --------------------------------------------------------------------------------------------

def test_preview_card(http, live):
    r = http.get("/reconcile/preview", params={"id": "camp/taishet"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert "frame-ancestors *" in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert "<h1 lang=\"en\">Baikal-Amur Mainline camp at Taishet</h1>" in page
    assert 'href="/id/camp/taishet.html"' in page and "<script" not in page
    assert http.get("/reconcile/preview", params={"id": f"{live.base}id/camp/taishet"}).text == page
    # Values are escaped: the apostrophe in the film's description, and the Russian name.
    film = http.get("/reconcile/preview", params={"id": "work/fumo-chitai-film"}).text
    assert "Yamasaki&#x27;s" in film and "Yamasaki's" not in film
    taishet = http.get("/reconcile/preview", params={"id": "place/taishet"}).text
    assert '<span lang="ru">Тайшет</span>' in taishet and "Q196594" in taishet
    ja = http.get("/reconcile/preview", params={"id": "place/khabarovsk", "lang": "ja"}).text
    assert '<h1 lang="ja">ハバロフスク</h1>' in ja
    bad = http.get("/reconcile/preview", params={"id": "<script>alert(1)</script>"})
    assert bad.status_code == 404 and "&lt;script&gt;" in bad.text and "<script>" not in bad.text
    assert http.get("/reconcile/preview").status_code == 400


def test_preview_renders_in_a_cross_origin_iframe(live, browser):
    """OpenRefine shows the preview in an iframe on its own origin: a browser must render it."""
    frame_url = f"{live.url}/reconcile/preview?id=camp%2Ftaishet"
    page_html = (f'<!DOCTYPE html><html><body><iframe id="p" src="{frame_url}" width="420" '
                 'height="260"></iframe></body></html>')

    class Host(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Host)  # another origin: another port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = browser.new_page()
        try:
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/", wait_until="load")
            frame = page.frame_locator("#p")
            heading = frame.locator("h1")
            heading.wait_for(timeout=10_000)
            assert heading.inner_text() == "Baikal-Amur Mainline camp at Taishet"
        finally:
            page.close()
    finally:
        server.shutdown()
        server.server_close()


def test_flyout(http):
    r = http.get("/reconcile/flyout/entity", params={"id": "work/fumo-chitai-film"})
    data = r.json()
    assert data["id"] == "work/fumo-chitai-film"
    assert data["html"].startswith('<div class="siberia-kg-flyout">')
    assert "Yamasaki&#x27;s" in data["html"]
    r = http.get("/reconcile/flyout/entity", params={"id": "camp/taishet", "callback": "cb"})
    assert r.text.startswith("/**/cb({") and r.text.endswith("});")
    assert http.get("/reconcile/flyout/entity", params={"id": "camp/nowhere"}).status_code == 404


def test_suggest_entities(http):
    r = http.get("/reconcile/suggest/entity", params={"prefix": "khab"})
    data = r.json()
    check_suggest(data, "entity")
    assert ids(data["result"])[:2] == ["place/khabarovsk", "place/khabarovsk-krai"]
    assert {"id": SCHEMA + "City", "name": "city"} in data["result"][0]["notable"]
    # Japanese and Russian prefixes, named in their language; accents and case aside.
    ja = http.get("/reconcile/suggest/entity", params={"prefix": "ハバ"}).json()["result"]
    assert ja[0]["id"] == "place/khabarovsk" and ja[0]["name"] == "ハバロフスク"
    ru = http.get("/reconcile/suggest/entity", params={"prefix": "тай"}).json()["result"]
    assert ru[0]["id"] == "place/taishet" and ru[0]["name"] == "Тайшет"
    accented = http.get("/reconcile/suggest/entity", params={"prefix": "FUMŌ"}).json()["result"]
    assert accented[0]["id"] == "work/fumo-chitai"
    # Filtered by type; paged by cursor.
    camps = http.get("/reconcile/suggest/entity", params={"prefix": "baikal", "type": "camp",
                                                          "limit": 50}).json()["result"]
    assert len(camps) == 8 and all(c["id"].startswith("camp/") for c in camps)
    first = http.get("/reconcile/suggest/entity", params={"prefix": "baikal", "type": "camp",
                                                          "limit": 3}).json()["result"]
    second = http.get("/reconcile/suggest/entity", params={
        "prefix": "baikal", "type": "camp", "limit": 3, "cursor": 3}).json()["result"]
    assert first + second == camps[:6]
    # An identifier as prefix; an empty prefix lists entities; JSONP.
    by_id = http.get("/reconcile/suggest/entity", params={"prefix": "camp/tai"}).json()["result"]
    assert ids(by_id) == ["camp/taishet"]
    assert len(http.get("/reconcile/suggest/entity", params={"prefix": ""}).json()["result"]) == 10
    jsonp = http.get("/reconcile/suggest/entity", params={"prefix": "khab", "callback": "cb"})
    assert json.loads(jsonp.text[len("/**/cb("):-2]) == data


def test_suggest_types_and_properties(http):
    types = http.get("/reconcile/suggest/type", params={"prefix": "cam"}).json()
    check_suggest(types, "type")
    assert types["result"][0]["id"] == CAMP
    assert types["result"][0]["broader"] == [{"id": PLACE, "name": "place"}]
    for prefix, expected in (("schema:Cit", SCHEMA + "City"), ("収容", CAMP)):  # CURIE; Japanese
        found = http.get("/reconcile/suggest/type", params={"prefix": prefix}).json()["result"]
        assert found[0]["id"] == expected
    props = http.get("/reconcile/suggest/property", params={"prefix": "contained"}).json()
    check_suggest(props, "property")
    assert props["result"][0]["id"] == SCHEMA + "containedInPlace"
    death = http.get("/reconcile/suggest/property", params={"prefix": "death"}).json()["result"]
    assert death[0]["id"] == SCHEMA + "deathDate"
    assert http.get("/reconcile/suggest/nothing", params={"prefix": "a"}).status_code == 404


# --------------------------------------------------------------------------------------------
# Data extension
# --------------------------------------------------------------------------------------------

def test_data_extension_0_2(http):
    proposal = http.get("/reconcile/extend/propose", params={"type": CAMP, "limit": 5}).json()
    check_property_proposal(proposal)
    assert proposal["type"] == CAMP and proposal["limit"] == 5 and len(proposal["properties"]) == 5
    assert proposal["properties"][0]["id"] == SCHEMA + "containedInPlace"
    query = {"ids": ["place/taishet", "person/tetsuro-ahiko", "camp/nowhere"], "properties": [
        {"id": "schema:containedInPlace"}, {"id": SCHEMA + "deathDate"},
        {"id": "skos:prefLabel", "settings": {"lang": "ru"}},
        {"id": "schema:latitude"}, {"id": "skos:exactMatch", "settings": {"limit": 1}}]}
    r = http.post("/reconcile", data={"extend": json.dumps(query)})
    assert r.status_code == 200
    data = r.json()
    check_extension_response(data, draft=False)
    assert [m["id"] for m in data["meta"]] == [p["id"] for p in query["properties"]]
    assert data["meta"][0]["type"] == {"id": PLACE, "name": "place"}
    taishet = data["rows"]["place/taishet"]
    assert {"id": "place/irkutsk-oblast", "name": "Irkutsk Oblast"} \
        in taishet["schema:containedInPlace"]
    assert taishet["skos:prefLabel"] == [{"str": "Тайшет"}]
    assert taishet["schema:latitude"] == [{"float": 55.9277}]
    assert taishet["skos:exactMatch"] == [{"str": "http://www.wikidata.org/entity/Q196594"}]
    # Dates keep their precision: a full date is a date, a bare year stays a string.
    assert sorted(map(json.dumps, data["rows"]["person/tetsuro-ahiko"][SCHEMA + "deathDate"])) == \
        sorted(map(json.dumps, [{"date": "2020-06-18T00:00:00Z"}, {"str": "2020"}]))
    assert all(v == [] for v in data["rows"]["camp/nowhere"].values())
    # The same through GET.
    assert http.get("/reconcile", params={"extend": json.dumps(query)}).json() == data


def test_version_1_0_draft(http, live):
    m = http.get("/reconcile/1.0-draft").json()
    check_manifest_10(m)
    assert m["view"]["url"] == f"{live.url}/id/{{+id}}"
    batch = {"queries": [
        {"conditions": [{"matchType": "name", "v": "Fumo Chitai"}], "type": "schema:Movie"},
        {"conditions": [{"matchType": "name", "v": "Khabarovsk"}], "type": "place", "limit": 3},
        {"conditions": [{"matchType": "name", "v": "Tetsuro Ahiko"},
                        {"matchType": "property", "pid": "schema:deathDate", "v": "1999",
                         "required": True}]},
        {"conditions": [{"matchType": "name", "v": ["Тайшет", "Taishet"]},
                        {"matchType": "property", "pid": "schema:containedInPlace",
                         "v": "Irkutsk Oblast"}], "lang": "ru"},
        {"conditions": [{"matchType": "property", "pid": "schema:containedInPlace",
                         "v": {"id": "place/khabarovsk-krai"}, "required": True}], "type": "camp"},
    ]}
    check_query_batch_10(batch)
    r = draft_post(http, "/reconcile", batch)
    assert r.status_code == 200, r.text
    data = r.json()
    check_result_batch_10(data, 5)
    film, khab, ahiko, taishet, camps = (x["candidates"] for x in data["results"])
    assert ids(film) == ["work/fumo-chitai-film"]
    assert ids(khab)[:2] == ["place/khabarovsk", "place/khabarovsk-krai"] and len(khab) <= 3
    assert khab[0]["match"] is True
    assert ahiko == []  # the required death year contradicts ours
    assert taishet[0]["id"] == "place/taishet" and taishet[0]["name"] == "Тайшет"
    assert taishet[0]["lang"] == "ru" and taishet[0]["match"] is True
    assert {"camp/komsomolsk-on-amur-1", "camp/komsomolsk-on-amur-2"} <= set(ids(camps))
    assert "camp/taishet" not in ids(camps)
    # Suggest, preview and extension under the draft's endpoint.
    s = http.get("/reconcile/1.0-draft/suggest/entity", params={"prefix": "taish"}).json()
    check_suggest(s, "entity", draft=True)
    card = http.get("/reconcile/1.0-draft/preview", params={"id": "place/taishet"})
    assert "Taishet" in card.text
    prop = http.get("/reconcile/1.0-draft/extend/propose", params={"type": "person"}).json()
    check_property_proposal(prop)
    assert prop["type"] == "person"
    ext = draft_post(http, "/extend", {"ids": ["place/taishet"], "properties": [
        {"id": "skos:prefLabel", "settings": {"lang": "ru"}}, {"id": "schema:containedInPlace"}]})
    data = ext.json()
    check_extension_response(data, draft=True)
    assert data["rows"][0]["properties"][0]["values"] == [{"str": "Тайшет", "lang": "ru"}]


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

def _error(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    message = r.json()["error"]
    for w in words:
        assert w in message, (w, message)


def test_malformed_json(http):
    _error(http.post("/reconcile", data={"queries": '{"q0": {"query": "Taishet"'}), 400,
           "queries parameter is not valid JSON", "line 1 column")
    _error(http.get("/reconcile", params={"queries": "{q0:"}), 400, "not valid JSON")
    _error(http.post("/reconcile", content=b"{nope", headers={"Content-Type": "application/json"}),
           400, "not valid JSON")
    _error(http.get("/reconcile", params={"extend": "[1,"}), 400,
           "extend parameter is not valid JSON")
    _error(http.post("/reconcile/1.0-draft/reconcile", content=b'{"queries": [',
                     headers={"Content-Type": "application/json"}), 400,
           "request body is not valid JSON")


@pytest.mark.parametrize("batch,words", [
    ('["Taishet"]', ["JSON object of queries"]),
    ('{"q0": "Taishet"}', ["query 'q0' must be a JSON object"]),
    ('{"q0": {"query": "Taishet", "nope": 1}}', ["unknown field(s) nope"]),
    ('{"q0": {"query": ""}}', ["'query' must be a non-empty string"]),
    ('{"q0": {"query": 5}}', ["'query' must be a non-empty string"]),
    ('{"q0": {}}', ["needs 'query' or 'properties' with a value"]),
    ('{"q0": {"properties": [{"pid": "schema:deathDate", "v": ""}]}}',
     ["needs 'query' or 'properties' with a value"]),
    ('{"q0": {"query": "a", "limit": 0}}', ["'limit' must be at least 1"]),
    ('{"q0": {"query": "a", "limit": "5"}}', ["'limit' must be an integer"]),
    ('{"q0": {"query": "a", "type": "schema:Spaceship"}}', ["unknown type 'schema:Spaceship'"]),
    ('{"q0": {"query": "a", "type_strict": "maybe"}}', ["type_strict"]),
    ('{"q0": {"query": "a", "properties": [{"pid": "schema:colour", "v": "red"}]}}',
     ["unknown property 'schema:colour'"]),
    ('{"q0": {"query": "a", "properties": [{"v": "red"}]}}', ["'pid'"]),
    ('{"q0": {"query": "a", "properties": [{"pid": "schema:deathDate", "v": [null]}]}}',
     ["a value is"]),
    ('{"q0": {"query": "' + "x" * 501 + '"}}', ["longer than 500"]),
])
def test_invalid_queries_are_refused_clearly(http, batch, words):
    _error(http.post("/reconcile", data={"queries": batch}), 400, *words)


def test_oversized_input(http, live):
    batch = {f"q{i}": {"query": "Taishet"} for i in range(101)}
    _error(http.post("/reconcile", data={"queries": json.dumps(batch)}), 413, "101 queries", "100")
    _error(draft_post(http, "/reconcile", {"queries": [
        {"conditions": [{"matchType": "name", "v": "a"}]}] * 101}), 413, "limit is 100")
    _error(http.post("/reconcile", data={"extend": json.dumps(
        {"ids": ["place/taishet"] * 501, "properties": [{"id": "schema:latitude"}]})}), 413,
        "500 ids")
    huge = {"q0": {"query": "Taishet",
                   "properties": [{"pid": "schema:latitude", "v": "x" * 400}] * 20}}
    big = json.dumps(huge) + " " * 1_000_001
    _error(http.post("/reconcile", content=("queries=" + big).encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"}), 413, "bytes")
    # The server is still there afterwards.
    assert http.get("/reconcile").status_code == 200


def test_other_request_errors(http):
    _error(http.post("/reconcile", content=b"queries", headers={"Content-Type": "text/plain"}), 415)
    _error(http.post("/reconcile", data={"nothing": "here"}), 400, "form field 'queries'")
    _error(http.get("/reconcile", params={"queries": "{}", "extend": "{}"}), 400,
           "not queries and extend")
    _error(http.post("/reconcile/1.0-draft/reconcile", data={"queries": "{}"}), 415,
           "application/json")
    _error(draft_post(http, "/reconcile", {"queries": [{"conditions": []}]}), 400, "non-empty list")
    _error(draft_post(http, "/reconcile", {"queries": [{"conditions": [
        {"matchType": "name", "v": "a", "matchQualifier": "skos:closeMatch"}]}]}), 400,
        "matchQualifier is not supported")
    _error(draft_post(http, "/reconcile", {"queries": [{"conditions": [
        {"matchType": "property", "v": "a"}]}]}), 400, "needs 'pid'")
    _error(draft_post(http, "/reconcile", {"queries": [{"query": "a"}]}), 400,
           "unknown field(s) query")
    _error(http.get("/reconcile/1.0-draft/extend/propose"), 400, "type")
    _error(http.get("/reconcile/suggest/entity", params={"prefix": "a", "cursor": "-1"}), 400,
           "cursor")
    _error(http.get("/reconcile/suggest/entity", params={"prefix": "a", "type": "spaceship"}), 400,
           "unknown type")
    assert http.delete("/reconcile").status_code == 405
