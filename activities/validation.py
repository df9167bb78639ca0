"""The Validation activity: the shared validator, run on the skill held in memory."""

from __future__ import annotations

from temporalio import activity

from skill_format import validate_content
from skill_format.models import ValidationReport
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
