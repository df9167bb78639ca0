"""The Agent Skills format rules (docs/agent-skills-format.md): names, limits, patterns.

This module holds the registry of named checks (`CHECKS`), the name and description rules
and the suggestions that repair them; `checks` applies them to a whole skill. Every check
yields a `ValidationCheck` whose ``check`` is a stable snake_case name (see
`CHECKS`) and whose message names the offending value, so the workflow, the API and the
CLI show users the same sentence.

Severity: an ``error`` is only for what breaks a skill: the open specification's rules
(everything `skills-ref` rejects), platform limits (reserved and vague names, lengths,
parseable block-style frontmatter, values that stay strings, no ``<``/``>`` or ``---``) and
real defects (links that do not resolve, leave the folder or go more than one level deep,
files outside the folder, README/CHANGELOG inside). House style is a ``warning`` (and a score
part), never a failure: saying *when* to use the skill in the description, a "When to Use"
heading or any other fixed section, third person, the 500-line and ~5,000-token budgets,
over-long lines, unknown subfolders, unlinked reference files. Experts write good skills in
other styles; "when to use" counts however and wherever it is said (see `style`).
"""

from __future__ import annotations

import hashlib
import re
import reprlib
import unicodedata
from collections.abc import Callable, Iterable
from typing import Literal, TypeVar

from .frontmatter import KEY_ORDER
from .models import ValidationCheck
from .skill_name import KEBAB_CASE
from .style import says_when

Severity = Literal["error", "warning"]

NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
BODY_MAX_LINES = 500  # house style: bodies stay under this many lines (a warning)
BODY_MAX_TOKENS = 5000

ALLOWED_KEYS: frozenset[str] = frozenset(KEY_ORDER)
ALLOWED_SUBFOLDERS: frozenset[str] = frozenset({"scripts", "references", "assets"})
RESERVED_WORDS: tuple[str, ...] = ("anthropic", "claude")
# A name made only of these says nothing about what the skill does.
VAGUE_WORDS: frozenset[str] = frozenset(
    """helper helpers util utils utility utilities data tool tools misc stuff thing things
    general generic common skill skills my the a an some various""".split()
)
FORBIDDEN_FILE_STEMS: frozenset[str] = frozenset({"readme", "changelog"})

NAME_PATTERN = re.compile(KEBAB_CASE)  # whole name: fullmatch

FIRST_OR_SECOND_PERSON = re.compile(
    r"^\s*(i|i'm|i've|i'll|im|we|we're|you|you're|your|my|our|let\s+me|let's)\b",
    re.IGNORECASE,
)

# Every check name with its severity, in the order checks are reported.
CHECKS: dict[str, Severity] = {
    "skill_md_present": "error",
    "skill_md_filename": "error",
    "files_inside_folder": "error",
    "no_readme_or_changelog": "error",
    "allowed_subfolders": "warning",
    "frontmatter_present": "error",
    "frontmatter_closed": "error",
    "frontmatter_parseable": "error",
    "frontmatter_block_style": "error",
    "frontmatter_plain_yaml": "error",
    "no_triple_dash": "error",
    "frontmatter_allowed_keys": "error",
    "name_present": "error",
    "name_string": "error",
    "name_length": "error",
    "name_format": "error",
    "name_matches_folder": "error",
    "name_not_reserved": "error",
    "name_not_vague": "error",
    "description_present": "error",
    "description_string": "error",
    "description_length": "error",
    "description_no_angle_brackets": "error",
    "description_says_when": "warning",
    "description_third_person": "warning",
    "license_string": "error",
    "compatibility_string": "error",
    "compatibility_length": "error",
    "metadata_string_map": "error",
    "allowed_tools_string": "error",
    "body_line_count": "warning",
    "body_token_estimate": "warning",
    "body_line_length": "warning",
    "section_when_to_use": "warning",
    "section_instructions": "warning",
    "section_examples": "warning",
    "section_edge_cases": "warning",
    "links_within_folder": "error",
    "links_one_level_deep": "error",
    "links_resolve": "error",
    "references_linked": "warning",
}


def check(name: str, failure: str | None, ok: str) -> ValidationCheck:
    """A check result: failed with ``failure`` as message, or passed with ``ok``."""
    return ValidationCheck(
        check=name, passed=failure is None, severity=CHECKS[name], message=failure or ok
    )


# A rule: its check's name, the function that says what is wrong (None: nothing), and the
# check's message when it passes.
Rule = tuple[str, Callable[[str], str | None], str]
RuleFn = TypeVar("RuleFn", bound=Callable[[str], str | None])


