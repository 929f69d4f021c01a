"""The scalable validator (SHACL shapes compiled to SPARQL on Oxigraph, siberia_kg.shacl_sparql)
gives pyshacl's verdicts and messages: on the good shapes fixture, on every mutation case of
tests/test_shapes.py, on the real curated graph, and on a 10,000-person SYNTHETIC register
(bench/synthetic_register.py, imported by siberia_kg.importers.register) with a known mix of
errors injected into its N-Quads.

pyshacl is the reference: siberia_kg.validate.run_shacl(accelerate=False). Violations are
compared field by field after two normalisations that the module docstring of shacl_sparql
explains: blank-node labels (pyshacl makes them up for every report) become "_:", and literal
values are put in Oxigraph's canonical form (language tags in lower case, xsd:decimal without
trailing zeros), which is how the store keeps them.

Run the slow ones too: /tmp/v/bin/python -m pytest tests/test_shacl_sparql.py -q
Benchmark (not a test): /tmp/v/bin/python tests/test_shacl_sparql.py bench --persons 1000000
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.plugins.sparql import processor as sparql_processor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from siberia_kg.shacl_sparql import (ONTOLOGY_GRAPH, FocusFilter, UnsupportedShape,  # noqa: E402
                                     compile_shapes, ontology_quads, rust_regex, to_oxigraph,
                                     validate_store)
from siberia_kg.validate import run_shacl  # noqa: E402
# _fast_sparql: the same speed-only patch of pyshacl as in test_shapes (autouse here too)
from test_shapes import CASES, VALID_CASES, _cached_sparql_query, _fast_sparql, mutate  # noqa: E402,F401

SLUG = "synthetic-test"
ID = "https://w3id.org/siberia-kg/id/"
GRAPH = f"{ID}citation/register-{SLUG}"
PERSONS = 10_000


def store_of(*graphs: Graph) -> ox.Store:
    store = ox.Store()
    for g in graphs:
        store.extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in g)
    return store


_LANG = re.compile(r'@([A-Za-z0-9-]+)$')
_DECIMAL = re.compile(r'^"(-?[0-9]*\.?[0-9]*)"\^\^(xsd:decimal|<http://www\.w3\.org/2001/XMLSchema#decimal>)$')


def canonical_value(value: str) -> str:
    """The n3 of a literal as Oxigraph stores it (see the module docstring)."""
    value = _LANG.sub(lambda m: "@" + m.group(1).lower(), value)
    m = _DECIMAL.match(value)
    if m:
        d = Decimal(m.group(1))
        text = format(d, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        value = f'"{text}"^^{m.group(2)}'
    return value


def key(violations) -> list[tuple]:
    blank = re.compile(r"^_:.*")
    return sorted((v.focus, blank.sub("_:", v.path), canonical_value(v.value), v.message,
                   blank.sub("_:", v.shape), v.severity, v.files) for v in violations)


def both(data: Graph, shapes: Graph, ontology: Graph, store: ox.Store | None = None, **kw):
    plain = run_shacl(data, shapes, ontology, accelerate=False)
    fast = validate_store(store if store is not None else store_of(data), shapes, ontology, namespaces=data, **kw)
    return plain, fast


def diff(plain, fast) -> str:
    a, b = set(key(plain)), set(key(fast))
    return "\n".join([f"only pyshacl: {x}" for x in sorted(a - b)] + [f"only SPARQL: {x}" for x in sorted(b - a)])


# ------------------------------------------------------------------------------------------
# The shapes fixture and every mutation case of test_shapes


def test_good_fixture_conforms(good, shapes, ontology):
    plain, fast = both(good, shapes, ontology)
    assert plain == [] and fast == []


def test_every_shape_of_the_file_compiles(shapes):
    jobs = compile_shapes(shapes)
    labels = " ".join(label for label, _, _ in jobs)
    for name in ("PrefLabelProperty", "EnglishPrefLabelProperty", "BirthDateProperty", "HeldInProperty",
                 "EntityIriShape", "KnownTypeProperty", "NotInFutureConstraint", "UniqueRefYearConstraint"):
        assert name in labels
    # one query per (shape, kind of check), never one per focus node
    assert len(jobs) < 200
    for _, _, query in jobs:
        ox.Store().query(query)  # parses


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_mutation_case_same_as_pyshacl(case, good, shapes, ontology):
    data = mutate(good, case.update)
    plain, fast = both(data, shapes, ontology)
    assert plain, "the case must produce violations"
    assert key(fast) == key(plain), diff(plain, fast)


@pytest.mark.slow
@pytest.mark.parametrize("case", VALID_CASES, ids=[c.id for c in VALID_CASES])
def test_edge_case_conforms_as_in_pyshacl(case, good, shapes, ontology):
    data = mutate(good, case.update)
    plain, fast = both(data, shapes, ontology)
    assert plain == [] and fast == []


def test_rebased_fixture_conforms(good, shapes, ontology):
    from rdflib import URIRef

    new = "http://example.org/kg/id/"
    rebased = Graph()
    for s, p, o in good:
        rebased.add(tuple(URIRef(new + str(t)[len(ID):]) if isinstance(t, URIRef) and str(t).startswith(ID)
                          else t for t in (s, p, o)))
    assert validate_store(store_of(rebased), shapes, ontology) == []


# ------------------------------------------------------------------------------------------
# Values whose verdict depends on Python semantics: decided exactly, as pyshacl does


TRICKY = [
    # rdflib's parser normalises an xsd:date with a time zone away, so pyshacl accepts it
    ('INSERT DATA { person:test-historian schema:birthDate "1925-03-04Z"^^xsd:date }', set()),
    # an impossible day is ill-typed for rdflib
    ('INSERT DATA { person:test-historian schema:birthDate "1925-02-30"^^xsd:date }', {"BirthDateProperty"}),
    ('INSERT DATA { person:test-historian schema:birthDate "1924-02-29"^^xsd:date }', set()),
    ('INSERT DATA { person:test-historian schema:birthDate "1925-02-29"^^xsd:date }', {"BirthDateProperty"}),
    # Python's $ also matches before a final line break (the shapes' sh:not [ sh:pattern "\\s$" ]
    # catches it); \\s covers the separators 0x1C-0x1F (and its . does not match a line break
    # inside a label)
    ('INSERT DATA { place:japan skos:altLabel "Nippon\\n"@ja-Latn }', {"AltLabelProperty"}),
    ('INSERT DATA { place:japan skos:altLabel "Nippon\\u001F"@ja-Latn }', {"AltLabelProperty"}),
    ('INSERT DATA { place:japan skos:altLabel "\\u001CNippon"@ja-Latn }', {"AltLabelProperty"}),
    ('INSERT DATA { place:japan skos:altLabel "Nip\\npon"@ja-Latn }', {"AltLabelProperty"}),
    ('INSERT DATA { place:japan skos:altLabel "Nippon\\n\\n"@ja-Latn }', {"AltLabelProperty"}),
    # a language tag matches sh:languageIn by its first subtag, case-insensitively
    ('INSERT DATA { place:japan skos:altLabel "Nippon"@JA-latn-x-test }', set()),
    ('INSERT DATA { place:japan skos:altLabel "Nippon"@jax }', {"AltLabelProperty"}),
    # ill-typed numbers
    ('DELETE WHERE { place:taishet schema:latitude ?v } ; '
     'INSERT DATA { place:taishet schema:latitude "fifty"^^xsd:decimal }', {"LatitudeProperty"}),
    ('DELETE WHERE { work:test-memoir schema:numberOfPages ?n } ; '
     'INSERT DATA { work:test-memoir schema:numberOfPages "+152"^^xsd:integer }', set()),
    # a DOI check with the i flag and sh:not
    ('INSERT DATA { work:test-study schema:identifier "WikiDoi.org/x" }', {"IdentifierProperty"}),
    ('INSERT DATA { work:test-study schema:identifier "doi:10.1234/ab c" }', {"IdentifierProperty"}),
    ('INSERT DATA { work:test-study schema:identifier "doi:10.1234/abc" }', set()),
]


@pytest.mark.parametrize("update,expected", TRICKY, ids=[f"tricky-{i}" for i in range(len(TRICKY))])
def test_python_semantics_are_kept(update, expected, good, shapes, ontology):
    # Through a file, as every build reads its data: rdflib's parser (unlike its SPARQL Update)
    # normalises some literals, and pyshacl's verdict depends on it.
    mutated = mutate(good, update)
    data = Graph().parse(data=mutated.serialize(format="nt"), format="nt")
    for prefix, ns in mutated.namespaces():
        data.bind(prefix, ns, override=True)
    plain, fast = both(data, shapes, ontology)
    assert {v.shape.rsplit("#", 1)[-1].rstrip(">") for v in plain} == expected
    assert key(fast) == key(plain), diff(plain, fast)


@pytest.mark.parametrize("pattern,strings", [
    (r"^\S(.*\S)?$", ["a", "a b", " a", "a ", "a\n", "\x1ca", "a\x1f", "a\u3000", "", "\ta"]),
    (r"^[^\s/]+$", ["a.txt", "a b", "a/b", "a\x1e", "a\n"]),
    (r"^[0-9a-f]{64}$", ["0" * 64, "0" * 63, "A" * 64, "0" * 64 + "\n"]),
    (r"^(97[89]-?([0-9]-?){9}[0-9]|([0-9]-?){9}[0-9X])$", ["9780295983363", "5-88439-093", "123456789X"]),
    (r"\S", [" ", "", " x "]),
    (r"^doi|doi\.org/", ["doi:1", "x doi.org/1", "DOI"]),
    (r"/id/(place|camp)/[^/]+$", ["https://x/id/place/a", "https://x/id/place/a/", "https://x/id/org/a"]),
])
def test_translated_patterns_mean_what_python_means(pattern, strings):
    rx = rust_regex(pattern)
    assert rx is not None
    store = ox.Store()
    for s in strings:
        lit = ox.Literal(s)
        found = bool(store.query(f"ASK {{ FILTER(REGEX({lit}, {ox.Literal(rx)})) }}"))
        assert found == bool(re.search(pattern, s)), (pattern, s)


def test_untranslatable_patterns_are_left_to_pyshacl():
    for pattern in (r"(?=a)", r"(a)\1", r"a*+", r"[[:alpha:]]", r"\p{L}", "(?i)a"):
        assert rust_regex(pattern) is None


# ------------------------------------------------------------------------------------------
# The curated graph


@pytest.fixture(scope="module")
def curated(built):
    from siberia_kg.build import compile_graph

    return compile_graph(built)


@pytest.mark.slow
def test_curated_graph_same_as_pyshacl(curated):
    c = curated
    plain = run_shacl(c.union, c.shapes, c.ontology, origins=c.loaded.origins, accelerate=False)
    fast = validate_store(store_of(c.union), c.shapes, c.ontology, namespaces=c.union,
                          origins=c.loaded.origins)
    assert plain == [] and fast == []


@pytest.mark.slow
def test_curated_graph_broken_same_as_pyshacl(curated):
    """Break the real data in several ways at once: same violations, files included."""
    c = curated
    data = mutate(c.union, """
        DELETE WHERE { place:japan skos:prefLabel ?l } ;
        INSERT DATA { place:taishet schema:latitude 95.5 ; skos:exactMatch <https://www.wikidata.org/wiki/Q1> .
                      person:tetsuro-ahiko schema:birthDate "1700"^^xsd:gYear ; skg:role skg:Transfer }""")
    for prefix, ns in c.union.namespaces():
        data.bind(prefix, ns, override=True)
    plain = run_shacl(data, c.shapes, c.ontology, origins=c.loaded.origins, accelerate=False)
    fast = validate_store(store_of(data), c.shapes, c.ontology, namespaces=data, origins=c.loaded.origins)
    assert len(plain) >= 5
    assert any(v.files for v in plain)
    assert key(fast) == key(plain), diff(plain, fast)


# ------------------------------------------------------------------------------------------
# A 10,000-person SYNTHETIC register with injected errors

# (name, SPARQL Update on the register's quads with {p} for the record, shapes that must fail)
INJECTED = [
    ("no-english-label",
     "DELETE { GRAPH <{g}> { {p} skos:prefLabel ?l } } WHERE { GRAPH <{g}> { {p} skos:prefLabel ?l "
     "FILTER(LANGMATCHES(LANG(?l), 'en')) } }", {"EnglishPrefLabelProperty"}),
    ("plain-birth-date",
     "DELETE { GRAPH <{g}> { {p} schema:birthDate ?d } } INSERT { GRAPH <{g}> { {p} schema:birthDate ?s } } "
     "WHERE { GRAPH <{g}> { {p} schema:birthDate ?d } BIND(STR(?d) AS ?s) }", {"BirthDateProperty"}),
    ("ill-typed-birth-date",
     "DELETE { GRAPH <{g}> { {p} schema:birthDate ?d } } INSERT { GRAPH <{g}> { {p} schema:birthDate "
     "'1920-02-30'^^xsd:date } } WHERE { GRAPH <{g}> { {p} schema:birthDate ?d } }", {"BirthDateProperty"}),
    ("birth-date-with-time-zone",  # rdflib normalises it: pyshacl accepts it
     "DELETE { GRAPH <{g}> { {p} schema:birthDate ?d } } INSERT { GRAPH <{g}> { {p} schema:birthDate "
     "'1920-05-03Z'^^xsd:date } } WHERE { GRAPH <{g}> { {p} schema:birthDate ?d } }", set()),
    ("birth-before-1850",
     "DELETE { GRAPH <{g}> { {p} schema:birthDate ?d } } INSERT { GRAPH <{g}> { {p} schema:birthDate "
     "'1840-03-01'^^xsd:date } } WHERE { GRAPH <{g}> { {p} schema:birthDate ?d } }", {"LifeDatesShape"}),
    ("death-before-birth",
     "DELETE { GRAPH <{g}> { {p} schema:deathDate ?d } } INSERT { GRAPH <{g}> { {p} schema:deathDate "
     "'1889-12-31'^^xsd:date } } WHERE { GRAPH <{g}> { {p} schema:deathDate ?d } }", {"LifeDatesShape"}),
    ("death-date-time",
     "DELETE { GRAPH <{g}> { {p} schema:deathDate ?d } } INSERT { GRAPH <{g}> { {p} schema:deathDate "
     "'1946-01-01T00:00:00'^^xsd:dateTime } } WHERE { GRAPH <{g}> { {p} schema:deathDate ?d } }",
     {"DeathDateProperty"}),
    ("death-in-the-future",
     "DELETE { GRAPH <{g}> { {p} schema:deathDate ?d } } INSERT { GRAPH <{g}> { {p} schema:deathDate "
     "'2999-01-01'^^xsd:date } } WHERE { GRAPH <{g}> { {p} schema:deathDate ?d } }", {"DatedShape"}),
    ("two-english-labels",
     "INSERT DATA { GRAPH <{g}> { {p} skos:prefLabel 'SYNTHETIC Second Name'@en } }",
     {"PrefLabelProperty", "EnglishPrefLabelProperty"}),
    ("untrimmed-label",
     "DELETE { GRAPH <{g}> { {p} skos:prefLabel ?l } } INSERT { GRAPH <{g}> { {p} skos:prefLabel ?t } } "
     "WHERE { GRAPH <{g}> { {p} skos:prefLabel ?l FILTER(LANG(?l) = 'ja') } "
     "BIND(STRLANG(CONCAT(STR(?l), ' '), 'ja') AS ?t) }", {"PrefLabelProperty"}),
    ("label-in-another-language",
     "INSERT DATA { GRAPH <{g}> { {p} skos:altLabel 'Synthétique'@fr } }", {"AltLabelProperty"}),
    ("wikidata-link-wrong-pattern",
     "INSERT DATA { GRAPH <{g}> { {p} skos:exactMatch <https://www.wikidata.org/wiki/Q42> ; "
     "schema:sameAs <https://www.wikidata.org/wiki/Q42> } }", {"ExactMatchProperty", "SameAsProperty"}),
    ("no-citation",
     "DELETE WHERE { GRAPH <{g}> { {p} skg:citation ?c } }", {"EntitySourceShape"}),
    ("held-in-an-organization",
     "DELETE { GRAPH <{g}> { {p} skg:heldIn ?c } } INSERT { GRAPH <{g}> { {p} skg:heldIn "
     "<{id}org/gupvi> } } WHERE { GRAPH <{g}> { {p} skg:heldIn ?c } }", {"HeldInProperty"}),
    ("role-not-a-role",
     "DELETE { GRAPH <{g}> { {p} skg:role ?r } } INSERT { GRAPH <{g}> { {p} skg:role skg:Transfer } } "
     "WHERE { GRAPH <{g}> { {p} skg:role ?r } }", {"RoleProperty"}),
    ("no-type",
     "DELETE WHERE { GRAPH <{g}> { {p} a ?t } }", {"KnownTypeProperty"}),
    ("bad-iri",
     "DELETE { GRAPH <{g}> { {p} ?x ?y } } INSERT { GRAPH <{g}> { ?q ?x ?y } } "
     "WHERE { GRAPH <{g}> { {p} ?x ?y } BIND(IRI(CONCAT(STR({p}), '-X')) AS ?q) }", {"EntityIriShape"}),
]

PREFIXES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
PREFIX skg: <https://w3id.org/siberia-kg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def make_register(folder: Path, dist: Path, persons: int, seed: int = 7) -> Path:
    """A SYNTHETIC register, generated as CSV and imported as the build would: registers/SLUG."""
    import synthetic_register
    from siberia_kg.importers.places import PlaceIndex
    from siberia_kg.importers.register import import_register

    csv = folder / f"{SLUG}.csv"
    synthetic_register.write(csv, persons, seed=seed)
    result = import_register(csv, source=SLUG, registers_dir=folder / "registers",
                             title="SYNTHETIC register for the validator tests",
                             places=PlaceIndex.from_file(dist / "siberia-kg.nq"))
    assert result.ok, result.message
    return folder / "registers" / SLUG


def inject(register_nq: Path, out: Path, seed: int = 11) -> dict[str, str]:
    """Apply every INJECTED error to its own record (chosen by the seed among the records that
    have what the error changes); write the broken register; record IRI -> error name."""
    import random

    store = ox.Store()
    store.load(path=str(register_nq), format=ox.RdfFormat.N_QUADS)
    needs = {"birth": "schema:birthDate", "death": "schema:deathDate", "held-in": "skg:heldIn",
             "english": "skos:prefLabel"}
    rnd = random.Random(seed)
    used: set[str] = set()
    chosen: dict[str, str] = {}
    for name, update, _ in INJECTED:
        need = ("death" if "death" in name else "birth" if "birth" in name else
                "held-in" if "held-in" in name else "english" if "english" in name or "label" in name else None)
        pattern = f"?p {needs[need]} ?x ." if need else "?p skg:recordNumber ?x ."
        extra = ""
        if need == "english":
            extra = "FILTER(LANG(?x) = 'en') ?p skos:prefLabel ?ja FILTER(LANG(?ja) = 'ja')"
        if name == "death-before-birth":
            extra = "?p schema:birthDate ?b FILTER(STR(?b) >= '1891')"
        if name in ("plain-birth-date",):
            extra = "?p schema:deathDate ?dd"
        rows = sorted(str(r["p"].value) for r in store.query(
            PREFIXES + f"SELECT DISTINCT ?p WHERE {{ GRAPH <{GRAPH}> {{ {pattern} "
            f"FILTER NOT EXISTS {{ ?p skg:detailsWithheld true }} {extra} }} }}"))
        candidates = [r for r in rows if r not in used]
        p = candidates[rnd.randrange(len(candidates))]
        used.add(p)
        chosen[p] = name
        store.update(PREFIXES + update.replace("{p}", f"<{p}>").replace("{g}", GRAPH).replace("{id}", ID))
    with open(out, "wb") as f:
        store.dump(f, format=ox.RdfFormat.N_QUADS)
    return chosen


@pytest.fixture(scope="module")
def register(tmp_path_factory, built):
    folder = tmp_path_factory.mktemp("register")
    reg = make_register(folder, built.out_dir, PERSONS)
    broken = folder / "broken.nq"
    chosen = inject(reg / "register.nq", broken)
    return reg, broken, chosen


def register_graph(curated, *files: Path) -> Graph:
    """The flattened union pyshacl validates: curated graph + register files."""
    data = Graph()
    for prefix, ns in curated.union.namespaces():
        data.bind(prefix, ns, override=True)
    for t in curated.union:
        data.add(t)
    for f in files:
        ds = Dataset()
        ds.parse(str(f), format="nquads" if f.suffix == ".nq" else "trig")
        for s, p, o, _ in ds.quads((None, None, None, None)):
            data.add((s, p, o))
    return data


def register_store(curated, *files: Path, path: Path | None = None) -> ox.Store:
    store = ox.Store(str(path)) if path else ox.Store()
    store.extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in curated.union)
    for f in files:
        fmt = ox.RdfFormat.N_QUADS if f.suffix == ".nq" else ox.RdfFormat.TRIG
        store.bulk_load(path=str(f), format=fmt) if path else store.load(path=str(f), format=fmt)
    return store


def test_clean_register_has_no_violation(register, curated, tmp_path):
    reg, _, _ = register
    store = register_store(curated, reg / "source.trig", reg / "register.nq", path=tmp_path / "store")
    n = sum(1 for _ in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                              ox.NamedNode("https://w3id.org/siberia-kg/ontology#RegisterRecord")))
    assert n == PERSONS
    assert validate_store(store, curated.shapes, curated.ontology, namespaces=curated.union) == []
    # the ontology graph was added for the run only
    assert not store.contains_named_graph(ox.NamedNode(ONTOLOGY_GRAPH))


@pytest.mark.slow
def test_register_with_errors_same_as_pyshacl(register, curated):
    reg, broken, chosen = register
    data = register_graph(curated, reg / "source.trig", broken)
    store = register_store(curated, reg / "source.trig", broken)
    plain, fast = both(data, curated.shapes, curated.ontology, store=store)
    assert key(fast) == key(plain), diff(plain, fast)
    # exactly the injected errors, each on its record, each by the expected shapes
    expected = {name: shapes for name, _, shapes in INJECTED}
    found: dict[str, set] = {}
    by_iri = {f"<{p}>": name for p, name in chosen.items()}
    by_iri.update({f"<{p}-X>": name for p, name in chosen.items() if name == "bad-iri"})
    # the report writes focus nodes compactly (person:...) with the data's prefixes
    by_iri.update({k.replace(f"<{ID}person/", "person:").rstrip(">"): n for k, n in list(by_iri.items())})
    for v in plain:
        assert v.focus in by_iri, f"unexpected violation {v}"
        found.setdefault(by_iri[v.focus], set()).add(v.shape.rsplit("#", 1)[-1].rstrip(">"))
    assert found == {n: s for n, s in expected.items() if s}


def test_register_focus_filter(register, curated):
    """Only one register's records: by their graph or by their IRI prefix."""
    reg, broken, chosen = register
    data = mutate(curated.union, "DELETE WHERE { place:japan skos:prefLabel ?l }")  # a curated error too
    store = register_store(curated, reg / "source.trig", broken)
    store.update("DELETE WHERE { <https://w3id.org/siberia-kg/id/place/japan> "
                 "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")
    everything = validate_store(store, curated.shapes, curated.ontology, namespaces=data)
    assert any("place/japan" in v.focus for v in everything)
    by_graph = validate_store(store, curated.shapes, curated.ontology, namespaces=data,
                              focus_filter=FocusFilter(graph=GRAPH))
    by_prefix = validate_store(store, curated.shapes, curated.ontology, namespaces=data,
                               focus_filter=FocusFilter(prefix=f"{ID}person/register-{SLUG}-"))
    mine = [v for v in everything if f"register-{SLUG}-" in v.focus]
    assert by_graph == by_prefix == mine
    assert {v.focus.strip("<>").removesuffix("-X") for v in mine} == set(chosen) - {
        p for p, n in chosen.items() if not dict((a, c) for a, _, c in INJECTED)[n]}


