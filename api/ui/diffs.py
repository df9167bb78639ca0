"""What changed, for a reviewer's eyes: a side-by-side line diff and a word diff.

The preview shows the new SKILL.md against the previous version side by side (computed
here from both sources; from the prompt's unified diff when only that is there), and
structure_fix shows each current name or description against the suggestion word by
word. Changes are marked with words and symbols (a "-"/"+" column, <del>/<ins>), never
by colour alone. Long unchanged stretches fold to a line that says how many were skipped.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

CONTEXT_LINES = 3
MAX_ROWS = 2000  # a diff longer than this is cut, with a row that says so

RowKind = Literal["same", "changed", "removed", "added", "skipped", "hunk"]


@dataclass(frozen=True)
class Row:
    """One row of a side-by-side table; a side's number is None where it has no line."""

    kind: RowKind
    old_no: int | None = None
    old: str = ""
    new_no: int | None = None
    new: str = ""

    @property
    def old_mark(self) -> str:
        return "-" if self.kind in ("changed", "removed") else ""

    @property
    def new_mark(self) -> str:
        return "+" if self.kind in ("changed", "added") else ""


def side_by_side(old: str, new: str, context: int = CONTEXT_LINES) -> list[Row]:
    """Rows pairing the old and new lines; unchanged runs beyond `context` fold."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = [Row("same", i1 + k + 1, a[i1 + k], j1 + k + 1, b[j1 + k])
                    for k in range(i2 - i1)]
            head = context if rows else 0
            tail = context if i2 < len(a) or j2 < len(b) else 0
            if len(same) > head + tail + 1:
                skipped = len(same) - head - tail
                after = same[len(same) - tail:] if tail else []
                same = [*same[:head], Row("skipped", old=f"{skipped} unchanged lines"), *after]
            rows += same
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            o, n = i1 + k, j1 + k
            has_old, has_new = o < i2, n < j2
            kind: RowKind = "changed" if has_old and has_new else (
                "removed" if has_old else "added")
            rows.append(Row(kind, o + 1 if has_old else None, a[o] if has_old else "",
                            n + 1 if has_new else None, b[n] if has_new else ""))
    return _capped(rows)


_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def from_unified(diff: str) -> list[Row]:
    """Rows from a unified diff (what the job keeps when no previous source is shown)."""
    rows: list[Row] = []
    old_no = new_no = 0
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []

    def flush() -> None:
        for k in range(max(len(removed), len(added))):
            o = removed[k] if k < len(removed) else None
            n = added[k] if k < len(added) else None
            kind: RowKind = "changed" if o and n else ("removed" if o else "added")
            rows.append(Row(kind, o[0] if o else None, o[1] if o else "",
                            n[0] if n else None, n[1] if n else ""))
        removed.clear()
        added.clear()

    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if hunk := _HUNK.match(line):
            flush()
            old_no, new_no = int(hunk.group(1)), int(hunk.group(2))
            rows.append(Row("hunk", old=line))
        elif line.startswith("-"):
            removed.append((old_no, line[1:]))
            old_no += 1
        elif line.startswith("+"):
            added.append((new_no, line[1:]))
            new_no += 1
        elif line.startswith(" "):
            flush()
            rows.append(Row("same", old_no, line[1:], new_no, line[1:]))
            old_no, new_no = old_no + 1, new_no + 1
        elif line.strip():  # "... (diff cut at N characters ...)" and the like
            flush()
            rows.append(Row("skipped", old=line.strip()))
    flush()
    return _capped(rows)


def _capped(rows: list[Row]) -> list[Row]:
    if len(rows) <= MAX_ROWS:
        return rows
    return [*rows[:MAX_ROWS], Row("skipped", old=f"{len(rows) - MAX_ROWS} more rows not shown")]


@dataclass(frozen=True)
class Piece:
    """A run of text that is in both ("same"), only the old ("del") or only the new ("ins")."""

    kind: Literal["same", "del", "ins"]
    text: str


_TOKENS = re.compile(r"\s+|[\w-]+|[^\w\s]")


def word_diff(old: str, new: str) -> list[Piece]:
    """`old` turned into `new` word by word; each change is a removal then an insertion."""
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("ins", "".join(b[j1:j2])))
    return pieces
