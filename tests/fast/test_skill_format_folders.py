"""Skill folders on disk: stray READMEs, symlinks that escape or dangle, missing files,
and the link forms the folder checks read.

The good sample skill each test changes one part of is in tests/fast/skill_format_samples.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import skills_ref
import yaml

from skill_format import validate_content, validate_folder
from skill_format.models import SkillContent
from tests.fast.skill_format_samples import BODY, NAME, check_of, failed_of, sample

# --------------------------------------------------------------------------- folders on disk


def _write(folder: Path, content: SkillContent) -> Path:
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(content.skill_md, encoding="utf-8")
    for rel, text in content.files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


def test_validate_folder_good(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, sample())
    report = validate_folder(folder)
    assert report.passed
    assert skills_ref.validate(folder) == []


@pytest.mark.parametrize("name", ["README.md", "readme.txt", "CHANGELOG.md", "Changelog"])
def test_a_readme_or_changelog_beside_skill_md_is_an_error(tmp_path: Path, name: str) -> None:
    folder = _write(tmp_path / NAME, sample())
    (folder / name).write_text("For people, not the agent.\n", encoding="utf-8")
    report = validate_folder(folder)
    check = check_of(report, "no_readme_or_changelog")
    assert not check.passed and repr(name) in check.message
    assert not report.passed


def test_a_readme_in_a_subfolder_is_reference_material(tmp_path: Path) -> None:
    body = BODY + "\nFor the Go client read [its guide](references/README.md).\n"
    folder = _write(tmp_path / NAME, sample(body=body))
    (folder / "references" / "README.md").write_text("Go client notes.\n")
    report = validate_folder(folder)
    assert check_of(report, "no_readme_or_changelog").passed
    assert report.passed


def test_symlink_escaping_folder_is_an_error(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("top secret\n")
    content = sample(body=BODY + "\nSee [notes](references/notes.md).\n")
    folder = _write(tmp_path / "skills" / NAME, content)
    os.symlink(secret, folder / "references" / "notes.md")
    report = validate_folder(folder)
    assert not report.passed
    check = check_of(report, "files_inside_folder")
    assert not check.passed
    assert "Symlink 'references/notes.md' resolves to" in check.message
    assert str(secret) in check.message
    # The escaping file is not part of the skill, so the link to it does not resolve.
    assert not check_of(report, "links_resolve").passed


def test_symlinked_skill_md_outside_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "SKILL.md"
    outside.write_text(sample().skill_md)
    folder = tmp_path / "skills" / NAME
    folder.mkdir(parents=True)
    os.symlink(outside, folder / "SKILL.md")
    report = validate_folder(folder)
    assert {"skill_md_present", "files_inside_folder"} <= failed_of(report)
    assert not report.passed


def test_symlinks_inside_folder_and_loops_are_fine(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, sample(body=BODY + "\n[alias](references/alias.md)\n"))
    os.symlink(folder / "references" / "guide.md", folder / "references" / "alias.md")
    os.symlink(folder / "references", folder / "references" / "loop")
    report = validate_folder(folder)
    assert check_of(report, "files_inside_folder").passed
    assert check_of(report, "links_resolve").passed
    assert report.passed


def test_dangling_symlink_is_an_error(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, sample())
    os.symlink(tmp_path / "nowhere", folder / "assets")
    check = check_of(validate_folder(folder), "files_inside_folder")
    assert not check.passed and "'assets'" in check.message


def test_missing_folder_and_missing_skill_md_are_reports(tmp_path: Path) -> None:
    report = validate_folder(tmp_path / "nope")
    assert not report.passed and report.score == 0.0
    assert "does not exist" in check_of(report, "skill_md_present").message
    (tmp_path / "empty").mkdir()
    report = validate_folder(tmp_path / "empty")
    assert [c.check for c in report.checks if not c.passed] == ["skill_md_present"]


def test_lowercase_skill_md_is_an_error(tmp_path: Path) -> None:
    folder = _write(tmp_path / NAME, sample())
    (folder / "SKILL.md").rename(folder / "skill.md")
    report = validate_folder(folder)
    assert failed_of(report) == {"skill_md_filename"}
    assert report.errors == [
        "The skill file is named 'skill.md'; it must be named exactly 'SKILL.md'."
    ]


def test_yaml_module_agrees_with_quoting() -> None:
    """Guard the premise: unquoted, these values are not strings in PyYAML."""
    assert yaml.safe_load("a: yes\nb: 1.0\nc: 1234\nd: null\n") == {
        "a": True,
        "b": 1.0,
        "c": 1234,
        "d": None,
    }


def test_link_forms() -> None:
    body = BODY + (
        '\n[titled](references/guide.md "Guide") [angled](<references/guide.md>) '
        "[anchor](#examples) [web](https://example.com/a/b/c.md) [mail](mailto:a@b.c) "
        "[self](SKILL.md) [query](references/guide.md?plain=1#top) [dir](references/)\n"
        "Footnote use[^1].\n\n[^1]: not a link target\n[ref]: ./references/guide.md\n"
    )
    report = validate_content(NAME, sample(body=body))
    assert report.errors == [], report.errors
    assert report.score_parts["link_integrity"] == 1.0
    broken = validate_content(NAME, sample(body=BODY + "\n[ref]: references/nope.md\n"))
    assert "'references/nope.md'" in check_of(broken, "links_resolve").message