# ------------------------------------------------------------------------------------------
# Unsupported features fail loudly


@pytest.mark.parametrize("extra,feature", [
    ("skgsh:X a sh:NodeShape ; sh:targetClass schema:Person ; sh:xone ( [ sh:class schema:Person ] ) .", "sh:xone"),
    ("skgsh:X a sh:NodeShape ; sh:targetClass schema:Person ; sh:closed true ; "
     "sh:property [ sh:path schema:name ] .", "sh:closed"),
    ("skgsh:X a sh:PropertyShape ; sh:targetClass schema:Person ; sh:path schema:birthDate ; "
     "sh:lessThan schema:deathDate .", "sh:lessThan"),
    ("skgsh:X a sh:NodeShape ; sh:targetClass schema:Person ; sh:property skgsh:Y . "
     "skgsh:Y sh:path schema:name ; sh:property [ sh:path schema:name ; sh:minCount 1 ] .", "sh:property"),
])
def test_unsupported_feature_is_named(extra, feature, shapes, ontology, good):
    bad = Graph()
    for t in shapes:
        bad.add(t)
    bad.parse(data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <https://schema.org/> . "
                   "@prefix skgsh: <https://w3id.org/siberia-kg/shapes#> . " + extra, format="turtle")
    with pytest.raises(NotImplementedError) as e:
        validate_store(store_of(good), bad, ontology)
    assert isinstance(e.value, UnsupportedShape)
    assert "skgsh:X" in str(e.value) or "shapes#X" in str(e.value) or "shapes#Y" in str(e.value)
    assert feature in str(e.value)


