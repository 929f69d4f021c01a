"""What a SPARQL request may ask of the read-only endpoint, decided before any query runs.

pyoxigraph's evaluator performs real HTTP requests for ``SERVICE`` clauses (checked: it connects
to whatever endpoint the query names), so every query that could contain one is refused. The
check is a small lexer that follows the SPARQL 1.1 terminals closely enough to skip what cannot
be a keyword: strings, IRIs, comments, variables, blank-node labels, language tags, numbers and
the local part of prefixed names. It errs on the side of refusing, because pyoxigraph's PEG
parser matches keywords without a word boundary: ``SERVICESILENT <x> {}``, ``true SERVICE``
written ``trueSERVICE``, and ``SERVICE:x {}`` (the keyword followed by the prefixed name ``:x``)
are all parsed as SERVICE calls, so:

- any bare word CONTAINING ``service`` (any case) is refused - no SPARQL keyword or built-in
  function contains it;
- a prefixed name whose PREFIX contains ``service`` and that is followed by ``{`` is refused
  (``GRAPH service:g {`` is refused too; rename such a prefix);
- ``<`` is ambiguous between an IRI and the less-than operator (``FILTER(?a<?b)`` without
  spaces). An IRI-shaped stretch that holds ``)`` and later ``service`` could hide the keyword
  from this lexer while the parser reads an operator, so it is refused too.

``FROM``/``FROM NAMED`` and the protocol's graph parameters never fetch anything in pyoxigraph
(checked: they only select graphs of the store), and updates - ``LOAD`` among them - are refused
outright: this endpoint only ever calls ``Store.query``.

Queries that are too deep are refused too (400): pyoxigraph parses and evaluates recursively, so
a short query nested a few thousand levels deep (``{{{...}}}``, ``STR(STR(...))``, ``FILTER
EXISTS { FILTER EXISTS {...} }``), or a long chain that becomes a deep tree (``1+1+...``, ``MINUS
{} MINUS {} ...``, ``BIND`` after ``BIND``, thousands of triple patterns) overflows the worker's
stack and kills it (SIGSEGV; measured with an 8 MB stack: from about 850 ``FILTER EXISTS``
levels, 970 nested calls, 2,200 nested groups, 2,600 chained ``MINUS`` or ``BIND``, 7,000 ``+``),
and nested collections and blank nodes take time that grows with a high power of their depth
(200 levels: half a minute). So brackets may nest at most ``MAX_NESTING`` deep, and along any
nesting path at most ``MAX_CHAIN`` tokens may build tree levels (each bracket, operator, keyword
and ``.``; the terms of a ``VALUES`` block, which is flat, do not count): far above what a
query written for this graph needs, far below what hurts a worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
                   "WITH")

MAX_NESTING = 64    # brackets ({, (, [) open at once
MAX_CHAIN = 1000    # tree-building tokens along one nesting path (see _depth)

READ_ONLY = ("this SPARQL endpoint is read-only: SPARQL Update requests (INSERT, DELETE, LOAD, "
             "CLEAR, CREATE, DROP, COPY, MOVE, ADD) are not accepted")
NO_SERVICE = ("SERVICE (federated query) is not supported by this endpoint: it never contacts "
              "other services")


class Refused(Exception):
    """A request the endpoint will not run; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class QueryInfo:
    form: str | None        # SELECT, ASK, CONSTRUCT or DESCRIBE; None if the lexer cannot tell
    has_dataset: bool       # the query has FROM / FROM NAMED clauses of its own
    nesting: int = 0        # deepest bracket nesting (see _depth)
    chain: int = 0          # most tree-building tokens along one nesting path (see _depth)


# --- SPARQL 1.1 terminals (section 19.8 of the Query recommendation) -------------------------
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"\\[tbnrf\\\"']"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_PN_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"

