"""``link check``: after Wikidata changes (items merged, deleted, retyped, values edited), every
link is checked and every disagreement is reported, as a table and as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from siberia_kg.link.check import check_links
from siberia_kg.link.wikidata import LinkOptions, link_wikidata

from .conftest import RUN_DATE, copy_data

WD = "http://www.wikidata.org/entity/"


@pytest.fixture
def linked(endpoint, make_client, tmp_path):
    """A copy of the data whose gazetteer ids resolve in the fixture, linked by the linker into
    its own data/links/ (so the build and the check read the links like any curated file)."""
    settings = copy_data(tmp_path, rewrite_gazetteer=True)
    link_wikidata(settings, make_client(endpoint),
                  LinkOptions(links_dir=settings.data_dir / "links", date=RUN_DATE))
    return settings


def test_all_links_fine_before_wikidata_changes(endpoint, make_client, linked):
    report = check_links(linked, make_client(endpoint, max_age=0))
    assert report.links >= 120
    assert report.problems == []
    statuses = {r.status for r in report.rows}
    assert statuses <= {"ok", "differs"}
    assert sum(1 for r in report.rows if r.status == "ok") == report.links
    # what differs before any change: names Wikidata writes otherwise (a subtitle, a longer form)
    differs = {(r.entity, r.check, r.ours) for r in report.disagreements}
    assert ("work:when-empire-comes-home", "label",
            "When Empire Comes Home: Repatriation and Reintegration in Postwar Japan@en") not in differs
    assert ("work:when-empire-comes-home", "date", "schema:datePublished 2010") in differs
    assert len(report.disagreements) == 1


def test_redirects_merges_deletions_types_and_disagreements(endpoint, make_client, linked):
    before = check_links(linked, make_client(endpoint, max_age=0))
    # Wikidata changes after the links were made:
    # - Irkutsk Oblast (Q900000136) is merged into a new item Q900000901 (a redirect);
    endpoint.update(f"""
        DELETE WHERE {{ <{WD}Q900000136> ?p ?o }} ;
        INSERT DATA {{
          <{WD}Q900000136> <http://www.w3.org/2002/07/owl#sameAs> <{WD}Q900000901> .
          <{WD}Q900000901> <http://www.w3.org/2000/01/rdf-schema#label> "Irkutsk Oblast"@en ;
              <http://www.wikidata.org/prop/direct/P31> <{WD}Q900009012> .
        }}""")
    # - Krasnoyarsk Krai is merged into Khabarovsk Krai: two of our entities, one item;
    endpoint.update(f"""
        DELETE WHERE {{ <{WD}Q900000130> ?p ?o }} ;
        INSERT DATA {{ <{WD}Q900000130> <http://www.w3.org/2002/07/owl#sameAs> <{WD}Q900000129> }}""")
    # - the Yalta Conference item is deleted;
    endpoint.update(f"DELETE WHERE {{ <{WD}Q900000602> ?p ?o }}")
    # - Siberia is retyped as a film;
    endpoint.update(f"""
        DELETE WHERE {{ <{WD}Q900000125> <http://www.wikidata.org/prop/direct/P31> ?c }} ;
        INSERT DATA {{ <{WD}Q900000125> <http://www.wikidata.org/prop/direct/P31> <{WD}Q11424> }}""")
    # - Tayshet (a gazetteer link) moves 300 km; Ahiko's death date and Irkutsk's Russian
    #   label change.
    endpoint.update(f"""
        DELETE WHERE {{ <{WD}Q900000201> <http://www.wikidata.org/prop/direct/P625> ?c }} ;
        INSERT DATA {{ <{WD}Q900000201> <http://www.wikidata.org/prop/direct/P625>
            "Point(102.0 56.5)"^^<http://www.opengis.net/ont/geosparql#wktLiteral> }} ;
        DELETE WHERE {{ <{WD}Q900000322> <http://www.wikidata.org/prop/P570> ?s . ?s ?p ?o }} ;
        INSERT DATA {{ <{WD}Q900000322> <http://www.wikidata.org/prop/P570> <{WD}statement/x1> .
            <{WD}statement/x1> <http://www.wikidata.org/prop/statement/P570>
                "2020-06-19T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> ;
              <http://wikiba.se/ontology#rank> <http://wikiba.se/ontology#NormalRank> . }} ;
        DELETE WHERE {{ <{WD}Q900000206> <http://www.w3.org/2000/01/rdf-schema#label> "Иркутск"@ru }} ;
        INSERT DATA {{ <{WD}Q900000206> <http://www.w3.org/2000/01/rdf-schema#label> "город Иркутск"@ru }}
    """)
    report = check_links(linked, make_client(endpoint, max_age=0))
    rows = {(r.entity, r.check, r.status): r for r in report.rows}

    red = rows[("place:irkutsk-oblast", "item", "redirected")]
    assert red.wikidata == "Q900000901" and "merged into Q900000901" in red.note
    # a Q-id was merged into another that one of our entities also links: both are reported
    assert ("place:krasnoyarsk-krai", "item", "redirected") in rows
    merged = rows[("place:krasnoyarsk-krai", "item", "merged")]
    assert "place:khabarovsk-krai" in merged.note and merged.wikidata == "Q900000129"
    assert ("place:khabarovsk-krai", "item", "merged") in rows
    missing = rows[("event:yalta-conference", "item", "missing")]
    assert "does not exist" in missing.note
    wrong = rows[("place:siberia", "type", "type")]
    assert "film" in wrong.wikidata
    coords = rows[("place:taishet", "coordinates", "differs")]
    assert coords.source == "src:ne" and "km apart" in coords.note
    assert ("camp:taishet", "coordinates", "differs") not in rows   # camps are not linked
    date = rows[("person:tetsuro-ahiko", "date", "differs")]
    assert "2020-06-18" in date.ours and "2020-06-19" in date.wikidata
    label = rows[("place:irkutsk", "label", "differs")]
    assert label.ours == "Иркутск@ru" and label.wikidata == "город Иркутск@ru"
    # untouched links stay quiet; the counts add up
    assert ("place:khabarovsk", "item", "ok") in rows
    assert {r.status for r in report.problems} == {"redirected", "merged", "missing", "type"}
    new = {(r.entity, r.check) for r in report.disagreements} - \
        {(r.entity, r.check) for r in before.disagreements}
    assert new == {("place:taishet", "coordinates"), ("person:tetsuro-ahiko", "date"),
                   ("place:irkutsk", "label"), ("place:krasnoyarsk-krai", "label")}

    # as CSV, and as a table
    parsed = list(csv.DictReader(io.StringIO(report.csv())))
    assert len(parsed) == len(report.rows)
    assert {"entity", "item", "source", "check", "status", "ours", "wikidata", "note"} == set(parsed[0])
    table = report.table()
    assert table.splitlines()[0].split()[:5] == ["entity", "item", "source", "check", "status"]
    assert "place:irkutsk-oblast" in table