def test_read_only_store_needs_the_ontology_graph(good, shapes, ontology, tmp_path):
    path = tmp_path / "store"
    s = ox.Store(str(path))
    s.extend(ox.Quad(to_oxigraph(a), to_oxigraph(b), to_oxigraph(c)) for a, b, c in good)
    s.flush()
    del s
    with pytest.raises(ValueError, match="ontology_quads"):
        validate_store(ox.Store.read_only(str(path)), shapes, ontology)
    s = ox.Store(str(path))
    s.extend(ontology_quads(ontology))
    s.flush()
    del s
    assert validate_store(ox.Store.read_only(str(path)), shapes, ontology) == []


# ------------------------------------------------------------------------------------------
# Benchmark (python tests/test_shacl_sparql.py bench ...): not collected by pytest


def _bench(argv: list[str]) -> None:  # pragma: no cover
    import argparse
    import json
    import resource
    import shutil
    import time

    from siberia_kg.build import build, compile_graph
    from siberia_kg.config import Settings

    ap = argparse.ArgumentParser(description="Time the SPARQL validator (and pyshacl) on a synthetic register.")
    ap.add_argument("--persons", type=int, nargs="+", default=[10_000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/shacl-sparql-bench"))
    ap.add_argument("--pyshacl", type=int, default=0, help="also run pyshacl up to this many persons")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--errors", action="store_true", help="inject the test's errors")
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    dist = args.dir / "dist"
    settings = Settings(out_dir=dist)
    if not (dist / "siberia-kg.nq").is_file():
        build(settings)
    c = compile_graph(settings)

    def rss() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

    for n in args.persons:
        folder = args.dir / f"n{n}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        t = time.perf_counter()
        reg = make_register(folder, dist, n)
        nq = reg / "register.nq"
        if args.errors:
            inject(nq, folder / "broken.nq")
            nq = folder / "broken.nq"
        t_import = time.perf_counter() - t
        t = time.perf_counter()
        store = register_store(c, reg / "source.trig", nq, path=folder / "store")
        t_load = time.perf_counter() - t
        triples = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH)))
        timings: list = []
        t = time.perf_counter()
        violations = validate_store(store, c.shapes, c.ontology, namespaces=c.union, threads=args.threads,
                                    timings=timings)
        t_val = time.perf_counter() - t
        out = {"persons": n, "register_triples": triples, "generate_and_import_s": round(t_import, 1),
               "bulk_load_s": round(t_load, 1), "validate_s": round(t_val, 1),
               "triples_per_s": round(triples / t_val), "violations": len(violations),
               "peak_rss_mb": rss()}
        slowest = sorted(timings, key=lambda x: -x[1])[:8]
        out["slowest_queries"] = [(label, round(s, 1)) for label, s, _ in slowest]
        print(json.dumps(out, ensure_ascii=False), flush=True)
        del store
        if n <= args.pyshacl:
            t = time.perf_counter()
            data = register_graph(c, reg / "source.trig", nq)
            t_parse = time.perf_counter() - t
            sparql_processor.SPARQLProcessor.query = _cached_sparql_query
            t = time.perf_counter()
            plain = run_shacl(data, c.shapes, c.ontology, accelerate=False)
            t_py = time.perf_counter() - t
            print(json.dumps({"persons": n, "pyshacl_parse_s": round(t_parse, 1), "pyshacl_s": round(t_py, 1),
                              "pyshacl_triples_per_s": round(triples / t_py), "violations": len(plain),
                              "peak_rss_mb": rss()}), flush=True)


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:2] == ["bench"]:
        _bench(sys.argv[2:])
    else:
        sys.exit("usage: python tests/test_shacl_sparql.py bench [--persons N ...] [--pyshacl N]")


