"""``link export quickstatements``: what we can source and Wikidata lacks, as QuickStatements V1
commands with references."""

from __future__ import annotations

import re

import pytest
from rdflib import URIRef

from siberia_kg.link.entities import load_data, read_entities
from siberia_kg.link.quickstatements import export_quickstatements, qs_time
from siberia_kg.link.entities import DateValue
from siberia_kg.link.wikidata import LinkOptions, link_wikidata

from .conftest import RUN_DATE, copy_data

WD = "http://www.wikidata.org/entity/"
CIT = "https://w3id.org/siberia-kg/id/citation/"
LINE = re.compile(r'^(Q\d+)\t(P\d+)\t(Q\d+|\+\d{4}-\d{2}-\d{2}T00:00:00Z/(9|10|11))'
                  r'(\tS248\tQ\d+)?\tS854\t"(https://[^"\s]+)"\tS813\t\+\d{4}-\d{2}-\d{2}T00:00:00Z/11$')


@pytest.fixture
def linked(endpoint, make_client, tmp_path):
    settings = copy_data(tmp_path, rewrite_gazetteer=True)
    link_wikidata(settings, make_client(endpoint),
                  LinkOptions(links_dir=settings.data_dir / "links", date=RUN_DATE))
    return settings


def test_main_subject_dates_and_places_with_references(endpoint, make_client, linked):
    # Wikidata lacks the publication date of "Embracing Defeat" in this test.
    endpoint.update(f"DELETE WHERE {{ <{WD}Q900000510> <http://www.wikidata.org/prop/P577> ?s . ?s ?p ?o }} ;"
                    f"DELETE WHERE {{ <{WD}Q900000510> <http://www.wikidata.org/prop/direct/P577> ?d }}")
    result = export_quickstatements(linked, make_client(endpoint, max_age=0))
    text = result.commands("2026-11-22")
    lines = text.splitlines()
    assert lines and all(LINE.match(l) for l in lines), text
    parsed = [LINE.match(l).groups() for l in lines]
    statements = {(q, p, v) for q, p, v, *_ in parsed}

    ours = read_entities(load_data(linked))
    item = {l.entity: l.item for l in ours.links}
    internment = item["https://w3id.org/siberia-kg/id/event/siberian-internment"]
    assert internment == "Q900000601"
    # "main subject": every linked work about the internment, referenced to its citation
    about = {s for s, _, o, _ in ours.dataset.quads((None, URIRef("https://schema.org/about"), None, None))
             if str(o).endswith("/event/siberian-internment") and str(s) in item
             and str(s).split("/id/")[1].startswith("work/")}
    assert about
    for work in about:
        assert (item[str(work)], "P921", internment) in statements, work
    my_way = [g for q, p, v, _, _, g in parsed if q == "Q900000506" and p == "P921"]
    assert my_way == [f"{CIT}s000-in-fiction"]
    # a date Wikidata lacks, at the precision of our source
    assert ("Q900000510", "P577", "+1999-00-00T00:00:00Z/9") in statements
    # nothing Wikidata already has: the novel's author, the film's date
    assert ("Q900000501", "P50", "Q900000316") not in statements
    assert not any(q == "Q900000506" and p == "P577" for q, p, _ in statements)
    assert result.skipped["Wikidata has this value already"] + result.skipped["Wikidata has a value already"] > 0
    # only between linked items, and never from the blog
    linked_items = set(item.values())
    assert all(q in linked_items for q, _, _ in statements)
    assert all(v in linked_items for _, _, v in statements if v.startswith("Q"))
    assert not any("/citation/s004-" in g for *_, g in parsed)
    assert result.skipped["from a blog or fiction"] > 0
    # every reference URL is one of our citations
    cits = {str(c) for c in ours.sources}
    assert all(g in cits for *_, g in parsed)


def test_stated_in_and_base(endpoint, make_client, linked):
    from dataclasses import replace

    result = export_quickstatements(replace(linked, base="https://example.org/kg/"),
                                    make_client(endpoint), stated_in="Q900000999")
    text = result.commands("2026-11-22")
    assert text and all("\tS248\tQ900000999\t" in l for l in text.splitlines())
    assert all('"https://example.org/kg/id/citation/' in l for l in text.splitlines())
    with pytest.raises(ValueError):
        export_quickstatements(linked, make_client(endpoint), stated_in="P31")


def test_qs_time():
    assert qs_time(DateValue(1976)) == "+1976-00-00T00:00:00Z/9"
    assert qs_time(DateValue(1993, 10)) == "+1993-10-00T00:00:00Z/10"
    assert qs_time(DateValue(1956, 12, 23)) == "+1956-12-23T00:00:00Z/11"
