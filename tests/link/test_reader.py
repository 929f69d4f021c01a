"""Reading Wikidata's RDF model from the loopback endpoint: labels, types through P31/P279*,
dates with precision and rank, coordinates, related items, redirects; and that the checked-in
fixture is what its generator writes."""

from __future__ import annotations

from siberia_kg.link.candidates import SearchKey, WikidataReader, label_variants, case_forms
from siberia_kg.link.entities import DateValue, Label

from .conftest import FIXTURE


def test_fixture_file_is_up_to_date():
    from .fixture_items import turtle

    assert FIXTURE.read_text(encoding="utf-8") == turtle(), \
        "run: python tests/link/make_fixture.py"


def test_fixture_is_in_wikidata_model_and_invented(endpoint):
    import pyoxigraph as ox

    from siberia_kg.link.mapping import all_occupations, all_type_classes

    store = endpoint.store
    # every item is invented (Q9000...), but for the classes and occupations the linker's
    # configuration names, which the type checks go through
    q = "SELECT DISTINCT ?i WHERE { ?i <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    ids = {s["i"].value.rsplit("/", 1)[-1] for s in store.query(q)}
    real = {i for i in ids if not i.startswith("Q9000")}
    assert real and real <= set(all_type_classes()) | set(all_occupations()), \
        sorted(real - set(all_type_classes()) - set(all_occupations()))
    assert len(ids - real) > 250
    # statements, qualifiers and value nodes as on the query service
    assert bool(store.query("ASK { ?s <http://www.wikidata.org/prop/qualifier/P582> ?t }"))
    assert bool(store.query("ASK { ?v <http://wikiba.se/ontology#timePrecision> 9 }"))
    assert bool(store.query("ASK { ?s <http://wikiba.se/ontology#rank> "
                            "<http://wikiba.se/ontology#DeprecatedRank> }"))
    assert bool(store.query("ASK { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b }"))
    assert isinstance(store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1"), ox.QuerySolutions)


def test_search_classify_and_details(endpoint, make_client):
    reader = WikidataReader(make_client(endpoint), batch_size=3)
    hits = reader.search([SearchKey("Khabarovsk", "en"), SearchKey("スターリン", "ja"),
                          SearchKey("Stalin", "en"), SearchKey("Nowhere at all", "en")])
    assert sorted(h.qid for h in hits[SearchKey("Khabarovsk", "en")]) == \
        ["Q900000129", "Q900000205", "Q900000771"]
    assert {(h.qid, h.how) for h in hits[SearchKey("スターリン", "ja")]} == {("Q900000301", "alias")}
    assert SearchKey("Nowhere at all", "en") not in hits

    classes = reader.classify(["Q900000205", "Q900000129", "Q900000771", "Q900000767", "Q900000301"])
    assert {"Q515", "Q486972"} <= classes["Q900000205"]           # through two P279 steps
    assert "Q56061" in classes["Q900000129"] and "Q486972" not in classes["Q900000129"]
    assert "Q900000771" not in classes                            # a ship: no configured class
    assert "Q4167410" in classes["Q900000767"]                    # a disambiguation page
    assert classes["Q900000301"] == {"Q5"}

    items = reader.details(["Q900000301", "Q900000205", "Q900000501", "Q900000129"])
    stalin = items["Q900000301"]
    assert stalin.labels["ja"] == {"ヨシフ・スターリン"} and "スターリン" in stalin.aliases["ja"]
    assert stalin.descriptions["en"].startswith("Soviet politician")
    # the deprecated birth date (1879-12-21) is left out; the day precision is kept
    assert [(str(d.value), d.precision) for d in stalin.dates["P569"]] == [("1878-12-18", 11)]
    assert stalin.p31 == {"Q5": "human"}
    assert stalin.related_names("P27") >= {"Soviet Union", "USSR"}
    city = items["Q900000205"]
    assert city.coords == [(48.48, 135.07)]
    assert "Khabarovsk Krai" in city.related_names("P131")
    assert "Russia" in city.related_names("P17")
    # only the best-ranked country: the preferred Russia, not the Soviet Union that ended in 1991
    assert items["Q900000129"].related_items("P17") == {"Q900000104"}
    novel = items["Q900000501"]
    assert [(str(d.value), d.precision) for d in novel.dates["P577"]] == [("1976", 9)]
    assert "Toyoko Yamasaki" in novel.related_names("P50")


def test_occupations_through_subclasses(endpoint, make_client):
    reader = WikidataReader(make_client(endpoint))
    occ = reader.occupations(["Q900000318", "Q900000325", "Q900000746"])
    assert "Q483501" in occ["Q900000318"]      # a singer is a musician is an artist
    assert "Q201788" in occ["Q900000325"]      # a military historian is a historian
    assert "Q900000746" not in occ             # a footballer fits none of our roles


def test_status_and_redirect_chains(endpoint, make_client):
    endpoint.update("INSERT DATA { <http://www.wikidata.org/entity/Q900000904> "
                    "<http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q900000902> }")
    reader = WikidataReader(make_client(endpoint))
    st = reader.resolve(["Q900000136", "Q900000902", "Q900000904", "Q900000999"])
    assert st["Q900000136"].exists and st["Q900000136"].redirect is None
    assert st["Q900000902"].redirect == "Q900000136" and not st["Q900000902"].exists
    assert st["Q900000904"].redirect == "Q900000136"          # followed through two hops
    assert not st["Q900000999"].exists and st["Q900000999"].redirect is None


def test_values_of_any_rank(endpoint, make_client):
    reader = WikidataReader(make_client(endpoint))
    v = reader.values(["Q900000301", "Q900000129"], ["P569", "P17"])
    assert len(v["Q900000301"]["P569"]) == 2                     # deprecated one included
    assert v["Q900000129"]["P17"] == {"Q900000104", "Q900000101"}


def test_label_variants_and_case_forms():
    forms = {(v.text, v.kind) for v in label_variants(Label("House of Representatives (Japan)", "en", True), "org")}
    assert forms == {("House of Representatives (Japan)", ""), ("House of Representatives", "qualifier")}
    forms = {(v.text, v.qualifier) for v in label_variants(Label("Lincoln, Nebraska", "en", True), "place")}
    assert ("Lincoln", "Nebraska") in forms
    assert len(label_variants(Label("Lincoln, Nebraska", "en", True), "person")) == 1
    forms = {(v.text, v.kind) for v in label_variants(
        Label("Gulag: A History", "en", True), "work")}
    assert ("Gulag", "subtitle") in forms
    assert case_forms("Korean peninsula") == ["Korean peninsula", "Korean Peninsula"]
    assert "Gulag" in case_forms("GULAG")
    assert case_forms("of") == ["of", "Of"]


def test_date_values():
    from rdflib import Literal
    from rdflib.namespace import XSD

    assert DateValue.from_literal(Literal("1956-12-23", datatype=XSD.date)) == DateValue(1956, 12, 23)
    assert DateValue.from_literal(Literal("1993-10", datatype=XSD.gYearMonth)).precision == 10
    assert str(DateValue.from_literal(Literal("1946", datatype=XSD.gYear))) == "1946"
    assert DateValue.from_literal(Literal("soon")) is None