_WS = re.compile(r"[ \t\r\n]+")
_COMMENT = re.compile(r"#[^\r\n]*")
_IRIREF = re.compile(r'<(?:[^<>"{}|^`\\\x00-\x20]|' + _UCHAR + r")*>")
_STRINGS = [re.compile(p, re.S) for p in (
    r"'''(?:(?:'|'')?(?:[^'\\]|" + _ECHAR + "|" + _UCHAR + r"))*'''",
    r'"""(?:(?:"|"")?(?:[^"\\]|' + _ECHAR + "|" + _UCHAR + r'))*"""',
    r"'(?:[^'\\\n\r]|" + _ECHAR + "|" + _UCHAR + r")*'",
    r'"(?:[^"\\\n\r]|' + _ECHAR + "|" + _UCHAR + r')*"',
)]
_VAR = re.compile(f"[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*")
_BNODE = re.compile(f"_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?")
_LANGTAG = re.compile(r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PNAME = re.compile(f"({_PN_PREFIX})?:({_PN_LOCAL})?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PN_START = re.compile(f"[{_BASE}:]")
_NAME_RUN = re.compile(f"[{_CHARS}.]*")
_DIGITS = "0123456789"


@dataclass(frozen=True)
class Token:
    kind: str   # word, pname, iri, string, var, bnode, lang, number, punct
    text: str
    pos: int
    prefix: str = ""  # the prefix of a pname


def tokens(query: str) -> list[Token]:
    """The significant tokens of a query (whitespace and comments dropped). Text the lexer
    cannot place becomes one-character punctuation, so nothing is ever skipped unread."""
    out: list[Token] = []
    i, n = 0, len(query)
    # No prefixed name starts before this position: set after a run of name characters that
    # is not followed by ':', so that "a.a.a..." is lexed in linear time, not quadratic.
    pname_from = 0
    while i < n:
        c = query[i]
        m = None
        if c in " \t\r\n":
            i = _WS.match(query, i).end()  # type: ignore[union-attr]
            continue
        if c == "#":
            i = _COMMENT.match(query, i).end()  # type: ignore[union-attr]
            continue
        if c == "<":
            m = _IRIREF.match(query, i)
            if m:
                out.append(Token("iri", m.group(), i))
                i = m.end()
                continue
        elif c in "'\"":
            for pattern in _STRINGS:
                m = pattern.match(query, i)
                if m:
                    break
            if m:
                out.append(Token("string", m.group(), i))
                i = m.end()
                continue
        elif c in "?$":
            m = _VAR.match(query, i)
            if m:
                out.append(Token("var", m.group(), i))
                i = m.end()
                continue
        elif c == "@":
            m = _LANGTAG.match(query, i)
            if m:
                out.append(Token("lang", m.group(), i))
                i = m.end()
                continue
        elif c == "_" and query.startswith("_:", i):
            m = _BNODE.match(query, i)
            if m:
                out.append(Token("bnode", m.group(), i))
                i = m.end()
                continue
        elif c in _DIGITS or (c == "." and i + 1 < n and query[i + 1] in _DIGITS):
            m = _NUMBER.match(query, i)
            out.append(Token("number", m.group(), i))  # type: ignore[union-attr]
            i = m.end()  # type: ignore[union-attr]
            continue
        if i >= pname_from and _PN_START.match(c):
            run_end = i if c == ":" else _NAME_RUN.match(query, i).end()  # type: ignore[union-attr]
            m = _PNAME.match(query, i) if run_end < n and query[run_end] == ":" else None
            if m:
                out.append(Token("pname", m.group(), i, prefix=m.group(1) or ""))
                i = m.end()
                continue
            # The only ':' a prefix starting inside this run could use is at its end.
            pname_from = run_end
        if c.isascii() and (c.isalpha() or c == "_"):
            m = _WORD.match(query, i)
            out.append(Token("word", m.group(), i))  # type: ignore[union-attr]
            i = m.end()  # type: ignore[union-attr]
            continue
        out.append(Token("punct", c, i))
        i += 1
    return out


def _service_refusal(toks: list[Token]) -> str | None:
    for k, tok in enumerate(toks):
        low = tok.text.lower()
        if tok.kind == "word" and "service" in low:
            return NO_SERVICE
        if tok.kind == "pname" and "service" in tok.prefix.lower():
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            if nxt is not None and nxt.text == "{":
                return (NO_SERVICE + f" (the prefixed name {tok.text} followed by '{{' reads as a "
                        "SERVICE clause; use a prefix name without 'service')")
        if tok.kind == "iri":
            inner = low[1:-1]
            close = inner.find(")")
            if close >= 0 and "service" in inner[close:]:
                return (NO_SERVICE + f" (the text {tok.text[:80]} could be read as a comparison "
                        "followed by SERVICE; put spaces around '<' when comparing)")
    return None


_OPEN, _CLOSE = "{([", "})]"
_FLAT = ("string", "iri", "var", "pname", "bnode", "lang", "number")


def _depth(toks: list[Token]) -> tuple[int, int]:
    """(deepest bracket nesting, most tree-building tokens along one nesting path).

    The second counts, for each bracket level open at a point, the brackets, operators, words
    and '.' seen so far at that level (a chain at one level parses into a left-deep tree, each
    nested level adds to the path); terms and ',' ';' (flat lists) do not count, nor anything
    inside the braces of VALUES (a flat table)."""
    chains = [0]            # per open level: tree-building tokens seen at it
    flat = [False]          # per open level: inside a VALUES block
    values_next = False     # a VALUES keyword waits for its '{'
    total = 1               # sum(chains) + len(chains), kept up to date
    deepest = longest = 0
    for tok in toks:
        if tok.kind in _FLAT or tok.text in ",;" or flat[-1] and tok.text not in _OPEN + _CLOSE:
            continue
        if tok.text in _CLOSE:
            if len(chains) > 1:
                total -= chains.pop() + 1
                flat.pop()
            continue
        if tok.kind == "word" and tok.text.upper() == "VALUES":
            values_next = True
        if not flat[-1]:
            chains[-1] += 1
            total += 1
        if tok.text in _OPEN:
            is_values = flat[-1] or (values_next and tok.text == "{")
            values_next = values_next and not is_values
            chains.append(0)
            flat.append(is_values)
            total += 1
            deepest = max(deepest, len(chains) - 1)
        longest = max(longest, total)
    return deepest, longest


def _form(toks: list[Token]) -> str | None:
    """The first keyword after the prologue (BASE <iri> / PREFIX p: <iri>)."""
    k = 0
    while k < len(toks):
        tok = toks[k]
        word = tok.text.upper() if tok.kind == "word" else None
        if word == "BASE":
            k += 2
            continue
        if word == "PREFIX":
            k += 3
            continue
        return word
    return None


def inspect(query: str, max_length: int) -> QueryInfo:
    """Check one query string; raises Refused (400, 403 or 413) when it must not run."""
    if len(query) > max_length:
        raise Refused(413, f"the query is {len(query)} characters long; this endpoint accepts "
                           f"at most {max_length}")
    if "\x00" in query:
        raise Refused(400, "the query contains a NUL character")
    toks = tokens(query)
    first = _form(toks)
    if first in UPDATE_KEYWORDS:
        raise Refused(403, f"{READ_ONLY} (the request holds a {first} operation)")
    refusal = _service_refusal(toks)
    if refusal:
        raise Refused(400, refusal)
    has_dataset = any(t.kind == "word" and t.text.upper() == "FROM" for t in toks)
    nesting, chain = _depth(toks)
    return QueryInfo(form=first if first in QUERY_FORMS else None, has_dataset=has_dataset,
                     nesting=nesting, chain=chain)


def refuse_too_deep(info: QueryInfo) -> None:
    """Raises Refused (400) for a query too deep to run safely (see the module's docstring)."""
    if info.nesting > MAX_NESTING:
        raise Refused(400, f"the query nests brackets {info.nesting} levels deep; this endpoint "
                           f"accepts at most {MAX_NESTING}")
    if info.chain > MAX_CHAIN:
        raise Refused(400, f"the query is too deeply structured for this endpoint: {info.chain} "
                           "operators, keywords, brackets and triple patterns follow one another "
                           f"along one nesting path, at most {MAX_CHAIN} are accepted; split it "
                           "into smaller queries")
