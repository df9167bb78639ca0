"""Webhook delivery from inside the workflow: an ordered outbox drained by one activity at a time.

Delivery is at least once (the activity retries with backoff) and never blocks or
fails the job: an event that cannot be delivered is recorded and dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import names
    from workflows.models import JobEvent, WebhookInput

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


class WebhookOutbox:
    def __init__(self, url: str | None, make_input: Callable[[JobEvent], WebhookInput],
                 on_failure: Callable[[JobEvent, str], None]) -> None:
        self._url = url
        self._make_input = make_input
        self._on_failure = on_failure
        self._pending: list[JobEvent] = []
        self._closing = False

    def push(self, event: JobEvent) -> None:
        if self._url and event.kind not in NOT_DELIVERED:
            self._pending.append(event)

    async def run(self) -> None:
        """Deliver in order until closed and empty."""
        while True:
            await workflow.wait_condition(lambda: bool(self._pending) or self._closing)
            if not self._pending:
                return
            event = self._pending.pop(0)
            try:
                await workflow.execute_activity(
                    names.ACTIVITY_DELIVER_WEBHOOK, self._make_input(event),
                    summary=f"Webhook: {event.kind}", **WEBHOOK_OPTIONS,
                )
            except ActivityError as err:
                self._on_failure(event, str(err.cause or err))

    def close(self) -> None:
        self._closing = True
