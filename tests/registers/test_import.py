"""The register import: exact output, every rejection, all-or-nothing and --partial, mapping
files, encodings, matching, privacy, validity against the shapes and the loader's contract,
atomic replacement, and the synthetic generator."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from siberia_kg.importers import RegisterError, import_register
from siberia_kg.importers import register as reg_mod
from siberia_kg.importers.mapping import (DateFormat, DateProblem, LayoutError, date_parser,
                                          mapping_from_dict, parse_iso, resolve_layout)
from siberia_kg.importers.places import PlaceIndex, fold
from siberia_kg.importers.register import SeenTable, privacy_cutoff, record_slug

from .conftest import AS_OF, BASE, FIXTURES, ROOT

XSD = "http://www.w3.org/2001/XMLSchema#"
SKG = "https://w3id.org/siberia-kg/ontology#"
S = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CIT = f"{BASE}id/citation/register-syn-test"
PLACE = f"{BASE}id/place/"


def person(record: str, slug: str = "syn-test") -> str:
    return f"{BASE}id/person/register-{slug}-{record}"


def quads(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))


def about(qs, subject: str) -> set[tuple]:
    """(predicate, object as N-Triples) of a subject, all in the register's citation graph."""
    out = set()
    for q in qs:
        if q.subject.value == subject:
            assert q.graph_name.value == CIT
            out.add((q.predicate.value, str(q.object)))
    return out


def lit(text: str, lang: str | None = None, dtype: str | None = None) -> str:
    if lang:
        return str(ox.Literal(text, language=lang))
    if dtype:
        return str(ox.Literal(text, datatype=ox.NamedNode(XSD + dtype)))
    return str(ox.Literal(text))


def iri(value: str) -> str:
    return f"<{value}>"


def labels(pred_objs: set, en: str | None = None, ja: str | None = None,
           kana: str | None = None) -> set:
    # SKOS labels only: register records carry no rdfs:label / schema:name copies
    for text, lang in ((en, "en"), (ja, "ja")):
        if text is not None:
            pred_objs.add((SKOS + "prefLabel", lit(text, lang)))
    if kana is not None:
        pred_objs.add((SKOS + "altLabel", lit(kana, "ja-Hrkt")))
    return pred_objs


