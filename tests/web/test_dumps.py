"""The dump files over real HTTP on loopback: the listing by Accept, each file with ETag and
Last-Modified, conditional requests, byte ranges, gzip, and no way out of the list."""

from __future__ import annotations

import gzip
import hashlib
import json
from email.utils import formatdate

import pytest

from .test_linked_data import FIREFOX, fetch, same_headers_without_body, vary

NQ = "siberia-kg.nq"


@pytest.fixture(scope="module")
def marker(built) -> dict:
    return json.loads((built.out_dir / ".siberia-kg-build").read_text())["files"]


def file_bytes(built, name: str) -> bytes:
    return (built.out_dir / name).read_bytes()


# --- the listing ----------------------------------------------------------------------------

@pytest.mark.parametrize("accept, kind", [
    (None, "json"), ("*/*", "json"), ("application/json", "json"), (FIREFOX, "html"),
    ("text/html", "html"), ("text/html;q=0.4, application/json;q=0.6", "json"),
    ("application/*", "json"), ("text/*", "html"),
])
def test_listing_by_accept(live, accept, kind):
    r = fetch(live, "/dumps/", {"Accept": accept} if accept else {})
    assert r.status == 200
    assert "accept" in vary(r)
    if kind == "json":
        assert r.header("Content-Type") == "application/json"
        json.loads(r.body)
    else:
        assert r.header("Content-Type") == "text/html; charset=utf-8"
        assert "<table>" in r.text


def test_listing_406(live):
    r = fetch(live, "/dumps/", {"Accept": "application/pdf"})
    assert r.status == 406
    assert "text/html" in r.text and "application/json" in r.text


def test_listing_format_parameter(live):
    assert fetch(live, "/dumps/?format=html", {"Accept": "application/json"}).header(
        "Content-Type") == "text/html; charset=utf-8"
    assert fetch(live, "/dumps/?format=json", {"Accept": FIREFOX}).header(
        "Content-Type") == "application/json"
    assert fetch(live, "/dumps/?format=pdf").status == 400


def test_listing_gives_every_file_with_size_checksum_and_count(live, built, marker):
    doc = json.loads(fetch(live, "/dumps/", {"Accept": "application/json"}).body)
    assert doc["dataset"] == "https://w3id.org/siberia-kg/id/dataset/siberia-kg"
    files = {f["name"]: f for f in doc["files"]}
    assert set(files) == set(marker)
    assert {"siberia-kg.ttl", "siberia-kg.nt", "siberia-kg.jsonld", "siberia-kg.rdf",
            "siberia-kg.trig", NQ, "void.ttl"} <= set(files)
    for name, f in files.items():
        data = file_bytes(built, name)
        assert f["size"] == len(data) == marker[name]["size"]
        assert f["sha256"] == hashlib.sha256(data).hexdigest() == marker[name]["sha256"]
        assert f["media_type"] == marker[name]["media_type"]
        assert f["statements"] == marker[name]["statements"]
        assert f["url"] == f"/dumps/{name}"
        assert f["iri"] == f"https://w3id.org/siberia-kg/dumps/{name}"
    assert files[NQ]["statement_kind"] == "quads"
    assert files["siberia-kg.nt"]["statement_kind"] == "triples"


def test_html_listing_shows_names_sizes_and_checksums(live, marker):
    text = fetch(live, "/dumps/", {"Accept": "text/html"}).text
    for name, f in marker.items():
        assert f'href="/dumps/{name}"' in text
        assert f["sha256"] in text
        assert f'title="{f["size"]} bytes"' in text


def test_dumps_without_slash_redirects(live):
    r = fetch(live, "/dumps")
    assert r.status == 301 and r.header("Location") == "/dumps/"


# --- one file -------------------------------------------------------------------------------

CTYPES = {
    "siberia-kg.ttl": "text/turtle; charset=utf-8",
    "siberia-kg.nt": "application/n-triples",
    "siberia-kg.jsonld": "application/ld+json",
    "siberia-kg.rdf": "application/rdf+xml; charset=utf-8",
    "siberia-kg.trig": "application/trig",
    "siberia-kg.nq": "application/n-quads",
    "siberia-kg-ontology.ttl": "text/turtle; charset=utf-8",
    "void.ttl": "text/turtle; charset=utf-8",
}


@pytest.mark.parametrize("name", sorted(CTYPES))
def test_each_file_is_served_with_its_validators(live, built, marker, name):
    r = fetch(live, f"/dumps/{name}")
    data = file_bytes(built, name)
    assert r.status == 200
    assert r.body == data
    assert r.header("Content-Type") == CTYPES[name]
    assert r.header("Content-Length") == str(len(data))
    assert r.header("ETag") == f'"{marker[name]["sha256"]}"'
    assert r.header("Last-Modified") == formatdate((built.out_dir / name).stat().st_mtime, usegmt=True)
    assert r.header("Accept-Ranges") == "bytes"
    assert "accept-encoding" in vary(r)
    assert r.header("Content-Encoding") is None