# ------------------------------------------------------------------------------------------
# The same register validated in slices, in worker processes (chunked_validation), as the
# build validates registers


def _declarations(reg: Path) -> bytes:
    quads = ox.parse(path=str(reg / "source.trig"), format=ox.RdfFormat.TRIG)
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


def _chunked(built, reg: Path, nq: Path, slice_bytes: int, namespaces: dict | None = None):
    from siberia_kg.chunked_validation import ChunkedValidation

    checking = ChunkedValidation(
        [(nq, GRAPH, f"{ID}person/register-")], curated=built.out_dir / "siberia-kg.nq",
        ontology=built.out_dir / "siberia-kg-ontology.ttl", shapes=ROOT / "ontology" / "shapes.ttl",
        namespaces=namespaces or {}, declarations=_declarations(reg), workers=2,
        slice_bytes=slice_bytes)
    return checking, checking.result()


@pytest.fixture(scope="module")
def broken_sorted(register, tmp_path_factory) -> Path:
    """The broken register with each record's lines together, as the importer writes them
    (the store that injected the errors appends changed statements at the end)."""
    _, broken, _ = register
    out = tmp_path_factory.mktemp("sorted") / "broken-sorted.nq"
    out.write_bytes(b"".join(sorted(broken.read_bytes().splitlines(keepends=True))))
    return out


