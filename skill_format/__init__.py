"""The Agent Skills format: parse, render, check, score and validate skills.

Pure and deterministic (no network, no Temporal), so the workflow, the API and the CLI
all judge a skill the same way.
"""

from .checks import run_checks
from .document import ParsedSkill, SkillFolder, parse_skill
from .frontmatter import (
    FrontmatterError,
    parse_frontmatter,
    render_frontmatter,
    render_skill_md,
    split_skill_md,
)
from .report import DEFAULT_PASS_THRESHOLD, add_judged_part
from .rules import (
    CHECKS,
    description_issues,
    name_issues,
    suggest_description,
    suggest_name,
)
from .scoring import WEIGHTS, Score, score_skill
from .triggers import trigger_cases, trigger_score, would_trigger
from .validator import validate_content, validate_folder, validate_folder_model

__all__ = [
    "CHECKS",
    "DEFAULT_PASS_THRESHOLD",
    "WEIGHTS",
    "FrontmatterError",
    "ParsedSkill",
    "Score",
    "SkillFolder",
    "add_judged_part",
    "description_issues",
    "name_issues",
    "parse_frontmatter",
    "parse_skill",
    "render_frontmatter",
    "render_skill_md",
    "run_checks",
    "score_skill",
    "split_skill_md",
    "suggest_description",
    "suggest_name",
    "trigger_cases",
    "trigger_score",
    "validate_content",
    "validate_folder",
    "validate_folder_model",
    "would_trigger",
]
