"""Webhook delivery from inside the workflow: an ordered queue per receiver, one activity at a time.

Delivery is at least once (the activity retries with backoff) and never blocks or
fails the job: an event that cannot be delivered is recorded and dropped. Receivers are
independent: a dead job receiver does not delay the operator's. A receiver the worker's
policy refuses gets nothing more from this job (refusing each event would only fill the
job with failures).

Replay safety: a job started before there were two receivers (no `operator_webhook` in its
input, or no `operator-webhook-receiver` patch in its history) has at most one and runs
exactly the loop it ran then, in the same task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import names
    from workflows.models import JobEvent, JobInput, JobState, WebhookInput, WebhookTarget

WEBHOOK_OPTIONS = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=10),
        maximum_attempts=5,
    ),
}
# Events about delivery itself are not delivered, or a dead receiver would loop.
NOT_DELIVERED = frozenset({"webhook_failed"})
# The ApplicationError type of a delivery the worker's policy forbids
# (activities.webhook_policy.REFUSED_TYPE; not imported: workflow code stays HTTP-free).
REFUSED_TYPE = "WebhookRefused"
SUMMARY = {"operator": "Operator webhook", "job": "Webhook"}

# Events also go to the operator's receiver, named in the job, resolved by the worker.
PATCH_OPERATOR_WEBHOOK = "operator-webhook-receiver"

MakeInput = Callable[[WebhookTarget, JobEvent], WebhookInput]
OnFailure = Callable[[WebhookTarget, JobEvent, str], None]


class WebhookOutbox:
    def __init__(self, targets: Sequence[WebhookTarget], make_input: MakeInput,
                 on_failure: OnFailure) -> None:
        self._queues: dict[WebhookTarget, list[JobEvent]] = {t: [] for t in targets}
        self._make_input = make_input
        self._on_failure = on_failure
        self._closing = False

    def push(self, event: JobEvent) -> None:
        if event.kind not in NOT_DELIVERED:
            for queue in self._queues.values():
                queue.append(event)

    async def run(self) -> None:
        """Deliver to every receiver, each in order, until closed and empty."""
        targets = list(self._queues)
        if len(targets) > 1:
            await asyncio.gather(*(self._drain(t) for t in targets))
        else:
            await self._drain(targets[0] if targets else None)

    async def _drain(self, target: WebhookTarget | None) -> None:
        pending = self._queues[target] if target else []
        while True:
            await workflow.wait_condition(lambda: bool(pending) or self._closing)
            if not pending or target is None:
                return
            event = pending.pop(0)
            try:
                await workflow.execute_activity(
                    names.ACTIVITY_DELIVER_WEBHOOK, self._make_input(target, event),
                    summary=f"{SUMMARY[target]}: {event.kind}", **WEBHOOK_OPTIONS,
                )
            except ActivityError as err:
                cause = err.cause
                refused = isinstance(cause, ApplicationError) and cause.type == REFUSED_TYPE
                message = cause.message if isinstance(cause, ApplicationError) else None
                self._on_failure(target, event, message or str(cause or err))
                if refused:
                    del self._queues[target]
                    return

    def close(self) -> None:
        self._closing = True


def webhook_targets(job: JobInput) -> list[WebhookTarget]:
    """The operator's receiver if the deployment has one, and the job's own if it set one.

    Jobs started before `operator_webhook` existed carry at most a URL: one receiver, as
    then. The patch covers a job the new API started on a worker that did not know the
    operator's receiver yet: replayed on a new worker, it keeps the one receiver it had.
    """
    operator = job.operator_webhook and workflow.patched(PATCH_OPERATOR_WEBHOOK)
    targets: list[WebhookTarget] = ["operator"] if operator else []
    return [*targets, "job"] if job.webhook_url else targets


def webhook_input(state: JobState, target: WebhookTarget, event: JobEvent) -> WebhookInput:
    """One delivery, with the job's status and phase when it is sent.

    The operator's receiver is named, not addressed: the worker knows its URL.
    """
    url = (state.options.webhook_url or "") if target == "job" else ""
    return WebhookInput(target=target, url=url, job_id=state.job_id, user_id=state.user_id,
                        status=state.status, phase=state.current_phase, event=event)
