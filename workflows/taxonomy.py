"""The skill taxonomy: the categories a skill may live under (`<category>[/<sub>]/<skill-name>`).

One list for the product: a reviewer's `category` edit is checked against it, and the offline
author reads "put it under devops" only when the category is one of these. Sub-categories
(`devops/observability`) are free kebab-case segments under a known category.
"""

from __future__ import annotations

import re

from skill_format.skill_name import KEBAB_CASE

CATEGORIES: tuple[str, ...] = (
    "development",
    "testing",
    "devops",
    "observability",
    "data",
    "documents",
    "writing",
    "security",
    "general",
)
# A taxonomy path is at most 4 segments, the last being the skill's name.
MAX_CATEGORY_SEGMENTS = 3
_SEGMENT = KEBAB_CASE


def category_pattern(extra: str | None = None) -> str:
    """A JSON-Schema pattern (Python and ECMA-262 alike) for a category path.

    `extra` is a first segment also accepted: the plan's own category, so a reviewer can
    keep a category the author chose outside the list.
    """
    known = list(CATEGORIES)
    if extra and re.fullmatch(_SEGMENT, extra) and extra not in known:
        known.append(extra)
    first = "|".join(known)
    return rf"^({first})(/{_SEGMENT}){{0,{MAX_CATEGORY_SEGMENTS - 1}}}$(?!\n)"


def taxonomy_path(category: str, skill_name: str) -> str:
    """Where a skill lives under the skills root: its category path, then its name."""
    return f"{category}/{skill_name}"


def is_known_category(value: str, extra: str | None = None) -> bool:
    return re.search(category_pattern(extra), value) is not None
