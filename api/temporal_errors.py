"""Which HTTP answer a failed Temporal call becomes, with a message saying what is wrong.

A 503 means "retry later" and must say why: Temporal unreachable, too slow, its namespace
misconfigured (an operator runs `skill-fleet setup`), or no worker polling. Temporal
refusing the API itself (permissions, authentication, an unsupported call) is a
configuration error, not an outage: 500, logged, and never reported as "not reachable".
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError

log = logging.getLogger("skill_fleet.api")

TIMED_OUT = frozenset({RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED})
# The server's own transient failures: worth a retry.
TRANSIENT = frozenset({RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.ABORTED,
                       RPCStatusCode.INTERNAL, RPCStatusCode.UNKNOWN})
# A worker long-polls for up to a minute; one not seen for longer has stopped.
POLLER_SEEN_WITHIN_SECONDS = 90.0


def namespace_problem(err: RPCError) -> bool:
    """"invalid search attribute: X", "no mapping defined for search attribute X",
    "Namespace X is not found": the namespace, not the request, is wrong."""
    text = err.message.lower()
    if err.status == RPCStatusCode.INVALID_ARGUMENT:
        return "search attribute" in text
    return err.status == RPCStatusCode.NOT_FOUND and "namespace" in text


def job_missing(err: RPCError) -> bool:
    """NOT_FOUND about the job itself: a missing namespace answers NOT_FOUND as well, and
    must read as the misconfiguration it is, not as every job's 404."""
    return err.status == RPCStatusCode.NOT_FOUND and not namespace_problem(err)


def temporal_error(err: RPCError) -> ApiError:
    """The ApiError for an RPC failure the calling method has no better answer for."""
    status = err.status
    if status == RPCStatusCode.UNAVAILABLE:
        return ApiError(503, f"Temporal is not reachable: {err}")
    if status in TIMED_OUT:
        return ApiError(503, f"Temporal did not answer in time: {err}")
    if namespace_problem(err):
        log.error("Temporal namespace misconfigured: %s (run `skill-fleet setup`)", err)
        return ApiError(503, f"Temporal namespace misconfigured: {err}. An operator must fix "
                             "the namespace (`skill-fleet setup`).")
    name = status.name if status is not None else "UNKNOWN"
    if status in TRANSIENT:
        return ApiError(503, f"Temporal failed the request ({name}); retry: {err}")
    log.error("Temporal refused the request (%s): %s", name, err)
    return ApiError(500, f"Temporal refused the request ({name}): {err}. This is a "
                         "configuration problem of the API's connection; see its log.")


async def worker_timeout(client: Client, namespace: str, task_queue: str,
                         err: RPCError) -> ApiError:
    """A call only a worker answers (a query) timed out: is any worker polling at all?"""
    if err.status not in TIMED_OUT:
        return temporal_error(err)
    try:
        queue = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=namespace, task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            timeout=timedelta(seconds=2))
    except Exception:  # a diagnosis only: keep the plain answer
        return temporal_error(err)
    now = time.time()
    if not any(now - p.last_access_time.ToSeconds() < POLLER_SEEN_WITHIN_SECONDS
               for p in queue.pollers):
        return ApiError(503, f"No worker is polling task queue {task_queue!r}: start one "
                             "(`skill-fleet worker`); the job waits meanwhile.")
    return ApiError(503, f"The worker did not answer in time; retry: {err}")
