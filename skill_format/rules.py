"""The Agent Skills format rules (docs/agent-skills-format.md) as named checks.

Every check yields a `ValidationCheck` whose ``check`` is a stable snake_case name (see
`CHECKS`) and whose message names the offending value, so the workflow, the API and the
CLI show users the same sentence.

Severity: a broken rule of the open specification or of our stricter portability rules is an
``error``. Style guidance is a ``warning``: third-person description, instructions/examples/
edge-case sections, the ~5,000 token budget, unknown subfolders, unlinked reference files.
Saying *when* to use the skill is an ``error`` for the description (the spec says it must;
it is what triggering depends on) and for the body's "When to Use" section, as before.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, Literal

from workflows.models import ValidationCheck

from . import markdown
from .document import SKILL_MD, ParsedSkill
from .frontmatter import KEY_ORDER, disallowed_yaml_constructs

Severity = Literal["error", "warning"]

NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
BODY_MAX_LINES = 500  # the body must stay under this many lines
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

NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Phrases that tell an agent when to pick the skill ("Use when...", "when the user...").
WHEN_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(use|used|invoke|invoked|trigger|triggers|activate|apply|choose|pick|load)\b"
        r"[^.;]{0,40}?\b(when|whenever|if)\b",
        r"\bwhen(ever)?\s+(the\s+|a\s+|an\s+)?(user|users|someone|people|you|asked|working|"
        r"handling|dealing|editing|creating|reviewing|writing|debugging|a\s+request|requests?)\b",
        r"\b(for|on)\s+(requests|questions|tasks|prompts)\s+(about|like|that|involving|"
        r"mentioning|to)\b",
        r"\btriggers?\s+(on|for)\b",
    )
)
FIRST_OR_SECOND_PERSON = re.compile(
    r"^\s*(i|i'm|i've|i'll|im|we|we're|you|you're|your|my|our|let\s+me|let's)\b",
    re.IGNORECASE,
)

SECTION_PATTERNS: dict[str, re.Pattern[str]] = {
    "section_when_to_use": re.compile(
        r"when\s+to\s+(use|apply|invoke)|when\s+should|\buse\s+(this\s+skill\s+)?when\b|"
        r"\btriggers?\b",
        re.IGNORECASE,
    ),
    "section_instructions": re.compile(
        r"instruction|\bsteps?\b|step[- ]by[- ]step|workflow|procedure|\bhow\s+to\b|process|"
        r"usage|quick\s*start|method",
        re.IGNORECASE,
    ),
    "section_examples": re.compile(r"\bexamples?\b", re.IGNORECASE),
    "section_edge_cases": re.compile(
        r"edge[- ]cases?|pitfall|gotcha|caveat|troubleshoot|limitation|common\s+mistake|"
        r"error\s+handling|failure|corner\s+cases?",
        re.IGNORECASE,
    ),
}
SECTION_TITLES: dict[str, str] = {
    "section_when_to_use": "When to Use",
    "section_instructions": "Instructions (or Steps/Workflow)",
    "section_examples": "Examples",
    "section_edge_cases": "Edge Cases (or Pitfalls/Troubleshooting)",
}

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
    "description_says_when": "error",
    "description_third_person": "warning",
    "license_string": "error",
    "compatibility_string": "error",
    "compatibility_length": "error",
    "metadata_string_map": "error",
    "allowed_tools_string": "error",
    "body_line_count": "error",
    "body_token_estimate": "warning",
    "section_when_to_use": "error",
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


# --------------------------------------------------------------------------- name rules


def _name_length(name: str) -> str | None:
    if not name.strip():
        return f"Name is empty; it must be 1-{NAME_MAX} characters."
    if len(name) > NAME_MAX:
        return f"Name '{name}' is {len(name)} characters long; the limit is {NAME_MAX}."
    return None


def _name_format(name: str) -> str | None:
    if not name.strip() or NAME_PATTERN.match(name):
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


def _name_reserved(name: str) -> str | None:
    lowered = name.lower()
    for word in RESERVED_WORDS:
        if word in lowered:
            return f"Name '{name}' contains the reserved word '{word}'; Anthropic refuses it."
    return None


def _name_vague(name: str) -> str | None:
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    if words and all(w in VAGUE_WORDS for w in words):
        return (
            f"Name '{name}' is too vague: it only says '{'-'.join(words)}'; name what the "
            "skill does (e.g. 'csv-cleanup')."
        )
    return None


_NAME_RULES: tuple[tuple[str, Callable[[str], str | None], str], ...] = (
    ("name_length", _name_length, f"Name is 1-{NAME_MAX} characters."),
    ("name_format", _name_format, "Name is lowercase ASCII kebab-case."),
    ("name_not_reserved", _name_reserved, "Name has no reserved word."),
    ("name_not_vague", _name_vague, "Name says what the skill is about."),
)


def name_issues(name: str) -> list[str]:
    """Error-level problems with a skill name, ignoring the folder (for structure_fix)."""
    if not isinstance(name, str):
        return [f"Name must be a string, not {type(name).__name__} {name!r}."]
    return [message for _, rule, _ in _NAME_RULES if (message := rule(name))]


# --------------------------------------------------------------------------- description rules


def _description_length(description: str) -> str | None:
    if not description.strip():
        return f"Description is empty; it must be 1-{DESCRIPTION_MAX} characters."
    if len(description) > DESCRIPTION_MAX:
        return (
            f"Description is {len(description)} characters long; the limit is "
            f"{DESCRIPTION_MAX} ('{_snippet(description, 60)}')."
        )
    return None


def _description_angle_brackets(description: str) -> str | None:
    match = re.search(r"[<>]", description)
    if not match:
        return None
    start = max(match.start() - 20, 0)
    return (
        "Description contains '<' or '>' (near "
        f"'{_snippet(description[start:], 50)}'); XML-like tags are not allowed."
    )


def _description_triple_dash(description: str) -> str | None:
    if "---" in description:
        return "Description contains '---', which parsers may read as the end of frontmatter."
    return None


def says_when(description: str) -> bool:
    """True if the description tells an agent when to use the skill."""
    return any(pattern.search(description) for pattern in WHEN_PATTERNS)


def _description_when(description: str) -> str | None:
    if not description.strip() or says_when(description):
        return None
    return (
        f"Description '{_snippet(description, 80)}' does not say when to use the skill; add a "
        "trigger such as 'Use when the user asks to ...'."
    )


def _description_person(description: str) -> str | None:
    match = FIRST_OR_SECOND_PERSON.match(description.replace("\u2019", "'"))
    if not match:
        return None
    return (
        f"Description starts with '{match.group(0).strip()}'; write in the third person "
        "(e.g. 'Extracts tables from PDFs...')."
    )


_DESCRIPTION_RULES: tuple[tuple[str, Callable[[str], str | None], str], ...] = (
    ("description_length", _description_length, f"Description is 1-{DESCRIPTION_MAX} chars."),
    ("description_no_angle_brackets", _description_angle_brackets, "Description has no < or >."),
    ("description_says_when", _description_when, "Description says when to use the skill."),
    ("description_third_person", _description_person, "Description is in the third person."),
)


def description_issues(description: str) -> list[str]:
    """Error-level problems with a description (for structure_fix); warnings excluded."""
    if not isinstance(description, str):
        return [f"Description must be a string, not {type(description).__name__}."]
    issues = [
        message
        for name, rule, _ in _DESCRIPTION_RULES
        if CHECKS[name] == "error" and (message := rule(description))
    ]
    if message := _description_triple_dash(description):
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


# --------------------------------------------------------------------------- the checks


def run_checks(skill: ParsedSkill) -> list[ValidationCheck]:
    """Every applicable check for a parsed skill, passed and failed, in `CHECKS` order.

    Checks that depend on something that failed earlier (e.g. the name's format when the
    frontmatter does not parse) are left out rather than reported twice.
    """
    checks = _file_checks(skill)
    if skill.stage == "missing":
        return checks
    checks += _frontmatter_checks(skill)
    if skill.frontmatter is not None:
        checks += _field_checks(skill, skill.frontmatter)
    checks += _body_checks(skill)
    checks += _link_checks(skill)
    return checks


def _file_checks(skill: ParsedSkill) -> list[ValidationCheck]:
    folder = skill.folder
    checks = [
        check(
            "skill_md_present",
            None if folder.skill_md is not None else f"Missing SKILL.md: {folder.missing_reason}.",
            "SKILL.md is present.",
        )
    ]
    wrong_name: str | None = None
    if folder.skill_md_filename not in (None, SKILL_MD):
        wrong_name = (
            f"The skill file is named '{folder.skill_md_filename}'; it must be named exactly "
            f"'{SKILL_MD}'."
        )
    else:
        strays = sorted(p for p in folder.files if p.lower() == SKILL_MD.lower())
        if strays:
            wrong_name = f"Extra file '{strays[0]}' beside {SKILL_MD}; keep exactly one SKILL.md."
    if folder.skill_md is not None or wrong_name:
        checks.append(check("skill_md_filename", wrong_name, f"The file is named {SKILL_MD}."))
    checks.append(
        check(
            "files_inside_folder",
            _sentence("; ".join(folder.escapes)) if folder.escapes else None,
            "Every file and symlink stays inside the skill folder.",
        )
    )
    forbidden = sorted(
        p
        for p in folder.files
        if p.rsplit("/", 1)[-1].split(".")[0].lower() in FORBIDDEN_FILE_STEMS
    )
    checks.append(
        check(
            "no_readme_or_changelog",
            f"The skill contains {', '.join(repr(p) for p in forbidden)}; skills carry no "
            "README or CHANGELOG (put guidance in SKILL.md or references/)."
            if forbidden
            else None,
            "No README or CHANGELOG inside the skill.",
        )
    )
    top_dirs = sorted({d.split("/")[0] for d in folder.dirs} - ALLOWED_SUBFOLDERS)
    checks.append(
        check(
            "allowed_subfolders",
            f"Unexpected folder(s) {', '.join(repr(d + '/') for d in top_dirs)}; only "
            "scripts/, references/ and assets/ are conventional."
            if top_dirs
            else None,
            "Only scripts/, references/ and assets/ subfolders.",
        )
    )
    return checks


def _frontmatter_checks(skill: ParsedSkill) -> list[ValidationCheck]:
    checks: list[ValidationCheck] = []
    if skill.stage == "no_frontmatter":
        start = (skill.folder.skill_md or "").lstrip("\ufeff")[:30].splitlines()
        found = f" (it starts with '{start[0]}')" if start else " (the file is empty)"
        if start and not start[0].strip():
            found = " (it starts with a blank line)"
        if (skill.folder.skill_md or "").startswith("\ufeff"):
            found = " (it starts with a byte-order mark)"
        checks.append(
            check(
                "frontmatter_present",
                f"SKILL.md must start with a '---' line opening YAML frontmatter{found}.",
                "",
            )
        )
        return checks
    checks.append(check("frontmatter_present", None, "SKILL.md opens with frontmatter."))
    if skill.stage == "unclosed":
        checks.append(check("frontmatter_closed", f"{skill.error}.", ""))
        return checks
    checks.append(check("frontmatter_closed", None, "Frontmatter is closed by '---'."))
    text = skill.frontmatter_text or ""
    checks.append(
        check(
            "frontmatter_parseable",
            f"Frontmatter cannot be used: {skill.error}." if skill.stage == "invalid" else None,
            "Frontmatter is a YAML mapping.",
        )
    )
    flow, tags = disallowed_yaml_constructs(text)
    checks.append(
        check(
            "frontmatter_block_style",
            f"Frontmatter uses {'; '.join(flow)}; write block-style YAML." if flow else None,
            "Frontmatter is block-style YAML.",
        )
    )
    checks.append(
        check(
            "frontmatter_plain_yaml",
            f"Frontmatter uses {'; '.join(tags)}; tags, anchors and aliases are not portable."
            if tags
            else None,
            "Frontmatter has no YAML tags, anchors or aliases.",
        )
    )
    checks.append(check("no_triple_dash", _triple_dash(text, skill.frontmatter), "No '---'."))
    if skill.frontmatter is not None:
        unknown = [k for k in skill.frontmatter if k not in ALLOWED_KEYS]
        checks.append(
            check(
                "frontmatter_allowed_keys",
                f"Frontmatter has key(s) {', '.join(repr(str(k)) for k in unknown)} outside the "
                f"format; allowed: {', '.join(KEY_ORDER)}."
                if unknown
                else None,
                "Frontmatter uses only allowed keys.",
            )
        )
    return checks


def _triple_dash(text: str, data: dict[str, Any] | None) -> str | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "---" in line:
            return (
                f"Frontmatter line {number} ('{_snippet(line.strip(), 60)}') contains '---', "
                "which parsers may read as the end of the frontmatter."
            )
    for key, value in _string_values(data or {}):
        if "---" in value:
            return f"Frontmatter value for '{key}' contains '---' ('{_snippet(value, 60)}')."
    return None


def _string_values(data: dict[Any, Any], prefix: str = "") -> Iterable[tuple[str, str]]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            yield from _string_values(value, f"{path}.")


def _type_failure(key: str, value: Any) -> str | None:
    if isinstance(value, str):
        return None
    if value is None:
        return f"Frontmatter '{key}' is empty (YAML null); give it a quoted string value."
    if isinstance(value, list):
        if key == "allowed-tools":
            return (
                f"'allowed-tools' is a list {value!r}; it must be one space-separated string "
                'such as "Bash(git:*) Read".'
            )
        return f"Frontmatter '{key}' is a list {value!r}; it must be a string."
    if isinstance(value, dict):
        return f"Frontmatter '{key}' is a mapping; it must be a string."
    return f"Frontmatter '{key}' {_not_a_string(value)}"


def _not_a_string(value: Any) -> str:
    """Why a parsed scalar is not a string, and the fix."""
    hint = ""
    if isinstance(value, bool):
        hint = " (unquoted yes/no/on/off/true/false are booleans in YAML)"
    return (
        f"parsed as {type(value).__name__} {value!r}, not a string{hint}; put the value in "
        "double quotes."
    )


def _field_checks(skill: ParsedSkill, data: dict[str, Any]) -> list[ValidationCheck]:
    checks: list[ValidationCheck] = []
    folder_name = skill.folder.folder_name

    has_name = "name" in data
    checks.append(
        check("name_present", None if has_name else "Frontmatter has no 'name'.", "Name present.")
    )
    if has_name:
        name = data["name"]
        checks.append(check("name_string", _type_failure("name", name), "Name is a string."))
        if isinstance(name, str):
            for check_name, rule, ok in _NAME_RULES[:2]:
                checks.append(check(check_name, rule(name), ok))
            mismatch = None
            if name != folder_name:
                mismatch = f"Name '{name}' does not match the folder name '{folder_name}'."
            checks.append(check("name_matches_folder", mismatch, "Name matches the folder."))
            for check_name, rule, ok in _NAME_RULES[2:]:
                checks.append(check(check_name, rule(name), ok))

    has_description = "description" in data
    checks.append(
        check(
            "description_present",
            None if has_description else "Frontmatter has no 'description'.",
            "Description is present.",
        )
    )
    if has_description:
        description = data["description"]
        checks.append(
            check(
                "description_string",
                _type_failure("description", description),
                "Description is a string.",
            )
        )
        if isinstance(description, str):
            for check_name, rule, ok in _DESCRIPTION_RULES:
                checks.append(check(check_name, rule(description), ok))

    if "license" in data:
        checks.append(
            check("license_string", _type_failure("license", data["license"]), "License ok.")
        )
    if "compatibility" in data:
        value = data["compatibility"]
        checks.append(
            check(
                "compatibility_string",
                _type_failure("compatibility", value),
                "Compatibility is a string.",
            )
        )
        if isinstance(value, str):
            failure = None
            if not value.strip():
                failure = (
                    "Compatibility is empty; omit the key or give 1-"
                    f"{COMPATIBILITY_MAX} characters."
                )
            elif len(value) > COMPATIBILITY_MAX:
                failure = (
                    f"Compatibility is {len(value)} characters long; the limit is "
                    f"{COMPATIBILITY_MAX}."
                )
            checks.append(check("compatibility_length", failure, "Compatibility length ok."))
    if "metadata" in data:
        checks.append(
            check("metadata_string_map", _metadata_failure(data["metadata"]), "Metadata ok.")
        )
    if "allowed-tools" in data:
        checks.append(
            check(
                "allowed_tools_string",
                _type_failure("allowed-tools", data["allowed-tools"]),
                "allowed-tools is one string.",
            )
        )
    return checks


def _metadata_failure(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        shown = (
            "empty (YAML null)" if metadata is None else f"{type(metadata).__name__} {metadata!r}"
        )
        return f"'metadata' is {shown}; it must be a mapping of string keys to string values."
    for key, value in metadata.items():
        if not isinstance(key, str):
            return f"Metadata key {key!r} {_not_a_string(key)}"
        if value is None:
            return f"Metadata '{key}' is empty (YAML null); give it a quoted string value."
        if isinstance(value, dict | list):
            kind = "mapping" if isinstance(value, dict) else "list"
            return f"Metadata '{key}' is a {kind} {value!r}; metadata values must be strings."
        if not isinstance(value, str):
            return f"Metadata '{key}' {_not_a_string(value)}"
    return None


def _body_checks(skill: ParsedSkill) -> list[ValidationCheck]:
    body = skill.body
    lines = markdown.line_count(body)
    tokens = markdown.estimate_tokens(body)
    checks = [
        check(
            "body_line_count",
            f"The SKILL.md body has {lines} lines; keep it under {BODY_MAX_LINES} and move "
            "detail to references/."
            if lines >= BODY_MAX_LINES
            else None,
            f"Body has {lines} lines.",
        ),
        check(
            "body_token_estimate",
            f"The SKILL.md body is about {tokens} tokens; aim for under {BODY_MAX_TOKENS}."
            if tokens > BODY_MAX_TOKENS
            else None,
            f"Body is about {tokens} tokens.",
        ),
    ]
    for check_name, pattern in SECTION_PATTERNS.items():
        title = markdown.find_heading(body, pattern)
        checks.append(
            check(
                check_name,
                None
                if title
                else f"The body has no '{SECTION_TITLES[check_name]}' section heading.",
                f"Has a '{title}' section.",
            )
        )
    return checks


def _link_checks(skill: ParsedSkill) -> list[ValidationCheck]:
    folder = skill.folder
    local = [link for link in markdown.links(skill.body) if link.is_local and link.path]
    outside = [link for link in local if link.escapes_folder]
    inside = [link for link in local if not link.escapes_folder]
    deep = [link for link in inside if link.depth > 1]
    existing = {SKILL_MD, *folder.files, *folder.dirs}
    broken = [link for link in inside if link.normalized not in existing]

    def listed(found: list[markdown.Link]) -> str:
        return ", ".join(f"'{link.target}' (line {link.line})" for link in found[:5])

    linked = {link.normalized for link in inside}
    unlinked = sorted(p for p in folder.files if p.startswith("references/") and p not in linked)
    return [
        check(
            "links_within_folder",
            f"Link(s) {listed(outside)} leave the skill folder; use paths relative to SKILL.md "
            "without '..'."
            if outside
            else None,
            "Every local link stays in the folder.",
        ),
        check(
            "links_one_level_deep",
            f"Link(s) {listed(deep)} are more than one folder deep; link files like "
            "'references/guide.md'."
            if deep
            else None,
            "Local links are at most one level deep.",
        ),
        check(
            "links_resolve",
            f"Link(s) {listed(broken)} point to files that are not in the skill."
            if broken
            else None,
            f"All {len(inside)} local link(s) resolve.",
        ),
        check(
            "references_linked",
            f"Reference file(s) {', '.join(repr(p) for p in unlinked[:5])} are never linked "
            "from SKILL.md, so an agent will not find them."
            if unlinked
            else None,
            "Every reference file is linked.",
        ),
    ]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _snippet(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
