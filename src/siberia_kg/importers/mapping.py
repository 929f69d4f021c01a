"""The register CSV layout, mapping files for other layouts, and date formats.

The documented layout (docs/registers.md) names its columns in a header row; a mapping file
(JSON) says which header of another file holds each of our columns, which of its columns are
deliberately left out, and how its dates are written. Nothing here reads the data rows: this
module turns a header (and a mapping) into a ``Layout`` that the streaming importer applies to
each row, and compiles date formats into fast parsers.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# Our columns, in the documented order.
COLUMNS: tuple[str, ...] = (
    "record_id", "name_kanji", "name_kana", "name_romaji", "birth_date", "rank", "unit", "camp",
    "death_date", "death_place", "burial_site", "repatriation_date", "repatriation_ship",
    "archive_reference",
)
NAME_COLUMNS = ("name_kanji", "name_kana", "name_romaji")
DATE_COLUMNS = ("birth_date", "death_date", "repatriation_date")
MAPPING_KEYS = frozenset({"columns", "ignore", "date_formats", "column_date_formats", "delimiter",
                          "comment"})

# A parsed date: (lexical form, XSD datatype local name).
ParsedDate = tuple[str, str]
DateParser = Callable[[str], ParsedDate]


class LayoutError(ValueError):
    """The header or the mapping file cannot be used; nothing is imported."""


class DateProblem(ValueError):
    """A date cell that is not a date, or not a possible one; the message says why."""


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return 29
    return _DAYS[month]


def _assemble(text: str, year: int, month: int, day: int) -> ParsedDate:
    """Check a (year, month, day) with 0 for an unknown month or day; keep the precision given.

    "00" for an unknown month or day is a common convention of archive lists
    (1945-00-00, 00.08.1945): it lowers the precision instead of being rejected.
    """
    if month == 0:
        return f"{year:04d}", "gYear"
    if not 1 <= month <= 12:
        raise DateProblem(f"{text!r} is not a possible date: month {month} does not exist")
    if day == 0:
        return f"{year:04d}-{month:02d}", "gYearMonth"
    if day > days_in_month(year, month):
        raise DateProblem(f"{text!r} is not a possible date: "
                          f"{year:04d}-{month:02d} has {days_in_month(year, month)} days")
    return f"{year:04d}-{month:02d}-{day:02d}", "date"


_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_iso(text: str) -> ParsedDate:
    """The default layout's dates: YYYY, YYYY-MM or YYYY-MM-DD (00 for an unknown part)."""
    m = _ISO.fullmatch(text)
    if m is None:
        raise DateProblem(f"{text!r} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)")
    y, mo, d = m.groups()
    if mo is None:
        return text, "gYear"
    if d is None:
        if mo == "00":
            return y, "gYear"
        if "01" <= mo <= "12":
            return text, "gYearMonth"
    elif "01" <= mo <= "12" and "01" <= d <= "28":
        return text, "date"  # the common case, without int()
    return _assemble(text, int(y), int(mo), int(d or 0))


# Japanese eras: the first Gregorian year of each (year 1, also written 元).
ERAS = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019,
        "M": 1868, "T": 1912, "S": 1926, "H": 1989, "R": 2019}
ERA_LENGTH = {1868: 45, 1912: 15, 1926: 64, 1989: 31, 2019: 99}

_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
    "%E": r"(?P<era>明治|大正|昭和|平成|令和|[MTSHR])\.?\s*(?P<ey>\d{1,2}|元)",
    "%%": "%",
}


