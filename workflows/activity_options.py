"""Timeouts and retries of the job's activities: one place for the workflow and its parts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy


def _options(start_to_close: timedelta, first_retry: timedelta, longest_retry: timedelta,
             attempts: int, *, heartbeats: bool = True) -> dict[str, Any]:
    """An activity that heartbeats notices a dead worker within seconds (a local activity has
    no heartbeat); retries back off (RetryPolicy's default coefficient, 2.0) from
    `first_retry` up to `longest_retry`."""
    options: dict[str, Any] = {
        "start_to_close_timeout": start_to_close,
        "retry_policy": RetryPolicy(
            initial_interval=first_retry,
            maximum_interval=longest_retry,
            maximum_attempts=attempts,
        ),
    }
    if heartbeats:
        options["heartbeat_timeout"] = timedelta(seconds=10)
    return options


# Authoring is one model call: allow minutes, back off on retry.
AUTHOR_OPTIONS: dict[str, Any] = _options(
    timedelta(minutes=5), timedelta(seconds=1), timedelta(seconds=30), attempts=4)
FILE_OPTIONS: dict[str, Any] = {
    **_options(timedelta(seconds=60), timedelta(milliseconds=500), timedelta(seconds=10),
               attempts=10),
    # A cancelled save must have stopped writing before the draft is removed.
    "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}
# One refinement round is one model call: a retry repeats only the round it was in.
REFINE_OPTIONS: dict[str, Any] = _options(
    timedelta(minutes=5), timedelta(seconds=1), timedelta(seconds=30), attempts=3)
# The judge is optional: it never fails a job (its activity reports its own failure), so
# its retries only cover a worker lost mid-call.
JUDGE_OPTIONS: dict[str, Any] = _options(
    timedelta(minutes=5), timedelta(seconds=1), timedelta(seconds=10), attempts=3)
# Validating and saving a draft: short, CPU or local files, run as local activities in a
# lean job (`workflows.lean_history`), so they share the workflow task of the step before.
# No heartbeat (a local activity has none); a cancelled save stops writing first.
LOCAL_OPTIONS: dict[str, Any] = _options(
    timedelta(seconds=60), timedelta(milliseconds=500), timedelta(seconds=10), attempts=10,
    heartbeats=False)
LOCAL_FILE_OPTIONS: dict[str, Any] = {
    **LOCAL_OPTIONS,
    "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}
