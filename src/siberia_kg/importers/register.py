"""Streaming import of a person register (CSV) into registers/<SLUG>/.

One pass over the file: it is read in blocks of 1 MiB, hashed, and decoded (a block with a
broken byte line by line, so that the row is named); the csv module assembles records from the
lines; each record is checked and written at once as canonical N-Quads, either complete
(register.nq) or, for a person who may be alive, as a placeholder (register.nq) and complete
(withheld.nq). Rejected rows go to rejects.csv with their row number, line, record id, reason
and raw text. Memory does not grow with the file but for duplicate detection, which keeps 8
bytes of hash and 4 of row number per record in an open-addressing table (at most 35 bytes per
record, about 24 MB for a million records), and caches of bounded size.

Records are written from templates: one per shape of record (which optional values it has),
with the subject and the values filled in, so that the per-record work is a few dictionary
look-ups and one formatting call. The output is byte for byte what pyoxigraph's N-Quads
serialiser writes for the same quads (tested).

Everything is written into registers/.<SLUG>.tmp-*, which replaces registers/<SLUG> in one
step only when the import succeeds (all rows good, or --partial with at least one good row);
a failed or killed import leaves the previous register as it was.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime as _dt
import fcntl
import hashlib
import io
import itertools
import json
import operator
import os
import re
import shutil
import tempfile
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .. import __version__
from ..namespaces import DEFAULT_BASE, check_base
from .mapping import (COLUMNS, DateProblem, Layout, LayoutError, Mapping, days_in_month,
                      load_mapping, resolve_layout)
from .places import PlaceIndex

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_LINE = 1 << 20    # bytes in one physical line; a longer line is rejected, never held whole
MAX_FIELD = 1 << 16   # characters in one field (csv.field_size_limit while importing)
RAW_SHOWN = 2000      # characters of a rejected row's text kept in rejects.csv
CACHE_LIMIT = 100_000  # entries of each cache (literals, dates, places): bounded memory
PRIVACY_YEARS = 110
EARLIEST_YEAR = 1850  # a date in or before this year is refused, as by the SHACL shapes
GENRES = ("OfficialRecord", "Scholarship", "Encyclopedia", "Journalism", "Blog", "Gazetteer",
          "Testimony", "Fiction")
FILES = ("source.trig", "register.nq", "withheld.nq", "rejects.csv", "meta.json")
REJECT_HEADER = ("row", "line", "record_id", "reason", "raw")

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
SKG = "https://w3id.org/siberia-kg/ontology#"
DCTERMS = "http://purl.org/dc/terms/"

PREF, ALT = f"<{SKOS}prefLabel>", f"<{SKOS}altLabel>"

PERSON, RECORD = f"<{SCHEMA}Person>", f"<{SKG}RegisterRecord>"
BIRTH, DEATH, DEATH_PLACE = f"<{SCHEMA}birthDate>", f"<{SCHEMA}deathDate>", f"<{SCHEMA}deathPlace>"
ROLE, INTERNEE = f"<{SKG}role>", f"<{SKG}FormerInternee>"
HELD_IN, CAMP_NAME = f"<{SKG}heldIn>", f"<{SKG}campName>"
RANK, UNIT, BURIAL = f"<{SKG}militaryRank>", f"<{SKG}militaryUnit>", f"<{SKG}burialSite>"
REPAT_DATE, REPAT_SHIP = f"<{SKG}repatriationDate>", f"<{SKG}repatriationShip>"
ARCHIVE_REF, RECORD_NO = f"<{SKG}archiveReference>", f"<{SKG}recordNumber>"
CITATION, WITHHELD = f"<{SKG}citation>", f"<{SKG}detailsWithheld>"
TRUE = f'"true"^^<{XSD}boolean>'
DATE_TYPES = {k: f"^^<{XSD}{k}>" for k in ("date", "gYearMonth", "gYear")}


class RegisterError(Exception):
    """The import cannot run at all (bad options, header or mapping); nothing was written."""


# --------------------------------------------------------------------------------------------
# Small pieces
# --------------------------------------------------------------------------------------------

_SIMPLE_ID = re.compile(r"[A-Za-z0-9]+(?:[-_./:# ]+[A-Za-z0-9]+)*")
_ID_SEP = re.compile(r"[-_./:# ]+")


def record_slug(record_id: str) -> str:
    """The IRI slug of a record id: "MHLW-1991/00123" -> "mhlw-1991-00123".

    Ids of ASCII letters and digits, separated by - _ . / : # or spaces, become lower-case
    words joined by hyphens (so "A-1" and "a_1" are the same record); any other id becomes
    "h" and 16 hexadecimal digits of its BLAKE2b hash, which are stable but not readable.
    """
    low = record_id.lower()
    if low.isascii() and SLUG_RE.fullmatch(low):
        return low
    if _SIMPLE_ID.fullmatch(record_id):
        return _ID_SEP.sub("-", low)
    return "h" + hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).hexdigest()


class SeenTable:
    """Record slugs seen so far, as 64-bit BLAKE2b hashes with the row that first had each.

    Open addressing with linear probing in two flat arrays (8 + 4 bytes a slot, at most 70 %
    full): about 24 MB for a million records, without one Python object per record. Two
    different ids share a hash with probability about n^2 / 2^65 (3e-8 for a million).
    """

    __slots__ = ("keys", "rows", "mask", "n", "limit")

    def __init__(self, size: int = 1 << 16):
        self.keys = array("Q", bytes(8 * size))
        self.rows = array("L", bytes(array("L").itemsize * size))
        self.mask = size - 1
        self.n = 0
        self.limit = int(size * 0.7)

    @staticmethod
    def key(slug: str) -> int:
        return int.from_bytes(hashlib.blake2b(slug.encode(), digest_size=8).digest(), "little") | 1

    def add(self, slug: str, row: int) -> int:
        """Remember slug at row; return the earlier row that had it, or 0."""
        h = self.key(slug)
        keys, mask = self.keys, self.mask
        i = h & mask
        while True:
            k = keys[i]
            if k == 0:
                keys[i] = h
                self.rows[i] = row
                self.n += 1
                if self.n > self.limit:
                    self._grow()
                return 0
            if k == h:
                return self.rows[i]
            i = (i + 1) & mask

    def _grow(self) -> None:
        old_keys, old_rows = self.keys, self.rows
        size = (self.mask + 1) * 2
        self.keys = keys = array("Q", bytes(8 * size))
        self.rows = rows = array("L", bytes(old_rows.itemsize * size))
        self.mask = mask = size - 1
        self.limit = int(size * 0.7)
        for k, r in zip(old_keys, old_rows):
            if k:
                i = k & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = k
                rows[i] = r

    def nbytes(self) -> int:
        return self.keys.itemsize * len(self.keys) + self.rows.itemsize * len(self.rows)


_JA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_RU = re.compile(r"[\u0400-\u04ff]")


def language_of(text: str) -> str:
    """The language tag of a value written as the record writes it, from its script."""
    if _JA.search(text):
        return "ja"
    if _RU.search(text):
        return "ru"
    return "en"


def _esc(v: str) -> str:
    if "\\" in v:
        v = v.replace("\\", "\\\\")
    if '"' in v:
        v = v.replace('"', '\\"')
    return v


def latest_day(lex: str) -> str:
    """The last day a date of this precision may stand for: 1916 -> 1916-12-31."""
    if len(lex) == 10:
        return lex
    if len(lex) == 7:
        return f"{lex}-{days_in_month(int(lex[:4]), int(lex[5:7])):02d}"
    return f"{lex}-12-31"


def privacy_cutoff(as_of: _dt.date) -> str:
    """People born after this day are less than 110 years old on the as-of date."""
    try:
        return as_of.replace(year=as_of.year - PRIVACY_YEARS).isoformat()
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - PRIVACY_YEARS, day=28).isoformat()



_SUSPECT = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|\r(?!\n)")
_SUSPECT_TAB_OK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|\r(?!\n)")
_LONE_CR = re.compile(rb"\r(?!\n)")
_ASCII_WS = re.compile(r"[ \t\r\n\x0b\x0c]+")
_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")


def max_record(width: int) -> int:
    """Characters in one record (over all its lines) of a file with width columns: more than
    width fields of MAX_FIELD characters, every one quoted and doubled, can hold."""
    return width * (2 * MAX_FIELD + 3) + 2


# --------------------------------------------------------------------------------------------
# Reading lines
# --------------------------------------------------------------------------------------------

class LineReader:
    """The physical lines of the file, read in blocks, hashed, decoded, and handed to csv.

    Iterating gives the lines (with their line breaks) for csv.reader, whose ``line_num`` then
    says which lines each record came from: csv never reads ahead of the record it returns.
    A block decodes in one call; only a block with a broken byte is decoded line by line, to
    name the line. A line of more than ``max_line`` bytes without a line break is never held
    whole: it is skipped to its end and stands as an empty line, with a problem recorded.
    ``problems`` maps line numbers to (kind, message); ``text(start, end)`` gives the raw text
    of recent lines, for the rejects file.
    """

    def __init__(self, f, max_line: int = MAX_LINE, block: int = 1 << 20,
                 delimiter: str = ","):
        self.f = f
        tab = delimiter == "\t"
        # Bytes that make a line suspect: C0 controls (but the line feed, the carriage return
        # and a tab delimiter) and DEL; in UTF-8 no other character contains these bytes.
        self._ctrl = bytes(c for c in [*range(32), 127]
                           if c not in (10, 13) and not (tab and c == 9))
        self._suspect = _SUSPECT_TAB_OK if tab else _SUSPECT
        self.sha = hashlib.sha256()
        self.max_line = max_line
        self.block = block
        self.nbytes = 0
        self.lines = 0  # lines handed out so far
        # (line, kind, message) of broken lines, and lines with a tab, a lone carriage return
        # or a control character, both in line order; the importer pops them as it passes.
        self.problems: collections.deque = collections.deque()
        self.suspect: collections.deque = collections.deque()
        self._recent: collections.deque = collections.deque(maxlen=4)  # (first line, text, split)
        # Characters of the record being read (the importer sets 0 before each record), the
        # most a record may have, and whether the last record was cut for having more.
        self.record = 0
        self.max_record = max_record(len(COLUMNS))
        self.overflow = False
        self._breaker = '"a"a\n' if delimiter != "a" else '"b"b\n'

    def __iter__(self):
        # Why: csv holds every field of a record until the record ends, and a quote left open
        # makes all that follows one record of millions of fields (256 MiB took 506 MiB).
        # Past max_record characters the line is replaced by one that is an error in strict
        # csv in any state ('"a"a'): csv drops the record and starts afresh at the next line,
        # and the importer rejects the record (line numbers stay right: it is still one line).
        for line in itertools.chain.from_iterable(self._blocks()):
            self.record += len(line)
            if self.record > self.max_record:
                self.overflow = True
                line = self._breaker
            yield line

    def _blocks(self):
        read, update = self.f.read, self.sha.update
        limit = self.max_line
        pending = b""
        first = True
        while True:
            chunk = read(self.block)
            if chunk:
                update(chunk)
                self.nbytes += len(chunk)
                if first and chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
            first = False
            data = pending + chunk if pending else chunk
            pending = b""
            if not chunk:  # end of file: what is left is the last line, without a line break
                if data:
                    yield self._long_line(data) if len(data) > limit else self._decoded(data)
                return
            while data:
                nl = data.find(b"\n")
                if nl < 0:
                    if len(data) <= limit:
                        pending = data
                        break
                    placeholder, data = self._too_long(data)
                    yield placeholder
                elif nl > limit:  # only the first line can be longer than a block
                    yield self._long_line(data[:nl + 1])
                    data = data[nl + 1:]
                else:
                    cut = data.rfind(b"\n") + 1
                    pending = data[cut:]
                    yield self._decoded(data[:cut])
                    break

    def _decoded(self, body: bytes) -> io.StringIO:
        first = self.lines + 1
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            parts = []
            for i, b in enumerate(body.split(b"\n")):
                try:
                    parts.append(b.decode("utf-8"))
                except UnicodeDecodeError as e:
                    self.problems.append((
                        first + i, "encoding", f"line {first + i}: invalid UTF-8 at byte "
                                               f"{e.start + 1} of the line ({b[e.start:e.end]!r})"))
                    parts.append(b.decode("utf-8", "backslashreplace"))
            text = "\n".join(parts)
        self.lines += text.count("\n") + (not text.endswith("\n"))
        if (len(body.translate(None, self._ctrl)) != len(body)
                or b"\xc2" in body or b"\xef\xbf\xbe" in body or b"\xef\xbf\xbf" in body
                or b"\r" in body and _LONE_CR.search(body)):
            for m in self._suspect.finditer(text):
                n = first + text.count("\n", 0, m.start())
                if not self.suspect or self.suspect[-1] != n:
                    self.suspect.append(n)
        self._recent.append((first, text, None))
        return io.StringIO(text, newline="\n")

    def _too_long(self, data: bytes) -> tuple[io.StringIO, bytes]:
        """Skip the rest of an over-long line, reading on to its end; an empty line stands for
        it. Returns that line and the bytes after the line's end in the last block read."""
        total = len(data)
        head = data[:300]
        read, update = self.f.read, self.sha.update
        rest = b""
        while True:
            chunk = read(self.block)
            if not chunk:
                break
            update(chunk)
            self.nbytes += len(chunk)
            cut = chunk.find(b"\n")
            if cut >= 0:
                total += cut + 1
                rest = chunk[cut + 1:]
                break
            total += len(chunk)
        return self._long_line(head, total), rest

    def _long_line(self, head: bytes, total: int | None = None) -> io.StringIO:
        n = self.lines + 1
        total = len(head) if total is None else total
        self.problems.append((n, "line-too-long", f"line {n} has {total:,} bytes, more than the "
                                                  f"limit of {self.max_line:,}"))
        self.lines += 1
        shown = head[:300].decode("utf-8", "replace").rstrip("\r\n")
        self._recent.append((n, f"{shown}... [{total:,} bytes]\n", None))
        return io.StringIO("\n", newline="\n")

    def text(self, start: int, end: int) -> str:
        """The raw text of lines start..end (1-based), as far as recent blocks still hold it."""
        out = []
        for i, (first, text, split) in enumerate(self._recent):
            if split is None:
                split = text.split("\n")
                if text.endswith("\n"):
                    split.pop()
                self._recent[i] = (first, text, split)
            last = first + len(split) - 1
            if last < start or first > end:
                continue
            out.extend(split[max(start, first) - first:min(end, last) - first + 1])
        return "\n".join(out)