@dataclass(frozen=True)
class DateFormat:
    """One date format of a mapping file, such as "%d.%m.%Y" or "%E年%m月%d日".

    Directives: %Y four-digit year, %m month (1 or 2 digits), %d day (1 or 2 digits), %E a
    Japanese era and its year (昭和20, S20, 昭和元), %% a percent sign. A space matches any
    run of spaces. The precision is the format's: with %d a date, with %m a year and month,
    otherwise a year. Text is NFKC-normalised first, so full-width digits match.
    """

    pattern: str
    regex: re.Pattern = field(compare=False)
    datatype: str = "date"

    @classmethod
    def compile(cls, pattern: str) -> "DateFormat":
        if not isinstance(pattern, str) or not pattern.strip():
            raise LayoutError(f"date format {pattern!r} is not a non-empty string")
        parts = []
        seen = set()
        for token in re.split(r"(%.)", pattern):
            if not token:
                continue
            if token.startswith("%"):
                if token not in _DIRECTIVES:
                    raise LayoutError(f"date format {pattern!r}: unknown directive {token} "
                                      f"(known: %Y %m %d %E %%)")
                if token in seen and token != "%%":
                    raise LayoutError(f"date format {pattern!r} repeats {token}")
                seen.add(token)
                parts.append(_DIRECTIVES[token])
            else:
                parts.append(r"\s*".join(re.escape(w) for w in re.split(r"\s+", token)))
        if not seen & {"%Y", "%E"}:
            raise LayoutError(f"date format {pattern!r} has no year (%Y or %E)")
        if {"%Y", "%E"} <= seen:
            raise LayoutError(f"date format {pattern!r} has two years (%Y and %E)")
        if "%d" in seen and "%m" not in seen:
            raise LayoutError(f"date format {pattern!r} has a day (%d) but no month (%m)")
        datatype = "date" if "%d" in seen else "gYearMonth" if "%m" in seen else "gYear"
        return cls(pattern, re.compile("".join(parts)), datatype)

    def parse(self, text: str) -> ParsedDate | None:
        m = self.regex.fullmatch(text)
        if m is None:
            return None
        g = m.groupdict()
        if g.get("era"):
            first = ERAS[g["era"]]
            n = 1 if g["ey"] == "元" else int(g["ey"])
            if not 1 <= n <= ERA_LENGTH[first]:
                raise DateProblem(f"{text!r} is not a possible date: the era {g['era']} has no "
                                  f"year {n}")
            year = first + n - 1
        else:
            year = int(g["Y"])
        month = int(g["m"]) if g.get("m") is not None else 0
        day = int(g["d"]) if g.get("d") is not None else 0
        return _assemble(text, year, month, day)


def date_parser(formats: list[str] | None) -> DateParser:
    """A parser trying each format in turn; ISO (YYYY[-MM[-DD]]) when no format is given."""
    if not formats:
        return parse_iso
    compiled = [DateFormat.compile(f) for f in formats]
    shown = ", ".join(repr(f.pattern) for f in compiled)

    def parse(text: str) -> ParsedDate:
        norm = unicodedata.normalize("NFKC", text)
        for f in compiled:
            got = f.parse(norm)
            if got is not None:
                return got
        raise DateProblem(f"{text!r} matches none of the date formats {shown}")

    return parse


# --------------------------------------------------------------------------------------------
# Mapping files and layouts
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mapping:
    """A mapping file: our column -> their header, their ignored headers, date formats."""

    columns: dict[str, str]
    ignore: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    column_date_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    delimiter: str = ","
    file_name: str = ""
    sha256: str = ""


def load_mapping(path: Path) -> Mapping:
    data = path.read_bytes()
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise LayoutError(f"{path.name}: not UTF-8 ({e})") from e
    except json.JSONDecodeError as e:
        raise LayoutError(f"{path.name}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from e
    m = mapping_from_dict(doc, where=path.name)
    return Mapping(m.columns, m.ignore, m.date_formats, m.column_date_formats, m.delimiter,
                   file_name=path.name, sha256=hashlib.sha256(data).hexdigest())


def mapping_from_dict(doc, where: str = "mapping") -> Mapping:
    if not isinstance(doc, dict):
        raise LayoutError(f"{where}: the mapping must be a JSON object")
    unknown = sorted(set(doc) - MAPPING_KEYS)
    if unknown:
        raise LayoutError(f"{where}: unknown key(s) {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(MAPPING_KEYS))})")
    cols = doc.get("columns")
    if not isinstance(cols, dict) or not cols:
        raise LayoutError(f"{where}: \"columns\" must be an object of our column -> your header")
    bad = sorted(k for k in cols if k not in COLUMNS)
    if bad:
        raise LayoutError(f"{where}: unknown column(s) {', '.join(bad)} "
                          f"(ours: {', '.join(COLUMNS)})")
    for k, v in cols.items():
        if not isinstance(v, str) or not v.strip():
            raise LayoutError(f"{where}: columns.{k} must be a header name (a non-empty string)")
    theirs = [v.strip() for v in cols.values()]
    dup = sorted({h for h in theirs if theirs.count(h) > 1})
    if dup:
        raise LayoutError(f"{where}: header(s) {', '.join(map(repr, dup))} mapped to more than "
                          f"one column")
    ignore = doc.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(x, str) for x in ignore):
        raise LayoutError(f"{where}: \"ignore\" must be a list of header names")
    both = sorted(set(x.strip() for x in ignore) & set(theirs))
    if both:
        raise LayoutError(f"{where}: header(s) {', '.join(map(repr, both))} both mapped and "
                          f"ignored")
    formats = doc.get("date_formats", [])
    if not isinstance(formats, list):
        raise LayoutError(f"{where}: \"date_formats\" must be a list of formats")
    per_col = doc.get("column_date_formats", {})
    if not isinstance(per_col, dict) or not all(
            k in DATE_COLUMNS and isinstance(v, list) for k, v in per_col.items()):
        raise LayoutError(f"{where}: \"column_date_formats\" must map "
                          f"{', '.join(DATE_COLUMNS)} to lists of formats")
    delimiter = doc.get("delimiter", ",")
    if delimiter == "\\t":
        delimiter = "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise LayoutError(f"{where}: \"delimiter\" must be one character (such as \",\", \";\" "
                          f"or \"\\t\"), not a quote or a line break")
    for f in [*formats, *(x for v in per_col.values() for x in v)]:
        DateFormat.compile(f)  # raises LayoutError on a bad format
    return Mapping(columns={k: v.strip() for k, v in cols.items()},
                   ignore=tuple(x.strip() for x in ignore),
                   date_formats=tuple(formats),
                   column_date_formats={k: tuple(v) for k, v in per_col.items()},
                   delimiter=delimiter)


