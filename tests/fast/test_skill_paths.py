"""The path guards every library read and promotion goes through (real files in tmp)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from skill_store.library import (
    SkillNotFoundError,
    list_skills,
    read_skill,
    skill_folder,
)
from skill_store.paths import (
    UnsafePathError,
    check_relative_path,
    check_taxonomy_path,
    safe_join,
)

SKILL_MD = """---
name: "demo-skill"
description: "Formats demo things. Use when the user asks for demo formatting."
---

# Demo

## When to Use

When demos need formatting.
"""


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    (root / "cat" / "demo-skill").mkdir(parents=True)
    (root / "cat" / "demo-skill" / "SKILL.md").write_text(SKILL_MD)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "SKILL.md").write_text(SKILL_MD.replace("Demo", "SECRET"))
    (tmp_path / "secret.txt").write_text("SECRET")
    return root


UNSAFE_RELATIVE = [
    "..",
    "../outside",
    "cat/../../outside",
    "cat/./demo-skill",
    "/etc/passwd",
    "//etc/passwd",
    "~/skills",
    "C:/Windows",
    "cat%2Fdemo-skill",
    "%2e%2e/outside",
    "%2E%2E%2Foutside",
    "%252e%252e/outside",
    "cat\\demo-skill",
    "..\\outside",
    "cat/demo-skill\x00.md",
    "cat//demo-skill",
    "a" * 300,
    "cat/" + "b" * 300,
    "/".join(["a"] * 300),
    "\uff0e\uff0e/outside",  # fullwidth full stops
    "cat\u2215demo-skill",  # division slash
    "cat\u2044demo-skill",  # fraction slash
    "c\u0430t/demo-skill",  # Cyrillic a
    "cat/demo-skill\u200b",  # zero-width space
    "_drafts/x",
    ".hidden",
    "",
    "/",
]

UNSAFE_TAXONOMY = [
    "../x",
    "cat/..",
    "/cat/x",
    "Cat/x",
    "cat_x/y",
    "cat\\x",
    "cat/x\x00",
    "cat/%2e%2e",
    "a/b/c/d/e",
    "cat/" + "x" * 65,
    "\uff43at/x",
    "_drafts/x",
    "",
]


@pytest.mark.parametrize(("check", "raw"), [
    *((check_relative_path, raw) for raw in UNSAFE_RELATIVE),
    *((check_taxonomy_path, raw) for raw in UNSAFE_TAXONOMY),
])
def test_unsafe_paths_are_refused(check: Callable[[str], object], raw: str) -> None:
    with pytest.raises(UnsafePathError):
        check(raw)


@pytest.mark.parametrize(
    ("raw", "segments"),
    [
        ("cat/demo-skill", ["cat", "demo-skill"]),
        ("cat/demo-skill/", ["cat", "demo-skill"]),
        ("Team_A/my.skill-2", ["Team_A", "my.skill-2"]),
    ],
)
def test_relative_path_accepts_plain_paths(raw: str, segments: list[str]) -> None:
    assert check_relative_path(raw) == segments


def test_safe_join_refuses_symlink_escaping_the_root(library: Path, tmp_path: Path) -> None:
    (library / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symlink"):
        safe_join(library, ["escape"])
    with pytest.raises(UnsafePathError):
        skill_folder(library, "escape")
    with pytest.raises(UnsafePathError):
        read_skill(library, "escape", 0.75)


def test_safe_join_refuses_even_symlinks_inside_the_root(library: Path) -> None:
    (library / "alias").symlink_to(library / "cat", target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symlink"):
        safe_join(library, ["alias", "demo-skill"])


def test_symlinked_skill_md_is_never_read(library: Path, tmp_path: Path) -> None:
    folder = library / "cat" / "linked"
    folder.mkdir()
    (folder / "SKILL.md").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(SkillNotFoundError):
        read_skill(library, "cat/linked", 0.75)
    assert [s.taxonomy_path for s in list_skills(library)] == ["cat/demo-skill"]


def test_symlink_inside_a_skill_to_outside_is_reported_not_read(
    library: Path, tmp_path: Path
) -> None:
    (library / "cat" / "demo-skill" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    skill = read_skill(library, "cat/demo-skill", 0.75)
    assert "leak.txt" not in skill.files
    assert "SECRET" not in skill.model_dump_json()
    assert any("outside" in e for e in skill.validation.errors)


def test_safe_join_keeps_plain_paths(library: Path) -> None:
    assert safe_join(library, ["cat", "demo-skill"]) == (library / "cat" / "demo-skill").resolve()
    assert safe_join(library, ["not", "there"]) == (library / "not" / "there").resolve()
    with pytest.raises(UnsafePathError):
        safe_join(library, [".."])
    with pytest.raises(UnsafePathError):
        safe_join(library, ["x" * 300])


def test_missing_and_non_skill_folders_are_not_found(library: Path) -> None:
    with pytest.raises(SkillNotFoundError):
        skill_folder(library, "cat/nope")
    with pytest.raises(SkillNotFoundError):
        skill_folder(library, "cat")  # a category, not a skill
    (library / "taxonomy_index.json").write_text("{}")
    with pytest.raises(SkillNotFoundError):
        skill_folder(library, "taxonomy_index.json")


def test_listing_skips_drafts_hidden_and_symlinked_folders(library: Path, tmp_path: Path) -> None:
    for hidden in ("_drafts/job/cat/x", ".tmp-1/x"):
        (library / hidden).mkdir(parents=True)
        (library / hidden / "SKILL.md").write_text(SKILL_MD)
    (library / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    skills = list_skills(library)
    assert [s.taxonomy_path for s in skills] == ["cat/demo-skill"]
    assert skills[0].name == "demo-skill"
    assert skills[0].description.startswith("Formats demo things")


def test_fifo_is_not_opened(library: Path) -> None:
    """A special file where SKILL.md should be must not block the reader."""
    folder = library / "cat" / "fifo-skill"
    folder.mkdir()
    os.mkfifo(folder / "SKILL.md")
    with pytest.raises(SkillNotFoundError):
        read_skill(library, "cat/fifo-skill", 0.75)
