"""Ask Temporal to cancel the job's own run, so a job cancelled from inside ends as Canceled.

Temporal shows a run as Canceled only after a cancel request reached it; a workflow cannot
send that request to itself (the server answers ExternalWorkflowExecutionNotFound), so an
activity sends it with the worker's client: the same request as `POST /jobs/{id}/cancel`.
See `workflows.cancelled_run`.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode

from workflows.names import ACTIVITY_CANCEL_RUN


@activity.defn(name=ACTIVITY_CANCEL_RUN)
async def cancel_run(reason: str) -> None:
    """Request cancellation of the calling run; idempotent, so a retry is harmless."""
    info = activity.info()
    handle = activity.client().get_workflow_handle(info.workflow_id, run_id=info.workflow_run_id)
    try:
        await handle.cancel(reason=reason)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:  # not found: the run has closed already
            raise
