"""The Validation activity: the shared validator, run on the skill held in memory."""

from __future__ import annotations

from temporalio import activity

from skill_format import validate_content
from skill_format.models import SkillContent, ValidationReport
from workflows.models import ValidateInput
from workflows.names import ACTIVITY_VALIDATE


@activity.defn(name=ACTIVITY_VALIDATE)
def validate_skill(request: ValidateInput) -> ValidationReport:
    return validate_content(
        request.skill_name,
        request.content,
        example_requests=request.example_requests,
        near_misses=request.near_misses,
        pass_threshold=request.pass_threshold,
    )


# A small skill for `warm_validator`: enough for every check and the scoring to run.
_WARM_UP = SkillContent(skill_md=(
    "---\nname: warm-up\ndescription: Sorts support tickets by urgency. Use when a queue "
    "needs triage.\n---\n# Warm-up\n\n## Steps\n1. Read the ticket.\n2. Decide its "
    "urgency.\n"))


def warm_validator() -> ValidationReport:
    """Load what the validator loads on its first call (word frequencies, inflections: ~0.5 s
    of CPU) before a job needs it. Validation runs inside the workflow task that replies to
    a preview answer, so a cold first call made that reply ~0.5 s slower, and on a busy
    machine slow enough for the API's RPC timeout."""
    return validate_content("warm-up", _WARM_UP, example_requests=["triage my tickets"],
                            near_misses=["write a poem"])