def rejects(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------------------------
# The small hand-made register: exact quads
# --------------------------------------------------------------------------------------------

@pytest.fixture
def small(do_import):
    result = do_import(FIXTURES / "small.csv")
    assert result.ok, result.message
    return result


def test_small_register_is_imported_with_exact_quads(small):
    folder = small.folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(reg_mod.FILES)
    qs = quads(folder / "register.nq")

    t001 = labels({
        (RDF_TYPE, iri(S + "Person")), (RDF_TYPE, iri(SKG + "RegisterRecord")),
        (S + "birthDate", lit("1921-03-04", dtype="date")),
        (S + "deathDate", lit("1946-01", dtype="gYearMonth")),
        (SKG + "heldIn", iri(PLACE + "taishet")), (SKG + "campName", lit("Tayshet", "en")),
        (S + "deathPlace", iri(PLACE + "taishet")), (S + "deathPlace", lit("Тайшет", "ru")),
        (SKG + "burialSite", lit("Taishet cemetery No. 2", "en")),
        (SKG + "militaryRank", lit("上等兵", "ja")), (SKG + "militaryUnit", lit("歩兵第90連隊", "ja")),
        (SKG + "archiveReference", lit("f. 1a, op. 2, d. 15, l. 3")),
        (SKG + "recordNumber", lit("T-001")), (SKG + "role", iri(SKG + "FormerInternee")),
        (SKG + "citation", iri(CIT)),
    }, en="SYNTHETIC Tanaka Ichirō", ja="田中 一郎（架空）", kana="たなか いちろう")
    assert about(qs, person("t-001")) == t001

    # Born 1910 (a year): more than 110 years before the as-of date, so public.
    t002 = about(qs, person("t-002"))
    assert (S + "birthDate", lit("1910", dtype="gYear")) in t002
    assert (SKG + "repatriationDate", lit("1949-08-17", dtype="date")) in t002
    assert (SKG + "repatriationShip", lit("興安丸", "ja")) in t002
    assert (SKG + "heldIn", iri(PLACE + "khabarovsk")) in t002
    assert not any(p in (SKG + "militaryUnit", S + "deathDate", SKG + "archiveReference")
                   for p, _ in t002)

    # 00 for unknown month and day lowers the precision; the record id becomes a slug;
    # no kanji name, so one Japanese label fewer; the camp number and spaces fold away.
    m = about(qs, person("mhlw-1991-00123"))
    assert (S + "birthDate", lit("1918", dtype="gYear")) in m
    assert (S + "deathDate", lit("1945-12", dtype="gYearMonth")) in m
    assert (SKG + "recordNumber", lit("MHLW-1991/00123")) in m
    assert (SKG + "heldIn", iri(PLACE + "khabarovsk")) in m
    assert (SKG + "campName", lit("ハバロフスク第16収容所", "ja")) in m
    assert (S + "deathPlace", iri(PLACE + "kansk")) in m
    assert (S + "deathPlace", lit("Kansk", "en")) in m
    assert (SKG + "militaryRank", lit("Private First Class", "en")) in m
    assert not any(o.endswith("@ja") for p, o in m if p == SKOS + "prefLabel")

    # No romanised name: the English label names the record; quotes and backslashes escaped;
    # a line break in a quoted field becomes a space.
    t005 = about(qs, person("t-005"))
    assert (SKOS + "prefLabel", lit("Record T-005 of SYNTHETIC test register", "en")) in t005
    assert (SKOS + "prefLabel", lit("伊藤 勇（架空）", "ja")) in t005
    assert (SKG + "militaryRank", lit('Unit "A" \\ B', "en")) in t005
    assert (SKG + "burialSite", lit("Komsomolsk cemetery", "en")) in t005
    assert (SKG + "heldIn", iri(PLACE + "komsomolsk-on-amur")) in t005
    assert not any(p == S + "birthDate" for p, _ in t005)

    meta = json.loads((folder / "meta.json").read_text())
    assert meta["counts"]["rows"] == 6
    assert meta["counts"]["imported"] == 6
    assert meta["counts"]["rejected"] == 0
    assert meta["counts"]["withheld"] == 2
    assert meta["counts"]["camps_given"] == 5 and meta["counts"]["camps_matched"] == 4
    assert meta["as_of"] == AS_OF.isoformat()
    assert meta["counts"]["quads"] == len(qs)
    assert meta["counts"]["withheld_quads"] == len(quads(folder / "withheld.nq"))
    assert rejects(folder / "rejects.csv") == []


def test_unmatched_camp_keeps_only_the_name(small):
    t003 = about(quads(small.folder / "withheld.nq"), person("t-003"))
    assert (SKG + "campName", lit("Karaganda", "en")) in t003
    assert not any(p == SKG + "heldIn" for p, _ in t003)


def test_people_who_may_be_alive_are_withheld(small):
    public = quads(small.folder / "register.nq")
    withheld = quads(small.folder / "withheld.nq")
    # T-003: born 1925-07, no death date. Only the placeholder is public.
    placeholder = about(public, person("t-003"))
    assert placeholder == labels({
        (RDF_TYPE, iri(S + "Person")), (RDF_TYPE, iri(SKG + "RegisterRecord")),
        (SKG + "recordNumber", lit("T-003")), (SKG + "citation", iri(CIT)),
        (SKG + "detailsWithheld", lit("true", dtype="boolean")),
    }, en="Withheld record T-003 of SYNTHETIC test register")
    full = about(withheld, person("t-003"))
    assert (S + "birthDate", lit("1925-07", dtype="gYearMonth")) in full
    assert (SKOS + "prefLabel", lit("SYNTHETIC Suzuki Minoru", "en")) in full
    assert (SKG + "militaryUnit", lit("満洲第3546部隊", "ja")) in full
    assert not any(p == SKG + "detailsWithheld" for p, _ in full)
    # 第6号: no birth date, no death date: withheld too; a kanji id becomes a hash slug.
    hashed = record_slug("第6号")
    assert hashed.startswith("h") and len(hashed) == 17
    assert (SKG + "detailsWithheld", lit("true", dtype="boolean")) in about(public, person(hashed))
    assert (SKG + "militaryRank", lit("看護婦", "ja")) in about(withheld, person(hashed))
    # Nothing personal of a withheld record is public.
    text = (small.folder / "register.nq").read_text(encoding="utf-8")
    assert "Suzuki" not in text and "1925-07" not in text and "Kato Hana" not in text
    # Records stay in the order of the file, one after another.
    subjects = []
    for q in public:
        if not subjects or subjects[-1] != q.subject.value:
            subjects.append(q.subject.value)
    assert subjects == [person(r) for r in ("t-001", "t-002", "t-003", "mhlw-1991-00123",
                                            "t-005", hashed)]


@pytest.mark.parametrize("birth,withheld", [
    ("1915", False), ("1916", True), ("1916-11", True), ("1916-10", False),
    ("1916-11-22", False), ("1916-11-23", True), ("", True),
])
def test_privacy_boundary(tmp_path, do_import, birth, withheld):
    f = tmp_path / "p.csv"
    f.write_text("record_id,name_romaji,birth_date,death_date\n"
                 f"P-1,SYNTHETIC Edge,{birth},\nP-2,SYNTHETIC Dead,{birth},1950\n",
                 encoding="utf-8")
    result = do_import(f)
    assert result.ok
    assert result.counts["withheld"] == int(withheld)
    assert privacy_cutoff(AS_OF) == "1916-11-22"
    assert privacy_cutoff(dt.date(2028, 2, 29)) == "1918-02-28"


def test_output_is_canonical_nquads_and_reproducible(small, do_import, tmp_path):
    for name in ("register.nq", "withheld.nq"):
        data = (small.folder / name).read_bytes()
        again = ox.serialize(list(ox.parse(data, format=ox.RdfFormat.N_QUADS)),
                             format=ox.RdfFormat.N_QUADS)
        assert again == data
    other = do_import(FIXTURES / "small.csv", registers_dir=tmp_path / "again")
    for name in reg_mod.FILES:
        assert (other.folder / name).read_bytes() == (small.folder / name).read_bytes(), name


def test_source_document_and_citation(small):
    g = {(str(q.subject), str(q.predicate), str(q.object)) for q in
         ox.parse(path=str(small.folder / "source.trig"), format=ox.RdfFormat.TRIG)
         if isinstance(q.graph_name, ox.DefaultGraph)}
    src = iri(f"{BASE}id/source/register-syn-test")
    sha = __import__("hashlib").sha256((FIXTURES / "small.csv").read_bytes()).hexdigest()
    assert (src, iri(RDF_TYPE), iri(SKG + "SourceDocument")) in g
    assert (src, iri(SKG + "sourceGenre"), iri(SKG + "OfficialRecord")) in g
    assert (src, iri(SKG + "fileName"), lit("small.csv")) in g
    assert (src, iri(SKG + "sha256"), lit(sha)) in g
    assert (src, iri("http://purl.org/dc/terms/title"), lit("SYNTHETIC test register")) in g
    assert (iri(CIT), iri(SKG + "locator"), lit("rows 1-6 of small.csv")) in g
    assert (iri(CIT), iri(SKG + "source"), src) in g
    assert len({s for s, _, _ in g}) == 2


# --------------------------------------------------------------------------------------------
# Rejections, all or nothing, --partial
# --------------------------------------------------------------------------------------------

EXPECTED_REJECTS = [  # (row, line, record id, kind)
    ("2", "3", "B-02", "date"),
    ("3", "4", "B-03", "date-order"),
    ("4", "5", "B-04", "date-after-as-of"),
    ("5", "6", "B-05", "date-too-early"),
    ("6", "7", "B-01", "duplicate"),
    ("7", "8", "B-07", "empty-name"),
    ("8", "9", "B-08", "columns"),
    ("9", "10", "B-09", "columns"),
    ("10", "12", "B-10", "date"),
    ("11", "13", "", "empty-id"),
    ("13", "15", "B-13", "date-order"),
    ("14", "16", "B-14", "encoding"),
    ("15", "17", "B-15", "control-character"),
    ("17", "19-20", "", "csv"),
]


def _kind_matches(kind: str, reason: str) -> bool:
    words = {"date": "is not", "date-order": "is before", "date-after-as-of": "after the as-of",
             "date-too-early": "is not after 1850", "duplicate": "duplicate record_id: row 1",
             "empty-name": "empty name", "columns": "columns where the header has 14",
             "empty-id": "empty record_id", "encoding": "invalid UTF-8",
             "control-character": "control character U+0007", "csv": "not valid CSV"}
    return words[kind] in reason


def test_every_rejection_is_reported_with_its_row_and_nothing_is_imported(do_import, registers):
    result = do_import(FIXTURES / "bad.csv")
    assert not result.ok
    assert result.folder is None and not (registers / "syn-test").exists()
    assert result.rejects == registers / "syn-test.rejects.csv"
    got = rejects(result.rejects)
    assert [(r["row"], r["line"], r["record_id"]) for r in got] == \
        [(row, line, rid) for row, line, rid, _ in EXPECTED_REJECTS]
    for r, (_, _, _, kind) in zip(got, EXPECTED_REJECTS):
        assert _kind_matches(kind, r["reason"]), (kind, r["reason"])
    assert got[10]["raw"].startswith("B-13,,,SYNTHETIC Repat")
    assert "\\xff" in got[11]["raw"]
    assert "line 16: invalid UTF-8 at byte 21" in got[11]["reason"]
    assert got[-1]["raw"].count("\n") == 1  # the open quote swallowed the next line
    assert result.counts["rows"] == 17 and result.counts["rejected"] == 14
    assert result.counts["blank_lines"] == 1
    assert not list(registers.glob(".syn-test.tmp-*"))


def test_all_or_nothing_keeps_the_previous_register(do_import, registers):
    first = do_import(FIXTURES / "small.csv")
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}
    failed = do_import(FIXTURES / "bad.csv")
    assert not failed.ok
    assert {p.name: p.read_bytes() for p in (registers / "syn-test").iterdir()} == before
    assert (registers / "syn-test.rejects.csv").is_file()
    # A later good import replaces the register and removes the stale rejects file.
    again = do_import(FIXTURES / "small.csv")
    assert again.ok and not (registers / "syn-test.rejects.csv").exists()


