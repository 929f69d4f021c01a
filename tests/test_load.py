"""The loader refuses data that breaks the contract, and says what and where."""

from __future__ import annotations

import pytest
from rdflib import URIRef
from rdflib.namespace import RDFS, SKOS

from siberia_kg.derive import derive
from siberia_kg.load import DataError, load
from siberia_kg.namespaces import SCHEMA, SKG

PLACE = "https://w3id.org/siberia-kg/id/place/taishet"


def problems_of(data_dir, ontology) -> list[str]:
    with pytest.raises(DataError) as exc:
        load(data_dir, ontology, root=data_dir.parent)
    return [str(p) for p in exc.value.problems]


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"fixture no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_valid_fixture_loads(minidata, ontology):
    loaded = load(minidata, ontology, root=minidata.parent)
    ds = loaded.dataset
    assert (URIRef(PLACE), SKOS.prefLabel, None) in ds
    assert loaded.origins[URIRef(PLACE)] == {"data/places.trig"}


def test_syntax_error_names_file_and_line(minidata, ontology):
    edit(minidata / "places.trig", 'schema:containedInPlace place:taishet ;',
         'schema:containedInPlace place:taishet ;;; "oops')
    [msg] = problems_of(minidata, ontology)
    assert msg.startswith("data/places.trig:15:")
    assert "syntax error" in msg


def test_unknown_prefix_is_reported_with_line(minidata, ontology):
    edit(minidata / "places.trig", "camp:taishet a skg:Camp ;", "camp:taishet a nope:Camp ;")
    [msg] = problems_of(minidata, ontology)
    assert msg.startswith("data/places.trig:15:") and "nope" in msg


def test_invalid_date_names_entity_and_property(minidata, ontology):
    edit(minidata / "places.trig", '"1946"^^xsd:gYear', '"1946-13-45"^^xsd:date')
    [msg] = problems_of(minidata, ontology)
    assert "camp:taishet schema:startDate" in msg and "not a valid date" in msg


def test_date_with_wrong_shape_for_its_type(minidata, ontology):
    edit(minidata / "places.trig", '"1946"^^xsd:gYear', '"1946-05"^^xsd:gYear')
    [msg] = problems_of(minidata, ontology)
    assert "camp:taishet schema:startDate" in msg and "YYYY" in msg


def test_statement_outside_citation_graph(minidata, ontology):
    edit(minidata / "places.trig", 'camp:taishet skos:prefLabel "Camp at Taishet"@en .',
         'camp:taishet skos:prefLabel "Camp at Taishet"@en ; schema:description "x"@en .')
    [msg] = problems_of(minidata, ontology)
    assert "camp:taishet schema:description" in msg and "outside a citation graph" in msg


def test_undeclared_graph(minidata, ontology):
    edit(minidata / "places.trig", "cit:t000-bam {", "cit:t000-nowhere {")
    msgs = problems_of(minidata, ontology)
    assert any("cit:t000-nowhere is not a declared skg:Citation" in m for m in msgs)


def test_dangling_reference(minidata, ontology):
    edit(minidata / "places.trig", "schema:containedInPlace place:taishet",
         "schema:containedInPlace place:atlantis")
    [msg] = problems_of(minidata, ontology)
    assert "dangling reference: place:atlantis" in msg and "camp:taishet" in msg


def test_blank_nodes_are_refused(minidata, ontology):
    edit(minidata / "places.trig", "schema:containedInPlace place:taishet",
         "schema:containedInPlace [ a schema:Place ]")
    msgs = problems_of(minidata, ontology)
    assert any("blank node" in m for m in msgs)


def test_undefined_ontology_term(minidata, ontology):
    edit(minidata / "places.trig", "camp:taishet a skg:Camp ;", "camp:taishet a skg:Camp ; skg:heldBy place:taishet ;")
    [msg] = problems_of(minidata, ontology)
    assert "skg:heldBy is not defined in the ontology" in msg


def test_undeclared_language(minidata, ontology):
    edit(minidata / "places.trig", '"Tayshet"@en', '"Tayshet"@xx')
    [msg] = problems_of(minidata, ontology)
    assert "place:taishet skos:altLabel" in msg and "@xx" in msg


def test_one_iri_for_two_kinds_of_thing(minidata, ontology):
    # The same IRI made a person in one file and a place in another: a duplicate IRI.
    (minidata / "people.trig").write_text("""
@prefix schema: <https://schema.org/> .
@prefix cit: <https://w3id.org/siberia-kg/id/citation/> .
@prefix place: <https://w3id.org/siberia-kg/id/place/> .
cit:t000-bam { place:taishet a schema:Person . }
""")
    loaded = load(minidata, ontology, root=minidata.parent)  # a place that is also a person...
    assert loaded  # ...is still a place by one of its types; the reverse is refused:
    (minidata / "people.trig").write_text("""
@prefix schema: <https://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix cit: <https://w3id.org/siberia-kg/id/citation/> .
@prefix person: <https://w3id.org/siberia-kg/id/person/> .
person:taishet skos:prefLabel "Taishet"@en .
cit:t000-bam { person:taishet a schema:City . }
""")
    [msg] = problems_of(minidata, ontology)
    assert "person:taishet" in msg and "is a person by its IRI but typed only schema:City" in msg


def test_all_problems_are_reported_at_once(minidata, ontology):
    edit(minidata / "places.trig", '"1946"^^xsd:gYear', '"nineteen"^^xsd:gYear')
    edit(minidata / "places.trig", '"Tayshet"@en', '"Tayshet"@xx')
    assert len(problems_of(minidata, ontology)) == 2


def test_rebase_moves_every_entity_iri(minidata, ontology):
    loaded = load(minidata, ontology, base="http://example.org/kg/", root=minidata.parent)
    subjects = {str(s) for s in loaded.dataset.subjects()}
    assert "http://example.org/kg/id/place/taishet" in subjects
    assert not any(s.startswith("https://w3id.org/siberia-kg/id/") for s in subjects)
    graphs = {str(g) for _, _, _, g in loaded.dataset.quads((None, None, None, None))}
    assert "http://example.org/kg/id/citation/t000-bam" in graphs


def test_derive_adds_citation_labels_and_coordinates(minidata, ontology):
    loaded = load(minidata, ontology, root=minidata.parent)
    ds = loaded.dataset
    derive(ds)
    place, cit = URIRef(PLACE), URIRef("https://w3id.org/siberia-kg/id/citation/t000-bam")
    assert (place, SKG.citation, cit, cit) in ds
    assert (place, RDFS.label, None) in ds and (place, SCHEMA.name, None) in ds
    assert (place, SCHEMA.alternateName, None) in ds
    from siberia_kg.namespaces import GEO
    assert (place, GEO.lat, None, cit) in ds
    # label-only entities in the default graph get no citation
    assert (place, SKG.citation, None, ds.default_graph.identifier) not in ds
