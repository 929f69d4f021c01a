"""HTTP negotiation, as pure functions with no I/O: Accept, suffixes, conditional requests, ranges.

Choosing a media type (RFC 9110 section 12.5.1): each offered type takes the quality of the
MOST SPECIFIC media range that matches it (``text/turtle`` beats ``text/*`` beats ``*/*``);
``q=0`` means "not acceptable". The best quality wins. Ties are broken so that:

- a type the client NAMED beats one it only reached through a wildcard
  (``text/html, */*`` gives HTML even where Turtle is the server's favourite);
- among named types, the server's order of ``offered`` decides (HTML first: a browser that
  names text/html next to other types gets the page);
- among types reached only through wildcards, or when there is no usable Accept header at all,
  ``default`` wins. Browsers always name text/html, so a request that names nothing is a
  program (curl sends ``*/*``, urllib sends no Accept): it gets data, Turtle for RDF, as the
  W3C's Cool URIs note and the linked-data best practices advise.

A header that is present but holds no parseable media range at all is treated as absent,
rather than answering 406 to a client that merely garbled its header; a header with valid
ranges that match nothing offered gets 406 with the list of offered types.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import Sequence

HTML = "text/html"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
JSON = "application/json"

# The RDF serialisations every linked-data document is offered in, Turtle first (the default).
RDF_TYPES: tuple[str, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML)
# Entity documents: HTML first among named types; Turtle when the client names nothing.
ENTITY_TYPES: tuple[str, ...] = (HTML, *RDF_TYPES)

SUFFIX_TO_TYPE: dict[str, str] = {
    ".html": HTML,
    ".ttl": TURTLE,
    ".nt": NTRIPLES,
    ".jsonld": JSONLD,
    ".rdf": RDFXML,
}
TYPE_TO_SUFFIX: dict[str, str] = {v: k for k, v in SUFFIX_TO_TYPE.items()}

# token per RFC 9110 section 5.6.2
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_RANGE = re.compile(rf"^({_TOKEN})/({_TOKEN})$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


@dataclass(frozen=True)
class MediaRange:
    """One parsed element of an Accept header. ``params`` excludes q and anything after it
    (accept-ext); ``order`` is its position in the header."""
    type: str
    subtype: str
    q: float = 1.0
    params: tuple[tuple[str, str], ...] = ()
    order: int = 0

    @property
    def specificity(self) -> int:
        """3 for type/subtype, 2 for type/*, 1 for */*."""
        if self.type == "*":
            return 1
        if self.subtype == "*":
            return 2
        return 3

    def matches(self, media_type: str) -> bool:
        t, _, s = media_type.lower().partition("/")
        return (self.type == "*" or self.type == t) and (self.subtype == "*" or self.subtype == s)


def _split_quoted(text: str, sep: str) -> list[str]:
    """Split on sep outside double-quoted strings (parameter values may be quoted)."""
    parts, buf, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def parse_accept(header: str | None) -> list[MediaRange]:
    """The valid media ranges of an Accept header, in header order. Malformed elements (no
    slash, ``*/html``, a q outside 0..1 or not a number, bad tokens) are dropped, not fatal."""
    if not header:
        return []
    ranges: list[MediaRange] = []
    for order, element in enumerate(_split_quoted(header, ",")):
        pieces = _split_quoted(element, ";")
        m = _MEDIA_RANGE.match(pieces[0].strip())
        if not m:
            continue
        mtype, subtype = m.group(1).lower(), m.group(2).lower()
        if mtype == "*" and subtype != "*":
            continue
        q, params, ok = 1.0, [], True
        for piece in pieces[1:]:
            name, eq, value = piece.strip().partition("=")
            name = name.strip().lower()
            if not name:
                continue  # a stray ';'
            if name == "q":
                value = value.strip()
                if not eq or not _QVALUE.match(value):
                    ok = False
                else:
                    q = float(value)
                break  # what follows q is accept-ext, not media-type parameters
            params.append((name, value.strip().strip('"')))
        if ok:
            ranges.append(MediaRange(mtype, subtype, q, tuple(params), order))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> tuple[float, int]:
    """(q, specificity) the client gives media_type: from the most specific matching range;
    among equally specific ones a range without parameters wins (our representations carry
    none, so ``application/ld+json;profile=...`` is about some other variant), then the first.
    (0.0, 0) when no range matches."""
    best: MediaRange | None = None
    for r in ranges:
        if r.matches(media_type) and (
                best is None
                or (r.specificity, not r.params) > (best.specificity, not best.params)):
            best = r
    return (best.q, best.specificity) if best else (0.0, 0)


def choose(accept: str | None, offered: Sequence[str], default: str | None = None) -> str | None:
    """The best of ``offered`` for this Accept header, or None when none is acceptable (406).

    ``offered`` is in server preference order; ``default`` (one of offered, else offered[0])
    is what a client that names no offered type gets: no Accept header, only wildcards, or a
    header with nothing parseable in it.
    """
    if not offered:
        return None
    default = default if default in offered else offered[0]
    ranges = parse_accept(accept)
    if not ranges:
        return default
    best_key, best_type = None, None
    for index, media_type in enumerate(offered):
        q, spec = quality(ranges, media_type)
        if q <= 0:
            continue
        named = spec == 3
        key = (q, named, (not named) and media_type == default, -index)
        if best_key is None or key > best_key:
            best_key, best_type = key, media_type
    return best_type


def not_acceptable_text(offered: Sequence[str], accept: str | None = None) -> str:
    """The plain-text body of a 406: what was asked for and every type that is offered."""
    lines = ["406 Not Acceptable: none of the media types this resource is offered in fits "
             "the Accept header" + (f" ({accept.strip()[:200]})." if accept else ".")]
    lines.append("Offered media types:")
    lines.extend(f"  {t}" for t in offered)
    return "\n".join(lines) + "\n"


def content_type(media_type: str) -> str:
    """The Content-Type header value: UTF-8 stated for text types and XML, whose charset the
    registrations leave to the header; JSON-LD and N-Triples are UTF-8 by definition and their
    registrations define no charset parameter."""
    if media_type.startswith("text/") or media_type.endswith("+xml") or media_type.endswith("/xml"):
        return f"{media_type}; charset=utf-8"
    return media_type


def split_suffix(name: str) -> tuple[str, str | None]:
    """'taishet.ttl' -> ('taishet', 'text/turtle'); 'taishet' -> ('taishet', None); an unknown
    suffix is kept as part of the name (so 'x.pdf' is looked up, and not found, as itself)."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and f".{ext.lower()}" in SUFFIX_TO_TYPE:
        return stem, SUFFIX_TO_TYPE[f".{ext.lower()}"]
    return name, None


