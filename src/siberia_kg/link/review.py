"""The review queue: a TSV file a person edits, and the decisions the next run applies.

Columns: ``entity`` (ours, as ``place:taishet``), ``types``, ``label``, ``decision``,
``candidates`` (each ``Qid score "name" (description) [evidence]``, best first, separated by
`` || ``) and ``note`` (written by the linker).

The ``decision`` column is the person's:

- empty: not decided; the linker rewrites the row on every run;
- ``accept Q123`` (or just ``Q123``, or the item's URL): link the entity to that item; the next
  run checks that the item exists (following a redirect to the item it was merged into) and
  writes the link with the review as its provenance;
- ``reject``: none of the candidates listed is the entity, and the linker must not link it;
- ``none``: Wikidata has no item for the entity; the linker must not link it.

A row with a decision is never rewritten by the linker: only its ``note`` says what the last
run did with it. To undo a decision, clear the cell. To override an automatic link, add a row
for the entity with ``reject`` (or ``accept`` another item).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .entities import curie, expand

COLUMNS = ("entity", "types", "label", "decision", "candidates", "note")
HEADER = "\t".join(COLUMNS)

_ITEM = re.compile(r"(?:wd:|https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/)?(Q[1-9][0-9]*)")


class ReviewError(ValueError):
    """The review file cannot be read; the message names the line."""


@dataclass(frozen=True)
class ReviewDecision:
    action: str            # "accept", "reject" or "none"
    qid: str | None = None

    def __str__(self) -> str:
        return f"accept {self.qid}" if self.action == "accept" else self.action


def parse_decision(text: str) -> ReviewDecision | None:
    """'' -> None; 'accept Q1', 'Q1', 'wd:Q1', an item URL -> accept; 'reject'; 'none'."""
    t = " ".join(text.split())
    if not t:
        return None
    low = t.lower()
    if low in ("reject", "rejected", "no", "wrong"):
        return ReviewDecision("reject")
    if low in ("none", "no item", "no match", "nomatch"):
        return ReviewDecision("none")
    body = t[len("accept"):].strip() if low.startswith("accept") else t
    m = _ITEM.fullmatch(body)
    if m:
        return ReviewDecision("accept", m.group(1))
    raise ValueError(f"decision {text!r} is not understood: write 'accept Q<number>', "
                     "'reject', 'none', or leave it empty")


@dataclass
class ReviewRow:
    entity: str                 # full IRI
    types: str = ""
    label: str = ""
    decision_text: str = ""
    candidates: str = ""
    note: str = ""
    line: int = 0
    decision: ReviewDecision | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def decided(self) -> bool:
        return self.decision is not None

    def fields(self) -> list[str]:
        return [curie(self.entity), self.types, self.label, self.decision_text, self.candidates,
                self.note, *self.extra]


def clean(text: str) -> str:
    """A TSV cell: no tabs or line breaks."""
    return " ".join(str(text).split())


def read_review(path: Path) -> dict[str, ReviewRow]:
    """Rows by entity IRI. A missing file is an empty queue."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    if not lines:
        return {}
    header = lines[0].split("\t")
    if [h.strip().lower() for h in header[:len(COLUMNS)]] != list(COLUMNS):
        raise ReviewError(f"{path}:1: the header must be {HEADER!r} (tab-separated)")
    rows: dict[str, ReviewRow] = {}
    problems = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        cells += [""] * (len(COLUMNS) - len(cells))
        entity = expand(cells[0])
        if not entity.startswith(("http://", "https://")):
            problems.append(f"{path}:{n}: entity {cells[0]!r} is not one of ours "
                            "(write it as place:slug, person:slug ...)")
            continue
        row = ReviewRow(entity=entity, types=cells[1].strip(), label=cells[2].strip(),
                        decision_text=cells[3].strip(), candidates=cells[4].strip(),
                        note=cells[5].strip(), line=n, extra=cells[len(COLUMNS):])
        try:
            row.decision = parse_decision(row.decision_text)
        except ValueError as e:
            problems.append(f"{path}:{n}: {e}")
            continue
        if entity in rows:
            problems.append(f"{path}:{n}: {cells[0]} has a row already (line {rows[entity].line}); "
                            "keep one row per entity")
            continue
        rows[entity] = row
    if problems:
        raise ReviewError("\n".join(problems))
    return rows


def render_review(rows: list[ReviewRow]) -> str:
    out = io.StringIO()
    out.write(HEADER + "\n")
    for row in sorted(rows, key=lambda r: curie(r.entity)):
        out.write("\t".join(clean(c) for c in row.fields()) + "\n")
    return out.getvalue()
