"""A failed validation: refined automatically once, then a human decides.

The validator is a stub with scripted verdicts, so the test controls exactly when
validation fails and can read what the author was asked to fix.
"""

from __future__ import annotations

from pathlib import Path

from tests.fast.workflow.jobs import StartHarness
from tests.fast.workflow.stubs import FINDING, ScriptedActivities
from workflows.models import HitlType, JobStatus, Phase

AUTO_FEEDBACK = f"Fix these validation findings: {FINDING}"


async def test_a_failed_validation_is_refined_once_then_reviewed(
    start_harness: StartHarness, skills_root: Path
) -> None:
    stubs = ScriptedActivities(skills_root, verdicts=[False])
    harness = await start_harness(stubs.all())
    job = await harness.start()  # no checkpoint asked for: a failure stops anyway
    review = await job.wait_prompt(HitlType.VALIDATE)

    assert review.phase is Phase.VALIDATION and review.data["report"]["passed"] is False
    assert (await job.state()).status is JobStatus.PENDING_REVIEW
    # one automatic refinement, fed the validator's findings and the first version
    assert [g.feedback for g in stubs.generated] == [None, AUTO_FEEDBACK]
    assert stubs.generated[1].previous == (await job.version(1)).content
    assert len(stubs.validated) == 2

    ack = await job.answer(review.prompt_id, wait=10)  # accept it as it is
    assert ack.status is JobStatus.COMPLETED
    done = await job.state()
    assert done.validation_passed is False and done.result is not None
    assert done.result["validation_passed"] is False
    assert done.draft_path is not None
    on_disk = (harness.skills_root / done.draft_path / "SKILL.md").read_text()
    assert on_disk == (await job.version(len(done.versions))).content.skill_md
    assert AUTO_FEEDBACK in on_disk


async def test_revise_at_review_writes_a_new_version_and_validates_it(
    start_harness: StartHarness, skills_root: Path
) -> None:
    stubs = ScriptedActivities(skills_root, verdicts=[False, False, True])
    harness = await start_harness(stubs.all())
    job = await harness.start()
    review = await job.wait_prompt(HitlType.VALIDATE)

    ack = await job.answer(review.prompt_id, "revise", wait=10, feedback="Add a worked example.")
    # the third version passed, and a passed validation needs no human here
    assert ack.status is JobStatus.COMPLETED
    assert [g.feedback for g in stubs.generated] == [None, AUTO_FEEDBACK,
                                                     "Add a worked example."]
    done = await job.state()
    assert done.validation_passed is True and len(done.versions) == 3
    assert done.revisions == {"validate": 1}