# --------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    slug: str
    ok: bool
    folder: Path | None          # registers/<SLUG> when imported
    rejects: Path | None         # the rejects file to read (in the folder, or next to it)
    counts: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    message: str = ""


@dataclass
class _Stats:
    rows: int = 0
    blank: int = 0
    imported: int = 0
    withheld: int = 0
    rejected: int = 0
    quads: int = 0
    withheld_quads: int = 0
    camps_given: int = 0
    camps_matched: int = 0
    death_places_given: int = 0
    death_places_matched: int = 0
    kinds: Counter = field(default_factory=Counter)


def import_register(csv_path: Path, *, source: str, registers_dir: Path,
                    title: str | None = None, genre: str = "OfficialRecord",
                    mapping: Mapping | Path | None = None, partial: bool = False,
                    as_of: _dt.date | None = None, places: PlaceIndex | None = None,
                    base: str = DEFAULT_BASE,
                    progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import one register. Raises RegisterError when it cannot start (nothing written);
    otherwise returns the result, ``ok`` False when rows were rejected without ``partial``."""
    csv_path = Path(csv_path)
    slug = source
    if not SLUG_RE.fullmatch(slug or ""):
        raise RegisterError(f"--source {slug!r} must be lower-case ASCII letters and digits "
                            f"joined by single hyphens, such as 'mhlw-1991'")
    try:
        check_base(base)
    except ValueError as e:
        raise RegisterError(str(e)) from e
    genre_ok = {g.lower(): g for g in GENRES}
    if genre.lower() not in genre_ok:
        raise RegisterError(f"--genre {genre!r} is not one of {', '.join(GENRES)}")
    genre = genre_ok[genre.lower()]
    today = _dt.date.today()
    as_of = as_of or today
    if as_of > today:
        raise RegisterError(f"--as-of {as_of.isoformat()} is after today: the as-of date is the "
                            f"date of the import")
    if isinstance(mapping, (str, Path)):
        try:
            mapping = load_mapping(Path(mapping))
        except OSError as e:
            raise RegisterError(f"cannot read the mapping file: {e}") from e
        except LayoutError as e:
            raise RegisterError(str(e)) from e
    if not csv_path.is_file():
        raise RegisterError(f"{csv_path}: no such file")
    title = " ".join((title or f"Register {slug} ({csv_path.name})").split())
    if _CTRL.search(title):
        raise RegisterError("--title has a control character")
    places = places or PlaceIndex.empty()

    registers_dir = Path(registers_dir)
    registers_dir.mkdir(parents=True, exist_ok=True)
    target = registers_dir / slug
    with _lock(registers_dir, slug):
        recover(registers_dir, slug)
        _guard(target)
        _check_overlap(registers_dir, slug)
        tmp = Path(tempfile.mkdtemp(prefix=f".{slug}.tmp-", dir=registers_dir))
        try:
            stats, meta = _convert(csv_path, tmp, slug=slug, title=title, genre=genre,
                                   mapping=mapping, as_of=as_of, places=places, base=base,
                                   partial=partial, progress=progress)
            side = registers_dir / f"{slug}.rejects.csv"
            if stats.rejected and (not partial or not stats.imported):
                _replace_file(tmp / "rejects.csv", side)
                shutil.rmtree(tmp, ignore_errors=True)
                why = ("no row could be imported" if partial else
                       "nothing was imported (all or nothing; --partial imports the good rows)")
                return ImportResult(slug, False, None, side, _counts(stats), meta,
                                    f"{stats.rejected:,} of {stats.rows:,} rows rejected: {why}")
            _swap_in(tmp, target)
            with contextlib.suppress(FileNotFoundError):
                side.unlink()
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    msg = (f"imported {stats.imported:,} of {stats.rows:,} rows ({stats.withheld:,} withheld)"
           + (f"; {stats.rejected:,} rejected" if stats.rejected else ""))
    return ImportResult(slug, True, target, target / "rejects.csv", _counts(stats), meta, msg)


def _counts(s: _Stats) -> dict:
    return {"rows": s.rows, "imported": s.imported, "public": s.imported - s.withheld,
            "withheld": s.withheld, "rejected": s.rejected, "blank_lines": s.blank,
            "quads": s.quads, "withheld_quads": s.withheld_quads,
            "camps_given": s.camps_given, "camps_matched": s.camps_matched,
            "death_places_given": s.death_places_given,
            "death_places_matched": s.death_places_matched,
            "rejects_by_kind": dict(sorted(s.kinds.items()))}


def _flush(f, parts: list[bytes]) -> None:
    """Write a batch of N-Quads lines (one call per batch; tests make it fail)."""
    f.writelines(parts)


def _convert(csv_path: Path, folder: Path, *, slug: str, title: str, genre: str,
             mapping: Mapping | None, as_of: _dt.date, places: PlaceIndex, base: str,
             partial: bool, progress) -> tuple[_Stats, dict]:
    stats = _Stats()
    old_limit = csv.field_size_limit(MAX_FIELD)
    try:
        with open(csv_path, "rb", buffering=1 << 20) as fin, \
                open(folder / "register.nq", "wb", buffering=1 << 22) as out, \
                open(folder / "withheld.nq", "wb", buffering=1 << 22) as wout, \
                open(folder / "rejects.csv", "w", encoding="utf-8", newline="") as rout:
            delimiter = mapping.delimiter if mapping else ","
            lines = LineReader(fin, delimiter=delimiter)
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            layout = _read_header(reader, lines, mapping)
            rejects = csv.writer(rout)
            rejects.writerow(REJECT_HEADER)
            seen = _run(reader, lines, layout, out, wout, rejects, stats, slug=slug, title=title,
                        as_of=as_of, places=places, base=base, partial=partial,
                        progress=progress)
            for f in (out, wout, rout):
                f.flush()
                os.fsync(f.fileno())
            sha, size = lines.sha.hexdigest(), lines.nbytes
    finally:
        csv.field_size_limit(old_limit)
    if stats.rows == 0:
        raise RegisterError(f"{csv_path.name} has a header but no data rows")
    file_name = re.sub(r"\s+", "_", csv_path.name)
    src = f"{base}id/source/register-{slug}"
    cit = f"{base}id/citation/register-{slug}"
    _write(folder / "source.trig", _source_trig(src, cit, title=title, genre=genre,
                                                file_name=file_name, sha=sha, rows=stats.rows,
                                                as_of=as_of, base=base))
    meta = {
        "tool": "siberia-kg", "version": __version__, "format": 1,
        "source": slug, "title": title, "genre": genre, "base": base,
        "iris": {"source": src, "citation": cit,
                 "persons": f"{base}id/person/register-{slug}-"},
        "file": {"name": file_name, "original_name": csv_path.name, "sha256": sha, "bytes": size},
        "as_of": as_of.isoformat(),
        "privacy": {"rule": f"no death date, and born less than {PRIVACY_YEARS} years before the "
                            f"as-of date (or birth date unknown): personal details withheld",
                    "born_after": privacy_cutoff(as_of)},
        "partial": partial,
        "mapping": None if mapping is None else {
            "file": mapping.file_name, "sha256": mapping.sha256,
            "columns": dict(sorted(mapping.columns.items())), "ignore": list(mapping.ignore),
            "date_formats": list(mapping.date_formats),
            "column_date_formats": {k: list(v) for k, v in
                                    sorted(mapping.column_date_formats.items())},
            "delimiter": mapping.delimiter},
        "columns": {"header": list(layout.header), "imported": list(layout.present),
                    "ignored": list(layout.ignored)},
        "places": {"from": places.source, "sha256": places.sha256, "entities": places.entities},
        "counts": _counts(stats),
        "duplicate_table_bytes": seen.nbytes(),
    }
    _write(folder / "meta.json", (json.dumps(meta, indent=1, sort_keys=True, ensure_ascii=False)
                                  + "\n").encode("utf-8"))
    return stats, meta


def _read_header(reader, lines: LineReader, mapping: Mapping | None) -> Layout:
    try:
        header = next(reader)
    except StopIteration:
        raise RegisterError("the file is empty: it needs a header row") from None
    except csv.Error as e:
        raise RegisterError(f"the header row is not valid CSV: {e}") from None
    here = [m for n, _, m in lines.problems if n <= reader.line_num]
    if here:
        raise RegisterError("the header row cannot be read: " + "; ".join(here))
    try:
        return resolve_layout(header, mapping)
    except LayoutError as e:
        raise RegisterError(str(e)) from None


def _run(reader, lines: LineReader, layout: Layout, out, wout, rejects, stats: _Stats, *,
         slug: str, title: str, as_of: _dt.date, places: PlaceIndex, base: str,
         partial: bool = True, progress=None) -> SeenTable:
    """The hot loop: one record per iteration, written as it is read.

    Output is assembled as bytes: the constant parts of every line are encoded once, the
    values of a record once each, and a batch of records is joined and written in one call.
    """
    cit = f"<{base}id/citation/register-{slug}>"
    G = f" {cit} .\n"
    person = f"<{base}id/person/register-{slug}-".encode()
    as_of_s = as_of.isoformat()
    cutoff = privacy_cutoff(as_of)
    title_esc = _esc(title)
    positions = layout.positions
    width = layout.width
    parsers = (layout.date_parsers["birth_date"], layout.date_parsers["death_date"],
               layout.date_parsers["repatriation_date"])
    problems, suspect = lines.problems, lines.suspect
    writing = [True]
    strip = str.strip
    # The last line of the previous record: the header's at first. (It was 0, so a rejected
    # first row was reported at lines "1-2" with the header in its raw text.)
    line_num = reader.line_num
    seen = SeenTable()
    seen_add = seen.add
    match = places.match
    lit_cache: dict[str, bytes] = {}
    date_caches: tuple[dict, dict, dict] = ({}, {}, {})
    b_cache, d_cache, r_cache = date_caches
    ws_sub = _ASCII_WS.sub
    ctrl = _CTRL.search
    buf: list[bytes] = []
    wbuf: list[bytes] = []
    row = 0
    blank = 0
    next_row = reader.__next__
    kinds = stats.kinds
    date_types = {k: v.encode() for k, v in DATE_TYPES.items()}

    # Record templates: "\x00" stands for the subject (no value holds a control character),
    # %b for a value; one template per shape (which optional values a record has).
    def line(p: str, o: str = "%b") -> bytes:
        return (b"\x00" + f"{p} ".replace("%", "%%").encode() + o.encode()
                + G.replace("%", "%%").encode())

    def const(p: str, o: str) -> bytes:
        return line(p, o.replace("%", "%%"))

    # Labels as SKOS only: the rdfs:label / schema:name / schema:alternateName copies the build
    # derives for curated entities would add five statements to each record (a third more to
    # load, store and serve at a million records) and say nothing new.
    head = const(RDF_TYPE, PERSON) + const(RDF_TYPE, RECORD) + line(PREF)
    segments = (
        line(PREF),                                          # 1 kanji
        line(ALT),                                           # 2 kana
        line(BIRTH), line(DEATH),                            # 4, 8
        line(HELD_IN), line(CAMP_NAME),                      # 16, 32
        line(DEATH_PLACE), line(DEATH_PLACE),                # 64 (matched), 128 (as written)
        line(RANK), line(UNIT), line(BURIAL),                # 256, 512, 1024
        line(REPAT_DATE), line(REPAT_SHIP), line(ARCHIVE_REF),  # 2048, 4096, 8192
    )
    tail = const(ROLE, INTERNEE) + line(RECORD_NO) + const(CITATION, cit)
    templates: dict[int, tuple[bytes, int]] = {}

    def record_template(mask: int) -> tuple[bytes, int]:
        t = head + b"".join(seg for i, seg in enumerate(segments) if mask >> i & 1) + tail
        return t, t.count(b"\n")

    placeholder = (const(RDF_TYPE, PERSON) + const(RDF_TYPE, RECORD) + line(PREF)
                   + line(RECORD_NO) + const(WITHHELD, TRUE)
                   + const(CITATION, cit))
    placeholder_quads = placeholder.count(b"\n")

    def lit(v: str) -> bytes:
        """A language-tagged literal, cached: ranks, units, camps and ships repeat."""
        b = lit_cache.get(v)
        if b is None:
            b = f'"{_esc(v)}"@{language_of(v)}'.encode()
            if len(lit_cache) < CACHE_LIMIT:
                lit_cache[v] = b
        return b

    place_cache: dict[str, bytes | None] = {}

    def place(v: str) -> bytes | None:
        iri = match(v)
        b = None if iri is None else f"<{iri}>".encode()
        if len(place_cache) < CACHE_LIMIT:
            place_cache[v] = b
        return b

    date_columns = ("birth_date", "death_date", "repatriation_date")

    def date(k: int, text: str) -> tuple[str, bytes, tuple[str, str] | None]:
        """(lexical form, literal, problem or None) of a date cell, cached: dates repeat."""
        col = date_columns[k]
        try:
            lex, dt = parsers[k](text)
        except DateProblem as e:
            got = ("", b"", ("date", f"{col}: {e}"))
        else:
            problem = None
            if lex[:4] <= "1850":
                problem = ("date-too-early", f"{col}: {lex} is not after {EARLIEST_YEAR}")
            elif lex > as_of_s[:len(lex)]:
                problem = ("date-after-as-of", f"{col}: {lex} is after the as-of date {as_of_s}")
            got = (lex, f'"{lex}"'.encode() + date_types[dt], problem)
        if len(date_caches[k]) < CACHE_LIMIT:
            date_caches[k][text] = got
        return got

    def reject(reasons: list[tuple[str, str]], rid: str, start: int, end: int) -> None:
        where = str(start) if end <= start else f"{start}-{end}"
        text = lines.text(start, end)
        if text.endswith("\r"):
            text = text[:-1]
        if len(text) > RAW_SHOWN:
            text = text[:RAW_SHOWN] + f"... [{len(text):,} characters]"
        message = "; ".join(m for _, m in reasons)
        if end > start and any(k in ("csv", "columns") for k, _ in reasons):
            message += f" (the record spans lines {where}: is a quote left open?)"
        rejects.writerow((row, where, rid, message, text))
        stats.rejected += 1
        if not partial:  # all or nothing: the import has failed; only look for more rejects
            writing[0] = False
            buf.clear()
            wbuf.clear()
        for k in {k for k, _ in reasons}:
            kinds[k] += 1

    def line_problems(end: int) -> list[tuple[str, str]]:
        """The problems of the lines up to end (those of the record just read)."""
        found = []
        while problems and problems[0][0] <= end:
            _, kind, message = problems.popleft()
            found.append((kind, message))
        return found

    def is_suspect(start: int, end: int) -> bool:
        """Has a line of this record a tab, lone carriage return or control character?"""
        hit = False
        while suspect and suspect[0] <= end:
            hit = suspect.popleft() >= start or hit
        return hit

    identity = positions == tuple(range(len(COLUMNS))) and width == len(COLUMNS)
    pick = operator.itemgetter(*(i if i >= 0 else width for i in positions))
    slug_ok = SLUG_RE.fullmatch
    imported = withheld = camps_given = camps_matched = dp_given = dp_matched = 0
    quads = withheld_quads = 0

    lines.max_record = max_record(width)
    while True:
        lines.record = 0
        try:
            fields = next_row()
        except StopIteration:
            break
        except csv.Error as e:
            start, line_num = line_num + 1, reader.line_num
            row += 1
            why = (f"a record of more than {lines.max_record:,} characters (no valid record has "
                   f"that many)" if lines.overflow else str(e))
            lines.overflow = False
            reject([*line_problems(line_num), ("csv", f"not valid CSV: {why}")], "",
                   start, line_num)
            continue
        start, line_num = line_num + 1, reader.line_num
        bad = line_problems(line_num) if problems else None
        if not bad and (not fields or (len(fields) == 1 and not fields[0].strip())):
            blank += 1
            continue
        row += 1
        if progress is not None and not row & 0x3FFF:
            progress(lines.nbytes)
        if bad or len(fields) != width:
            rid = fields[positions[0]].strip() if len(fields) > positions[0] else ""
            reject(bad or [("columns", f"{len(fields)} columns where the header has {width}")],
                   rid, start, line_num)
            continue
        if not identity:
            fields.append("")
            fields = pick(fields)
        reasons: list[tuple[str, str]] = []
        if line_num == start and not (suspect and is_suspect(start, line_num)):
            vals = list(map(strip, fields))
        else:
            vals = list(fields)
            for i, v in enumerate(vals):
                if v:
                    v = ws_sub(" ", v).strip()
                    vals[i] = v
                    m = ctrl(v)
                    if m:
                        reasons.append(("control-character",
                                        f"{COLUMNS[i]}: control character U+{ord(m.group()):04X}"))
        (rid, kanji, kana, romaji, birth_s, rank, unit, camp, death_s, death_place, burial,
         repat_s, ship, archive) = vals
        if not rid:
            reasons.append(("empty-id", "empty record_id"))
        if not (kanji or kana or romaji):
            reasons.append(("empty-name", "empty name: no name_kanji, name_kana or name_romaji"))
        birth = death = repat = None
        if birth_s:
            birth = b_cache.get(birth_s) or date(0, birth_s)
            if birth[2]:
                reasons.append(birth[2])
                birth = None
        if death_s:
            death = d_cache.get(death_s) or date(1, death_s)
            if death[2]:
                reasons.append(death[2])
                death = None
        if repat_s:
            repat = r_cache.get(repat_s) or date(2, repat_s)
            if repat[2]:
                reasons.append(repat[2])
                repat = None
        if birth is not None:
            b = birth[0]
            if death is not None:
                d = death[0]
                n = min(len(b), len(d))
                if d[:n] < b[:n]:
                    reasons.append(("date-order", f"death_date {d} is before birth_date {b}"))
            if repat is not None:
                r = repat[0]
                n = min(len(b), len(r))
                if r[:n] < b[:n]:
                    reasons.append(("date-order", f"repatriation_date {r} is before "
                                                  f"birth_date {b}"))
        if rid:
            rslug = rid.lower()
            if not (rslug.isascii() and slug_ok(rslug)):
                rslug = record_slug(rid)
            first = seen_add(rslug, row)
            if first:
                reasons.append(("duplicate", f"duplicate record_id: row {first} has the same "
                                             f"record id (compared as {rslug!r})"))
        if reasons:
            reject(reasons, rid, start, line_num)
            continue

        # ---- the record, as N-Quads lines, from a template of its shape ----
        if not writing[0]:
            continue
        if '"' in rid or "\\" in rid:
            rid = _esc(rid)
        rid_lit = f'"{rid}"'.encode()
        if romaji:
            if '"' in romaji or "\\" in romaji:
                romaji = _esc(romaji)
            en = f'"{romaji}"@en'.encode()
        else:
            en = f'"Record {rid} of {title_esc}"@en'.encode()
        values = [en]
        mask = 0
        if kanji:
            if '"' in kanji or "\\" in kanji:
                kanji = _esc(kanji)
            ja = f'"{kanji}"@ja'.encode()
            values.append(ja)
            mask = 1
        if kana:
            if '"' in kana or "\\" in kana:
                kana = _esc(kana)
            hrkt = f'"{kana}"@ja-hrkt'.encode()
            values.append(hrkt)
            mask |= 2
        if birth is not None:
            values.append(birth[1])
            mask |= 4
        if death is not None:
            values.append(death[1])
            mask |= 8
        if camp:
            camps_given += 1
            iri = place_cache.get(camp, 0)
            if iri == 0:
                iri = place(camp)
            if iri is not None:
                camps_matched += 1
                values.append(iri)
                mask |= 16
            values.append(lit_cache.get(camp) or lit(camp))
            mask |= 32
        if death_place:
            dp_given += 1
            iri = place_cache.get(death_place, 0)
            if iri == 0:
                iri = place(death_place)
            if iri is not None:
                dp_matched += 1
                values.append(iri)
                mask |= 64
            values.append(lit_cache.get(death_place) or lit(death_place))
            mask |= 128
        if rank:
            values.append(lit_cache.get(rank) or lit(rank))
            mask |= 256
        if unit:
            values.append(lit_cache.get(unit) or lit(unit))
            mask |= 512
        if burial:
            values.append(lit_cache.get(burial) or lit(burial))
            mask |= 1024
        if repat is not None:
            values.append(repat[1])
            mask |= 2048
        if ship:
            values.append(lit_cache.get(ship) or lit(ship))
            mask |= 4096
        if archive:
            values.append(f'"{_esc(archive)}"'.encode())
            mask |= 8192
        values.append(rid_lit)
        template = templates.get(mask)
        if template is None:
            template = templates[mask] = record_template(mask)
        s = person + rslug.encode() + b"> "
        rec = (template[0] % tuple(values)).replace(b"\x00", s)
        imported += 1
        if death is None and (birth is None or latest_day(birth[0]) > cutoff):
            # May be alive: a placeholder in register.nq, the whole record in withheld.nq.
            label = f'"Withheld record {rid} of {title_esc}"@en'.encode()
            buf.append((placeholder % (label, rid_lit)).replace(b"\x00", s))
            quads += placeholder_quads
            withheld += 1
            withheld_quads += template[1]
            wbuf.append(rec)
            if len(wbuf) >= 512:
                _flush(wout, wbuf)
                wbuf.clear()
        else:
            quads += template[1]
            buf.append(rec)
        if len(buf) >= 512:
            _flush(out, buf)
            buf.clear()
    if writing[0]:
        _flush(out, buf)
        _flush(wout, wbuf)
    stats.rows, stats.blank, stats.imported, stats.withheld = row, blank, imported, withheld
    stats.quads, stats.withheld_quads = quads, withheld_quads
    stats.camps_given, stats.camps_matched = camps_given, camps_matched
    stats.death_places_given, stats.death_places_matched = dp_given, dp_matched
    if progress is not None:
        progress(lines.nbytes)
    return seen


# --------------------------------------------------------------------------------------------
# The source document and the files around the import
# --------------------------------------------------------------------------------------------

def _source_trig(src: str, cit: str, *, title: str, genre: str, file_name: str, sha: str,
                 rows: int, as_of: _dt.date, base: str) -> bytes:
    from ..namespaces import all_prefixes

    S, P = ox.NamedNode(src), ox.NamedNode
    description = (f"Person register read from the file {file_name} ({rows:,} rows). Records of "
                   f"people who may be alive (no death date, born less than {PRIVACY_YEARS} "
                   f"years before {as_of.isoformat()}, the date of the import) are published "
                   f"without their personal details.")
    triples = [
        (S, P(RDF_TYPE[1:-1]), P(SKG + "SourceDocument")),
        (S, P(SKOS + "prefLabel"), ox.Literal(title, language="en")),
        (S, P(DCTERMS + "title"), ox.Literal(title)),
        (S, P(SKG + "sourceGenre"), P(SKG + genre)),
        (S, P(SKG + "fileName"), ox.Literal(file_name)),
        (S, P(SKG + "sha256"), ox.Literal(sha)),
        (S, P(SCHEMA + "description"), ox.Literal(description, language="en")),
        (P(cit), P(RDF_TYPE[1:-1]), P(SKG + "Citation")),
        (P(cit), P(SKG + "source"), S),
        (P(cit), P(SKG + "locator"), ox.Literal(f"rows 1-{rows} of {file_name}")),
    ]
    prefixes = {k: v for k, v in all_prefixes(base).items()
                if k in ("skg", "schema", "skos", "dcterms", "xsd", "src", "cit")}
    header = (b"# The source document and citation of an imported person register; its records\n"
              b"# are in register.nq, every statement in the citation graph declared here.\n")
    return header + ox.serialize([ox.Quad(s, p, o, ox.DefaultGraph()) for s, p, o in triples],
                                 format=ox.RdfFormat.TRIG, prefixes=prefixes)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _replace_file(src: Path, dst: Path) -> None:
    os.chmod(src, 0o644)
    os.replace(src, dst)


@contextlib.contextmanager
def _lock(registers_dir: Path, slug: str):
    """One import of a slug at a time."""
    with open(registers_dir / f".{slug}.lock", "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def recover(registers_dir: Path, slug: str) -> None:
    """Tidy after an import killed mid-way: drop half-written folders, and put back a register
    left aside by the two-rename fallback of the swap."""
    target = registers_dir / slug
    olds = sorted(registers_dir.glob(f".{slug}.old-*"))
    if not target.exists() and olds:
        os.rename(olds[-1], target)
        olds = olds[:-1]
    for leftover in [*olds, *registers_dir.glob(f".{slug}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _guard(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir() or (any(target.iterdir()) and not (target / "meta.json").is_file()):
        raise RegisterError(f"{target} exists and is not a register written by this command; "
                            f"refusing to replace it")


def _check_overlap(registers_dir: Path, slug: str) -> None:
    """Person IRIs are register-<SLUG>-<record>: registers 'a' and 'a-b' could mint the same."""
    for other in sorted(registers_dir.iterdir()):
        t = other.name
        if t.startswith(".") or t == slug or not other.is_dir():
            continue
        if slug.startswith(t + "-") or t.startswith(slug + "-"):
            raise RegisterError(
                f"--source {slug!r} and the existing register {t!r} could give two persons the "
                f"same IRI (register-{min(slug, t, key=len)}-... ); choose a slug that neither "
                f"starts with '{t}-' nor is the start of it")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    return fn(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0


def _swap_in(new: Path, target: Path) -> None:
    """Put new in the place of target; readers see the old register or the new, whole."""
    for f in new.iterdir():
        os.chmod(f, 0o644)
    os.chmod(new, 0o755)
    if target.exists():
        if _exchange(new, target):
            shutil.rmtree(new, ignore_errors=True)  # now holds the old register
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)
            try:
                os.rename(new, target)
            except BaseException:
                os.rename(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, target)
    try:
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
