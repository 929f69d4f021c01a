"""The evidence and the decision rules, on hand-made entities and items."""

from __future__ import annotations

import pytest

from siberia_kg.link.candidates import Item, Variant
from siberia_kg.link.entities import DateValue, Entity, Label
from siberia_kg.link.scoring import (Context, compact, compare_dates, contains, decide,
                                     haversine_km, normalize, rank, score_candidate)

S = "https://schema.org/"
SKG = "https://w3id.org/siberia-kg/ontology#"


def entity(kind="place", types=(f"{S}City",), labels=(("Khabarovsk", "en", True),), **kw) -> Entity:
    return Entity(iri=f"https://w3id.org/siberia-kg/id/{kind}/x", kind=kind, types=frozenset(types),
                  labels=[Label(*l) for l in labels], **kw)


def item(qid="Q900000001", labels=None, aliases=None, classes=("Q486972",), p31=None, **kw) -> Item:
    it = Item(qid)
    for lang, names in (labels or {"en": ["Khabarovsk"]}).items():
        it.labels[lang] |= set(names)
    for lang, names in (aliases or {}).items():
        it.aliases[lang] |= set(names)
    it.classes = set(classes)
    it.p31 = p31 or {c: c for c in classes}
    for k, v in kw.items():
        setattr(it, k, v)
    return it


def test_normalisation():
    assert compact("Fumō Chitai") == compact("fumo-chitai") == "fumochitai"
    assert normalize("Soviet–Japanese  Neutrality Pact") == "soviet japanese neutrality pact"
    assert contains("Хабаровск", "Хабаровск город", "ru")
    assert not contains("Хабаровск", "Хабаровский край", "ru")     # whole words only
    assert contains("スターリン", "ヨシフ・スターリン", "ja")           # characters for Japanese


def test_dates_compare_at_the_coarser_precision():
    assert compare_dates(DateValue(1945), DateValue(1945, 8, 9)) == (9, 0)
    assert compare_dates(DateValue(1945, 2), DateValue(1945, 2, 4)) == (10, 0)
    assert compare_dates(DateValue(2010), DateValue(2009)) == (9, 1)
    assert compare_dates(DateValue(1945, 8, 9), DateValue(1945, 8, 8))[1] != 0


def test_haversine():
    assert haversine_km((48.48, 135.07), (48.48, 135.07)) == 0
    assert 640 < haversine_km((48.48, 135.07), (43.12, 131.9)) < 680   # Khabarovsk-Vladivostok


def test_languages_that_agree_and_that_differ():
    e = entity(labels=(("Khabarovsk", "en", True), ("Хабаровск", "ru", True), ("ハバロフスク", "ja", True)))
    city = score_candidate(e, item(labels={"en": ["Khabarovsk"], "ru": ["Хабаровск"], "ja": ["ハバロフスク"]}))
    krai = score_candidate(e, item("Q900000002", labels={"en": ["Khabarovsk Krai"], "ru": ["Хабаровский край"],
                                                        "ja": ["ハバロフスク地方"]},
                                   aliases={"en": ["Khabarovsk"]}, classes=("Q56061",)))
    assert any("names agree in" in x.text for x in city.evidence)
    assert any(x.contradicts and "Russian names differ" in x.text for x in krai.evidence)
    assert any(x.kind == "type" and x.contradicts for x in krai.evidence)
    ranked = rank([city, krai])
    assert ranked[0].qid == city.qid and ranked[0].score > 0.95 and ranked[1].score < 0.01


def test_two_equal_homonyms_share_the_probability():
    e = entity(kind="person", types=(f"{S}Person",), labels=(("Gilbert Grosvenor", "en", True),))
    a = score_candidate(e, item("Q1", labels={"en": ["Gilbert Grosvenor"]}, classes=("Q5",)))
    b = score_candidate(e, item("Q2", labels={"en": ["Gilbert Grosvenor"]}, classes=("Q5",)))
    ranked = rank([a, b])
    assert ranked[0].score == pytest.approx(ranked[1].score) and ranked[0].score < 0.5
    assert decide(ranked, 0.9).accept is None
    assert "homonyms" in decide(ranked, 0.9).reason


