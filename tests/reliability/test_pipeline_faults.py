"""Faults fed to the real command line, in subprocesses, on copies in temporary folders.

A. Bad curated data (`siberia-kg build --data DIR --out DIR`): each fault is reported with the
   file and line, or the entity and property, the exit code is 1, and the dist/ already there
   is byte for byte what it was.
B. Bad register CSVs (`siberia-kg import register`): every bad row is in the rejects file with
   its row and line numbers, nothing is dropped silently (imported + rejected = rows), and
   memory stays bounded on a 1 GiB line and on a huge record left open by a quote.
C. SIGKILL of a build and of an import at several moments: the previous dist/ and the previous
   registers/SLUG are whole, nothing half-written stands under the final names, and the next
   run succeeds and tidies up.

The tiny-fixture, in-process versions of several of these live in tests/test_load.py,
tests/test_build.py and tests/registers/test_import.py; here everything goes through the
installed command, on a copy of the real data/.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-22"
TITLE = "SYNTHETIC reliability register"
COLUMNS = ("record_id", "name_kanji", "name_kana", "name_romaji", "birth_date", "rank", "unit",
           "camp", "death_date", "death_place", "burial_site", "repatriation_date",
           "repatriation_ship", "archive_reference")
HEADER = (",".join(COLUMNS) + "\n").encode()
RECORD_NUMBER = "https://w3id.org/siberia-kg/ontology#recordNumber"
RSS_LIMIT_KB = 400 * 1024


# --------------------------------------------------------------------------------------------
# Helpers: the command, its environment, digests of folders
# --------------------------------------------------------------------------------------------

def command() -> list[str]:
    exe = Path(sys.executable).with_name("siberia-kg")
    if exe.is_file():
        return [str(exe)]
    return [sys.executable, "-c", "from siberia_kg.cli import main; main()"]


def clean_env() -> dict[str, str]:
    """The environment without SIBERIA_KG_* settings, so only the flags decide."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SIBERIA_KG_")}


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), *args], capture_output=True, text=True, env=clean_env(),
                          timeout=timeout)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([*command(), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=clean_env())


# Runs argv[2:] as the child of this small process and writes its exit code and peak RSS (KiB)
# to argv[1]. Linux carries the peak RSS of the process image that an exec replaces into the
# new program's ru_maxrss, and subprocess starts a command with vfork, so a command started
# straight from the test process reports at least the test process's own peak: whatever ran
# in it before (a large build, another module under pytest-xdist). Forked from this helper,
# the command starts from a few MiB and ru_maxrss is its own.
_MEASURE = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_measured(*args: str, cwd: Path) -> tuple[int, str, str, int]:
    """Run the command; return its exit code, stdout, stderr and its own peak RSS in KiB
    (os.wait4 in the helper above gives the rusage of that one child, not the maximum over
    all children)."""
    out, err, measured = cwd / "measured.out", cwd / "measured.err", cwd / "measured.rusage"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        helper = subprocess.run([sys.executable, "-c", _MEASURE, str(measured), *command(), *args],
                                stdout=fo, stderr=fe, env=clean_env())
    assert helper.returncode == 0, f"the measuring helper failed: {err.read_text()[-2000:]}"
    returncode, maxrss = (int(x) for x in measured.read_text().split())
    return returncode, out.read_text(errors="replace"), err.read_text(errors="replace"), maxrss


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file (hidden ones too) and folder under folder: path -> SHA-256 ("dir" for a
    folder)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_dir():
            out[rel + "/"] = "dir"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    assert out, f"{folder} is empty"
    return out


def debris(parent: Path, name: str) -> list[str]:
    """Half-written or set-aside folders of an atomic replacement of parent/name."""
    return sorted(p.name for p in parent.iterdir()
                  if p.name.startswith((f".{name}.tmp-", f".{name}.old-")))


def build_args(data: Path, out: Path, registers: Path) -> list[str]:
    return ["build", "--data", str(data), "--out", str(out), "--registers", str(registers),
            "--store"]


@dataclass
class Curated:
    data: Path        # a pristine copy of data/
    dist: Path        # built from it with the store: the "previous build" of every test
    registers: Path   # an empty folder of registers (never the repository's registers/)


@pytest.fixture(scope="module")
def curated(tmp_path_factory) -> Curated:
    base = tmp_path_factory.mktemp("curated")
    data, dist, registers = base / "data", base / "dist", base / "registers"
    shutil.copytree(ROOT / "data", data)
    registers.mkdir()
    r = run(*build_args(data, dist, registers))
    assert r.returncode == 0, r.stderr
    assert (dist / "store").is_dir() and (dist / "siberia-kg.nq").is_file()
    return Curated(data, dist, registers)


def copy_dist(curated: Curated, to: Path) -> Path:
    shutil.copytree(curated.dist, to, symlinks=True)
    return to


# --------------------------------------------------------------------------------------------
# A. Bad curated data through `siberia-kg build`
# --------------------------------------------------------------------------------------------

PREFIXES = """@prefix skg:    <https://w3id.org/siberia-kg/ontology#> .
@prefix cit:    <https://w3id.org/siberia-kg/id/citation/> .
@prefix place:  <https://w3id.org/siberia-kg/id/place/> .
@prefix camp:   <https://w3id.org/siberia-kg/id/camp/> .
@prefix person: <https://w3id.org/siberia-kg/id/person/> .
@prefix schema: <https://schema.org/> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
"""


def edit(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of old by new; return the line (1-based) where it starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name} no longer holds exactly one {old!r}"
    at = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, at) + 1


