"""The draft activities alone, in Temporal's `ActivityEnvironment`: a path that would leave the
skills root is refused with the same `unsafe_path` type as a promotion's, never retried."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.drafts import DraftActivities
from skill_format.models import SkillContent
from workflows.activity_models import DeleteDraftInput, SaveDraftInput

CONTENT = SkillContent(skill_md="---\nname: demo-skill\n---\n# Demo\n")


def _refused(call: object, request: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        ActivityEnvironment().run(call, request)  # type: ignore[arg-type]
    return err.value


@pytest.mark.parametrize("taxonomy_path", ["../outside", "data/../../outside", "/etc/demo"])
def test_save_refuses_a_path_outside_the_root(tmp_path: Path, taxonomy_path: str) -> None:
    activities = DraftActivities(tmp_path)
    request = SaveDraftInput(job_id=str(uuid.uuid4()), taxonomy_path=taxonomy_path,
                             content=CONTENT)
    error = _refused(activities.save_draft, request)
    assert (error.type, error.non_retryable) == ("unsafe_path", True)
    assert list(tmp_path.iterdir()) == []


def test_delete_refuses_a_job_id_that_is_a_path(tmp_path: Path) -> None:
    (tmp_path / "keep").mkdir()
    error = _refused(DraftActivities(tmp_path).delete_draft, DeleteDraftInput(job_id="../keep"))
    assert (error.type, error.non_retryable) == ("unsafe_path", True)
    assert (tmp_path / "keep").is_dir()


def test_save_then_delete_a_draft(tmp_path: Path) -> None:
    activities, job_id = DraftActivities(tmp_path), str(uuid.uuid4())
    saved = ActivityEnvironment().run(activities.save_draft, SaveDraftInput(
        job_id=job_id, taxonomy_path="data/demo-skill", content=CONTENT))
    assert (tmp_path / saved.draft_path / "SKILL.md").read_text() == CONTENT.skill_md
    ActivityEnvironment().run(activities.delete_draft, DeleteDraftInput(job_id=job_id))
    assert not (tmp_path / saved.draft_path).exists()
