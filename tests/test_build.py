"""Build mechanics on the tiny fixture: dumps, reproducibility, atomicity, refusal."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from siberia_kg import build as build_mod
from siberia_kg.build import MARKER, ValidationFailed, build, recover
from siberia_kg.config import Settings
from siberia_kg.load import DataError

ROOT = Path(__file__).resolve().parents[1]
DUMPS = ["siberia-kg.ttl", "siberia-kg.nt", "siberia-kg.jsonld", "siberia-kg.rdf",
         "siberia-kg.trig", "siberia-kg.nq", "siberia-kg-ontology.ttl", "void.ttl"]


@pytest.fixture
def project(tmp_path, minidata) -> Settings:
    """A project folder with the real ontology, no shapes and the tiny data."""
    onto = tmp_path / "ontology"
    onto.mkdir()
    shutil.copy(ROOT / "ontology" / "siberia-kg.ttl", onto / "siberia-kg.ttl")
    (onto / "shapes.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n")
    return Settings(root=tmp_path, out_dir=tmp_path / "dist")


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_build_writes_every_dump_and_describes_it(project):
    result = build(project)
    names = sorted(p.name for p in project.out_dir.iterdir())
    assert sorted(DUMPS + [MARKER]) == names
    void = Graph().parse(project.out_dir / "void.ttl")
    for f in result.files:
        if f["name"] == "void.ttl":
            continue
        data = (project.out_dir / f["name"]).read_bytes()
        url = URIRef(f"https://w3id.org/siberia-kg/dumps/{f['name']}")
        size = void.value(url, URIRef("http://www.w3.org/ns/dcat#byteSize"))
        checksum = void.value(void.value(url, URIRef("http://spdx.org/rdf/terms#checksum")),
                              URIRef("http://spdx.org/rdf/terms#checksumValue"))
        assert int(size) == len(data)
        assert str(checksum) == hashlib.sha256(data).hexdigest()
    ds = URIRef("https://w3id.org/siberia-kg/id/dataset/siberia-kg")
    triples = void.value(ds, URIRef("http://rdfs.org/ns/void#triples"))
    assert int(triples) == result.triples


def test_dumps_round_trip_through_two_parsers(project):
    build(project)
    out = project.out_dir
    ref = Graph().parse(out / "siberia-kg.nt", format="nt")
    assert len(ref) > 10
    for name, fmt in (("siberia-kg.ttl", "turtle"), ("siberia-kg.jsonld", "json-ld"),
                      ("siberia-kg.rdf", "xml")):
        assert isomorphic(ref, Graph().parse(out / name, format=fmt)), name
        oxfmt = {"turtle": ox.RdfFormat.TURTLE, "json-ld": ox.RdfFormat.JSON_LD,
                 "xml": ox.RdfFormat.RDF_XML}[fmt]
        assert len(list(ox.parse(path=str(out / name), format=oxfmt))) == len(ref), name
    quads = Dataset().parse(out / "siberia-kg.nq", format="nquads")
    trig = Dataset().parse(out / "siberia-kg.trig", format="trig")
    assert set(quads.quads((None, None, None, None))) == set(trig.quads((None, None, None, None)))
    # The union of the graphs is exactly the flat dump.
    flat = {(s, p, o) for s, p, o, _ in quads.quads((None, None, None, None))}
    assert flat == set(ref)


def test_two_builds_are_byte_identical_whatever_the_hash_seed(project, tmp_path):
    code = ("import sys; from pathlib import Path; from siberia_kg.config import Settings;"
            "from siberia_kg.build import build;"
            "build(Settings(root=Path(sys.argv[1]), out_dir=Path(sys.argv[2])))")
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", code, str(project.root), str(out)], check=True, env=env)
        outs.append(digests(out))
    assert outs[0] == outs[1]


def test_invalid_data_leaves_previous_build_untouched(project):
    build(project)
    before = digests(project.out_dir)
    places = project.data_dir / "places.trig"
    places.write_text(places.read_text().replace("place:taishet a schema:City", "place:taishet a schema:City \"unterminated"))
    with pytest.raises(DataError):
        build(project)
    assert digests(project.out_dir) == before
    assert not list(project.root.glob(".dist.*-*"))


def test_shacl_violation_writes_nothing(project):
    project.shapes_file.write_text("""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skg: <https://w3id.org/siberia-kg/ontology#> .
