"""Folding labels and queries for matching, shared by search and reconciliation.

NFKD, combining accents dropped (Fumō -> fumo), full and half width unified, case-folded;
separators (hyphens, slashes, the katakana middle dot...) become one space, other punctuation and
symbols are dropped ("U.S.S.R." -> "ussr"). Kana voicing marks are letters, not accents: バ, パ
and ハ stay apart.
"""

from __future__ import annotations

import unicodedata

KEEP_MARKS = frozenset({"\u3099", "\u309a"})
SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015_/\\,;:\u30fb\u00b7")


def fold(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch in KEEP_MARKS:
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat == "Mn":
            continue
        if ch in SEPARATORS or cat.startswith("Z") or ch.isspace():
            out.append(" ")
        elif cat[0] in "PS" or cat in ("Cc", "Cf"):
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).casefold().split())