def suffix_for(media_type: str) -> str:
    return TYPE_TO_SUFFIX[media_type]


# --- conditional requests (RFC 9110 section 13) ---------------------------------------------

def etag_for(body: bytes) -> str:
    """A strong entity tag derived from the bytes of a representation."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def none_match(if_none_match: str | None, etag: str) -> bool:
    """True when If-None-Match holds this representation's tag (or '*'): answer 304 to
    GET/HEAD. The comparison is weak, as RFC 9110 requires for If-None-Match."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    mine = _opaque(etag)
    return any(_opaque(t) == mine for t in _split_quoted(if_none_match, ",") if t.strip())


def http_date(timestamp: float) -> str:
    return formatdate(timestamp, usegmt=True)


def not_modified_since(if_modified_since: str | None, mtime: float) -> bool:
    """True when the resource has not changed since the date given (to the second).
    An unparseable date is ignored, as RFC 9110 says."""
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since.strip())
    except (TypeError, ValueError, IndexError):
        return False
    if since is None or since.tzinfo is None:
        return False
    return int(mtime) <= since.timestamp()


# --- byte ranges (RFC 9110 section 14) ------------------------------------------------------

class RangeNotSatisfiable(ValueError):
    """Every range of a valid Range header lies outside the representation: answer 416."""


def parse_range(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """The byte ranges asked for, as inclusive (first, last) pairs clipped to the size.

    None means "send the whole representation": no header, another unit than bytes, or a
    malformed header (which RFC 9110 says to ignore). Raises RangeNotSatisfiable when the header
    is valid but no range overlaps the representation.
    """
    if not header:
        return None
    unit, eq, spec = header.strip().partition("=")
    if not eq or unit.lower() != "bytes" or spec[:1].isspace():  # no space around '='
        return None
    ranges: list[tuple[int, int]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d*)-(\d*)", part)
        if not m or (not m.group(1) and not m.group(2)):
            return None
        first, last = m.group(1), m.group(2)
        if first:
            a = int(first)
            b = int(last) if last else size - 1
            if last and b < a:
                return None  # invalid range-spec: the whole header is ignored
            if a >= size:
                continue  # unsatisfiable on its own
            ranges.append((a, min(b, size - 1)))
        else:
            n = int(last)
            if n == 0 or size == 0:
                continue
            ranges.append((max(size - n, 0), size - 1))
    if not ranges:
        raise RangeNotSatisfiable(f"no range of {header!r} lies within the {size} bytes")
    return ranges


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when Accept-Encoding allows gzip (named, or through '*', with q > 0)."""
    if not accept_encoding:
        return False
    found: dict[str, float] = {}
    for element in accept_encoding.split(","):
        coding, _, rest = element.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        name, eq, value = rest.strip().partition("=")
        if eq and name.strip().lower() == "q":
            value = value.strip()
            if not _QVALUE.match(value):
                continue
            q = float(value)
        found[coding] = q
    if "gzip" in found:
        return found["gzip"] > 0
    if "x-gzip" in found:
        return found["x-gzip"] > 0
    return found.get("*", 0.0) > 0
