"""A reviewer's direct edits at confirm and preview, against the real workflow.

The author and validator are stubs (their outputs are fixed), so what changes between
prompts is only what the reviewer wrote: the plan at confirm, a version at preview.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from api.refusal_status import REFUSAL_STATUS
from tests.fast.workflow.jobs import Job, StartHarness, refusal
from tests.fast.workflow.stubs import PLAN, ScriptedActivities
from workflows.models import HitlPrompt, HitlType, JobStatus, JobView

EDITED_MD = ("---\nname: ticket-triage\ndescription: Triages tickets. Use when asked.\n---\n\n"
             "# Ticket Triage\n\nWritten by the reviewer.\n")


START_FLAG = {HitlType.CONFIRM: "enable_hitl_confirm", HitlType.PREVIEW: "enable_hitl_preview"}
Opened = tuple[Job, HitlPrompt, ScriptedActivities]
OpenAt = Callable[..., Awaitable[Opened]]


@pytest.fixture
def open_at(start_harness: StartHarness, skills_root: Path) -> OpenAt:
    """A job of its own waiting at `kind` (confirm or preview), its prompt, and its stubs."""
    async def open_at(kind: HitlType, verdicts: list[bool] | None = None,
                      **start: Any) -> Opened:
        stubs = ScriptedActivities(skills_root, verdicts=verdicts or [True])
        job = await (await start_harness(stubs.all())).start(**{START_FLAG[kind]: True}, **start)
        return job, await job.wait_prompt(kind), stubs

    return open_at


async def test_confirm_edits_rename_and_recategorise_the_plan(open_at: OpenAt) -> None:
    job, confirm, stubs = await open_at(HitlType.CONFIRM)
    schema = confirm.answer_schema["properties"]
    assert {"skill_name", "description", "category", "outline"} <= set(schema)
    assert "skill_md" not in schema  # a confirm answer edits the plan, not the files

    # revise with edits only: the edited plan comes back, the author is not asked again
    ack = await job.answer(confirm.prompt_id, "revise", wait=10, answered_by="alice",
                           skill_name="route-support-tickets", category="devops/support",
                           outline=["When to Use", "Instructions", "Escalation"])
    again = ack.prompt
    assert again is not None and again.type is HitlType.CONFIRM
    summary = again.data["summary"]
    assert summary["skill_name"] == "route-support-tickets"
    assert summary["taxonomy_path"] == "devops/support/route-support-tickets"
    assert summary["scope"] == ["When to Use", "Instructions", "Escalation"]
    assert "-skill_name: ticket-triage\n" in again.data["diff"]
    assert "+skill_name: route-support-tickets\n" in again.data["diff"]
    assert "+  - Escalation\n" in again.data["diff"]
    assert (again.revisions_used, again.revisions_left) == (1, 2)
    assert len(stubs.planned) == 1

    ack = await job.answer(again.prompt_id, wait=10)
    assert ack.status is JobStatus.COMPLETED
    done = await job.state()
    assert done.plan_edits["category"] == "devops/support"
    assert stubs.generated[0].plan.taxonomy_path == "devops/support/route-support-tickets"
    assert done.draft_path == f"_drafts/{job.id}/devops/support/route-support-tickets"
    edited = [e.data for e in done.events if e.kind == "plan_edited"]
    assert edited == [{"edited_by": "alice", "fields": ["category", "outline", "skill_name"],
                       "taxonomy_path": "devops/support/route-support-tickets"}]


async def test_confirm_edits_survive_a_revise_with_feedback(open_at: OpenAt) -> None:
    """The author plans again from the feedback; the reviewer's own edit stays."""
    job, confirm, stubs = await open_at(HitlType.CONFIRM)
    ack = await job.answer(confirm.prompt_id, "revise", wait=10, category="data",
                           feedback="Cover refunds too.")
    again = ack.prompt
    assert again is not None and again.type is HitlType.CONFIRM
    assert [r.feedback for r in stubs.planned][-1] == ["Cover refunds too."]
    assert again.data["summary"]["taxonomy_path"] == "data/ticket-triage"


CONFIRM_WRONG: list[tuple[dict[str, Any], str]] = [
    ({"skill_name": "Bad Name"}, "skill_name"),
    ({"skill_name": "name\n"}, "skill_name"),
    ({"skill_name": "x" * 65}, "skill_name"),
    ({"description": "<b>bold</b>"}, "description"),
    ({"category": "cooking"}, "category"),
    ({"category": "devops/../etc"}, "category"),
    ({"category": "devops/a/b/c"}, "category"),
    ({"outline": []}, "outline"),
    ({"outline": ["# Heading"]}, "outline/0"),
    ({"outline": ["Steps", "Steps"]}, "outline"),
    ({"outline": ["two\nlines"]}, "outline/0"),
    ({"skill_md": EDITED_MD}, "skill_md"),  # SKILL.md is edited at preview
]


@pytest.mark.parametrize(("edit", "field"), CONFIRM_WRONG, ids=lambda v: repr(v)[:30])
async def test_bad_confirm_edits_are_refused_naming_the_field(
    open_at: OpenAt, edit: dict[str, Any], field: str
) -> None:
    job, confirm, _ = await open_at(HitlType.CONFIRM)
    refused = await refusal(job.answer(confirm.prompt_id, "revise", **edit))
    assert refused.type == "invalid_answer" and REFUSAL_STATUS[refused.type] == 422
    assert f"{field}:" in refused.message or f"'{field}'" in refused.message, refused.message
    assert (await job.prompt()) == confirm  # nothing changed


async def test_revise_needs_feedback_or_an_edit(open_at: OpenAt) -> None:
    job, confirm, _ = await open_at(HitlType.CONFIRM)
    refused = await refusal(job.answer(confirm.prompt_id, "revise"))
    assert "revise needs feedback or an edit" in refused.message


