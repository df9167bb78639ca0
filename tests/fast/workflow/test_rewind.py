"""Rewind to each phase, and every refusal of a rewind, against the real workflow.

The integration layer keeps one rewind journey through HTTP; these cover what each
target phase keeps, redoes and changes, in well under a second each.
"""

from __future__ import annotations

from pathlib import Path

from api.refusal_status import REWIND_REFUSAL_STATUS
from skill_format import parse_frontmatter
from tests.fast.workflow.jobs import Harness, StartHarness, refusal
from tests.fast.workflow.stubs import ScriptedActivities
from workflows.models import HitlType, JobStatus, Phase

FEEDBACK = "Cover after-hours escalation."
DESCRIPTION = ("Routes support tickets to the right team. Use when the user asks to route, "
               "assign or hand over customer support tickets.")


async def test_rewind_to_understanding_plans_again_with_the_edits(harness: Harness) -> None:
    job = await harness.start(enable_hitl_confirm=True, enable_hitl_preview=True)
    confirm = await job.wait_prompt(HitlType.CONFIRM)
    first_name = confirm.data["summary"]["skill_name"]
    preview = (await job.answer(confirm.prompt_id, wait=10)).prompt
    assert preview is not None and preview.type is HitlType.PREVIEW
    assert FEEDBACK not in preview.data["content"]

    ack = await job.rewind("understanding", skill_name="support-ticket-triage", feedback=FEEDBACK)
    assert (ack.to, ack.rewinds_used) == (Phase.UNDERSTANDING, 1)

    # the plan is made again: a new confirm with the edited name
    confirm2 = await job.wait_prompt(HitlType.CONFIRM, after=preview.prompt_id)
    assert confirm2.data["summary"]["skill_name"] == "support-ticket-triage" != first_name
    # the feedback reached the offline author, which says it cannot apply it
    [note] = confirm2.data["author_notes"]
    assert f'"{FEEDBACK.rstrip(".")}"' in note and "cannot rewrite the plan" in note
    assert "-skill_name: " in confirm2.data["diff"]
    preview2 = (await job.answer(confirm2.prompt_id, wait=10)).prompt
    assert preview2 is not None and preview2.type is HitlType.PREVIEW
    # the first version is kept in the history; nothing is pasted into the new one
    assert FEEDBACK not in preview2.data["content"]
    assert preview2.data["version"] == 2
    assert preview2.data["previous_content"] == preview.data["content"]

    state = await job.state()
    assert state.revisions["rewind"] == 1
    assert [e.data for e in state.events if e.kind == "rewound"] == [
        {"to": "understanding",
         "edits": {"skill_name": "support-ticket-triage", "feedback": FEEDBACK}}]


async def test_rewind_to_generation_keeps_the_plan_with_the_edits(harness: Harness) -> None:
    job = await harness.start(enable_hitl_preview=True)
    preview = await job.wait_prompt(HitlType.PREVIEW)
    planned = (await job.state()).understanding
    assert planned is not None and planned.description != DESCRIPTION

    ack = await job.rewind("generation", skill_name="ticket-router", description=DESCRIPTION)
    assert (ack.to, ack.rewinds_used) == (Phase.GENERATION, 1)

    preview2 = await job.wait_prompt(HitlType.PREVIEW, after=preview.prompt_id)
    written = parse_frontmatter(preview2.data["content"])
    assert (written["name"], written["description"]) == ("ticket-router", DESCRIPTION)
    state = await job.state()
    assert state.skill_name == "ticket-router"
    # the category stays; only the last segment follows the new name
    assert state.intended_taxonomy_path == f"{planned.category}/ticket-router"
    assert state.understanding is not None and state.understanding.outline == planned.outline
    assert [e.kind for e in state.events].count("phase_output") == 1  # no new plan was made

    ack2 = await job.answer(preview2.prompt_id, wait=10)
    assert ack2.status is JobStatus.COMPLETED
    done = await job.state()
    assert done.draft_path == f"_drafts/{job.id}/{planned.category}/ticket-router"
    on_disk = (harness.skills_root / done.draft_path / "SKILL.md").read_text()
    assert parse_frontmatter(on_disk)["description"] == DESCRIPTION
    assert [p.name for p in (job.drafts / planned.category).iterdir()] == ["ticket-router"]


async def test_rewind_to_validation_checks_the_same_skill_again(
    start_harness: StartHarness, skills_root: Path
) -> None:
    stubs = ScriptedActivities(skills_root, verdicts=[True])
    harness = await start_harness(stubs.all())
    job = await harness.start(enable_hitl_preview=True, enable_hitl_review=True)
    preview = await job.wait_prompt(HitlType.PREVIEW)
    assert (len(stubs.generated), len(stubs.validated)) == (1, 0)

    ack = await job.rewind("validation", feedback="Check the trigger examples.")
    assert (ack.to, ack.rewinds_used) == (Phase.VALIDATION, 1)
    review = await job.wait_prompt(HitlType.VALIDATE, after=preview.prompt_id)

    # validated, not written again: the one version is what the validator saw
    assert len(stubs.generated) == 1
    state = await job.state()
    assert len(state.versions) == 1
    assert [v.content for v in stubs.validated] == [(await job.version(1)).content]
    assert review.phase is Phase.VALIDATION and review.data["report"]["passed"] is True
    notes = [e.data for e in state.events if e.kind == "reviewer_note"]
    assert notes == [{"note": "Check the trigger examples."}]


async def test_rewind_refusals(harness: Harness) -> None:
    """No skill yet, the revision cap, a finished job; each maps to the API's status."""
    job = await harness.start(enable_hitl_confirm=True, max_revisions=2)
    confirm = await job.wait_prompt(HitlType.CONFIRM)

    no_content = await refusal(job.rewind("validation"))
    assert no_content.type == "invalid_rewind" and "no skill yet" in no_content.message
    assert REWIND_REFUSAL_STATUS[no_content.type] == 409

    for used in (1, 2):  # the revision cap applies to rewinds too
        assert (await job.rewind("understanding")).rewinds_used == used
        confirm = await job.wait_prompt(HitlType.CONFIRM, after=confirm.prompt_id)
    over = await refusal(job.rewind("understanding"))
    assert over.type == "revision_limit" and "limit" in over.message
    assert REWIND_REFUSAL_STATUS[over.type] == 422

    # a refused rewind changes nothing: the same prompt still waits
    state = await job.state()
    assert state.revisions["rewind"] == 2
    assert [e.kind for e in state.events].count("rewound") == 2
    assert state.prompt is not None and state.prompt.prompt_id == confirm.prompt_id

    assert (await job.answer(confirm.prompt_id, wait=10)).status is JobStatus.COMPLETED
    done = await refusal(job.rewind("understanding"))
    assert done.type == "not_waiting"
    assert REWIND_REFUSAL_STATUS[done.type] == 409
