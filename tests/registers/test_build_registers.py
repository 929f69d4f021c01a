"""Person registers in the build: their dumps, void.ttl and the marker, privacy of the records of
people who may be alive, stale detection, atomicity when a register is wrong, reproducibility.

Register folders are written here directly in the shared format (source.trig, register.nq,
withheld.nq, meta.json; see docs/registers.md), independent of the importer; every name is
SYNTHETIC. The project is the tiny fixture data (one camp, camp:taishet) with the real ontology
and shapes, so that each build takes about a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef

from siberia_kg import build as build_mod
from siberia_kg.build import MARKER, ValidationFailed, build, input_digest, is_current
from siberia_kg.config import Settings
from siberia_kg.load import DataError
from siberia_kg.store import GraphStore

ROOT = Path(__file__).resolve().parents[2]


# --- register folders in the shared format ----------------------------------------------------

BASE = "https://w3id.org/siberia-kg/"
SKG = "https://w3id.org/siberia-kg/ontology#"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"


def person_iri(slug: str, rid: str, base: str = BASE) -> str:
    return f"{base}id/person/register-{slug}-{rid}"


def citation_iri(slug: str, base: str = BASE) -> str:
    return f"{base}id/citation/register-{slug}"


def record(slug: str, rid: str, *, name_en: str | None = None, name_ja: str | None = None,
           birth: str | None = "1915-03-04", death: str | None = "1946-01",
           camp: str | None = "taishet", camp_name: str = "Tayshet", base: str = BASE,
           extra: list[tuple[str, object]] = ()) -> list[ox.Quad]:
    """One complete record, as the importer writes it (labels' derived copies included)."""
    s = ox.NamedNode(person_iri(slug, rid, base))
    g = ox.NamedNode(citation_iri(slug, base))
    n = ox.NamedNode
    name_en = name_en or f"SYNTHETIC Person {rid}"
    out = [(RDF_TYPE, n(SCHEMA + "Person")), (RDF_TYPE, n(SKG + "RegisterRecord"))]
    for text, lang in ((name_en, "en"), (name_ja, "ja")):
        if text:
            lit = ox.Literal(text, language=lang)
            out += [(SKOS + "prefLabel", lit), (RDFS + "label", lit), (SCHEMA + "name", lit)]
    out.append((SKG + "role", n(SKG + "FormerInternee")))
    for pred, value in ((SCHEMA + "birthDate", birth), (SCHEMA + "deathDate", death)):
        if value:
            dt = {10: "date", 7: "gYearMonth", 4: "gYear"}[len(value)]
            out.append((pred, ox.Literal(value, datatype=n(XSD + dt))))
    if camp:
        out.append((SKG + "heldIn", n(f"{base}id/camp/{camp}")))
    out.append((SKG + "campName", ox.Literal(camp_name, language="en")))
    out.append((SKG + "recordNumber", ox.Literal(rid)))
    out.append((SKG + "citation", g))
    out += list(extra)
    return [ox.Quad(s, n(p), o, g) for p, o in out]


def placeholder(slug: str, rid: str, title: str, base: str = BASE) -> list[ox.Quad]:
    """What register.nq keeps of a person who may be alive."""
    s = ox.NamedNode(person_iri(slug, rid, base))
    g = ox.NamedNode(citation_iri(slug, base))
    n = ox.NamedNode
    label = ox.Literal(f"Withheld record {rid} of {title}", language="en")
    out = [(RDF_TYPE, n(SCHEMA + "Person")), (RDF_TYPE, n(SKG + "RegisterRecord")),
           (SKOS + "prefLabel", label), (RDFS + "label", label), (SCHEMA + "name", label),
           (SKG + "recordNumber", ox.Literal(rid)),
           (SKG + "detailsWithheld", ox.Literal("true", datatype=n(XSD + "boolean"))),
           (SKG + "citation", g)]
    return [ox.Quad(s, n(p), o, g) for p, o in out]


def source_trig(slug: str, title: str, rows: int, base: str = BASE) -> str:
    return f"""@prefix skg: <{SKG}> .
@prefix src: <{base}id/source/> .
@prefix cit: <{base}id/citation/> .
@prefix skos: <{SKOS}> .
@prefix schema: <{SCHEMA}> .
@prefix dcterms: <http://purl.org/dc/terms/> .

src:register-{slug} a skg:SourceDocument ;
    skos:prefLabel "{title}"@en ;
    dcterms:title "{title}" ;
    skg:sourceGenre skg:OfficialRecord ;
    skg:fileName "{slug}.csv" ;
    skg:sha256 "{'ab' * 32}" ;
    schema:description "A SYNTHETIC register for tests."@en .

cit:register-{slug} a skg:Citation ;
    skg:source src:register-{slug} ;
    skg:locator "rows 1-{rows} of {slug}.csv" .
"""


def nquads(quads: list[ox.Quad]) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b""


def write_register(registers: Path, slug: str, public: list[list[ox.Quad]],
                   withheld: dict[str, list[ox.Quad]] | None = None,
                   title: str | None = None, base: str = BASE) -> Path:
    """registers/<slug>/ with the given public records and, for each withheld record id, its
    placeholder in register.nq and its complete record in withheld.nq."""
    withheld = withheld or {}
    title = title or f"SYNTHETIC register {slug}"
    folder = registers / slug
    folder.mkdir(parents=True, exist_ok=True)
    rows = len(public) + len(withheld)
    (folder / "source.trig").write_text(source_trig(slug, title, rows, base), encoding="utf-8")
    quads = [q for rec in public for q in rec]
    quads += [q for rid in withheld for q in placeholder(slug, rid, title, base)]
    (folder / "register.nq").write_bytes(nquads(quads))
    (folder / "withheld.nq").write_bytes(nquads([q for rec in withheld.values() for q in rec]))
    meta = {"tool": "siberia-kg", "format": 1, "source": slug, "title": title, "base": base,
            "as_of": "2026-11-22",
            "counts": {"rows": rows, "imported": rows, "public": len(public),
                       "withheld": len(withheld), "rejected": 0, "quads": len(quads)}}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    (folder / "rejects.csv").write_text("row,line,record_id,reason,raw\n")
    return folder


# --- the project -------------------------------------------------------------------------------

TITLE = "SYNTHETIC register test-a"
SECRET_EN = "SYNTHETIC Alive Person"
SECRET_JA = "存命（架空）"


@pytest.fixture
def project(tmp_path, minidata) -> Settings:
    onto = tmp_path / "ontology"
    onto.mkdir()
    for name in ("siberia-kg.ttl", "shapes.ttl"):
        shutil.copy(ROOT / "ontology" / name, onto / name)
    return Settings(root=tmp_path, out_dir=tmp_path / "dist", registers_dir=tmp_path / "registers")


def add_register(settings: Settings, slug: str = "test-a", n: int = 3, alive: bool = True,
                 **kw) -> Path:
    public = [record(slug, f"r{i}", name_ja=f"名前{i}（架空）") for i in range(1, n + 1)]
    withheld = {}
    if alive:
        withheld["r9"] = record(slug, "r9", name_en=SECRET_EN, name_ja=SECRET_JA,
                                birth="1931-05-06", death=None)
    return write_register(settings.registers_dir, slug, public, withheld,
                          title=TITLE if slug == "test-a" else None, **kw)


def digests(folder: Path) -> dict[str, str]:
    """Every file of a build but the store, whose RocksDB files carry unique ids."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def register_files(slug: str = "test-a") -> list[str]:
    return [f"siberia-kg-register-{slug}{s}" for s in (".nq", ".nt", ".ttl")]


def triples_of(path: Path) -> set:
    fmt = {".nq": ox.RdfFormat.N_QUADS, ".nt": ox.RdfFormat.N_TRIPLES,
           ".ttl": ox.RdfFormat.TURTLE}[path.suffix]
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in ox.parse(path=str(path), format=fmt)}


# --- dumps, void, marker, store ------------------------------------------------------------------

def test_register_dumps_void_marker_and_store(project):
    folder = add_register(project)
    result = build(project)
    out = project.out_dir
    names = {f["name"] for f in result.files}
    assert set(register_files()) <= names
    assert (out / "store").is_dir()

    # the .nq: the declarations (default graph), then register.nq as it is
    nq = (out / "siberia-kg-register-test-a.nq").read_bytes()
    assert nq.endswith(( folder / "register.nq").read_bytes())
    head = nq[:-len((folder / "register.nq").read_bytes())]
    decl = list(ox.parse(input=head, format=ox.RdfFormat.N_QUADS))
    assert decl and all(isinstance(q.graph_name, ox.DefaultGraph) for q in decl)
    assert {str(q.subject) for q in decl} == {
        "<https://w3id.org/siberia-kg/id/source/register-test-a>",
        "<https://w3id.org/siberia-kg/id/citation/register-test-a>"}
    # derived like curated data: the citation's label, the document's rdfs:label
    assert any(str(q.predicate) == "<http://www.w3.org/2000/01/rdf-schema#label>" and
               "register-test-a: rows 1-4" in str(q.object) for q in decl)
    # .nt and .ttl hold the same statements, without graph names
    flat = triples_of(out / "siberia-kg-register-test-a.nq")
    assert triples_of(out / "siberia-kg-register-test-a.nt") == flat
    assert triples_of(out / "siberia-kg-register-test-a.ttl") == flat
    nt_lines = (out / "siberia-kg-register-test-a.nt").read_bytes().count(b"\n")
    assert nt_lines == len(flat)

    # void.ttl: a subset per register, with its counts and its dumps (size and SHA-256)
    void = Graph().parse(out / "void.ttl")
    VOID, DCAT = "http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#"
    SPDX = "http://spdx.org/rdf/terms#"
    ds = URIRef("https://w3id.org/siberia-kg/id/dataset/siberia-kg")
    sub = URIRef(f"{ds}#register-test-a")
    assert (ds, URIRef(VOID + "subset"), sub) in void
    assert int(void.value(sub, URIRef(VOID + "triples"))) == len(flat)
    assert int(void.value(sub, URIRef(VOID + "entities"))) == 4 + 2  # 4 records, source, citation
    assert (ds, URIRef("http://purl.org/dc/terms/source"),
            URIRef("https://w3id.org/siberia-kg/id/source/register-test-a")) in void
    dumps = set(void.objects(sub, URIRef(DCAT + "distribution")))
    assert {str(d).rsplit("/", 1)[1] for d in dumps} == set(register_files())
    for d in dumps:
        data = (out / str(d).rsplit("/", 1)[1]).read_bytes()
        assert int(void.value(d, URIRef(DCAT + "byteSize"))) == len(data)
        checksum = void.value(void.value(d, URIRef(SPDX + "checksum")), URIRef(SPDX + "checksumValue"))
        assert str(checksum) == hashlib.sha256(data).hexdigest()
    # the dataset's totals count the register too
    curated = len(Graph().parse(out / "siberia-kg.nt", format="nt"))
    assert int(void.value(ds, URIRef(VOID + "triples"))) == curated + len(flat)
    # the privacy rule is stated
    rights = void.value(ds, URIRef("http://purl.org/dc/terms/accessRights"))
    text = str(void.value(rights, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert "may be alive" in text and "out of the public dumps" in text

    # the marker lists the files and the register with its meta.json counts
    marker = json.loads((out / MARKER).read_text())
    for name in register_files():
        assert marker["files"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    entry = marker["registers"]["test-a"]
    assert entry["counts"]["withheld"] == 1 and entry["counts"]["public"] == 3
    assert entry["files"] == register_files() and entry["triples"] == len(flat)
    assert entry["withheld_included"] is False and marker["include_withheld"] is False
    assert marker["store"]["folder"] == "store"
    from test_store import assert_statistics_hold

    assert_statistics_hold(GraphStore.from_dist(out), marker["store"])

    # the store holds curated data, ontology and registers: the persons are there, in their graph
    store = GraphStore.from_dist(out)
    assert store.path == out / "store"
    n = list(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH "
                         "<https://w3id.org/siberia-kg/id/citation/register-test-a> "
                         "{ ?p a <https://schema.org/Person> } }"))[0]["n"].value
    assert n == "4"
    assert store.query("ASK { <https://w3id.org/siberia-kg/id/camp/taishet> a "
                       "<https://w3id.org/siberia-kg/ontology#Camp> }")
    assert store.query("ASK { GRAPH <https://w3id.org/siberia-kg/ontology> "
                       "{ ?c a <http://www.w3.org/2002/07/owl#Class> } }")


def _void_and_registers(out: Path) -> tuple[bytes, dict]:
    marker = json.loads((out / MARKER).read_text())
    return (out / "void.ttl").read_bytes(), marker["registers"]


@pytest.mark.parametrize("duplicated", [False, True], ids=["as-imported", "duplicate-lines"])
def test_no_store_writes_the_same_validated_dumps_without_a_store(project, tmp_path, duplicated):
    """--no-store: the dumps, void.ttl and the counts are those of a build with the store
    (with duplicate lines in a hand-edited register too, which a temporary store counts),
    no dist/store is left, and the graph is still served from the dumps."""
    folder = add_register(project, n=40, alive=False)
    if duplicated:
        lines = (folder / "register.nq").read_bytes().splitlines(keepends=True)
        with open(folder / "register.nq", "ab") as f:
            f.write(b"".join(lines[:3]))
    with_store = dataclasses.replace(project, out_dir=tmp_path / "with-store")
    without = dataclasses.replace(project, out_dir=tmp_path / "without", store=False)
    assert build(with_store).store is not None
    result = build(without)
    assert result.store is None and not (without.out_dir / "store").exists()
    assert not list(without.out_dir.parent.glob(".without.tmp-*"))
    assert _void_and_registers(without.out_dir) == _void_and_registers(with_store.out_dir)
    assert digests(without.out_dir).keys() == digests(with_store.out_dir).keys()
    assert json.loads((without.out_dir / MARKER).read_text())["store"] is None
    entry = json.loads((without.out_dir / MARKER).read_text())["registers"]["test-a"]
    assert entry["triples"] == len(triples_of(without.out_dir / "siberia-kg-register-test-a.nq"))

    memory = GraphStore.from_dist(without.out_dir)
    assert memory.path is None
    ask = ("ASK { GRAPH <https://w3id.org/siberia-kg/id/citation/register-test-a> "
           "{ <https://w3id.org/siberia-kg/id/person/register-test-a-r40> a <https://schema.org/Person> } }")
    assert memory.query(ask) and GraphStore.from_dist(with_store.out_dir).query(ask)


def test_cli_no_store(project):
    add_register(project)
    from siberia_kg.cli import main

    r = CliRunner().invoke(main, ["build", "--no-store", "--out", str(project.out_dir),
                                  "--registers", str(project.registers_dir)],
                           env={"SIBERIA_KG_ROOT": str(project.root)})
    assert r.exit_code == 0, r.output
    assert "persistent store" not in r.output and not (project.out_dir / "store").exists()
    assert (project.out_dir / "siberia-kg-register-test-a.ttl").is_file()


def _build_helpers() -> list[str]:
    """Command lines of the live child processes a build of this process starts: the store
    loader, the dump writer and the validation workers (not a server a fixture started)."""
    from procs import cmdline, stat

    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat(int(entry.name))
            if fields and fields[0] not in ("Z", "X") and int(fields[1]) == os.getpid():
                line = cmdline(int(entry.name))
                if any(k in line for k in ("siberia_kg.store.bulk", "siberia_kg.dumps",
                                           "spawn_main")):
                    found.append(line)
    return found


def test_a_failed_validation_stops_the_store_load_and_every_helper(project, monkeypatch):
    """The store is loaded beside the validation at a lower priority; a verdict against the
    registers kills it (and the dump writer and the workers) at once instead of finishing a
    store that would be thrown away. The loader here is a process that would take a minute."""
    import tempfile
    import time

    from siberia_kg.store import bulk

    started = []

    class MinuteLongLoad(bulk.StoreLoad):
        def __init__(self, path, files, nice=bulk.NICE):
            self.nice = None
            self._err = tempfile.TemporaryFile()
            self._proc = subprocess.Popen(["sleep", "60"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._err)
            started.append(self._proc)

    monkeypatch.setattr(build_mod, "StoreLoad", MinuteLongLoad)
    write_register(project.registers_dir, "test-c",
                   [record("test-c", f"x{i}", camp="nowhere-at-all") for i in range(200)])
    t = time.monotonic()
    with pytest.raises(ValidationFailed):
        build(project)
    assert time.monotonic() - t < 45
    assert len(started) == 1 and started[0].poll() is not None  # killed, and reaped
    assert _build_helpers() == []
    assert not [p for p in project.root.iterdir() if p.name.startswith(".dist.tmp")]


def test_the_store_loader_runs_at_a_lower_priority(tmp_path):
    """It runs at the nice value asked for (the validation workers keep ours), and names the
    file and line it could not parse."""
    from siberia_kg.store import bulk

    nq = tmp_path / "a.nq"
    nq.write_text('<http://example.org/a> <http://example.org/p> "x" <http://example.org/g> .\n')
    load = bulk.StoreLoad(tmp_path / "store", [(nq, "nquads", None)], nice=7)
    assert load.result() == 1
    assert load.nice == os.nice(0) + 7
    bad = tmp_path / "b.nq"
    bad.write_text('<http://example.org/a> <http://example.org/p> "x <http://example.org/g> .\n')
    with pytest.raises(bulk.LoadSyntaxError) as e:
        bulk.StoreLoad(tmp_path / "store2", [(nq, "nquads", None), (bad, "nquads", None)]).result()
    assert e.value.index == 1 and e.value.lineno == 1


def test_sample_queries_over_registers(project):
    """The curated worklists leave register records out (people-by-role, labels, entities
    without Wikidata), and source-contributions counts the register's statements: what the
    queries answer for the curated graph is unchanged by a register beside it."""
    from siberia_kg.query import run_local

    queries = {q: (ROOT / "queries" / f"{q}.rq").read_text() for q in (
        "people-by-role", "labels-in-japanese-and-russian", "entities-without-wikidata",
        "source-contributions")}
    build(project)
    plain = GraphStore.from_dist(project.out_dir)
    before = {q: run_local(plain, text).rows for q, text in queries.items()}
    add_register(project, n=5, alive=False)
    build(project)
    store = GraphStore.from_dist(project.out_dir)
    after = {q: run_local(store, text).rows for q, text in queries.items()}
    for q in ("people-by-role", "labels-in-japanese-and-russian", "entities-without-wikidata"):
        assert after[q] == before[q], q
        assert not [r for r in after[q] if "register-" in str(r.get("person") or r.get("entity"))]
    sources = {str(r["source"]): r for r in after["source-contributions"]}
    reg = sources["https://w3id.org/siberia-kg/id/source/register-test-a"]
    graph = triples_of(project.out_dir / "siberia-kg-register-test-a.nq")
    records = [t for t in graph if "register-test-a-r" in t[0]
               and t[1] != f"<{SKG}citation>"]
    assert int(reg["statements"]) == len(records)
    assert int(reg["entities"]) == 5 and int(reg["citations"]) == 1
    assert int(reg["estimates"]) == 0
    for r in before["source-contributions"]:
        assert sources[str(r["source"])] == r


def test_two_builds_with_a_register_are_byte_identical(project, tmp_path):
    add_register(project)
    code = ("import sys; from pathlib import Path; from siberia_kg.config import Settings;"
            "from siberia_kg.build import build;"
            "build(Settings(root=Path(sys.argv[1]), out_dir=Path(sys.argv[2]),"
            " registers_dir=Path(sys.argv[3])))")
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", code, str(project.root), str(out),
                        str(project.registers_dir)], check=True, env=env)
        outs.append(digests(out))
    assert outs[0] == outs[1]
    assert set(register_files()) <= set(outs[0])


def test_cli_build_with_registers(project):
    add_register(project)
    from siberia_kg.cli import main

    env = {"SIBERIA_KG_ROOT": str(project.root)}
    r = CliRunner().invoke(main, ["build", "--out", str(project.out_dir),
                                  "--registers", str(project.registers_dir)], env=env)
    assert r.exit_code == 0, r.output
    assert "register test-a:" in r.output and "persistent store" in r.output
    assert (project.out_dir / "siberia-kg-register-test-a.ttl").is_file()


# --- privacy ---------------------------------------------------------------------------------------

SECRETS = [SECRET_EN.encode(), SECRET_JA.encode(), b"1931-05-06"]


def public_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def test_withheld_records_are_in_no_public_dump(project):
    add_register(project)
    build(project)
    for name, data in public_bytes(project.out_dir).items():
        for secret in SECRETS:
            assert secret not in data, (name, secret)
    # the placeholder is published: the record exists, withheld
    nt = (project.out_dir / "siberia-kg-register-test-a.nt").read_text()
    assert f"Withheld record r9 of {TITLE}" in nt
    assert "detailsWithheld" in nt
    # nor is anything of it in the store the server opens
    store = GraphStore.from_dist(project.out_dir)
    assert not store.query(f'ASK {{ ?s ?p "{SECRET_EN}"@en }}')
    assert not store.query('ASK { ?s ?p "1931-05-06"^^<http://www.w3.org/2001/XMLSchema#date> }')


def test_include_withheld_publishes_the_complete_records(project):
    add_register(project)
    settings = Settings(root=project.root, out_dir=project.out_dir,
                        registers_dir=project.registers_dir, include_withheld=True)
    result = build(settings)
    out = project.out_dir
    for name in register_files():
        data = (out / name).read_bytes()
        assert SECRET_EN.encode() in data and SECRET_JA.encode() in data, name
        assert b"Withheld record r9" not in data, name  # the placeholder made way
    flat = triples_of(out / "siberia-kg-register-test-a.nq")
    assert triples_of(out / "siberia-kg-register-test-a.ttl") == flat
    person = "<https://w3id.org/siberia-kg/id/person/register-test-a-r9>"
    assert sum(1 for s, p, o in flat if s == person and p.endswith("prefLabel>")) == 2  # en, ja
    store = GraphStore.from_dist(out)
    assert store.query(f'ASK {{ {person} ?p "{SECRET_EN}"@en }}')
    marker = json.loads((out / MARKER).read_text())
    assert marker["include_withheld"] is True
    assert marker["registers"]["test-a"]["withheld_included"] is True
    void = (out / "void.ttl").read_text()
    assert "--include-withheld" in void and "not for publication" in void
    assert result.registers[0]["entities"] == 6

    # a build without the option is a different build: dist/ is stale, and rebuilt public
    assert is_current(settings)
    assert not is_current(project)
    build(project)
    for data in public_bytes(out).values():
        assert SECRET_EN.encode() not in data


# --- stale detection -------------------------------------------------------------------------------

def test_a_changed_register_makes_dist_stale(project):
    folder = add_register(project)
    build(project)
    assert is_current(project)
    with open(folder / "register.nq", "ab") as f:
        f.write(nquads(record("test-a", "r4")))
    assert not is_current(project)
    build(project)
    assert is_current(project)
    assert b"register-test-a-r4" in (project.out_dir / "siberia-kg-register-test-a.nt").read_bytes()
    # a change that keeps the size is seen too (the digest is of the content)
    data = (folder / "register.nq").read_bytes().replace(b'"r4"', b'"r5"')
    (folder / "register.nq").write_bytes(data)
    assert not is_current(project)
    build(project)
    # meta.json and source.trig count too, and a new or removed register
    (folder / "meta.json").write_text((folder / "meta.json").read_text().replace("2026-11-22",
                                                                                 "2026-11-23"))
    assert not is_current(project)
    build(project)
    assert is_current(project)
    add_register(project, slug="test-b", alive=False)
    assert not is_current(project)
    build(project)
    assert is_current(project)
    shutil.rmtree(project.registers_dir / "test-b")
    assert not is_current(project)
    # a register dump deleted from dist/ makes it stale too
    build(project)
    (project.out_dir / "siberia-kg-register-test-a.ttl").unlink()
    assert not is_current(project)


def test_register_hashes_are_cached_by_size_mtime_and_inode(project, monkeypatch):
    folder = add_register(project)
    old = os.stat(folder / "register.nq").st_mtime - 60
    os.utime(folder / "register.nq", (old, old))
    os.utime(folder / "withheld.nq", (old, old))
    first = input_digest(project)
    opened = []
    real_open = open

    def spy(path, *a, **kw):
        opened.append(str(path))
        return real_open(path, *a, **kw)

    monkeypatch.setattr(build_mod, "open", spy, raising=False)
    assert input_digest(project) == first
    assert not [p for p in opened if p.endswith(".nq")]  # not read again
    os.utime(folder / "register.nq", (old + 1, old + 1))  # touched: read again, same digest
    assert input_digest(project) == first
    assert [p for p in opened if p.endswith("register.nq")]


# --- atomicity and the contract ----------------------------------------------------------------------

def test_a_register_that_does_not_validate_leaves_the_old_dist(project):
    add_register(project)
    build(project)
    before = digests(project.out_dir)
    store_before = sorted(p.name for p in (project.out_dir / "store").iterdir())
    bad = [record("test-c", "x1", camp="nowhere-at-all")]  # a camp the curated graph lacks
    write_register(project.registers_dir, "test-c", bad)
    with pytest.raises(ValidationFailed) as exc:
        build(project)
    found = [v for v in exc.value.violations if "register-test-c-x1" in v.focus]
    assert found, exc.value.violations
    assert any("heldIn" in v.path for v in found)
    assert all(v.files == "registers/test-c/register.nq" for v in found)
    assert digests(project.out_dir) == before
    assert sorted(p.name for p in (project.out_dir / "store").iterdir()) == store_before
    assert not [p for p in project.root.iterdir() if p.name.startswith(".dist.tmp")]


def test_a_matched_camp_validates_against_the_curated_graph(project):
    """sh:class / sh:node on skg:heldIn see the curated camp's type in the store."""
    write_register(project.registers_dir, "test-d", [record("test-d", "y1", camp="taishet")])
    build(project)
    assert is_current(project)


@pytest.mark.parametrize("breakage, message", [
    ("graph", "citation graph"),
    ("blank", "blank node"),
    ("syntax", "syntax error"),
])
def test_record_lines_keep_the_contract(project, breakage, message):
    folder = add_register(project, alive=False)
    build(project)
    before = digests(project.out_dir)
    s = "<https://w3id.org/siberia-kg/id/person/register-test-a-r1>"
    line = {
        "graph": f'{s} <https://schema.org/description> "x"@en <https://w3id.org/siberia-kg/id/citation/other> .\n',
        "blank": f'{s} <https://schema.org/knows> _:b1 <https://w3id.org/siberia-kg/id/citation/register-test-a> .\n',
        "syntax": f'{s} <https://schema.org/description> "unterminated <https://w3id.org/siberia-kg/id/citation/register-test-a> .\n',
    }[breakage]
    with open(folder / "register.nq", "a") as f:
        f.write(line)
    with pytest.raises(DataError) as exc:
        build(project)
    text = str(exc.value)
    assert message in text and "registers/test-a/register.nq:" in text, text
    assert digests(project.out_dir) == before


def test_register_declarations_keep_the_contract(project):
    folder = add_register(project, alive=False)
    trig = folder / "source.trig"
    good = trig.read_text()
    trig.write_text(good + "\nsrc:register-test-a skg:fileName \"two names.csv\" .\n")
    with pytest.raises(ValidationFailed) as exc:  # the source shapes apply to registers too
        build(project)
    assert any(v.files == "registers/test-a/source.trig" for v in exc.value.violations)
    trig.write_text(good + "\ncit:register-test-a { cit:register-test-a skg:locator \"x\" . }\n")
    with pytest.raises(DataError, match="only the default graph"):
        build(project)
    trig.write_text(good.replace("cit:register-test-a a skg:Citation", "cit:register-test-b a skg:Citation"))
    with pytest.raises(DataError):
        build(project)
    trig.write_text(good)
    (folder / "meta.json").unlink()
    with pytest.raises(DataError, match="meta.json missing"):
        build(project)
    assert not project.out_dir.exists()


def test_unregistered_folders_are_ignored(project):
    add_register(project, alive=False)
    (project.registers_dir / ".test-z.tmp-123").mkdir()  # an import under way
    (project.registers_dir / "test-z.rejects.csv").write_text("row\n")  # a failed import
    result = build(project)
    assert [r["slug"] for r in result.registers] == ["test-a"]


def test_registers_move_with_the_base(project, tmp_path):
    add_register(project, alive=False)
    base = "http://example.org/kg/"
    settings = Settings(root=project.root, out_dir=tmp_path / "rebased", base=base,
                        registers_dir=project.registers_dir)
    build(settings)
    for name in register_files():
        terms = {t for triple in triples_of(settings.out_dir / name) for t in triple}
        assert "<http://example.org/kg/id/person/register-test-a-r1>" in terms
        assert "<http://example.org/kg/id/camp/taishet>" in terms
        assert not [t for t in terms if "https://w3id.org/siberia-kg/id/" in t], name


def test_a_register_of_another_base_is_refused(project, tmp_path):
    add_register(project, alive=False, base="http://example.org/other/")
    with pytest.raises(DataError, match="imported with the base http://example.org/other/"):
        build(project)


def test_server_indexes_skip_register_records_and_class_counts_come_from_the_build(project):
    """A server starts in time independent of the registers: class counts from the build's
    statistics (the same as counting the store), labels and reconciliation of curated entities
    only; a register record's own page still shows it."""
    from starlette.testclient import TestClient

    from siberia_kg.web import services
    from siberia_kg.web.app import create_app, load_state
    from siberia_kg.web.config import ServerConfig
    from siberia_kg.web.search import labels_for

    add_register(project)
    build(project)
    state = load_state(project, ServerConfig.from_env())
    try:
        from_build = [(c.iri, c.count) for c in services.classes(state)]
        saved, state.store.statistics = state.store.statistics, None
        counted = [(c.iri, c.count) for c in services.classes(state)]
        state.store.statistics = saved
        assert from_build == counted
        assert dict(from_build)["https://schema.org/Person"] > 3
        labels = labels_for(state)
        assert not any("/person/register-" in iri for iri in labels.pref)
        assert any(iri.endswith("/place/taishet") or "/place/" in iri for iri in labels.pref)
    finally:
        state.store.close()
    with TestClient(create_app(project, ServerConfig.from_env())) as client:
        page = client.get("/id/person/register-test-a-r1.html")
        assert page.status_code == 200 and "名前1（架空）" in page.text


def test_service_description_counts_from_the_build_equal_the_store(project):
    from siberia_kg.web.app import load_state
    from siberia_kg.web.config import ServerConfig
    from siberia_kg.web.routes.sparql import service_description

    def counts(triples):
        return sorted(t.object.value for t in triples
                      if t.predicate.value == "http://rdfs.org/ns/void#triples")

    add_register(project)
    build(project)
    state = load_state(project, ServerConfig.from_env())
    try:
        from_build = counts(service_description(state))
        saved, state.store.statistics = state.store.statistics, None
        counted = counts(service_description(state))
        state.store.statistics = saved
    finally:
        state.store.close()
    assert from_build == counted and len(from_build) > 3


def test_a_large_class_is_paged_from_the_index(project, monkeypatch):
    """Above LARGE_CLASS members a class page is read page by page from the store, not sorted:
    the pages together list every member once, and the count is the build's."""
    import re as _re

    from starlette.testclient import TestClient

    from siberia_kg.web.app import create_app
    from siberia_kg.web.config import ServerConfig
    from siberia_kg.web.routes import pages

    add_register(project, n=7)
    build(project)
    monkeypatch.setattr(pages, "LARGE_CLASS", 2)
    config = dataclasses.replace(ServerConfig.from_env(), page_size=3)
    with TestClient(create_app(project, config)) as client:
        seen = []
        first = client.get("/class/schema:Person")
        assert first.status_code == 200
        n_pages = int(_re.search(r"(\d+) of (\d+)", first.text).group(2))
        for page in range(1, n_pages + 1):
            text = client.get(f"/class/schema:Person?page={page}").text
            seen += _re.findall(r'href="/id/person/([a-z0-9-]+)\.html"', text) or \
                _re.findall(r'href="/id/person/([a-z0-9-]+)"', text)
        assert client.get(f"/class/schema:Person?page={n_pages + 1}").status_code == 400
    registered = [s for s in seen if s.startswith("register-test-a-")]
    assert len(registered) == len(set(registered)) == 8  # r1..r7 and the withheld r9