def test_partial_imports_the_good_rows_and_lists_the_rest(do_import, registers):
    result = do_import(FIXTURES / "bad.csv", partial=True)
    assert result.ok
    qs = quads(result.folder / "register.nq")
    assert {q.subject.value for q in qs} == {person("b-01"), person("b-12"), person("b-16")}
    assert len(rejects(result.folder / "rejects.csv")) == 14
    assert result.counts["imported"] == 3
    assert json.loads((result.folder / "meta.json").read_text())["partial"] is True
    assert result.counts["rejects_by_kind"]["date-order"] == 2


def test_duplicate_ids_are_compared_as_slugs(tmp_path, do_import):
    f = tmp_path / "d.csv"
    f.write_text("record_id,name_romaji\nA-1,SYNTHETIC A\na_1,SYNTHETIC B\nA 1,SYNTHETIC C\n",
                 encoding="utf-8")
    result = do_import(f, partial=True)
    got = rejects(result.folder / "rejects.csv")
    assert [(r["row"], r["record_id"]) for r in got] == [("2", "a_1"), ("3", "A 1")]
    assert all("row 1 has the same record id" in r["reason"] for r in got)


def test_overlong_line_is_rejected_without_holding_it(tmp_path, do_import):
    f = tmp_path / "long.csv"
    with open(f, "w", encoding="utf-8") as out:
        out.write("record_id,name_romaji\nL-1,SYNTHETIC One\n")
        out.write("L-2,SYNTHETIC " + "x" * (3 << 20) + "\n")
        out.write("L-3,SYNTHETIC Three\n")
        out.write("L-4," + "y" * (70_000) + "\n")
        out.write("L-5,SYNTHETIC " + "z" * (2 << 20))  # the last line, without a line break
    result = do_import(f, partial=True)
    got = rejects(result.folder / "rejects.csv")
    assert [(r["row"], r["line"]) for r in got] == [("2", "3"), ("4", "5"), ("5", "6")]
    assert "more than the limit of 1,048,576" in got[0]["reason"]
    assert "field larger than field limit" in got[1]["reason"]
    assert len(got[0]["raw"]) < 1000
    assert result.counts["imported"] == 2


