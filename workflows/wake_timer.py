"""One pending timer for all of a job's deadlines (issue 27): a prompt costs no timer of its own.

A prompt used to wait with `wait_condition(timeout=...)`: a TIMER_STARTED, and a
TIMER_CANCELED when the answer came, 2 events per prompt. Like the `UpdatableTimer` of
temporalio/samples-python, but without cancelling: a wait whose time is later than a pending
timer's waits for that timer and, once it fired, starts one for the rest; a wait that needs an
earlier wake-up than every pending timer (a reminder, an escalation, a shorter timeout, the
promotion window) starts a timer for its own time. A timer never decides anything by firing:
each wake-up compares the clock with the time of the wait now running, so a timer started for
an older prompt cannot time out a newer one. The job's last wait (the promotion window, up to
30 days) replaces the pending timers instead (`replace=True`): a prompt's 24-hour timer would
otherwise wake the job in the middle of the window (a fired timer and a workflow task, 4
events and a replay) only to be started again; cancelling it costs 1 event. Jobs of a
history format with it only (`workflows.lean_history.by_input`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow


class WakeUpTimer:
    """The job's timers that have not fired yet (each with its time), and how many ended."""

    def __init__(self) -> None:
        self._pending: dict[asyncio.Task[None], datetime] = {}
        self._ended = 0

    async def wait(self, done: Callable[[], bool], until: datetime, summary: str, *,
                   replace: bool = False) -> bool:
        """True once `done()` holds; False once `until` passed first. `replace`: cancel the
        pending timers first (no wait after this one needs them)."""
        if replace:
            for task in list(self._pending):
                task.cancel()
                del self._pending[task]
        while not done():
            now = workflow.now()
            if now >= until:
                return False
            if not any(at <= until for at in self._pending.values()):
                self._start(until - now, summary)
            await self._next_end_or(done)
        return True

    async def _next_end_or(self, done: Callable[[], bool]) -> None:
        ended = self._ended
        await workflow.wait_condition(lambda: done() or self._ended != ended)

    def _start(self, delay: timedelta, summary: str) -> None:
        task = asyncio.create_task(workflow.sleep(delay, summary=summary))
        self._pending[task] = workflow.now() + delay
        task.add_done_callback(self._end)

    def _end(self, task: asyncio.Task[None]) -> None:
        """A timer fired (or was cancelled): the waits look at the clock again."""
        self._pending.pop(task, None)
        self._ended += 1
