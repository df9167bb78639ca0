"""Refusals: which HTTP status each becomes, and the reason clients read for it.

The workflow names the refusal (`workflows.hitl.Refusal`, `activities/promotion.py`'s
`ApplicationError.type`); the API maps the name. An unknown name is a 409. Internal names
are snake_case; a client reads `details.reason`, which for most is the name itself, but
the promotion and request guards' reasons were published in CamelCase and stay so
(`PUBLISHED_REASON`).
"""

from __future__ import annotations

# Internal name -> the `details.reason` clients have always read for it.
PUBLISHED_REASON = {
    "target_exists": "TargetExists",
    "name_taken": "NameTaken",
    "not_owner": "NotOwner",
    "unsafe_path": "UnsafePath",
    "non_loopback_client": "NonLoopbackClient",
    "foreign_host": "ForeignHost",
    "cross_site": "CrossSite",
}
# A worker of the previous version (during a rolling deploy) still names a refusal by its
# published CamelCase reason: that name maps as the snake_case one does.
_PREVIOUS_NAME = {published: name for name, published in PUBLISHED_REASON.items()}


def published_reason(name: str) -> str:
    """What a client reads in `details.reason` for the refusal `name` (either spelling)."""
    return PUBLISHED_REASON.get(name, name)


def _with_previous_names(statuses: dict[str, int]) -> dict[str, int]:
    return {**statuses, **{old: statuses[new] for old, new in _PREVIOUS_NAME.items()
                           if new in statuses}}


PROMOTE_REFUSAL_STATUS = _with_previous_names({
    "not_completed": 400,
    "no_draft": 400,
    "validation_failed": 400,
    "promotion_in_progress": 409,
    "target_exists": 409,
    "name_taken": 409,
    "not_owner": 403,
    "unsafe_path": 422,
})
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