def fault_malformed(data: Path) -> list[str]:
    line = edit(data / "places.trig", 'place:japan skos:prefLabel "Japan"@en , "日本"@ja .',
                'place:japan skos:prefLabel "Japan"@en , , "日本"@ja .')
    return [f"places.trig:{line}:", "syntax error"]


def fault_unterminated_string(data: Path) -> list[str]:
    # An unterminated string swallows the rest of its line: the error is on that line.
    line = edit(data / "camps.trig", 'camp:sovetskaya-gavan skos:prefLabel "Baikal-Amur Mainline'
                                     ' camp at Sovetskaya Gavan"@en .',
                'camp:sovetskaya-gavan skos:prefLabel "Baikal-Amur Mainline camp at Sovetskaya'
                ' Gavan@en .')
    return [f"camps.trig:{line}:", "syntax error"]


def fault_unknown_prefix(data: Path) -> list[str]:
    line = edit(data / "places.trig", 'place:japan skos:prefLabel "Japan"@en',
                'nope:japan skos:prefLabel "Japan"@en')
    return [f"places.trig:{line}:", "nope"]


def fault_invalid_date(data: Path) -> list[str]:
    edit(data / "people.trig", 'schema:deathDate "2020-06-18"^^xsd:date',
         'schema:deathDate "2020-02-30"^^xsd:date')
    return ["people.trig", "person:tetsuro-ahiko schema:deathDate", "not a valid date"]


def fault_duplicate_slug_same_kind(data: Path) -> list[str]:
    # A second person written under an existing person's slug: the two merge into one IRI
    # with two English names, which the shapes refuse (exactly one English prefLabel).
    (data / "zz-fault.trig").write_text(PREFIXES + """
person:tetsuro-ahiko skos:prefLabel "Tetsuo Ahiko, another man"@en .
cit:s000-ref-17 { person:tetsuro-ahiko a schema:Person ; schema:birthDate "1931-02-03"^^xsd:date . }
""", encoding="utf-8")
    return ["zz-fault.trig", "person:tetsuro-ahiko skos:prefLabel", "exactly one"]


def fault_duplicate_slug_other_kind(data: Path) -> list[str]:
    # The camp's slug used for a person: its IRI says camp, one of its types says person.
    (data / "zz-fault.trig").write_text(PREFIXES + """
cit:s000-bam { camp:taishet a schema:Person . }
""", encoding="utf-8")
    return ["zz-fault.trig", "camp:taishet", "id/person/"]


def fault_kind_disagrees_with_class(data: Path) -> list[str]:
    (data / "zz-fault.trig").write_text(PREFIXES + """
person:taishet skos:prefLabel "Taishet"@en .
cit:s000-bam { person:taishet a schema:City . }
""", encoding="utf-8")
    return ["zz-fault.trig", "person:taishet", "is a person by its IRI but typed only schema:City"]


def fault_dangling(data: Path) -> list[str]:
    (data / "zz-fault.trig").write_text(PREFIXES + """
cit:s000-bam { camp:sovetskaya-gavan schema:containedInPlace place:atlantis . }
""", encoding="utf-8")
    return ["camps.trig", "zz-fault.trig", "camp:sovetskaya-gavan schema:containedInPlace",
            "dangling reference: place:atlantis"]


