"""What a rewind does to the job's state: forget the verdict, carry the edits back.

Pure and deterministic (the workflow runs it); the workflow records the event and replies
to the rewind update.
"""

from __future__ import annotations

from workflows.models import JobState, Phase, RewindRequest, UnderstandInput
from workflows.reviewer_edits import merge_rewind_edits, rewound_plan


def rewind_state(state: JobState, understand: UnderstandInput,
                 request: RewindRequest) -> Phase:
    """Go back to `request.to`: the validation no longer holds; the edits reach the phase that
    runs next (the understanding request, or the plan the generation starts from)."""
    edits = request.edits
    to = Phase(request.to)
    state.validation = None  # and with it the derived passed, status and score
    merge_rewind_edits(state.plan_edits, edits.model_dump(exclude_none=True))
    if to is Phase.UNDERSTANDING:
        understand.skill_name = edits.skill_name or understand.skill_name
        understand.description = edits.description or understand.description
        if edits.feedback:
            understand.feedback.append(edits.feedback)
    elif to is Phase.GENERATION and state.understanding is not None:
        state.understanding = rewound_plan(state.understanding, edits)
    return to
