"""The job's state and view store each fact once and derive its copies (issue 15).

Derived fields are still in every dump (the API's JSON, the memo), and payloads written when
they were stored (a run's result, a state query, a memo from before) still load.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.models import (
    HitlAction,
    HitlPrompt,
    HitlType,
    JobInput,
    JobState,
    JobView,
    Phase,
    SkillContent,
    Understanding,
    ValidationReport,
)
from workflows.version_store import version_sha256

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
# The view's fields as the API and the memo have always shown them.
VIEW_FIELDS = {
    "job_id", "status", "task_description", "user_id", "current_phase", "progress_message",
    "progress_percent", "error", "created_at", "updated_at", "options", "prompt", "hitl_type",
    "hitl_data", "last_prompt_id", "revisions", "clarifications", "understanding",
    "intended_taxonomy_path", "skill_name", "validation", "validation_passed",
    "validation_status", "validation_score", "draft_path", "final_path", "promoted", "result",
    "events_count", "versions_count", "last_diff", "versions", "refine_rounds", "token_usage",
}


def old_state_payload() -> dict[str, Any]:
    """A run's result as the workflow returned it when every copy was stored."""
    report = ValidationReport(passed=False, score=0.4).model_dump(mode="json")
    return {
        "job_id": "j", "status": "pending_review", "task_description": "Triage flaky tests",
        "user_id": "alice", "created_at": NOW.isoformat(), "updated_at": NOW.isoformat(),
        "options": JobInput(job_id="j", task_description="Triage flaky tests").model_dump(
            mode="json"),
        "prompt": HitlPrompt(prompt_id=3, type=HitlType.VALIDATE, phase=Phase.VALIDATION,
                             created_at=NOW, deadline=NOW, actions=[HitlAction.PROCEED],
                             answer_schema={}, data={"report": report}).model_dump(mode="json"),
        "hitl_type": "validate", "skill_name": "triage-flaky-tests",
        "intended_taxonomy_path": "development/triage-flaky-tests",
        "understanding": {"skill_name": "triage-flaky-tests",
                          "taxonomy_path": "development/triage-flaky-tests"},
        "validation": report, "validation_passed": False, "validation_status": "failed",
        "validation_score": 0.4,
        "content": {"skill_md": "# Two\n", "files": {}},
        "versions": [{"version": 1, "created_at": NOW.isoformat(), "author": "model",
                      "content": {"skill_md": "# One\n", "files": {}}, "diff": None}],
    }


def test_a_state_written_with_the_copies_stored_still_loads() -> None:
    state = JobState.model_validate(old_state_payload())
    assert (state.hitl_type, state.skill_name, state.intended_taxonomy_path) == (
        HitlType.VALIDATE, "triage-flaky-tests", "development/triage-flaky-tests")
    assert (state.validation_passed, state.validation_status, state.validation_score) == (
        False, "failed", 0.4)
    assert [(v.version, v.author, v.size_bytes) for v in state.versions] == [(1, "model", None)]
    dumped = state.model_dump()
    assert "content" not in dumped and "content" not in dumped["versions"][0]


def test_copies_follow_the_facts_they_come_from() -> None:
    state = JobState.model_validate(old_state_payload())
    state.prompt = None
    state.validation = None
    state.understanding = Understanding(skill_name="renamed", taxonomy_path="qa/renamed")
    view = JobView.of(state).model_dump(mode="json")
    assert set(view) == VIEW_FIELDS
    assert (view["hitl_type"], view["hitl_data"], view["validation_passed"],
            view["validation_status"], view["validation_score"]) == (None,) * 5
    assert (view["skill_name"], view["intended_taxonomy_path"]) == ("renamed", "qa/renamed")


def test_a_view_read_back_derives_what_the_memo_repeats() -> None:
    view = JobView.of(JobState.model_validate(old_state_payload()))
    dumped = view.model_dump(mode="json")
    # What the API reads from the memo: a stale copy there cannot disagree with its fact.
    read = JobView.model_validate({**dumped, "skill_name": "stale", "validation_passed": True})
    assert read.model_dump(mode="json") == dumped
    assert read.hitl_data == {"report": dumped["validation"]}


def test_a_versions_hash_covers_every_file_and_its_path() -> None:
    one = SkillContent(skill_md="# A\n", files={"references/x.md": "x"})
    assert version_sha256(one) == version_sha256(one.model_copy(deep=True))
    assert version_sha256(one) != version_sha256(
        SkillContent(skill_md="# A\n", files={"references/y.md": "x"}))
    assert version_sha256(one) != version_sha256(SkillContent(skill_md="# A\n"))