def fault_undeclared_language(data: Path) -> list[str]:
    edit(data / "places.trig", '"USSR"@en', '"USSR"@xx')
    return ["places.trig", "place:soviet-union skos:altLabel", "@xx"]


FAULTS = [fault_malformed, fault_unterminated_string, fault_unknown_prefix, fault_invalid_date,
          fault_duplicate_slug_same_kind, fault_duplicate_slug_other_kind,
          fault_kind_disagrees_with_class, fault_dangling, fault_undeclared_language]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__[len("fault_"):])
def test_bad_data_is_reported_and_leaves_dist_byte_for_byte(curated, tmp_path, fault):
    data = tmp_path / "data"
    shutil.copytree(curated.data, data)
    dist = copy_dist(curated, tmp_path / "dist")
    before = tree_digest(dist)
    expected = fault(data)

    r = run(*build_args(data, dist, curated.registers))

    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr.startswith("error: "), r.stderr
    for words in expected:
        assert words in r.stderr, (words, r.stderr)
    assert "valid:" not in r.stdout
    assert tree_digest(dist) == before
    assert debris(tmp_path, "dist") == []


def test_the_fault_free_copy_builds(curated, tmp_path):
    """The faults above are what fails: the same copy without them builds, into the same
    kind of existing dist/, and replaces it."""
    data = tmp_path / "data"
    shutil.copytree(curated.data, data)
    edit(data / "places.trig", '"USSR"@en', '"USSR"@en , "U.S.S.R. (reliability test)"@en')
    dist = copy_dist(curated, tmp_path / "dist")
    before = tree_digest(dist)
    r = run(*build_args(data, dist, curated.registers))
    assert r.returncode == 0, r.stderr
    assert tree_digest(dist) != before
    assert "U.S.S.R. (reliability test)" in (dist / "siberia-kg.nt").read_text(encoding="utf-8")
    assert_complete_build(dist)


def assert_complete_build(dist: Path) -> None:
    """Every file the marker lists is there with its recorded SHA-256, and the store too."""
    marker = json.loads((dist / ".siberia-kg-build").read_text())
    for name, info in marker["files"].items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == info["sha256"], name
    listed = set(marker["files"]) | {".siberia-kg-build"}
    if marker.get("store"):
        listed.add("store")
        assert (dist / "store").is_dir()
    assert {p.name for p in dist.iterdir()} == listed


# --------------------------------------------------------------------------------------------
# B. Bad register CSVs through `siberia-kg import register`
# --------------------------------------------------------------------------------------------

def import_args(csv_path: Path, registers: Path, dist: Path, slug: str = "syn-rel",
                partial: bool = False) -> list[str]:
    return ["import", "register", str(csv_path), "--source", slug, "--registers", str(registers),
            "--dist", str(dist), "--as-of", AS_OF, "--title", TITLE, "-q",
            *(["--partial"] if partial else [])]


def good(rid: str, **values: str) -> list[str]:
    row = {c: "" for c in COLUMNS}
    row.update(record_id=rid, name_kanji="山田 太郎（架空）", name_kana="やまだ たろう（かくう）",
               name_romaji=f"SYNTHETIC Yamada {rid}", birth_date="1920-05-01", rank="上等兵",
               camp="Tayshet", death_date="1946-02", death_place="Тайшет")
    row.update(values)
    return [row[c] for c in COLUMNS]