async def test_a_preview_edit_is_a_version_by_the_reviewer(
    open_at: OpenAt, skills_root: Path
) -> None:
    job, preview, stubs = await open_at(HitlType.PREVIEW)
    assert {"skill_md", "files"} <= set(preview.answer_schema["properties"])

    ack = await job.answer(preview.prompt_id, "revise", wait=10, answered_by="alice",
                           skill_md=EDITED_MD,
                           files={"references/checklist.md": None,
                                  "references/escalation.md": "# Escalation\n"})
    second = ack.prompt
    assert second is not None and second.type is HitlType.PREVIEW
    assert second.data["content"] == EDITED_MD and second.data["version"] == 2
    assert second.data["author"] == "alice"
    assert second.data["files"] == ["references/escalation.md"]
    diff = second.data["diff"]
    assert "--- a/SKILL.md\n+++ b/SKILL.md\n" in diff and "+Written by the reviewer.\n" in diff
    assert "--- a/references/checklist.md\n+++ /dev/null\n" in diff
    assert "--- /dev/null\n+++ b/references/escalation.md\n" in diff
    assert len(stubs.generated) == 1  # no author call for the reviewer's own version

    # proceed: the reviewer's version is validated and saved exactly as written
    assert (await job.answer(second.prompt_id, wait=10)).status is JobStatus.COMPLETED
    done = await job.state()
    assert [(v.version, v.author) for v in done.versions] == [(1, "model"), (2, "alice")]
    assert (await job.version(2)).diff == diff
    assert stubs.validated[-1].content.skill_md == EDITED_MD
    draft = skills_root / (done.draft_path or "")
    assert (draft / "SKILL.md").read_bytes() == EDITED_MD.encode()
    assert sorted(p.relative_to(draft).as_posix() for p in draft.rglob("*") if p.is_file()) \
        == ["SKILL.md", "references/escalation.md"]
    view = JobView.of(done)
    assert [(v.version, v.author) for v in view.versions] == [(1, "model"), (2, "alice")]
    assert view.last_diff == diff


async def test_a_failed_human_version_goes_to_review_not_to_the_author(open_at: OpenAt) -> None:
    job, preview, stubs = await open_at(HitlType.PREVIEW, verdicts=[False])
    await job.answer(preview.prompt_id, skill_md=EDITED_MD)  # proceed with an edit
    review = await job.wait_prompt(HitlType.VALIDATE)
    assert review.data["report"]["passed"] is False
    assert len(stubs.generated) == 1  # no automatic refinement of the reviewer's text
    state = await job.state()
    assert (await job.version(len(state.versions))).content.skill_md == EDITED_MD
    assert state.versions[-1].author == state.user_id  # no key: the job's own user


async def test_edit_only_revisions_count_against_the_cap(open_at: OpenAt) -> None:
    job, preview, _ = await open_at(HitlType.PREVIEW, max_revisions=1)
    last = (await job.answer(preview.prompt_id, "revise", wait=10, skill_md=EDITED_MD)).prompt
    assert last is not None and last.revisions_left == 0
    over = await refusal(job.answer(last.prompt_id, "revise", skill_md=EDITED_MD + "More.\n"))
    assert over.type == "revision_limit"
    # proceed with an edit is still a version (no revision used)
    ack = await job.answer(last.prompt_id, wait=10, skill_md=EDITED_MD + "Last.\n")
    assert ack.status is JobStatus.COMPLETED
    assert len((await job.state()).versions) == 3


PREVIEW_WRONG: list[tuple[dict[str, Any], str]] = [
    ({"files": {"../escape.md": "x"}}, "files"),
    ({"files": {"/etc/passwd": "x"}}, "files"),
    ({"files": {"references/./x.md": "x"}}, "files"),
    ({"files": {".hidden": "x"}}, "files"),
    ({"files": {"SKILL.md": "x"}}, "files"),
    ({"files": {"a/b/c/d/e.md": "x"}}, "files"),
    ({"files": {"references": "a file where a folder is"}}, "files/references"),
    ({"files": {f"f{i}.md": "x" for i in range(31)}}, "files"),
    ({"files": {"big.md": "x" * 200_001}}, "files/big.md"),
    ({"skill_md": "x" * 200_001}, "skill_md"),
    ({"skill_md": ""}, "skill_md"),
    ({"files": {f"f{i}.md": "x" * 190_000 for i in range(3)}}, "skill_md/files"),
    ({"category": "devops"}, "category"),  # the plan is edited at confirm
]


@pytest.mark.parametrize(("edit", "field"), PREVIEW_WRONG, ids=lambda v: repr(v)[:30])
async def test_bad_preview_edits_are_refused_naming_the_field(
    open_at: OpenAt, edit: dict[str, Any], field: str
) -> None:
    job, preview, _ = await open_at(HitlType.PREVIEW)
    refused = await refusal(job.answer(preview.prompt_id, **edit))
    assert refused.type == "invalid_answer"
    assert f"{field}:" in refused.message or f"'{field}'" in refused.message, refused.message
    assert len((await job.state()).versions) == 1


async def test_rewind_to_validation_validates_the_human_version(open_at: OpenAt) -> None:
    job, preview, stubs = await open_at(HitlType.PREVIEW, enable_hitl_review=True)
    await job.answer(preview.prompt_id, skill_md=EDITED_MD)
    review = await job.wait_prompt(HitlType.VALIDATE)
    await job.rewind("validation")
    await job.wait_prompt(HitlType.VALIDATE, after=review.prompt_id)
    assert [v.content.skill_md for v in stubs.validated] == [EDITED_MD, EDITED_MD]
    assert PLAN.skill_name == (await job.state()).skill_name