def test_empty_and_header_only_files_are_errors(tmp_path, do_import, registers):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("record_id,name_romaji\n\n", encoding="utf-8")
    (tmp_path / "unknown.csv").write_text("record_id,name_romaji,notes\nA,B,C\n", encoding="utf-8")
    (tmp_path / "noid.csv").write_text("name_romaji,birth_date\nA,1920\n", encoding="utf-8")
    for name, words in (("empty.csv", "empty"), ("header.csv", "no data rows"),
                        ("unknown.csv", "unknown column(s) 'notes'"),
                        ("noid.csv", "no record_id column")):
        with pytest.raises(RegisterError, match=words.replace("(", r"\(").replace(")", r"\)")):
            do_import(tmp_path / name)
    assert not registers.exists() or not [p for p in registers.iterdir()
                                          if not p.name.endswith(".lock")]


def test_bad_options_are_refused(tmp_path, do_import):
    f = FIXTURES / "small.csv"
    for kw, words in (({"source": "Bad_Slug"}, "--source"), ({"source": "a--b"}, "--source"),
                      ({"as_of": dt.date.today() + dt.timedelta(days=1)}, "after today"),
                      ({"genre": "Novel"}, "--genre"), ({"base": "ftp://x/"}, "base IRI")):
        with pytest.raises(RegisterError, match=words):
            do_import(f, **kw)


