"""The rules of `rules` applied to a parsed skill: every check, passed or failed, in order.

Split from `rules` so each stays readable; the check names, severities and the name and
description rules live there, shared with the authoring activities. The body's checks (size,
house-style sections, links) are in `body_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .body_checks import body_checks, link_checks
from .document import SKILL_MD, ParsedSkill
from .frontmatter import KEY_ORDER, disallowed_yaml_constructs
from .models import ValidationCheck
from .rules import (
    ALLOWED_KEYS,
    ALLOWED_SUBFOLDERS,
    COMPATIBILITY_MAX,
    DESCRIPTION,
    FORBIDDEN_FILE_STEMS,
    NAME,
    check,
    snippet,
)


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
    checks += body_checks(skill)
    checks += link_checks(skill)
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
    # A README or CHANGELOG beside SKILL.md is documentation for people, not the agent. One
    # deeper down is reference material the skill may point to (a per-language guide, say).
    forbidden = sorted(
        p
        for p in folder.files
        if "/" not in p and p.split(".")[0].lower() in FORBIDDEN_FILE_STEMS
    )
    checks.append(
        check(
            "no_readme_or_changelog",
            f"The skill contains {', '.join(repr(p) for p in forbidden)}; skills carry no "
            "README or CHANGELOG beside SKILL.md (put guidance in SKILL.md or references/)."
            if forbidden
            else None,
            "No README or CHANGELOG beside SKILL.md.",
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
                f"Frontmatter line {number} ('{snippet(line.strip(), 60)}') contains '---', "
                "which parsers may read as the end of the frontmatter."
            )
    for key, value in _string_values(data or {}):
        if "---" in value:
            return f"Frontmatter value for '{key}' contains '---' ('{snippet(value, 60)}')."
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
            for check_name, rule, ok in NAME.rules[:2]:
                checks.append(check(check_name, rule(name), ok))
            mismatch = None
            if name != folder_name:
                mismatch = f"Name '{name}' does not match the folder name '{folder_name}'."
            checks.append(check("name_matches_folder", mismatch, "Name matches the folder."))
            for check_name, rule, ok in NAME.rules[2:]:
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
            for check_name, rule, ok in DESCRIPTION.rules:
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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
