"""The pure negotiation functions: Accept, suffixes, conditional requests, ranges, gzip."""

from __future__ import annotations

import pytest

from siberia_kg.web import conneg
from siberia_kg.web.conneg import (ENTITY_TYPES, HTML, JSONLD, NTRIPLES, RDFXML, TURTLE,
                                   RangeNotSatisfiable, accepts_gzip, choose, content_type,
                                   none_match, not_modified_since, parse_accept, parse_range,
                                   quality, split_suffix)

FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
CHROME = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
          "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")


def test_parse_accept_reads_q_values_parameters_and_order():
    ranges = parse_accept('text/turtle;q=0.5, application/ld+json;profile="a,b";q=0.9;ext=1, */*;q=0.1')
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "turtle", 0.5), ("application", "ld+json", 0.9), ("*", "*", 0.1)]
    # the quoted comma stays in the parameter; what follows q is accept-ext, not a parameter
    assert ranges[1].params == (("profile", "a,b"),)
    assert [r.order for r in ranges] == [0, 1, 2]


@pytest.mark.parametrize("header", [
    "texthtml", "/html", "text/", "*/html", "text/html;q=2", "text/html;q=abc", "text/html;q=",
    "text/html;q=0.0001", "te xt/html", "", ",,,", "text/html;q=-1",
])
def test_malformed_elements_are_dropped(header):
    assert parse_accept(header) == []


def test_malformed_elements_do_not_spoil_the_good_ones():
    ranges = parse_accept("garbage, text/turtle;q=0.7, */html, ;;;")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "turtle", 0.7)]


def test_quality_takes_the_most_specific_range():
    ranges = parse_accept("text/*;q=0.3, text/turtle;q=0.9, */*;q=0.1")
    assert quality(ranges, TURTLE) == (0.9, 3)
    assert quality(ranges, HTML) == (0.3, 2)
    assert quality(ranges, JSONLD) == (0.1, 1)
    assert quality(parse_accept("text/html"), JSONLD) == (0.0, 0)


def test_a_range_without_parameters_applies_to_our_parameterless_representations():
    ranges = parse_accept('application/ld+json;profile="x";q=0.2, application/ld+json;q=0.8')
    assert quality(ranges, JSONLD) == (0.8, 3)


@pytest.mark.parametrize("accept, expected", [
    (None, TURTLE),                     # no Accept: a program, so data (Turtle)
    ("", TURTLE),
    ("*/*", TURTLE),                    # curl: names nothing, so Turtle
    ("nonsense", TURTLE),               # nothing parseable: treated as absent
    (FIREFOX, HTML),
    (CHROME, HTML),
    ("text/html", HTML),
    ("text/html, text/turtle", HTML),   # both named at q=1: the server prefers HTML
    ("text/turtle, text/html", HTML),
    ("text/turtle", TURTLE),
    ("application/n-triples", NTRIPLES),
    ("application/ld+json", JSONLD),
    ("application/rdf+xml", RDFXML),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", JSONLD),
    ("text/html;q=0.1, application/rdf+xml", RDFXML),
    ("text/html, */*;q=0.8", HTML),     # a named type beats the wildcard
    ("text/*", TURTLE),                 # two text types match the wildcard: the default wins
    ("application/*", NTRIPLES),        # the default does not match: server order decides
    ("application/*, text/html;q=0.5", NTRIPLES),
    ("*/*;q=0.5, application/rdf+xml;q=0.5", RDFXML),  # equal q: the named one
    ("TEXT/Turtle", TURTLE),            # media types are case-insensitive
    ("text/turtle;charset=utf-8", TURTLE),
])
def test_choose_for_entity_documents(accept, expected):
    assert choose(accept, ENTITY_TYPES, default=TURTLE) == expected


@pytest.mark.parametrize("accept", [
    "application/pdf", "image/png, text/plain", "text/turtle;q=0, application/pdf",
    "*/*;q=0", "text/html;q=0, application/*;q=0, text/turtle;q=0",
])
def test_choose_returns_none_when_nothing_fits(accept):
    assert choose(accept, ENTITY_TYPES, default=TURTLE) is None


def test_q_zero_excludes_a_type_the_wildcard_would_allow():
    assert choose("text/turtle;q=0, */*", ENTITY_TYPES, default=TURTLE) != TURTLE
    assert choose("text/html;q=0, */*", (HTML, "text/plain"), default=HTML) == "text/plain"


