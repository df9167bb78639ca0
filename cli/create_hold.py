"""Creating a job that the CLI will follow: the server holds the reply (`?wait=`) until the
job's first prompt exists or the job ended, so the CLI learns it without polling.

The held create carries an Idempotency-Key. Ctrl-C while it is held leaves the job running
(as Ctrl-C while following does); the same create is then sent again without waiting, which
names the same job instead of starting another, so the user is told which job to attach to.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from rich.console import Console

from api.schemas import CreateJobWaitResponse
from cli.client import ApiClient
from workflows.models import MAX_ANSWER_WAIT_SECONDS

# The API's bound for `?wait=` (answers' and creates').
CREATE_WAIT_SECONDS = MAX_ANSWER_WAIT_SECONDS


def hold_for(follow: bool, *, confirm: bool, preview: bool, review: bool) -> float:
    """Seconds to hold the create: only to follow a job that stops for a human. A job with no
    checkpoint is followed on its event stream at once, progress and all."""
    return CREATE_WAIT_SECONDS if follow and (confirm or preview or review) else 0.0


def create(
    client: ApiClient, console: Console, hold: float, **fields: Any
) -> tuple[CreateJobWaitResponse, bool]:
    """The created job, and whether the user pressed Ctrl-C while its reply was held."""
    if not hold:
        return client.create_job(**fields), False
    key = uuid.uuid4().hex
    try:
        with _working(console):
            return client.create_job(**fields, wait=hold, idempotency_key=key), False
    except KeyboardInterrupt:
        return client.create_job(**fields, idempotency_key=key), True


def _working(console: Console) -> AbstractContextManager[object]:
    """A spinner while the reply is held (rich shows nothing without a terminal)."""
    if not console.is_terminal:
        return nullcontext()
    return console.status("Creating the job; waiting for its first checkpoint ...")
