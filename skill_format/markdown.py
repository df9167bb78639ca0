"""Just enough Markdown reading for the rules: ATX headings, sections, links, size.

Fenced code blocks and inline code are ignored everywhere, because a skill's examples
routinely contain text that looks like headings or links but is not part of the skill.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import unquote

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# Only the opening is a regex: a pattern that also strips the closing "#"s backtracks
# cubically over a line of spaces ("# a" + " " * n + "b"), freezing the worker.
_HEADING_OPEN = re.compile(r"\s{0,3}(#{1,6})\s+")
_BACKTICKS = re.compile(r"`+")
_INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[(?!\^)[^\]]+\]:\s*(<[^>\n]*>|\S+)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Link:
    """A link target found in Markdown, with its 1-based line number."""

    target: str
    line: int

    @property
    def is_local(self) -> bool:
        """True for links into the skill folder (not URLs, not in-page anchors)."""
        target = self.target
        return not (target.startswith("#") or target.startswith("//") or _SCHEME.match(target))

    @property
    def path(self) -> str:
        """The target without query/fragment, percent-decoded, backslashes as slashes."""
        path = re.split(r"[?#]", self.target, maxsplit=1)[0]
        return unquote(path).replace("\\", "/")

    @property
    def escapes_folder(self) -> bool:
        """True for absolute paths and any path with a '..' segment."""
        path = self.path
        return path.startswith("/") or ".." in path.split("/")

    @property
    def parts(self) -> list[str]:
        """Path segments with '.' and empty segments removed."""
        return [part for part in self.path.split("/") if part not in ("", ".")]

    @property
    def normalized(self) -> str:
        """The folder-relative POSIX path the link points to."""
        return "/".join(self.parts)

    @property
    def depth(self) -> int:
        """Folders between SKILL.md and the target: 0 for 'x.md', 1 for 'references/x.md'."""
        return max(len(self.parts) - 1, 0)


def blank_inline_code(line: str) -> str:
    """The line with every code span replaced by spaces, in linear time.

    A span opens at a run of backticks and closes at the next run of exactly the same length
    (CommonMark); a backreference regex for this backtracks cubically on a line of backticks.
    """
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    next_same: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        length = runs[i][1] - runs[i][0]
        next_same[i] = last_of_length.get(length)
        last_of_length[length] = i
    chars, i = list(line), 0
    while i < len(runs):
        closing = next_same[i]
        if closing is None:
            i += 1
            continue
        start, end = runs[i][0], runs[closing][1]
        chars[start:end] = " " * (end - start)
        i = closing + 1
    return "".join(chars)


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) pairs outside fenced code, with inline code blanked."""
    result: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        result.append((number, blank_inline_code(line)))
    return result


def headings(text: str) -> list[tuple[int, str, int]]:
    """(level, title, line number) for every ATX heading outside code."""
    found: list[tuple[int, str, int]] = []
    for number, line in prose_lines(text):
        match = _HEADING_OPEN.match(line)
        if match:
            found.append((len(match.group(1)), _heading_title(line[match.end() :]), number))
    return found


def _heading_title(rest: str) -> str:
    """The title without its optional closing sequence of '#'s (CommonMark), in linear time."""
    title = rest.strip()
    unclosed = title.rstrip("#")
    if unclosed != title and (not unclosed or unclosed[-1].isspace()):
        title = unclosed.strip()
    return title


def find_heading(text: str, pattern: re.Pattern[str]) -> str | None:
    """The first heading title matching ``pattern`` (searched case-insensitively)."""
    for _, title, _ in headings(text):
        if pattern.search(title):
            return title
    return None


def section_text(text: str, pattern: re.Pattern[str]) -> str:
    """Text of every section whose heading matches ``pattern``, up to the next heading of
    the same or a higher level. Empty when no heading matches."""
    lines = text.splitlines()
    found = headings(text)
    chunks: list[str] = []
    for index, (level, title, number) in enumerate(found):
        if not pattern.search(title):
            continue
        end = len(lines)
        for next_level, _, next_number in found[index + 1 :]:
            if next_level <= level:
                end = next_number - 1
                break
        chunks.append("\n".join(lines[number:end]))
    return "\n".join(chunks)


def links(text: str) -> list[Link]:
    """Inline links, images and reference definitions (not footnotes) outside code."""
    found: list[Link] = []
    for number, line in prose_lines(text):
        for match in _INLINE_LINK.finditer(line):
            found.append(Link(_unwrap(match.group(1)), number))
        definition = _REFERENCE_DEF.match(line)
        if definition:
            found.append(Link(_unwrap(definition.group(1)), number))
    return found


def line_count(text: str) -> int:
    """Lines of text, ignoring leading and trailing blank lines."""
    stripped = text.strip("\r\n")
    return len(stripped.splitlines()) if stripped else 0


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def estimate_tokens(text: str) -> int:
    """Rough token count: the larger of words x 1.3 and characters / 4.

    Two estimates because prose is word-bound and code is character-bound; taking the max
    keeps code-heavy bodies from slipping under the budget.
    """
    return math.ceil(max(word_count(text) * 1.3, len(text) / 4))


def _unwrap(target: str) -> str:
    if target.startswith("<") and target.endswith(">"):
        return target[1:-1].strip()
    return target