def test_default_must_be_offered_else_the_first_offered_wins():
    assert choose(None, (HTML, "application/json"), default="image/png") == HTML
    assert choose("*/*", (), default=TURTLE) is None


def test_not_acceptable_text_lists_every_offered_type():
    text = conneg.not_acceptable_text(ENTITY_TYPES, "application/pdf")
    assert text.startswith("406 Not Acceptable")
    assert "application/pdf" in text
    for t in ENTITY_TYPES:
        assert f"  {t}\n" in text


def test_content_type_states_utf8_where_the_registration_allows_it():
    assert content_type(TURTLE) == "text/turtle; charset=utf-8"
    assert content_type(HTML) == "text/html; charset=utf-8"
    assert content_type(RDFXML) == "application/rdf+xml; charset=utf-8"
    assert content_type(NTRIPLES) == "application/n-triples"
    assert content_type(JSONLD) == "application/ld+json"


@pytest.mark.parametrize("name, expected", [
    ("taishet.ttl", ("taishet", TURTLE)),
    ("taishet.nt", ("taishet", NTRIPLES)),
    ("taishet.jsonld", ("taishet", JSONLD)),
    ("taishet.rdf", ("taishet", RDFXML)),
    ("taishet.html", ("taishet", HTML)),
    ("taishet.TTL", ("taishet", TURTLE)),
    ("taishet", ("taishet", None)),
    ("taishet.pdf", ("taishet.pdf", None)),
    (".ttl", (".ttl", None)),
    ("a.b.ttl", ("a.b", TURTLE)),
])
def test_split_suffix(name, expected):
    assert split_suffix(name) == expected


def test_suffixes_and_types_map_both_ways():
    for suffix, media_type in conneg.SUFFIX_TO_TYPE.items():
        assert conneg.suffix_for(media_type) == suffix
    assert set(conneg.SUFFIX_TO_TYPE.values()) == set(ENTITY_TYPES)


def test_etag_is_a_quoted_hash_of_the_body():
    a, b = conneg.etag_for(b"one"), conneg.etag_for(b"two")
    assert a.startswith('"') and a.endswith('"') and a != b
    assert conneg.etag_for(b"one") == a


@pytest.mark.parametrize("header, matches", [
    ('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True),
    ('"abcd"', False), ("", False), (None, False), ('"x",W/"y"', False),
])
def test_if_none_match_uses_weak_comparison(header, matches):
    assert none_match(header, '"abc"') is matches
    assert none_match(header, 'W/"abc"') is matches


def test_if_modified_since():
    mtime = 1_700_000_000.7
    assert not_modified_since(conneg.http_date(mtime), mtime)
    assert not_modified_since(conneg.http_date(mtime + 60), mtime)
    assert not not_modified_since(conneg.http_date(mtime - 60), mtime)
    assert not not_modified_since("not a date", mtime)
    assert not not_modified_since(None, mtime)


@pytest.mark.parametrize("header, expected", [
    ("bytes=0-99", [(0, 99)]),
    ("bytes=100-", [(100, 999)]),
    ("bytes=-50", [(950, 999)]),
    ("bytes=-5000", [(0, 999)]),
    ("bytes=990-2000", [(990, 999)]),
    ("bytes=0-0,10-19", [(0, 0), (10, 19)]),
    ("bytes=0-9, 2000-3000", [(0, 9)]),   # the unsatisfiable one is dropped
    (" BYTES = 5-6", None),                # malformed unit spacing: ignored
    ("bytes=abc", None),
    ("bytes=9-5", None),
    ("bytes=-", None),
    ("items=0-5", None),
    ("", None),
    (None, None),
])
def test_parse_range(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=1000-1000,2000-"])
def test_unsatisfiable_ranges_raise(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


@pytest.mark.parametrize("header, ok", [
    ("gzip", True), ("gzip, deflate, br", True), ("deflate, gzip;q=0.5", True),
    ("gzip;q=0", False), ("identity", False), ("*", True), ("*;q=0", False),
    ("br, *;q=0.1", True), ("gzip;q=0, *", False), ("x-gzip", True), ("", False), (None, False),
    ("gzip;q=nope", False),
])
def test_accepts_gzip(header, ok):
    assert accepts_gzip(header) is ok