def test_decision_needs_more_than_a_name():
    e = entity(kind="person", types=(f"{S}Person",), labels=(("Jason Dawsey", "en", True),),
               roles=frozenset({f"{SKG}Historian"}))
    bare = item(labels={"en": ["Jason Dawsey"]}, classes=("Q5",))
    assert decide(rank([score_candidate(e, bare)]), 0.85).reason == "only the name speaks for it"
    historian = item(labels={"en": ["Jason Dawsey"]}, classes=("Q5",), occupations={"Q201788"},
                     occupation_labels={"historian"})
    d = decide(rank([score_candidate(e, historian)]), 0.9)
    assert d.accept is not None and any(x.kind == "occupation" for x in d.accept.corroborations)


def test_contradictions_block_an_automatic_link():
    e = entity(kind="person", types=(f"{S}Person",), labels=(("Tetsuro Ahiko", "en", True),),
               dates={f"{S}deathDate": [DateValue(2020, 6, 18)]})
    it = item(labels={"en": ["Tetsuro Ahiko"]}, classes=("Q5",))
    from siberia_kg.link.candidates import WikidataDate
    it.dates["P570"] = [WikidataDate(DateValue(2011, 1, 2), 11, "2011-01-02T00:00:00Z")]
    s = score_candidate(e, it)
    assert s.contradictions and "disagrees" in s.contradictions[0].text
    assert decide(rank([s]), 0.5).accept is None
    it.dates["P570"] = [WikidataDate(DateValue(2020, 6, 18), 11, "2020-06-18T00:00:00Z")]
    s = score_candidate(e, it)
    assert decide(rank([s]), 0.9).accept is not None


def test_coordinates_and_country():
    e = entity(coords=[(48.455, 135.12)], countries=[[Label("Russia", "en", True)]])
    near = item(coords=[(48.48, 135.07)])
    near.related["P17"]["Q900000104"] = {"Russia"}
    far = item("Q2", coords=[(43.12, 131.9)])
    far.related["P17"]["Q900000104"] = {"Russia"}
    abroad = item("Q3", coords=[(48.48, 135.07)])
    abroad.related["P17"]["Q9"] = {"Canada"}
    n, f, a = (score_candidate(e, x) for x in (near, far, abroad))
    assert any(x.kind == "coordinates" and x.corroborates for x in n.evidence)
    assert any(x.kind == "coordinates" and x.contradicts for x in f.evidence)
    assert any(x.kind == "country" and x.contradicts for x in a.evidence)
    # the Soviet Union against its successor is no contradiction
    su = entity(countries=[[Label("Soviet Union", "en", True)]])
    assert not score_candidate(su, near).contradictions


def test_a_qualifier_in_our_name_must_be_found():
    e = entity(labels=(("Lincoln, Nebraska", "en", True),))
    ctx = Context(variants=[Variant("Lincoln", "Nebraska", "qualifier")])
    us = item(labels={"en": ["Lincoln"]}, classes=("Q515",))
    us.related["P131+"]["Q1"] = {"Nebraska"}
    uk = item("Q2", labels={"en": ["Lincoln"]}, classes=("Q515",))
    uk.descriptions["en"] = "cathedral city in Lincolnshire, England"
    s_us, s_uk = score_candidate(e, us, ctx), score_candidate(e, uk, ctx)
    assert any(x.kind == "qualifier" and x.corroborates for x in s_us.evidence)
    assert any(x.kind == "qualifier" and x.weight < 0 for x in s_uk.evidence)
    assert s_us.logit > s_uk.logit + 2


def test_specific_types_hide_generic_ones():
    # a film that is also fiction must be a film: a song is a creative work, not a film
    e = entity(kind="work", types=(f"{S}Movie", f"{SKG}FictionalWork"), labels=(("My Way", "en", True),))
    song = score_candidate(e, item(labels={"en": ["My Way"]}, classes=("Q17537576",), p31={"Q1": "song"}))
    film = score_candidate(e, item("Q2", labels={"en": ["My Way"]}, classes=("Q11424", "Q17537576")))
    assert not song.type_ok and film.type_ok