def test_overlapping_slugs_are_refused(do_import):
    assert do_import(FIXTURES / "small.csv", source="mhlw").ok
    with pytest.raises(RegisterError, match="same IRI"):
        do_import(FIXTURES / "small.csv", source="mhlw-1991")
    assert do_import(FIXTURES / "small.csv", source="mhlwx").ok


# --------------------------------------------------------------------------------------------
# Encodings and layouts
# --------------------------------------------------------------------------------------------

def test_bom_and_crlf_give_the_same_records(tmp_path, do_import, small):
    text = (FIXTURES / "small.csv").read_bytes()
    variant = tmp_path / "small.csv"
    variant.write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"))
    result = do_import(variant, registers_dir=tmp_path / "bom")
    assert result.ok
    for name in ("register.nq", "withheld.nq"):
        assert (result.folder / name).read_bytes() == (small.folder / name).read_bytes()
    assert result.meta["file"]["sha256"] != small.meta["file"]["sha256"]


def test_mapping_file(do_import):
    result = do_import(FIXTURES / "mapped.csv", mapping=FIXTURES / "mapping.json")
    assert result.ok, result.message
    qs = quads(result.folder / "register.nq") + quads(result.folder / "withheld.nq")
    m1 = about(qs, person("m-1"))
    assert (S + "birthDate", lit("1921-03-04", dtype="date")) in m1       # 大正10年3月4日
    assert (S + "deathDate", lit("1946-01", dtype="gYearMonth")) in m1     # 昭和21年1月
    assert (SKG + "campName", lit("タイシェット", "ja")) in m1               # no Japanese label
    assert not any(p == SKG + "heldIn" for p, _ in m1)
    assert (S + "deathPlace", iri(PLACE + "taishet")) in m1
    m2 = about(qs, person("m-2"))
    assert (S + "birthDate", lit("1910", dtype="gYear")) in m2             # full-width digits
    assert (S + "deathDate", lit("1947-02-03", dtype="date")) in m2        # S22.2月3日
    assert (SKG + "heldIn", iri(PLACE + "khabarovsk")) in m2
    assert (S + "deathDate", lit("1926", dtype="gYear")) in about(qs, person("m-3"))
    assert "IGNORED NOTE" not in (result.folder / "register.nq").read_text(encoding="utf-8")
    assert result.meta["columns"]["ignored"] == ["備考"]
    assert result.meta["mapping"]["file"] == "mapping.json"