def encode_row(fields: list[str]) -> bytes:
    out = []
    for f in fields:
        if any(c in f for c in ',"\n\r'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return (",".join(out) + "\n").encode("utf-8")


@dataclass
class Planted:
    raw: bytes            # the row's bytes, line break included ("" for a blank line)
    kind: str | None      # the reject kind, or None for a good row (or a blank line)
    rid: str = ""         # the record id the rejects file names


def write_register(path: Path, planted: list[Planted]) -> tuple[list[tuple], list[str]]:
    """Write the header and the rows; return the expected rejects (row, line, record id, kind)
    and the ids of the good rows, with row numbers that skip blank lines and line numbers that
    count every line."""
    expected, good_ids = [], []
    row, line = 0, 1
    with open(path, "wb") as f:
        f.write(HEADER)
        for p in planted:
            f.write(p.raw)
            lines = max(1, p.raw.count(b"\n"))
            first, line = line + 1, line + lines
            if p.raw.strip() == b"":
                continue
            row += 1
            where = str(first) if lines == 1 else f"{first}-{line}"
            if p.kind:
                expected.append((str(row), where, p.rid, p.kind))
            else:
                good_ids.append(p.rid)
    return expected, good_ids


REASON_WORDS = {
    "encoding": "invalid UTF-8",
    "columns": "columns where the header has 14",
    "date": "is not a possible date",
    "duplicate": "duplicate record_id: row ",
    "csv": "not valid CSV",
    "line-too-long": "more than the limit of 1,048,576",
}


def read_rejects(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def record_numbers(nq: Path) -> list[str]:
    return [q.object.value for q in ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS)
            if q.predicate.value == RECORD_NUMBER]


def assert_accounted(folder: Path, expected: list[tuple], good_ids: list[str],
                     blank: int) -> None:
    """Every row is imported or rejected with its number, reason and raw text."""
    got = read_rejects(folder / "rejects.csv")
    assert [(r["row"], r["line"], r["record_id"]) for r in got] == \
        [(row, line, rid) for row, line, rid, _ in expected]
    for r, (_, _, _, kind) in zip(got, expected):
        assert REASON_WORDS[kind] in r["reason"], (kind, r)
        assert r["raw"], r
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    c = meta["counts"]
    rows = len(expected) + len(good_ids)
    assert (c["rows"], c["imported"], c["rejected"], c["blank_lines"]) == \
        (rows, len(good_ids), len(expected), blank)
    assert c["imported"] + c["rejected"] == c["rows"]
    assert c["rejects_by_kind"] == dict(Counter(kind for *_, kind in expected))
    # Each imported row is one record (a full record or a placeholder) in register.nq.
    public = record_numbers(folder / "register.nq")
    assert public == good_ids
    assert set(record_numbers(folder / "withheld.nq")) <= set(good_ids)


def test_every_bad_row_is_reported_with_its_number_and_none_is_dropped(curated, tmp_path):
    long_field = "x" * 70_000
    planted = [
        Planted(encode_row(good("SYN-0001")), None, "SYN-0001"),
        # broken encodings: a stray byte, a truncated kanji, Latin-1, an overlong form, a
        # UTF-16 surrogate written as UTF-8 (CESU-8)
        Planted(encode_row(good("SYN-0002", name_romaji="SYNTHETIC \ue000 Kato"))
                .replace("\ue000".encode(), b"\xff"), "encoding", "SYN-0002"),
        Planted(encode_row(good("SYN-0003")), None, "SYN-0003"),
        Planted(encode_row(good("SYN-0004", name_kanji="山\ue000"))
                .replace("\ue000".encode(), "田".encode()[:2]), "encoding", "SYN-0004"),
        Planted(encode_row(good("SYN-0005", name_romaji="SYNTHETIC Ren\ue000"))
                .replace("\ue000".encode(), "é".encode("latin-1")), "encoding", "SYN-0005"),
        Planted(encode_row(good("SYN-0006", unit="\ue000"))
                .replace("\ue000".encode(), b"\xc0\xaf"), "encoding", "SYN-0006"),
        Planted(encode_row(good("SYN-0007", burial_site="\ue000"))
                .replace("\ue000".encode(), b"\xed\xa0\x80"), "encoding", "SYN-0007"),
        # missing and extra columns
        Planted(encode_row(good("SYN-0008")[:-1]), "columns", "SYN-0008"),
        Planted(encode_row(good("SYN-0009") + ["SYNTHETIC extra"]), "columns", "SYN-0009"),
        Planted(b"SYN-0010\n", "columns", "SYN-0010"),
        # impossible dates
        Planted(encode_row(good("SYN-0011", birth_date="1921-02-29")), "date", "SYN-0011"),
        Planted(encode_row(good("SYN-0012", death_date="1945-04-31")), "date", "SYN-0012"),
        Planted(encode_row(good("SYN-0013", death_date="1945-13")), "date", "SYN-0013"),
        Planted(encode_row(good("SYN-0014", death_date="", repatriation_date="1947-02-30")),
                "date", "SYN-0014"),
        # duplicates: the very same row again, and an id that differs only in case and
        # separator
        Planted(encode_row(good("SYN-0001")), "duplicate", "SYN-0001"),
        Planted(encode_row(good("syn_0003")), "duplicate", "syn_0003"),
        Planted(b"\n", None),  # a blank line: counted apart, not a row
        # a good record whose quoted field spans two lines
        Planted(encode_row(good("SYN-0017", unit="歩兵\n第2連隊")), None, "SYN-0017"),
        # a field over the 65,536-character limit, then a good row: the reader resynchronises
        Planted(encode_row(good("SYN-0018", archive_reference=long_field)), "csv"),
        Planted(encode_row(good("SYN-0019")), None, "SYN-0019"),
        # a line of 2 MiB
        Planted(encode_row(good("SYN-0020", archive_reference="y" * 50_000 + ","
                                 + "y" * (2 << 20))), "line-too-long"),
        Planted(encode_row(good("SYN-0021")), None, "SYN-0021"),
        Planted(encode_row(good("SYN-0022", birth_date="", death_date="1945-10-03")), None,
                "SYN-0022"),
    ]
    src = tmp_path / "bad-register.csv"
    expected, good_ids = write_register(src, planted)
    assert len(expected) == 16 and len(good_ids) == 6

    # All or nothing: exit 1, nothing imported, the rejects beside the (absent) register.
    registers = tmp_path / "registers"
    r = run(*import_args(src, registers, curated.dist))
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "16 of 22 rows rejected" in r.stderr
    assert not (registers / "syn-rel").exists()
    side = registers / "syn-rel.rejects.csv"
    assert [(x["row"], x["line"], x["record_id"]) for x in read_rejects(side)] == \
        [(row, line, rid) for row, line, rid, _ in expected]

    # --partial: the good rows are imported, every other one is listed.
    r = run(*import_args(src, registers, curated.dist, partial=True))
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "imported 6 of 22 rows" in r.stdout and "16 rejected" in r.stdout
    assert_accounted(registers / "syn-rel", expected, good_ids, blank=1)
    assert not side.exists()


def test_a_shift_jis_register_is_rejected_row_by_row(curated, tmp_path):
    """A register saved in Shift_JIS (cp932) instead of UTF-8: each row with Japanese text
    is rejected as an encoding problem naming its line; the ASCII rows are imported."""
    planted = []
    for i in range(1, 9):
        rid = f"SYN-{i:04d}"
        if i % 2:
            raw = (",".join(good(rid, name_romaji="", death_place="")) + "\n").encode("cp932")
            planted.append(Planted(raw, "encoding", rid))
        else:
            row = good(rid, name_kanji="", name_kana="", rank="Superior Private",
                       death_place="Taishet")
            planted.append(Planted(encode_row(row), None, rid))
    src = tmp_path / "sjis.csv"
    expected, good_ids = write_register(src, planted)
    registers = tmp_path / "registers"
    r = run(*import_args(src, registers, curated.dist, partial=True))
    assert r.returncode == 0, r.stderr
    assert_accounted(registers / "syn-rel", expected, good_ids, blank=0)
    for reject in read_rejects(registers / "syn-rel" / "rejects.csv"):
        assert f"line {reject['line']}: invalid UTF-8 at byte " in reject["reason"]


@pytest.mark.parametrize("name,content,words", [
    ("utf16.csv", HEADER.decode().encode("utf-16") + encode_row(good("SYN-1")).decode()
     .encode("utf-16-le"), "the header row cannot be read"),
    ("no-id.csv", b"name_romaji,birth_date\nSYNTHETIC A,1920\n", "no record_id column"),
    ("unknown-column.csv", HEADER.rstrip(b"\n") + b",notes\n" + encode_row(good("SYN-1") + ["n"]),
     "unknown column(s) 'notes'"),
    ("header-only.csv", HEADER, "no data rows"),
    ("empty.csv", b"", "empty"),
])
def test_an_unusable_file_stops_the_import_and_keeps_the_previous_register(
        curated, tmp_path, name, content, words):
    registers = tmp_path / "registers"
    first = run(*import_args(ROOT / "tests" / "registers" / "fixtures" / "small.csv", registers,
                             curated.dist))
    assert first.returncode == 0, first.stderr
    before = tree_digest(registers / "syn-rel")
    src = tmp_path / name
    src.write_bytes(content)
    r = run(*import_args(src, registers, curated.dist, partial=True))
    assert r.returncode == 1
    assert r.stderr.startswith("error: ") and words in r.stderr, r.stderr
    assert tree_digest(registers / "syn-rel") == before
    assert debris(registers, "syn-rel") == []
    assert not (registers / "syn-rel.rejects.csv").exists()


def _stream(f, byte: bytes, size: int, block: int = 8 << 20) -> None:
    chunk = byte * block
    while size > 0:
        f.write(chunk[:size])
        size -= block


def baseline_rss(curated: Curated, tmp_path: Path) -> int:
    src = tmp_path / "baseline.csv"
    write_register(src, [Planted(encode_row(good(f"SYN-{i}")), None, f"SYN-{i}")
                         for i in range(1, 4)])
    rc, _, err, rss = run_measured(*import_args(src, tmp_path / "baseline-registers",
                                                curated.dist), cwd=tmp_path)
    assert rc == 0, err
    return rss


@pytest.mark.slow
def test_a_one_gib_line_is_rejected_with_bounded_memory(curated, tmp_path):
    """A 1 GiB line (a corrupt export, say) is skipped to its end without being held: the row
    is rejected with its number, the next line is read normally, and the importer's peak
    memory is that of a three-row register, give or take a few blocks."""
    src = tmp_path / "huge-line.csv"
    with open(src, "wb") as f:
        f.write(HEADER)
        f.write(encode_row(good("SYN-1")))
        f.write(b"SYN-2,,,SYNTHETIC Huge ")
        _stream(f, b"x", 1 << 30)
        f.write(b",1920,,,,1945,,,,,\n")
        f.write(encode_row(good("SYN-3")))
        # and a last line of 3 MiB without a line break
        f.write(b"SYN-4,,,SYNTHETIC Long ")
        _stream(f, b"y", 3 << 20)
    assert src.stat().st_size > 1 << 30
    rc, out, err, rss = run_measured(*import_args(src, tmp_path / "registers", curated.dist,
                                                  partial=True), cwd=tmp_path)
    src.unlink()
    assert rc == 0, err
    folder = tmp_path / "registers" / "syn-rel"
    rejects = read_rejects(folder / "rejects.csv")
    assert [(r["row"], r["line"]) for r in rejects] == [("2", "3"), ("4", "5")]
    assert "line 3 has 1,073,741,8" in rejects[0]["reason"]
    assert all(REASON_WORDS["line-too-long"] in r["reason"] for r in rejects)
    assert all(len(r["raw"]) < 3000 for r in rejects)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["counts"]
    assert (meta["rows"], meta["imported"], meta["rejected"]) == (4, 2, 2)
    assert record_numbers(folder / "register.nq") == ["SYN-1", "SYN-3"]
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss // 1024} MiB"
    assert rss < baseline_rss(curated, tmp_path) + 64 * 1024, f"peak RSS {rss // 1024} MiB"


@pytest.mark.parametrize("delimiter", [",", "a", "\t"])
def test_a_record_left_open_by_a_quote_is_cut_and_reading_resumes(curated, tmp_path, delimiter):
    """8 MiB of lines after an open quote: rejected as records of too many characters, with
    row and line numbers that add up, and the rows after it are read normally (with any
    delimiter, even the letter the importer's cut uses by default)."""
    d = delimiter.encode()
    src = tmp_path / "open.csv"
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"columns": {"record_id": "ID", "name_romaji": "NM",
                                               "birth_date": "BORN"},
                                   "delimiter": delimiter}), encoding="utf-8")
    with open(src, "wb") as f:
        f.write(d.join([b"ID", b"NM", b"BORN"]) + b"\n")
        f.write(d.join([b"SYN-1", b"SYNTHETIC ONE", b"1920"]) + b"\n")
        f.write(d.join([b"SYN-2", b'"SYNTHETIC ']))
        line = b"z" * 90 + b'"' + d + b'"' + b"z" * 6 + b"\n"
        f.write(line * ((8 << 20) // len(line)))
        f.write(b'end"' + d + b"1920\n")
        f.write(d.join([b"SYN-3", b"SYNTHETIC THREE", b"1921"]) + b"\n")
    lines = src.read_bytes().count(b"\n")
    registers = tmp_path / "registers"
    r = run("import", "register", str(src), "--source", "syn-rel", "--registers", str(registers),
            "--dist", str(curated.dist), "--as-of", AS_OF, "--title", TITLE, "-q", "--partial",
            "--mapping", str(mapping))
    assert r.returncode == 0, r.stderr
    folder = registers / "syn-rel"
    rejects = read_rejects(folder / "rejects.csv")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["counts"]
    assert record_numbers(folder / "register.nq") == ["SYN-1", "SYN-3"]
    assert len(rejects) >= 4 and meta["rejected"] == len(rejects)
    assert meta["imported"] + meta["rejected"] == meta["rows"] == len(rejects) + 2
    assert [int(x["row"]) for x in rejects] == list(range(2, 2 + len(rejects)))
    # the rejected records' lines follow one another from line 3 to the line before SYN-3
    spans = [tuple(map(int, x["line"].split("-"))) if "-" in x["line"]
             else (int(x["line"]),) * 2 for x in rejects]
    assert spans[0][0] == 3 and spans[-1][1] == lines - 1
    assert all(b[0] == a[1] + 1 for a, b in zip(spans, spans[1:]))
    assert "a record of more than" in rejects[0]["reason"]
    assert rejects[0]["raw"].startswith("SYN-2")


@pytest.mark.slow
def test_a_huge_record_left_open_by_a_quote_has_bounded_memory(curated, tmp_path):
    """A quote left open makes the following lines one record: 256 MiB of short lines, each
    closing a quoted field and opening the next, are a record of millions of fields. No valid
    record is that long (a field has at most 65,536 characters); the importer must reject it
    without holding it, and read on."""
    src = tmp_path / "open-quote.csv"
    size = 256 << 20
    with open(src, "wb") as f:
        f.write(HEADER)
        f.write(encode_row(good("SYN-1")))
        f.write(b'SYN-2,,,"SYNTHETIC ')
        line = b"z" * 90 + b'","' + b"z" * 6 + b"\n"
        block = line * 20_000
        for _ in range(size // len(block)):
            f.write(block)
        f.write(b'end",,,,,,,,,,\n')
        f.write(encode_row(good("SYN-3")))
    rc, out, err, rss = run_measured(*import_args(src, tmp_path / "registers", curated.dist,
                                                  partial=True), cwd=tmp_path)
    src.unlink()
    assert rc == 0, err
    folder = tmp_path / "registers" / "syn-rel"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))["counts"]
    rejects = read_rejects(folder / "rejects.csv")
    # SYN-1 and SYN-3 are imported; whatever the open quote swallowed is rejected, row by
    # row, and nothing is dropped.
    assert record_numbers(folder / "register.nq") == ["SYN-1", "SYN-3"]
    assert meta["imported"] == 2 and meta["rejected"] == len(rejects) >= 1
    assert meta["imported"] + meta["rejected"] == meta["rows"]
    assert [int(r["row"]) for r in rejects] == list(range(2, 2 + len(rejects)))
    assert rejects[0]["line"].startswith("3-")
    assert "is a quote left open?" in rejects[0]["reason"]
    assert rss < RSS_LIMIT_KB, f"peak RSS {rss // 1024} MiB"
    assert rss < baseline_rss(curated, tmp_path) + 64 * 1024, f"peak RSS {rss // 1024} MiB"


# --------------------------------------------------------------------------------------------
# C. SIGKILL while a build or an import writes
# --------------------------------------------------------------------------------------------

def kill_at(proc: subprocess.Popen, moment, parent: Path, tmp_glob: str,
            old: set, timeout: float = 300) -> bool:
    """SIGKILL proc at the moment: ("after", seconds) from now, or ("in-new-folder", relpath,
    size) as soon as a folder parent/tmp_glob that was not there before (not in old) holds
    relpath ("" for the folder itself) with more than size bytes, polled every millisecond.
    Returns whether the process was still running when it was killed."""
    kind = moment[0]
    if kind == "after":
        end = time.monotonic() + moment[1]
        while time.monotonic() < end and proc.poll() is None:
            time.sleep(0.005)
    else:
        _, rel, size = moment
        deadline = time.monotonic() + timeout

        def reached() -> bool:
            for folder in parent.glob(tmp_glob):
                if folder.name in old:
                    continue
                try:
                    if (folder / rel).exists() and (folder / rel).stat().st_size > size:
                        return True
                except FileNotFoundError:
                    pass
            return False

        while not reached() and proc.poll() is None:
            assert time.monotonic() < deadline, f"the moment {moment} never came"
            time.sleep(0.001)
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return alive


def kill_at_moments(args: list[str], moments: list, parent: Path, name: str,
                    target: Path, before: dict, changed_ok) -> bool:
    """Start the command once per moment and SIGKILL it then. After each kill the target is
    byte for byte what it was, unless the run got as far as its swap (only possible at the
    last moment), and then the target is the new one, whole (changed_ok checks it). Returns
    whether the last kill left a half-written folder for the next run to tidy."""
    tmp_glob = f".{name}.tmp-*"
    killed = 0
    for i, moment in enumerate(moments):
        old = {p.name for p in parent.glob(tmp_glob)}  # left by the previous kill
        proc = start(*args)
        alive = kill_at(proc, moment, parent, tmp_glob, old)
        killed += alive
        if tree_digest(target) != before:
            assert i == len(moments) - 1 or not alive, f"changed after a kill at {moment}"
            changed_ok()
            break
    assert killed >= len(moments) - 1
    return bool(debris(parent, name))


@pytest.mark.slow
def test_a_build_killed_while_it_works_leaves_the_previous_dist(curated, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(curated.data, data)
    # The new build differs from the previous one, so a swap would show.
    edit(data / "places.trig", '"USSR"@en', '"USSR"@en , "U.S.S.R. (killed build)"@en')
    dist = copy_dist(curated, tmp_path / "dist")
    before = tree_digest(dist)
    moments = [
        ("after", 0.2), ("after", 0.5), ("after", 1.0),    # starting, loading
        ("in-new-folder", "", -1),                          # the new folder, before any dump
        ("in-new-folder", "siberia-kg.nq", -1),             # mid-dumps
        ("in-new-folder", "store", -1),                     # the store
        ("in-new-folder", ".siberia-kg-build", -1),         # the marker, just before the swap
    ]

    def swapped() -> None:
        assert_complete_build(dist)
        assert "killed build" in (dist / "siberia-kg.nt").read_text(encoding="utf-8")

    left = kill_at_moments(build_args(data, dist, curated.registers), moments, tmp_path, "dist",
                           dist, before, swapped)
    assert left or tree_digest(dist) != before  # a killed build leaves its folder behind
    # The next build succeeds, tidies what the killed ones left, and is whole.
    r = run(*build_args(data, dist, curated.registers))
    assert r.returncode == 0, r.stderr
    assert debris(tmp_path, "dist") == []
    assert_complete_build(dist)
    assert "U.S.S.R. (killed build)" in (dist / "siberia-kg.nt").read_text(encoding="utf-8")


def _synthetic():
    spec = importlib.util.spec_from_file_location("synthetic_register_reliability",
                                                  ROOT / "bench" / "synthetic_register.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_an_import_killed_while_it_works_leaves_the_previous_register(curated, tmp_path):
    registers = tmp_path / "registers"
    r = run(*import_args(ROOT / "tests" / "registers" / "fixtures" / "small.csv", registers,
                         curated.dist, slug="syn-kill"))
    assert r.returncode == 0, r.stderr
    target = registers / "syn-kill"
    before = tree_digest(target)
    big = tmp_path / "big.csv"
    rows = 100_000
    _synthetic().write(big, rows, seed=7)
    moments = [
        ("after", 0.2), ("after", 0.5), ("after", 1.0),    # starting, reading the places
        ("in-new-folder", "", -1),                          # the new folder
        ("in-new-folder", "register.nq", 4 << 20),          # mid-stream
        ("in-new-folder", "meta.json", -1),                 # the last file, before the swap
    ]

    def swapped() -> None:
        meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
        assert meta["counts"]["rows"] == rows

    left = kill_at_moments(import_args(big, registers, curated.dist, slug="syn-kill"), moments,
                           registers, "syn-kill", target, before, swapped)
    assert left or tree_digest(target) != before  # a killed import leaves its folder behind
    # a killed import leaves no rejects file beside the register either
    assert not (registers / "syn-kill.rejects.csv").exists()
    r = run(*import_args(big, registers, curated.dist, slug="syn-kill"))
    assert r.returncode == 0, r.stderr
    assert debris(registers, "syn-kill") == []
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    assert meta["counts"]["rows"] == meta["counts"]["imported"] == rows
    assert sorted(p.name for p in target.iterdir()) == sorted(
        ["source.trig", "register.nq", "withheld.nq", "rejects.csv", "meta.json"])
    n = sum(1 for _ in ox.parse(path=str(target / "register.nq"), format=ox.RdfFormat.N_QUADS))
    assert n == meta["counts"]["quads"]
