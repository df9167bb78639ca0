"""Which HTTP status each workflow refusal becomes (its `ApplicationError.type`).

The workflow names the refusal (`workflows.hitl.Refusal`); the API only maps the name. An
unknown name is a 409.
"""

from __future__ import annotations

PROMOTE_REFUSAL_STATUS = {
    "not_completed": 400,
    "no_draft": 400,
    "validation_failed": 400,
    "promotion_in_progress": 409,
    "TargetExists": 409,
    "NameTaken": 409,
    "NotOwner": 403,
    "UnsafePath": 422,
}
REWIND_REFUSAL_STATUS = {
    "not_waiting": 409,
    "invalid_rewind": 409,
    "revision_limit": 422,
}
REFUSAL_STATUS = {
    "nothing_pending": 409,
    "stale_prompt": 409,
    "invalid_answer": 422,
    "revision_limit": 422,
}
