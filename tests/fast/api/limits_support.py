"""Helpers of the limits tests: an injectable clock, installed limits, a gateway that holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from api.limits import UserLimits
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api
from workflows.models import HitlAck, HitlResponse


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def install_limits(api: Api, clock: FakeClock | None = None, **settings: Any) -> UserLimits:
    """The app's limits from its settings with `settings` changed, on `clock`."""
    limits = UserLimits(api.settings.model_copy(update=settings), clock or FakeClock())
    api.app.state.limits = limits
    return limits


@dataclass
class HoldingGateway(FakeGateway):
    """Streams stay open (the job waits, nothing new happens) until `follow_error` is set;
    answers wait until their `response_id` is released, then succeed or raise `answer_error`."""

    follow_error: BaseException | None = None
    answer_error: BaseException | None = None
    _released: dict[str, asyncio.Event] = field(default_factory=dict)
    _follow_wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    async def follow(self, job_id: str) -> AsyncIterator[int]:
        self._record("follow", job_id=job_id)
        await self._follow_wakeup.wait()
        if self.follow_error is not None:
            raise self.follow_error
        return
        yield

    def break_streams(self, error: BaseException) -> None:
        self.follow_error = error
        self._follow_wakeup.set()

    def _gate(self, response_id: str) -> asyncio.Event:
        return self._released.setdefault(response_id, asyncio.Event())

    def release(self, response_id: str) -> None:
        self._gate(response_id).set()

    async def answer(
        self, job_id: str, response: HitlResponse, owner: str | None = None
    ) -> HitlAck:
        await self._gate(response.response_id or "").wait()
        if self.answer_error is not None:
            raise self.answer_error
        return await super().answer(job_id, response, owner)
