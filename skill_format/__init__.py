"""The Agent Skills format: parse, render, check, score and validate skills.

Pure and deterministic (no network, no Temporal), so the workflow, the API and the CLI
all judge a skill the same way.

The names below load on first use (PEP 562): `skill_format.models` is imported wherever a
job is read (the CLI too), and those processes need not load the validator's parsers.
"""

from __future__ import annotations

import importlib
from typing import Any

# Each public name and the module that defines it.
_WHERE = {
    "CHECKS": "rules",
    "DEFAULT_PASS_THRESHOLD": "report",
    "FrontmatterError": "frontmatter",
    "ParsedSkill": "document",
    "Score": "scoring",
    "SkillFolder": "document",
    "WEIGHTS": "scoring",
    "add_judged_part": "report",
    "description_issues": "rules",
    "name_issues": "rules",
    "parse_frontmatter": "frontmatter",
    "parse_skill": "document",
    "render_frontmatter": "frontmatter",
    "render_skill_md": "frontmatter",
    "run_checks": "checks",
    "score_skill": "scoring",
    "split_skill_md": "frontmatter",
    "suggest_description": "rules",
    "suggest_name": "rules",
    "trigger_cases": "triggers",
    "trigger_score": "triggers",
    "validate_content": "validator",
    "validate_folder": "validator",
    "validate_folder_model": "validator",
    "would_trigger": "triggers",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = sorted(_WHERE)
