"""What a skill's name may be: kebab-case, as the Agent Skills format defines it.

One body, in the form each regex engine needs. The same rule holds for every folder of a
taxonomy path (`<category>[/<sub>]/<skill-name>`).
"""

from __future__ import annotations

# Lower-case letters and digits in words joined by single hyphens. Unanchored: use it with
# `re.fullmatch` or compose it into a longer pattern.
KEBAB_CASE = r"[a-z0-9]+(-[a-z0-9]+)*"
# For pydantic `Field(pattern=...)` only: it runs Rust's regex, where `$` is the end of the
# text (and which has no look-ahead).
SKILL_NAME_FIELD_PATTERN = rf"^{KEBAB_CASE}$"
# For JSON Schema (answers are checked with Python's `jsonschema`, whose `pattern` is
# `re.search`, where `$` also matches before a final newline: "victim\n" would pass).
# `$(?!\n)` is the end of the text in Python and in the ECMA-262 regexes a client checks
# the published schema with.
SKILL_NAME_PATTERN = rf"^{KEBAB_CASE}$(?!\n)"