def test_mapping_must_account_for_every_column(tmp_path, do_import):
    doc = json.loads((FIXTURES / "mapping.json").read_text(encoding="utf-8"))
    doc["ignore"] = []
    (tmp_path / "m.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RegisterError, match="neither mapped nor listed"):
        do_import(FIXTURES / "mapped.csv", mapping=tmp_path / "m.json")
    doc["ignore"] = ["備考"]
    doc["columns"]["unit"] = "部隊"
    (tmp_path / "m.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RegisterError, match="does not have"):
        do_import(FIXTURES / "mapped.csv", mapping=tmp_path / "m.json")


@pytest.mark.parametrize("doc,words", [
    ([], "JSON object"),
    ({"columns": {}}, "columns"),
    ({"columns": {"id": "x"}}, "unknown column"),
    ({"columns": {"record_id": "x", "name_kanji": "x"}}, "more than one column"),
    ({"columns": {"record_id": "x"}, "ignore": ["x"]}, "both mapped and ignored"),
    ({"columns": {"record_id": "x"}, "date_formats": ["%Y/%q"]}, "unknown directive"),
    ({"columns": {"record_id": "x"}, "date_formats": ["%d.%m"]}, "no year"),
    ({"columns": {"record_id": "x"}, "date_formats": ["%Y %d"]}, "no month"),
    ({"columns": {"record_id": "x"}, "delimiter": ";;"}, "one character"),
    ({"columns": {"record_id": "x"}, "colums": {}}, "unknown key"),
])
def test_bad_mapping_files(doc, words):
    with pytest.raises(LayoutError, match=words):
        mapping_from_dict(doc)


def test_dates():
    assert parse_iso("1945") == ("1945", "gYear")
    assert parse_iso("1945-08") == ("1945-08", "gYearMonth")
    assert parse_iso("1945-08-15") == ("1945-08-15", "date")
    assert parse_iso("1945-00-00") == ("1945", "gYear")
    assert parse_iso("1945-08-00") == ("1945-08", "gYearMonth")
    assert parse_iso("2024-02-29") == ("2024-02-29", "date")
    for bad in ("2020-02-30", "1945-13", "1900-02-29", "45", "1945-8-15", "1945/08/15", "c. 1945"):
        with pytest.raises(DateProblem):
            parse_iso(bad)
    p = date_parser(["%d.%m.%Y", "%m/%Y", "%E年%m月%d日", "%Y"])
    assert p("15.8.1945") == ("1945-08-15", "date")
    assert p("08/1945") == ("1945-08", "gYearMonth")
    assert p("昭和20年8月15日") == ("1945-08-15", "date")
    assert p("昭和元年12月25日") == ("1926-12-25", "date")
    assert p("H1年1月8日") == ("1989-01-08", "date")
    assert p("１９４５") == ("1945", "gYear")
    with pytest.raises(DateProblem, match="no year 70"):
        p("昭和70年1月1日")
    with pytest.raises(DateProblem, match="matches none"):
        p("August 1945")
    with pytest.raises(DateProblem, match="30 days|has 30"):
        p("31.4.1945")
    assert DateFormat.compile("%Y年%m月").datatype == "gYearMonth"


def test_layout_from_header():
    layout = resolve_layout(["Record_ID ", "\ufeffname_romaji", "camp"])
    assert layout.present == ("record_id", "name_romaji", "camp")
    with pytest.raises(LayoutError, match="more than once"):
        resolve_layout(["record_id", "name_romaji", "record_id"])
    with pytest.raises(LayoutError, match="no name column"):
        resolve_layout(["record_id", "camp"])


# --------------------------------------------------------------------------------------------
# Matching places
# --------------------------------------------------------------------------------------------

def test_folding():
    assert fold("Tayshet") == fold("Taishet") == fold("TAISHET") == fold("Ｔａｉｓｈｅｔ")
    assert fold("Taishet camp No. 7") == fold("taishet")
    assert fold("ハバロフスク第16収容所") == fold("ハバロフスク") == fold("はばろふすく")
    assert fold("Khabarovsk") == fold("Habarovsk")
    assert fold("Komsomolsk-on-Amur") == fold("Komsomolsk on Amur")
    assert fold("Тайшет") == fold("тайшет")
    assert fold("Fumō") == fold("Fumo")
    assert fold("ガ") != fold("カ")


def test_place_index_matches_only_unambiguous_names(places):
    assert places.match("Tayshet") == PLACE + "taishet"
    assert places.match("Тайшет") == PLACE + "taishet"
    assert places.match("ハバロフスク") == PLACE + "khabarovsk"
    assert places.match("Khabarovsk Krai") == PLACE + "khabarovsk-krai"
    assert places.match("Karaganda") is None
    index = PlaceIndex({fold("Springfield"): {"a", "b"}, fold("Shelbyville"): {"c"}})
    assert index.match("Springfield") is None  # two places of that name: no link
    assert index.match("shelbyville") == "c"
    assert index.candidates("Springfield") == {"a", "b"}


# --------------------------------------------------------------------------------------------
# Validity: the curated shapes and the loader's contract
# --------------------------------------------------------------------------------------------

def _register_as_data(tmp_path: Path, folder: Path, with_withheld: bool) -> Path:
    """A data folder: the curated TriG files, the register's source.trig and its records as
    TriG (with the withheld records in place of their placeholders when asked)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copy(folder / "source.trig", data / "zz-register-source.trig")
    qs = quads(folder / "register.nq")
    if with_withheld:
        full = quads(folder / "withheld.nq")
        hidden = {q.subject for q in full}
        qs = [q for q in qs if q.subject not in hidden] + full
    (data / "zz-register.trig").write_bytes(ox.serialize(qs, format=ox.RdfFormat.TRIG))
    return data


@pytest.mark.parametrize("with_withheld", [False, True])
def test_output_passes_the_loader_and_the_shapes(tmp_path, small, ontology, with_withheld):
    from siberia_kg.build import load_shapes
    from siberia_kg.config import Settings
    from siberia_kg.derive import derive
    from siberia_kg.load import load
    from siberia_kg.validate import run_shacl, union_graph

    data = _register_as_data(tmp_path, small.folder, with_withheld)
    loaded = load(data, ontology, root=tmp_path)  # raises DataError on any broken rule
    derive(loaded.dataset)
    union = union_graph(loaded.dataset, BASE)
    violations = run_shacl(union, load_shapes(Settings()), ontology)
    assert violations == []
    people = {s for s in union.subjects() if str(s).startswith(person(""))}
    assert len(people) == 6


def test_the_shapes_see_a_broken_register(tmp_path, small, ontology):
    """The check above is not vacuous: a register record without its English label fails."""
    from siberia_kg.build import load_shapes
    from siberia_kg.config import Settings
    from siberia_kg.validate import run_shacl
    from rdflib import Dataset

    nq = (small.folder / "register.nq").read_text(encoding="utf-8")
    broken = "".join(line + "\n" for line in nq.splitlines()
                     if not (person("t-001") in line and '"SYNTHETIC Tanaka Ichirō"@en' in line
                             and "prefLabel" in line))
    ds = Dataset()
    ds.parse(data=broken, format="nquads")
    ds.parse(str(small.folder / "source.trig"), format="trig")
    from siberia_kg.validate import union_graph
    violations = run_shacl(union_graph(ds, BASE), load_shapes(Settings()), ontology)
    assert any("t-001" in v.focus and "prefLabel" in v.path for v in violations)


# --------------------------------------------------------------------------------------------
# Atomic replacement
# --------------------------------------------------------------------------------------------

def test_a_failed_write_leaves_the_previous_register(monkeypatch, do_import, registers,
                                                     synthetic, tmp_path):
    first = do_import(FIXTURES / "small.csv")
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}
    big = tmp_path / "big.csv"
    synthetic.write(big, 3000, seed=5)
    calls = []
    real = reg_mod._flush

    def failing(f, parts):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device (simulated)")
        real(f, parts)

    monkeypatch.setattr(reg_mod, "_flush", failing)
    with pytest.raises(OSError, match="simulated"):
        do_import(big)
    assert len(calls) == 2
    assert {p.name: p.read_bytes() for p in (registers / "syn-test").iterdir()} == before
    assert not list(registers.glob(".syn-test.tmp-*"))


def test_a_killed_import_leaves_the_previous_register_and_is_tidied(monkeypatch, do_import,
                                                                    registers):
    first = do_import(FIXTURES / "small.csv")
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}

    class Killed(BaseException):
        pass

    def killed(*a, **k):
        raise Killed()

    # Killed just before the swap, with no chance to clean up (as with SIGKILL).
    monkeypatch.setattr(reg_mod, "_swap_in", killed)
    monkeypatch.setattr(reg_mod.shutil, "rmtree", lambda *a, **k: None)
    with pytest.raises(Killed):
        do_import(FIXTURES / "bad.csv", partial=True)
    monkeypatch.undo()
    leftovers = list(registers.glob(".syn-test.tmp-*"))
    assert len(leftovers) == 1 and (leftovers[0] / "register.nq").is_file()
    assert {p.name: p.read_bytes() for p in (registers / "syn-test").iterdir()} == before
    # The next import of the slug removes the leftover and succeeds.
    assert do_import(FIXTURES / "bad.csv", partial=True).ok
    assert not list(registers.glob(".syn-test.tmp-*"))


def test_a_foreign_folder_is_not_replaced(do_import, registers):
    (registers / "syn-test").mkdir(parents=True)
    (registers / "syn-test" / "notes.txt").write_text("mine")
    with pytest.raises(RegisterError, match="not a register"):
        do_import(FIXTURES / "small.csv")
    assert (registers / "syn-test" / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------------------------
# Duplicate table, generator, command line
# --------------------------------------------------------------------------------------------

def test_seen_table_grows_and_finds_duplicates():
    t = SeenTable(size=8)
    for i in range(1, 20001):
        assert t.add(f"id-{i}", i) == 0
    assert t.add("id-17", 30000) == 17
    assert t.add("id-20000", 30001) == 20000
    assert t.n == 20000
    assert t.nbytes() <= 20000 * 35


def test_generator_is_deterministic_and_synthetic(tmp_path, synthetic):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    ra = synthetic.write(a, 500, seed=3, bad=22)
    synthetic.write(b, 500, seed=3, bad=22)
    synthetic.write(c, 500, seed=4, bad=22)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    assert len(ra["bad"]) == 22 and set(ra["bad"].values()) == set(synthetic.BAD_KINDS)
    rows = list(csv.reader(a.read_text(encoding="utf-8", errors="replace").splitlines()))
    good = [r for i, r in enumerate(rows[1:], 1) if i not in ra["bad"]]
    assert all(r[0].startswith("SYN-") for r in good)
    assert all(not r[3] or r[3].startswith("SYNTHETIC ") for r in good)
    assert all(not r[1] or r[1].endswith("（架空）") for r in good)
    assert all(r[1] or r[2] or r[3] for r in good)


def test_generated_register_imports_with_exactly_the_bad_rows_rejected(tmp_path, synthetic,
                                                                     do_import):
    f = tmp_path / "gen.csv"
    report = synthetic.write(f, 2000, seed=11, bad=33, bom=True, crlf=True)
    result = do_import(f, partial=True)
    got = rejects(result.folder / "rejects.csv")
    assert {int(r["row"]) for r in got} == set(report["bad"])
    assert result.counts["imported"] == 2000 - 33
    c = result.counts
    assert 0 < c["withheld"] < c["imported"]
    assert 0 < c["camps_matched"] < c["camps_given"]
    assert 0 < c["death_places_matched"] < c["death_places_given"]
    # Dates at every precision.
    text = (result.folder / "register.nq").read_text(encoding="utf-8")
    for dtype in ("date", "gYearMonth", "gYear"):
        assert f"^^<{XSD}{dtype}>" in text


def test_command_line(tmp_path, built, registers):
    from siberia_kg.importers.commands import import_group

    runner = CliRunner()
    args = ["register", "--source", "syn-cli", "--registers", str(registers),
            "--dist", str(built.out_dir), "--as-of", AS_OF.isoformat(),
            "--title", "SYNTHETIC command-line register"]
    ok = runner.invoke(import_group, [*args, str(FIXTURES / "small.csv")])
    assert ok.exit_code == 0, ok.output
    assert "imported 6 of 6 rows (2 withheld)" in ok.output
    assert (registers / "syn-cli" / "register.nq").is_file()

    bad = runner.invoke(import_group, [*args, str(FIXTURES / "bad.csv")])
    assert bad.exit_code == 1
    assert "14 of 17 rows rejected" in bad.output
    assert "row 2, line 3 (B-02): birth_date" in bad.output
    assert str(registers / "syn-cli.rejects.csv") in bad.output

    partial = runner.invoke(import_group, [*args, "--partial", str(FIXTURES / "bad.csv")])
    assert partial.exit_code == 0 and "14 rejected" in partial.output

    usage = runner.invoke(import_group, ["register", "--source", "BAD", "--registers",
                                         str(registers), "--dist", str(built.out_dir),
                                         str(FIXTURES / "small.csv")])
    assert usage.exit_code == 1 and "--source 'BAD'" in usage.output

    mapped = runner.invoke(import_group, ["register", "--source", "syn-map", "--registers",
                                          str(registers), "--dist", str(built.out_dir),
                                          "--mapping", str(FIXTURES / "mapping.json"),
                                          "--genre", "testimony", "-q",
                                          str(FIXTURES / "mapped.csv")])
    assert mapped.exit_code == 0, mapped.output
    meta = json.loads((registers / "syn-map" / "meta.json").read_text())
    assert meta["genre"] == "Testimony" and meta["as_of"] == dt.date.today().isoformat()


def test_import_without_places(tmp_path):
    result = import_register(FIXTURES / "small.csv", source="no-places",
                             registers_dir=tmp_path, as_of=AS_OF)
    assert result.ok and result.counts["camps_matched"] == 0
    assert result.meta["places"]["from"] == "(none)"


def test_another_base_moves_every_iri(built, registers):
    from siberia_kg.importers.commands import import_group

    other = "http://example.org/kg/"
    result = CliRunner().invoke(import_group, [
        "register", "--source", "syn-base", "--registers", str(registers), "--dist",
        str(built.out_dir), "--as-of", AS_OF.isoformat(), "--base", other, "-q",
        str(FIXTURES / "small.csv")])
    assert result.exit_code == 0, result.output
    folder = registers / "syn-base"
    text = (folder / "register.nq").read_text(encoding="utf-8")
    assert BASE + "id/" not in text  # the ontology namespace stays; entity IRIs move
    assert f"<{other}id/person/register-syn-base-t-001>" in text
    assert f"<{other}id/place/taishet>" in text
    assert f"<{other}id/citation/register-syn-base> .\n" in text
    assert BASE + "id/" not in (folder / "source.trig").read_text(encoding="utf-8")
    assert json.loads((folder / "meta.json").read_text())["base"] == other
