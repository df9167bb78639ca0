"""Terms of a job that every layer names: what a prompt's timeout does, how ids look.

A leaf: it imports nothing from the project, so settings, the workflow, the activities,
the API and the CLI all take these from here and none of them imports another for them.
Patterns without anchors are bodies to compose; the anchored ones are for pydantic's
`Field`/`Query(pattern=...)`, which run on Rust's regex, where `$` is the end of the text.
"""

from __future__ import annotations

from enum import StrEnum


class TimeoutAction(StrEnum):
    """What a job does when a prompt's deadline passes unanswered."""

    CANCEL = "cancel"
    PROCEED = "proceed"


# A job id is the workflow id: a UUID4 in its canonical lower-case form.
JOB_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

# A user id (an API key's owner, a job's user, an inbox filter).
USER_ID = r"[A-Za-z0-9_.@-]{1,128}"
USER_ID_PATTERN = rf"^{USER_ID}$"
# Whom a prompt is assigned to: its user, or `group:<name>` once it is escalated.
ASSIGNEE_PATTERN = rf"^(group:)?{USER_ID}$"
