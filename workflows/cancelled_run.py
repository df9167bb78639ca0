"""A cancelled job's run ends as Canceled in Temporal, not Completed (issue 15).

An operator filtering the Web UI or `temporal workflow list` on `ExecutionStatus="Canceled"`
finds every cancelled job: by `POST /jobs/{id}/cancel`, by a cancel answer at a checkpoint,
or by a deadline whose policy is cancel. The job's own view (status `cancelled`, the memo,
the webhooks, the removed draft) is complete before the run ends; only the close differs.

The SDK closes a run as Canceled only when the run raises a cancellation after the server
delivered a cancel request (`workflow.cancellation_reason()` is set); the same error without
a request fails the run instead. The API's cancel is such a request. For a job that cancels
itself, the `cancel_run` activity sends one (`activities.run_cancel`): the server refuses a
workflow's cancel request aimed at its own id.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import names
    from workflows.models import JobState, JobStatus

# Jobs that started before this change close as Completed: their histories show no marker.
PATCH_CANCELED_RUN = "cancelled-job-run-ends-canceled"

CANCEL_RUN_OPTIONS = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=500),
                                maximum_interval=timedelta(seconds=10), maximum_attempts=10),
    # The cancel request usually reaches the run before the activity reports back: the
    # activity still finishes (it is one RPC), so it never reports to a closed run.
    "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
}


async def end_if_cancelled(state: JobState) -> None:
    """For a cancelled job, end the run as Canceled (this raises); otherwise return.

    Called last, once the view is published, the webhooks delivered and every handler has
    replied. Returns for a cancelled job too if no cancel request could be made, so the run
    completes as it did before.
    """
    if state.status is not JobStatus.CANCELLED or not workflow.patched(PATCH_CANCELED_RUN):
        return
    if workflow.cancellation_reason() is None:
        try:
            await workflow.execute_activity(
                names.ACTIVITY_CANCEL_RUN, state.progress_message,
                summary="Mark the run cancelled", **CANCEL_RUN_OPTIONS)
            await workflow.wait_condition(lambda: workflow.cancellation_reason() is not None)
        except asyncio.CancelledError:
            pass  # the request arrived while waiting: exactly what was asked for
        except ActivityError as err:
            if workflow.cancellation_reason() is None:
                workflow.logger.warning("The run of cancelled job %s ends as completed: %s",
                                        state.job_id, err.cause or err)
                return
    raise asyncio.CancelledError(state.progress_message)