def test_slices_cut_between_records_and_cover_the_file(broken_sorted):
    from siberia_kg.chunked_validation import slices

    broken = broken_sorted
    data = broken.read_bytes()
    for size in (1, 1000, 77_777, len(data) // 3, len(data) * 2):
        cuts = slices(broken, size)
        assert cuts[0][0] == 0 and cuts[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:]))
        subjects = [{line.split(b" ", 1)[0] for line in data[a:b].splitlines()} for a, b in cuts]
        assert sum(len(s) for s in subjects) == len(set().union(*subjects))  # no record split


def test_register_in_slices_same_as_whole_store(register, broken_sorted, curated, built):
    """Slices of some 150 records each, in two processes: the same violations as the whole
    register on one store (which test_register_with_errors_same_as_pyshacl proves equal to
    pyshacl's), so no verdict depends on where the file is cut."""
    reg, broken, chosen = register
    whole = validate_store(register_store(curated, reg / "source.trig", broken), curated.shapes,
                           curated.ontology, focus_filter=FocusFilter(prefix=f"{ID}person/register-"),
                           namespaces=curated.union)
    checking, sliced = _chunked(built, reg, broken_sorted, slice_bytes=200_000,
                                namespaces={p: str(n) for p, n in curated.union.namespaces()})
    assert len(checking.jobs) > 20
    assert len(whole) >= len([s for _, _, s in INJECTED if s])
    assert key(sliced) == key(whole), diff(whole, sliced)


def test_a_record_split_across_slices_is_detected(register, built, tmp_path):
    from siberia_kg.chunked_validation import NotIndependent

    reg, _, _ = register
    # some 300 records (a dozen slices) are enough to split one; the whole register is not needed
    lines = (reg / "register.nq").read_bytes().splitlines(keepends=True)[:4000]
    moved = tmp_path / "split.nq"
    moved.write_bytes(b"".join(lines[1:] + lines[:1]))  # the first record's first line at the end
    assert moved.stat().st_size > 10 * 50_000
    with pytest.raises(NotIndependent):
        _chunked(built, reg, moved, slice_bytes=50_000)