class RuleFamily:
    """The rules of one frontmatter field, each declared once, on its function, in order.

    The report runs each as a check of its own (`checks`); structure_fix asks `errors`."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.rules: list[Rule] = []

    def rule(self, check: str, passed: str) -> Callable[[RuleFn], RuleFn]:
        """Declare the decorated function as the rule of `check` (`passed`: its message when
        nothing is wrong)."""

        def declare(fn: RuleFn) -> RuleFn:
            self.rules.append((check, fn, passed))
            return fn

        return declare

    def errors(self, value: object) -> list[str]:
        """What the error-level rules find wrong with `value` (warnings left out).

        A value that is not text (YAML reads `name: 1234` as a number) is one problem, named
        with its type and a short form of the value, instead of every rule failing on it."""
        if not isinstance(value, str):
            return [f"{self.what} must be a string, not {type(value).__name__} "
                    f"{reprlib.repr(value)}."]
        return [message for check, rule, _ in self.rules
                if CHECKS[check] == "error" and (message := rule(value))]


NAME = RuleFamily("Name")
DESCRIPTION = RuleFamily("Description")


# --------------------------------------------------------------------------- name rules


@NAME.rule("name_length", f"Name is 1-{NAME_MAX} characters.")
def _name_length(name: str) -> str | None:
    if not name.strip():
        return f"Name is empty; it must be 1-{NAME_MAX} characters."
    if len(name) > NAME_MAX:
        return f"Name '{name}' is {len(name)} characters long; the limit is {NAME_MAX}."
    return None


@NAME.rule("name_format", "Name is lowercase ASCII kebab-case.")
def _name_format(name: str) -> str | None:
    if not name.strip() or NAME_PATTERN.fullmatch(name):
        return None
    reasons: list[str] = []
    non_ascii = sorted({c for c in name if ord(c) > 127})
    if non_ascii:
        reasons.append("has non-ASCII characters " + " ".join(repr(c) for c in non_ascii))
    if any(c.isascii() and c.isupper() for c in name):
        reasons.append("has uppercase letters")
    if "<" in name or ">" in name:
        reasons.append("has '<' or '>'")
    others = sorted({c for c in name if c.isascii() and not re.match(r"[a-zA-Z0-9<>-]", c)})
    if others:
        reasons.append("has invalid characters " + " ".join(repr(c) for c in others))
    if name.startswith("-") or name.endswith("-"):
        reasons.append("starts or ends with a hyphen")
    if "--" in name:
        reasons.append("has consecutive hyphens '--'")
    return (
        f"Name '{name}' {', '.join(reasons) or 'is malformed'}; use only lowercase ASCII "
        "letters, digits and single hyphens (e.g. 'pdf-form-filling')."
    )


@NAME.rule("name_not_reserved", "Name has no reserved word.")
def _name_reserved(name: str) -> str | None:
    lowered = name.lower()
    for word in RESERVED_WORDS:
        if word in lowered:
            return f"Name '{name}' contains the reserved word '{word}'; Anthropic refuses it."
    return None


@NAME.rule("name_not_vague", "Name says what the skill is about.")
def _name_vague(name: str) -> str | None:
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    if words and all(w in VAGUE_WORDS for w in words):
        return (
            f"Name '{name}' is too vague: it only says '{'-'.join(words)}'; name what the "
            "skill does (e.g. 'csv-cleanup')."
        )
    return None


def name_issues(name: str) -> list[str]:
    """Error-level problems with a skill name, ignoring the folder (for structure_fix)."""
    return NAME.errors(name)


# --------------------------------------------------------------------------- description rules


@DESCRIPTION.rule("description_length", f"Description is 1-{DESCRIPTION_MAX} chars.")
def _description_length(description: str) -> str | None:
    if not description.strip():
        return f"Description is empty; it must be 1-{DESCRIPTION_MAX} characters."
    if len(description) > DESCRIPTION_MAX:
        return (
            f"Description is {len(description)} characters long; the limit is "
            f"{DESCRIPTION_MAX} ('{snippet(description, 60)}')."
        )
    return None


@DESCRIPTION.rule("description_no_angle_brackets", "Description has no < or >.")
def _description_angle_brackets(description: str) -> str | None:
    match = re.search(r"[<>]", description)
    if not match:
        return None
    start = max(match.start() - 20, 0)
    return (
        "Description contains '<' or '>' (near "
        f"'{snippet(description[start:], 50)}'); XML-like tags are not allowed."
    )


def _description_triple_dash(description: str) -> str | None:
    if "---" in description:
        return "Description contains '---', which parsers may read as the end of frontmatter."
    return None


@DESCRIPTION.rule("description_says_when", "Description says when to use the skill.")
def _description_when(description: str) -> str | None:
    if not description.strip() or says_when(description):
        return None
    return (
        f"Description '{snippet(description, 80)}' does not say when to use the skill (in any "
        "phrasing: 'Use when ...', 'for ...', trigger keywords); agents choose skills by their "
        "description alone."
    )


@DESCRIPTION.rule("description_third_person", "Description is in the third person.")
def _description_person(description: str) -> str | None:
    match = FIRST_OR_SECOND_PERSON.match(description.replace("\u2019", "'"))
    if not match:
        return None
    return (
        f"Description starts with '{match.group(0).strip()}'; write in the third person "
        "(e.g. 'Extracts tables from PDFs...')."
    )


def description_issues(description: str) -> list[str]:
    """Error-level problems with a description (for structure_fix); warnings excluded."""
    issues = DESCRIPTION.errors(description)
    if isinstance(description, str) and (message := _description_triple_dash(description)):
        issues.append(message)
    return issues


# --------------------------------------------------------------------------- suggestions

_SUGGEST_STOPWORDS: frozenset[str] = frozenset(
    """a an the and or but to of in on at by for with from into about as is are be it its this
    that these those which i me my we our you your please want wants need needs would like help
    helps can could should will skill skills agent create make build write new some any""".split()
)
_FIRST_PERSON_PREFIX = re.compile(
    r"^\s*(?:(?:i|we)(?:\s+can|\s+will|'ll)?(?:\s+help(?:\s+you)?(?:\s+to)?)?|"
    r"(?:i'm|we're)(?:\s+able\s+to)?|you\s+can(?:\s+use\s+(?:this|me|it)\s+to)?|"
    r"you(?:'ll|'re)?|let\s+me|let's|your|my|our|im|i've)\b[\s,;:.!?-]*",
    re.IGNORECASE,
)


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return [w for w in re.split(r"[^a-z0-9]+", folded.lower()) if w]


def _fallback_name(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"new-skill-{digest}"


def _join_within(words: Iterable[str], limit: int) -> str:
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out


def suggest_name(text: str) -> str:
    """A valid skill name derived from free text (a task, a title or a broken name).

    ASCII-folds the text and kebab-cases it; if that is long or breaks a rule, drops filler
    words, reserved words and long words, keeping at most five. Falls back to
    ``new-skill-<hash>`` (deterministic) when nothing meaningful is left.
    """
    words = [w for w in _ascii_words(text) if not any(r in w for r in RESERVED_WORDS)]
    full = "-".join(words)
    if words and len(words) <= 6 and not name_issues(full):
        return full
    content = [w for w in words if w not in _SUGGEST_STOPWORDS and len(w) <= 30]
    candidate = _join_within(content[:5], NAME_MAX)
    if candidate and not name_issues(candidate):
        return candidate
    return _fallback_name(text)


def _truncate_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-")


def _topic(name: str, description: str) -> str:
    words = _ascii_words(name) if isinstance(name, str) else []
    if sum(len(w) for w in words) < 3 or (isinstance(name, str) and _name_vague(name)):
        words = [w for w in _ascii_words(description) if w not in _SUGGEST_STOPWORDS][:4]
    return " ".join(words[:6]) or "this task"


def suggest_description(name: str, description: str) -> str:
    """A description satisfying every description rule, kept as close to the input as possible.

    Flattens whitespace, removes ``<``/``>`` and ``---``, drops a leading first/second-person
    phrase, appends "Use when the user asks about <topic>." if no trigger is present, and
    truncates to 1024 characters on a word boundary (keeping the trigger).
    """
    text = description if isinstance(description, str) else ""
    text = re.sub(r"<[^<>]*>", "", text)
    text = re.sub(r"[<>]", " ", text).replace("\u2019", "'")
    text = re.sub(r"-{3,}", "-", text)
    text = " ".join(text.split())
    for _ in range(5):
        stripped = _FIRST_PERSON_PREFIX.sub("", text, count=1).strip()
        if stripped == text:
            break
        text = stripped
    text = text[:1].upper() + text[1:]
    topic = _topic(name, text)
    if not text:
        text = f"Guides work on {topic}."
    if says_when(text) and says_when(cut := _truncate_words(text, DESCRIPTION_MAX)):
        return cut
    clause = f"Use when the user asks about {_truncate_words(topic, 200)}."
    body = _truncate_words(text, DESCRIPTION_MAX - len(clause) - 1)
    if body and body[-1] not in ".!?":
        body = _truncate_words(body, DESCRIPTION_MAX - len(clause) - 2).rstrip(".!?") + "."
    return f"{body} {clause}".strip()


def snippet(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with '...'."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
