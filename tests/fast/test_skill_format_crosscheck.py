"""Our validator against skills-ref (the spec's reference validator) on a hand-made corpus.

skills-ref is a necessary gate, never a sufficient one: everything it rejects we reject, and
we also reject what the stricter rules forbid. Each invalid case breaks exactly one rule; its
``expected.json`` names the check that must fail (plus any unavoidable ``also`` checks), a
phrase its message must contain, and whether skills-ref rejects it too (which documents the
gaps listed in docs/agent-skills-format.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import skills_ref

from skill_format import CHECKS, validate_content, validate_folder
from workflows.models import SkillContent

CORPUS = Path(__file__).parent.parent / "data" / "skill_corpus"
VALID = sorted(p for p in (CORPUS / "valid").iterdir() if p.is_dir())
INVALID = sorted(p for p in (CORPUS / "invalid").iterdir() if p.is_dir())
# Tested in test_skill_format_rules.py: symlinks and in-memory paths cannot escape a
# folder checked into git portably.
NOT_IN_CORPUS = {"files_inside_folder"}


def _expected(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


def _case_folder(case: Path) -> Path:
    return case / _expected(case)["folder"]


def _content(folder: Path) -> SkillContent:
    files = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "SKILL.md"
    }
    return SkillContent(skill_md=(folder / "SKILL.md").read_text(encoding="utf-8"), files=files)


def _failed_errors(report) -> set[str]:
    return {c.check for c in report.checks if not c.passed and c.severity == "error"}


def test_corpus_is_big_enough() -> None:
    assert len(VALID) >= 5
    assert len(INVALID) >= 35


def test_every_error_rule_has_an_invalid_case() -> None:
    covered = {_expected(case)["check"] for case in INVALID}
    errors = {name for name, severity in CHECKS.items() if severity == "error"}
    assert errors - NOT_IN_CORPUS - covered == set()
    assert covered <= set(CHECKS)


@pytest.mark.parametrize("folder", VALID, ids=[p.name for p in VALID])
def test_valid_skill_accepted_by_both(folder: Path) -> None:
    assert skills_ref.validate(folder) == []
    report = validate_folder(folder)
    assert report.errors == []
    assert report.warnings == []
    assert report.passed
    assert report.score >= 0.75
    assert any(p.startswith("references/") for p in _content(folder).files)


@pytest.mark.parametrize("folder", VALID, ids=[p.name for p in VALID])
def test_valid_skill_same_verdict_in_memory(folder: Path) -> None:
    on_disk = validate_folder(folder)
    in_memory = validate_content(folder.name, _content(folder))
    assert in_memory.passed and on_disk.passed
    assert in_memory.score == on_disk.score
    assert [c.check for c in in_memory.checks] == [c.check for c in on_disk.checks]


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_case_rejected_for_its_rule(case: Path) -> None:
    expected = _expected(case)
    report = validate_folder(_case_folder(case))
    assert not report.passed
    assert report.score <= 0.5
    assert _failed_errors(report) == {expected["check"], *expected["also"]}
    messages = [c.message for c in report.checks if c.check == expected["check"] and not c.passed]
    assert any(expected["message"] in m for m in messages), messages
    assert any(expected["message"] in e for e in report.errors)


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_skills_ref_verdict_matches_table(case: Path) -> None:
    rejects = bool(skills_ref.validate(_case_folder(case)))
    assert rejects == _expected(case)["skills_ref_rejects"]


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_case_same_verdict_in_memory(case: Path) -> None:
    folder = _case_folder(case)
    if not (folder / "SKILL.md").is_file():
        # The file-name cases only exist on disk; in memory SKILL.md is a field.
        assert _expected(case)["check"] in {"skill_md_present", "skill_md_filename"}
        return
    in_memory = validate_content(folder.name, _content(folder))
    assert _failed_errors(in_memory) == _failed_errors(validate_folder(folder))


def test_we_reject_everything_skills_ref_rejects() -> None:
    folders = VALID + [_case_folder(case) for case in INVALID]
    rejected_by_reference = [f for f in folders if skills_ref.validate(f)]
    assert len(rejected_by_reference) >= 20
    accepted_by_us = [f for f in rejected_by_reference if validate_folder(f).passed]
    assert accepted_by_us == []


def test_stricter_than_skills_ref_where_the_doc_says() -> None:
    """The gaps named in the format doc: skills-ref accepts these, we do not."""
    gaps = {
        "name-unicode",
        "name-number-1234",
        "compatibility-empty",
        "metadata-version-float",
        "allowed-tools-list",
        "description-angle-tag",
        "body-too-long-550-lines",
        "triple-dash-in-metadata",
    }
    for case_id in gaps:
        folder = _case_folder(CORPUS / "invalid" / case_id)
        assert skills_ref.validate(folder) == [], case_id
        assert not validate_folder(folder).passed, case_id
