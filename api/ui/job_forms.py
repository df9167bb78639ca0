"""The promote and rewind forms of the job page, drawn from the API's request models.

Promote is `PromoteBody` (overwrite, delete_draft, force), rewind is `RewindRequest` (the
phase to go back to, with edits); both come from `api/ui/model_form.py`, so a new option
of either route shows up here. Which form a job offers follows its state as the page
sees it (a completed, unpromoted job; a job waiting at a checkpoint); whether the action
is allowed is the API's decision, and its refusal is shown next to the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.auth import Caller
from api.schemas import PromoteBody
from api.ui.model_form import model_form
from api.ui.schema_form import AnswerForm, Choice
from workflows.models import JobStatus, JobView, RewindRequest

PROMOTE_HINTS: dict[str, dict[str, Any]] = {
    "overwrite": {"label": "Replace the skill already at that place, if any (yours; "
                           "anyone's as an admin); the old one is kept as a version"},
    "delete_draft": {"label": "Delete the draft once promoted"},
    "force": {"label": "Promote even though validation failed (admins only)"},
}
REWIND_HINTS: dict[str, dict[str, Any]] = {
    "to": {"label": "Go back to", "choices": [
        Choice("understanding", "Understanding", "plan the skill again, with your edits"),
        Choice("generation", "Generation", "write it again from the plan, with your edits"),
        Choice("validation", "Validation", "validate the current version again")]},
    "edits": {"label": "Edits (optional)"},
    "edits.skill_name": {"label": "Skill name", "help": "kebab-case, e.g. triage-flaky-tests"},
    "edits.description": {"label": "Description", "multiline": True},
    "edits.outline": {"label": "Outline: the planned sections"},
    "edits.feedback": {"label": "Note for the author: what to do differently"},
}


@dataclass
class JobActions:
    """What the job page offers besides the prompt's form, with refusals to show."""

    promote: AnswerForm | None = None
    rewind: AnswerForm | None = None
    promote_error: str | None = None
    rewind_error: str | None = None


def promote_form(caller: Caller | None) -> AnswerForm:
    """`force` is for admins (the route refuses it to others); users are not offered it."""
    admin = caller is None or caller.is_admin
    return model_form(PromoteBody, hints=PROMOTE_HINTS, leave_out=() if admin else ("force",))


def rewind_form() -> AnswerForm:
    return model_form(RewindRequest, hints=REWIND_HINTS)


def can_promote(view: JobView) -> bool:
    return view.status is JobStatus.COMPLETED and not view.promoted and bool(view.draft_path)


def can_rewind(view: JobView) -> bool:
    return view.prompt is not None and not view.status.is_terminal


def job_actions(view: JobView, caller: Caller | None) -> JobActions:
    return JobActions(promote=promote_form(caller) if can_promote(view) else None,
                      rewind=rewind_form() if can_rewind(view) else None)
