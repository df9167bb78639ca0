"""The skill taxonomy: the categories a skill may live under (`<category>[/<sub>]/<skill-name>`).

One list for the product: a reviewer's `category` edit is checked against it, and the offline
author reads "put it under devops" only when the category is one of these. Sub-categories
(`devops/observability`) are free kebab-case segments under a known category.
"""

from __future__ import annotations

import re

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
_SEGMENT = r"[a-z0-9]+(-[a-z0-9]+)*"


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


def is_known_category(value: str, extra: str | None = None) -> bool:
    return re.search(category_pattern(extra), value) is not None
