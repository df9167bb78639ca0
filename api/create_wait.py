"""`POST /skills/create?wait=S`: hold the reply until the new job's first prompt exists or
the job ends, so a client learns both from one request instead of polling for them.

Answers' `?wait` is held by the workflow (its update returns late); a create has no update
to hold, so the API waits itself. It follows the run's history (a long-poll, as the event
stream does: nothing is read while the job works) and reads the job's view each time the
workflow publishes it. A change between the start and the first long-poll is not missed:
the first page of the history is all of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Protocol

from fastapi import Query

from api.errors import ApiError
from workflows.models import MAX_ANSWER_WAIT_SECONDS, JobView

log = logging.getLogger(__name__)
# The same bound as answers' `?wait` (and the same per-user wait slots, `api.limits`).
MAX_CREATE_WAIT_SECONDS = MAX_ANSWER_WAIT_SECONDS


def wait_query(until: str, otherwise: str) -> Any:
    """The `?wait=` seconds of a create or an answer, with the same bound; the description
    says what the reply waits `until` and when it goes at once (`otherwise`)."""
    return Query(ge=0, le=MAX_ANSWER_WAIT_SECONDS,
                 description=f"Hold the reply up to this many seconds until {until}; 0 replies "
                             f"as soon as {otherwise}.")


class ViewFollower(Protocol):
    """What the hold needs of the gateway."""

    async def view(self, job_id: str, owner: str | None = None) -> JobView: ...

    def follow(self, job_id: str) -> AsyncIterator[int]: ...


def settled(view: JobView | None) -> bool:
    """The reply may go: a prompt waits for a human or the job has ended."""
    return view is not None and (view.prompt is not None or view.status.is_terminal)


async def hold_until_prompt(
    gateway: ViewFollower,
    job_id: str,
    owner: str | None,
    seconds: float,
    known: JobView | None = None,
) -> JobView | None:
    """The job's view once it shows a prompt or has ended, else when `seconds` pass.

    `known` is the view the create already read (an idempotent retry); None for a job
    just started, whose view is known to be pending without a read. Returns None only
    when nothing was read before the time ran out (the job is still pending).
    A failing read after the job started does not fail the create: the job exists, and
    a retry without the job id would start another one; the reply then says what is known.
    """
    view = known
    if settled(view):
        return view
    try:
        async with asyncio.timeout(seconds):
            async with aclosing(gateway.follow(job_id)) as changes:
                async for _ in changes:
                    view = await gateway.view(job_id, owner)
                    if settled(view):
                        return view
            # The run closed: its final status comes with one more read.
            view = await gateway.view(job_id, owner)
    except TimeoutError:
        pass
    except ApiError as err:
        if err.status_code < 500:
            raise
        log.warning(
            "create ?wait: could not follow job %s: %s", job_id, err.error, extra={"job_id": job_id}
        )
    return view
