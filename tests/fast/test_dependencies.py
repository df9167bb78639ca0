"""Dependencies point one way: the lower packages never import the higher ones.

`skill_format` (the validator) and `common` (settings, ids, the Temporal connection) sit
under the workflow, the activities and the API; `skill_store` (the skill library on disk) is
shared by the API and the activities, so the API's routes never import `activities`. Read
from each module's AST, imports inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

OURS = frozenset({"workflows", "activities", "api", "cli", "common", "skill_format",
                  "skill_store", "devstack", "bench", "worker"})
# package (or folder) -> top-level packages its modules must not import
FORBIDDEN: dict[str, frozenset[str]] = {
    "skill_format": OURS - {"skill_format"},
    "common": OURS - {"common"},
    "skill_store": OURS - {"skill_store", "skill_format", "common"},
    "api/routes": frozenset({"activities"}),
}


def imported_modules(source: str, module: str) -> set[str]:
    """Every module `source` imports, relative imports resolved against `module`'s package."""
    package = module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return found


def violations(folder: str, forbidden: frozenset[str]) -> list[str]:
    """`path: module` for each import under `folder` of a package in `forbidden`."""
    found: list[str] = []
    for path in sorted((REPO / folder).rglob("*.py")):
        rel = path.relative_to(REPO)
        module = ".".join(rel.with_suffix("").parts)
        for name in sorted(imported_modules(path.read_text(encoding="utf-8"), module)):
            if name.split(".")[0] in forbidden:
                found.append(f"{rel}: {name}")
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_points_up(folder: str) -> None:
    assert (REPO / folder).is_dir()
    assert violations(folder, FORBIDDEN[folder]) == []


def test_the_check_sees_each_kind_of_import() -> None:
    source = (
        "import workflows.models\n"
        "from activities import drafts\n"
        "from .models import X\n"
        "def late():\n"
        "    from api.errors import ApiError\n"
    )
    found = imported_modules(source, "skill_format.rules")
    assert found == {"workflows.models", "activities", "skill_format.models", "api.errors"}
    assert imported_modules("from . import markdown\n", "skill_format.rules") == {"skill_format"}
