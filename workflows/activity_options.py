"""Timeouts and retries of the job's activities: one place for the workflow and its parts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy


def _options(start_to_close: timedelta, first_retry: timedelta, longest_retry: timedelta,
             attempts: int) -> dict[str, Any]:
    """An activity that heartbeats: a dead worker is noticed within seconds; retries back off
    (RetryPolicy's default coefficient, 2.0) from `first_retry` up to `longest_retry`."""
    return {
        "start_to_close_timeout": start_to_close,
        "heartbeat_timeout": timedelta(seconds=10),
        "retry_policy": RetryPolicy(
            initial_interval=first_retry,
            maximum_interval=longest_retry,
            maximum_attempts=attempts,
        ),
    }


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
