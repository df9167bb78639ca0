"""Timeouts and retries of the job's activities: one place for the workflow and its parts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy


def _model_call_options(maximum_attempts: int) -> dict[str, Any]:
    """A model call: allow minutes, notice a dead worker within seconds, back off on retry."""
    return {
        "start_to_close_timeout": timedelta(minutes=5),
        "heartbeat_timeout": timedelta(seconds=10),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=30),
            maximum_attempts=maximum_attempts,
        ),
    }


# Authoring is one model call.
AUTHOR_OPTIONS: dict[str, Any] = _model_call_options(maximum_attempts=4)
FILE_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=60),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        maximum_interval=timedelta(seconds=10),
        maximum_attempts=10,
    ),
    # A cancelled save must have stopped writing before the draft is removed.
    "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}
# One refinement round is one model call: a retry repeats only the round it was in.
REFINE_OPTIONS: dict[str, Any] = _model_call_options(maximum_attempts=3)
# The judge is optional: it never fails a job (its activity reports its own failure), so
# its retries only cover a worker lost mid-call.
JUDGE_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=5),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        maximum_interval=timedelta(seconds=10),
        maximum_attempts=3,
    ),
}