@prefix schema: <https://schema.org/> .
<urn:test#CampNeedsUrl> a sh:NodeShape ; sh:targetClass skg:Camp ;
  sh:property [ sh:path schema:url ; sh:minCount 1 ; sh:message "a camp needs a url" ] .
""")
    with pytest.raises(ValidationFailed) as exc:
        build(project)
    [v] = exc.value.violations
    assert v.focus == "camp:taishet" and v.message == "a camp needs a url"
    assert v.files == "data/places.trig"
    assert not project.out_dir.exists()


def test_crash_while_writing_keeps_old_build_and_no_debris(project, monkeypatch):
    build(project)
    before = digests(project.out_dir)
    calls = {"n": 0}
    real = build_mod._write

    def failing(path, data):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        real(path, data)

    monkeypatch.setattr(build_mod, "_write", failing)
    with pytest.raises(OSError):
        build(project)
    assert digests(project.out_dir) == before
    assert not [p for p in project.root.iterdir() if p.name.startswith(".dist.") and p.is_dir()]


def test_recover_restores_a_build_left_aside(tmp_path):
    old = tmp_path / ".dist.old-abc"
    old.mkdir()
    (old / MARKER).write_text("{}")
    (tmp_path / ".dist.tmp-xyz").mkdir()
    recover(tmp_path / "dist")
    assert (tmp_path / "dist" / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_refuses_to_replace_a_folder_it_did_not_write(project):
    project.out_dir.mkdir()
    (project.out_dir / "thesis.docx").write_text("precious")
    with pytest.raises(DataError) as exc:
        build(project)
    assert "refusing to replace" in str(exc.value)
    assert (project.out_dir / "thesis.docx").read_text() == "precious"


def test_base_option_rebases_every_dump(project, tmp_path):
    settings = Settings(root=project.root, out_dir=tmp_path / "rebased", base="http://example.org/kg/")
    build(settings)
    text = (settings.out_dir / "siberia-kg.nt").read_text()
    assert "<http://example.org/kg/id/place/taishet>" in text
    assert "https://w3id.org/siberia-kg/id/" not in text
    marker = json.loads((settings.out_dir / MARKER).read_text())
    assert marker["base"] == "http://example.org/kg/"


@pytest.mark.skipif(not shutil.which("rapper"), reason="Debian's raptor2-utils (rapper) is not installed")
@pytest.mark.parametrize("name,syntax", [("siberia-kg.ttl", "turtle"), ("siberia-kg.nt", "ntriples"),
                                         ("siberia-kg.rdf", "rdfxml"), ("siberia-kg.trig", "trig"),
                                         ("siberia-kg.nq", "nquads")])
def test_an_independent_parser_reads_every_dump(project, name, syntax, tmp_path):
    """Raptor, a third implementation, reads each dump and finds the same statements."""
    build(project)
    out = subprocess.run(["rapper", "-q", "-i", syntax, "-o", "nquads" if syntax in ("trig", "nquads") else "ntriples",
                          str(project.out_dir / name)], capture_output=True, check=True)
    (tmp_path / "raptor.nq").write_bytes(out.stdout)
    if syntax in ("trig", "nquads"):
        got = Dataset().parse(tmp_path / "raptor.nq", format="nquads")
        want = Dataset().parse(project.out_dir / "siberia-kg.nq", format="nquads")
        assert set(got.quads((None, None, None, None))) == set(want.quads((None, None, None, None)))
    else:
        got = Graph().parse(tmp_path / "raptor.nq", format="nt")
        assert isomorphic(got, Graph().parse(project.out_dir / "siberia-kg.nt", format="nt"))