@dataclass(frozen=True)
class Layout:
    """Where each of our columns is in a row, and how to read its dates."""

    positions: tuple[int, ...]  # per COLUMNS: index in the row, or -1 when absent
    width: int
    header: tuple[str, ...]
    date_parsers: dict[str, DateParser]
    delimiter: str = ","
    ignored: tuple[str, ...] = ()
    mapping: Mapping | None = None

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(c for c, i in zip(COLUMNS, self.positions) if i >= 0)


def _clean_header(h: str) -> str:
    return h.replace("\ufeff", "").strip()


def resolve_layout(header: list[str], mapping: Mapping | None = None) -> Layout:
    """The layout of a file from its header row. Raises LayoutError naming what is wrong."""
    names = [_clean_header(h) for h in header]
    if not any(names):
        raise LayoutError("the first line is not a header: it names no column")
    dup = sorted({h for h in names if h and names.count(h) > 1})
    if dup:
        raise LayoutError(f"the header names column(s) {', '.join(map(repr, dup))} more than once")
    if "" in names:
        raise LayoutError(f"the header has an empty column name (column {names.index('') + 1})")
    where = {h: i for i, h in enumerate(names)}
    if mapping is None:
        lowered = {h.lower(): i for h, i in where.items()}
        unknown = [h for h in names if h.lower() not in COLUMNS]
        if unknown:
            raise LayoutError(f"unknown column(s) {', '.join(map(repr, unknown))}: the columns are "
                              f"{', '.join(COLUMNS)}; for another layout give a --mapping file")
        positions = tuple(lowered.get(c, -1) for c in COLUMNS)
        parsers = {c: parse_iso for c in DATE_COLUMNS}
        ignored: tuple[str, ...] = ()
        delimiter = ","
    else:
        missing = [h for h in mapping.columns.values() if h not in where]
        if missing:
            raise LayoutError(f"the mapping names header(s) {', '.join(map(repr, missing))} that "
                              f"the file does not have (it has {', '.join(map(repr, names))})")
        mapped = set(mapping.columns.values())
        unmapped = [h for h in names if h not in mapped and h not in mapping.ignore]
        if unmapped:
            raise LayoutError(f"column(s) {', '.join(map(repr, unmapped))} are neither mapped nor "
                              f"listed in \"ignore\" in {mapping.file_name or 'the mapping'}: "
                              f"nothing is left out silently")
        positions = tuple(where[mapping.columns[c]] if c in mapping.columns else -1
                          for c in COLUMNS)
        parsers = {c: date_parser(list(mapping.column_date_formats.get(c) or mapping.date_formats))
                   for c in DATE_COLUMNS}
        ignored = tuple(h for h in names if h in mapping.ignore)
        delimiter = mapping.delimiter
    if positions[COLUMNS.index("record_id")] < 0:
        raise LayoutError("there is no record_id column: every record needs its identifier")
    if all(positions[COLUMNS.index(c)] < 0 for c in NAME_COLUMNS):
        raise LayoutError(f"there is no name column ({', '.join(NAME_COLUMNS)})")
    return Layout(positions=positions, width=len(names), header=tuple(names),
                  date_parsers=parsers, delimiter=delimiter, ignored=ignored, mapping=mapping)
