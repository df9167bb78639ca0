"""Caps on open event streams and on answers held with `?wait=`, per user (api/limits.py).

A slot is taken before the work starts and given back however it ends: the stream ends,
the client goes away, the gateway fails. Streams are held open through the ASGI app
(tests/fast/asgi_stream.py: httpx's ASGI transport would buffer a stream to its end).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from api.errors import ApiError
from api.limits import UserLimits
from tests.fast.api.checks import error_body
from tests.fast.api.harness import ADMIN, ALICE, BOB, Api, bearer
from tests.fast.api.limits_support import HoldingGateway, install_limits
from tests.fast.api.samples import API, job_view, new_job_id
from tests.fast.asgi_stream import OpenStream, open_stream
from workflows.models import JobStatus


@pytest.fixture
def holding(keyed_app: Api) -> Iterator[HoldingGateway]:
    gateway = HoldingGateway()
    keyed_app.use_fake(gateway)
    yield gateway


async def _eventually(condition: object, what: str) -> None:
    """Let the loop run until `condition()` holds (bounded by iterations, not time)."""
    for _ in range(2000):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never happened: {what}")


async def _streams(api: Api, key: str, n: int) -> list[OpenStream]:
    return [await open_stream(api.app, f"{API}/jobs/{new_job_id()}/events", bearer(key))
            for _ in range(n)]


async def test_the_ninth_stream_is_refused_until_one_closes(
    keyed_app: Api, holding: HoldingGateway
) -> None:
    limits = install_limits(keyed_app, max_event_streams_per_user=8)
    streams = await _streams(keyed_app, ALICE, 8)
    assert [s.status for s in streams] == [200] * 8
    assert limits.streams.in_use("alice") == 8
    ninth = await keyed_app.http.get(f"{API}/jobs/{new_job_id()}/events", headers=bearer(ALICE))
    body = error_body(ninth, 429)
    assert "already has 8 open event streams" in body["error"]
    assert "SKILL_FLEET_MAX_EVENT_STREAMS_PER_USER" in body["error"]
    # another user, and the JSON page of events, are not held by alice's streams
    [bobs] = await _streams(keyed_app, BOB, 1)
    assert bobs.status == 200
    page = await keyed_app.http.get(
        f"{API}/jobs/{new_job_id()}/events?format=json", headers=bearer(ALICE)
    )
    assert page.status_code == 200
    await streams[0].close()  # the client goes away
    assert limits.streams.in_use("alice") == 7
    [again] = await _streams(keyed_app, ALICE, 1)
    assert again.status == 200
    for s in [*streams[1:], again, bobs]:
        await s.close()
    assert limits.streams.in_use("alice") == limits.streams.in_use("bob") == 0


async def test_a_stream_that_fails_or_ends_gives_its_slot_back(
    keyed_app: Api, holding: HoldingGateway
) -> None:
    limits = install_limits(keyed_app, max_event_streams_per_user=2)
    # refused before streaming (an unknown job): no slot kept
    holding.fail["view"] = ApiError(404, "Job not found.")
    r = await keyed_app.http.get(f"{API}/jobs/{new_job_id()}/events", headers=bearer(ALICE))
    error_body(r, 404)
    assert limits.streams.in_use("alice") == 0
    del holding.fail["view"]
    streams = await _streams(keyed_app, ALICE, 2)
    assert limits.streams.in_use("alice") == 2
    # the gateway fails under both open streams: they end, their slots come back
    holding.break_streams(RuntimeError("the history long-poll broke"))
    for s in streams:
        await asyncio.wait_for(asyncio.gather(s.task, return_exceptions=True), 5)
    assert limits.streams.in_use("alice") == 0
    # a stream of a job that has ended runs to its end by itself
    holding.view_result = job_view(status=JobStatus.COMPLETED)
    [ended] = await _streams(keyed_app, ALICE, 1)
    await asyncio.wait_for(ended.task, 5)
    assert limits.streams.in_use("alice") == 0


async def _answer(api: Api, key: str, response_id: str, wait: float = 30) -> httpx.Response:
    return await api.http.post(
        f"{API}/hitl/{new_job_id()}/response",
        params={"wait": wait},
        headers=bearer(key),
        json={"prompt_id": 1, "action": "proceed", "response_id": response_id},
    )


async def _hold_waits(
    api: Api, limits: UserLimits, key: str, user: str, ids: list[str]
) -> list[asyncio.Task[httpx.Response]]:
    tasks = [asyncio.create_task(_answer(api, key, i)) for i in ids]
    await _eventually(lambda: limits.waits.in_use(user) == len(ids), f"{len(ids)} waits")
    return tasks


async def test_waits_past_the_cap_are_refused_until_one_ends(
    keyed_app: Api, holding: HoldingGateway
) -> None:
    limits = install_limits(keyed_app, max_waits_per_user=16)
    ids = [f"r-{i}" for i in range(16)]
    held = await _hold_waits(keyed_app, limits, ALICE, "alice", ids)
    body = error_body(await _answer(keyed_app, ALICE, "r-16"), 429)
    assert "already has 16 replies held with ?wait" in body["error"]
    assert "SKILL_FLEET_MAX_WAITS_PER_USER" in body["error"]
    # an answer that does not wait, and another user's, are not capped by alice's
    holding.release("now")
    holding.release("bobs")
    assert (await _answer(keyed_app, ALICE, "now", wait=0)).status_code == 200
    assert (await _answer(keyed_app, BOB, "bobs")).status_code == 200
    holding.release("r-0")
    assert (await held[0]).status_code == 200
    assert limits.waits.in_use("alice") == 15
    holding.release("r-16")
    assert (await _answer(keyed_app, ALICE, "r-16")).status_code == 200
    for i in ids:
        holding.release(i)
    assert [r.status_code for r in await asyncio.gather(*held)] == [200] * 16
    assert limits.waits.in_use("alice") == 0


async def test_a_failed_wait_gives_its_slot_back(keyed_app: Api, holding: HoldingGateway) -> None:
    limits = install_limits(keyed_app, max_waits_per_user=1)
    [held] = await _hold_waits(keyed_app, limits, ADMIN, "root", ["a"])
    error_body(await _answer(keyed_app, ADMIN, "b"), 429)  # admins have the same cap
    holding.answer_error = ApiError(409, "The job has already finished.")
    holding.release("a")
    error_body(await held, 409)
    assert limits.waits.in_use("root") == 0
    holding.answer_error = None
    holding.release("c")
    assert (await _answer(keyed_app, ADMIN, "c")).status_code == 200