def test_conditional_requests_give_304(live, marker):
    path = f"/dumps/{NQ}"
    first = fetch(live, path)
    etag, last_modified = first.header("ETag"), first.header("Last-Modified")
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"x", {etag}'},
                    {"If-None-Match": f"W/{etag}"}, {"If-None-Match": "*"},
                    {"If-Modified-Since": last_modified},
                    {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}):
        r = fetch(live, path, headers)
        assert r.status == 304, headers
        assert r.body == b"" and r.header("ETag") == etag
    for headers in ({"If-None-Match": '"other"'},
                    {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
                    {"If-Modified-Since": "yesterday"},
                    # If-None-Match decides when both are sent
                    {"If-None-Match": '"other"', "If-Modified-Since": last_modified}):
        r = fetch(live, path, headers)
        assert r.status == 200, headers
        assert hashlib.sha256(r.body).hexdigest() == marker[NQ]["sha256"]


def test_single_ranges_give_206(live, built):
    data = file_bytes(built, NQ)
    size = len(data)
    for spec, (first, last) in {"bytes=0-99": (0, 99), "bytes=100-": (100, size - 1),
                                "bytes=-50": (size - 50, size - 1),
                                f"bytes={size - 10}-{size + 500}": (size - 10, size - 1),
                                "bytes=7-7": (7, 7)}.items():
        r = fetch(live, f"/dumps/{NQ}", {"Range": spec})
        assert r.status == 206, spec
        assert r.header("Content-Range") == f"bytes {first}-{last}/{size}"
        assert r.header("Content-Length") == str(last - first + 1)
        assert r.body == data[first:last + 1]
        assert r.header("ETag").startswith('"')


def test_unsatisfiable_range_gives_416(live, built):
    size = len(file_bytes(built, NQ))
    for spec in (f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=-0"):
        r = fetch(live, f"/dumps/{NQ}", {"Range": spec})
        assert r.status == 416, spec
        assert r.header("Content-Range") == f"bytes */{size}"


def test_other_ranges_give_the_whole_file(live, built):
    data = file_bytes(built, NQ)
    for spec in ("bytes=0-9,20-29", "bytes=abc", "lines=1-2", "bytes=9-5"):
        r = fetch(live, f"/dumps/{NQ}", {"Range": spec})
        assert r.status == 200, spec
        assert r.body == data and r.header("Content-Range") is None


def test_if_range(live, built):
    data = file_bytes(built, NQ)
    etag = fetch(live, f"/dumps/{NQ}", method="HEAD").header("ETag")
    r = fetch(live, f"/dumps/{NQ}", {"Range": "bytes=0-9", "If-Range": etag})
    assert r.status == 206 and r.body == data[:10]
    r = fetch(live, f"/dumps/{NQ}", {"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert r.status == 200 and r.body == data


def test_gzip_round_trip(live, built, marker):
    for name in (NQ, "siberia-kg.ttl", "void.ttl"):
        data = file_bytes(built, name)
        r = fetch(live, f"/dumps/{name}", {"Accept-Encoding": "gzip, deflate"})
        assert r.status == 200
        assert r.header("Content-Encoding") == "gzip"
        assert "accept-encoding" in vary(r)
        assert r.header("Content-Length") == str(len(r.body))
        assert len(r.body) < len(data)
        assert gzip.decompress(r.body) == data
        # the same hash, weak: a gzipped body is not byte-for-byte the file
        assert r.header("ETag") == f'W/"{marker[name]["sha256"]}"'
        again = fetch(live, f"/dumps/{name}", {"Accept-Encoding": "gzip",
                                               "If-None-Match": r.header("ETag")})
        assert again.status == 304


def test_no_gzip_unless_asked(live, built):
    data = file_bytes(built, NQ)
    for enc in ("identity", "gzip;q=0", "br"):
        r = fetch(live, f"/dumps/{NQ}", {"Accept-Encoding": enc})
        assert r.header("Content-Encoding") is None and r.body == data, enc


def test_a_range_is_never_gzipped(live, built):
    data = file_bytes(built, NQ)
    r = fetch(live, f"/dumps/{NQ}", {"Range": "bytes=10-19", "Accept-Encoding": "gzip"})
    assert r.status == 206
    assert r.header("Content-Encoding") is None
    assert r.body == data[10:20]


@pytest.mark.parametrize("path, headers", [
    ("/dumps/", {}), ("/dumps/", {"Accept": "text/html"}), (f"/dumps/{NQ}", {}),
    (f"/dumps/{NQ}", {"Accept-Encoding": "gzip"}), (f"/dumps/{NQ}", {"Range": "bytes=5-50"}),
    ("/dumps/void.ttl", {}), ("/dumps/nope.ttl", {}),
])
def test_head_matches_get(live, path, headers):
    same_headers_without_body(live, path, headers)


@pytest.mark.parametrize("path", [
    "/dumps/.siberia-kg-build", "/dumps/..%2F..%2Fetc%2Fpasswd", "/dumps/%2e%2e",
    "/dumps/../pyproject.toml", "/dumps/nope.ttl", "/dumps/siberia-kg.ttl%00.txt",
    "/dumps/%2Fetc%2Fpasswd", "/dumps/siberia-kg.ttl/", "/dumps/.%2e/.%2e/etc/passwd",
])
def test_only_listed_files_can_be_reached(live, path):
    r = fetch(live, path)
    assert r.status in (404, 400), path
    assert b"root:" not in r.body and b"[project]" not in r.body
