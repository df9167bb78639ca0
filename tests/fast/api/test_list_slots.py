"""Visibility lists take turns per API process (`api.job_reads.ListSlots`).

Under many clients listing at once, every list shared the server until each ran into its
RPC deadline (docs/performance.md). With a bound, a list waits for its turn; one that waits
longer than the RPC timeout is a 503 at once, and never reaches Temporal.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from api.errors import ApiError
from api.job_reads import ListSlots
from common.settings import Settings
from tests.fast.api.checks import error_body
from tests.fast.api.harness import Api, make_settings
from tests.fast.api.samples import API
from tests.fast.api.temporal_stub import StubTemporal


@pytest.fixture(scope="module")
def settings(skills_root: Path) -> Settings:
    return make_settings(skills_root, max_concurrent_lists=1, rpc_timeout_seconds=0.3)


async def test_a_second_list_waits_for_the_first() -> None:
    slots, order = ListSlots(1, wait_seconds=5), []

    async def listing(name: str, hold: asyncio.Event) -> None:
        async with slots.held():
            order.append(f"{name} in")
            await hold.wait()
            order.append(f"{name} out")

    first_done, second_done = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(listing("first", first_done))
    await asyncio.sleep(0)
    second = asyncio.create_task(listing("second", second_done))
    await asyncio.sleep(0.05)
    assert order == ["first in"]  # the second waits for the slot
    first_done.set()
    second_done.set()
    await asyncio.gather(first, second)
    assert order == ["first in", "first out", "second in", "second out"]


async def test_no_bound_lets_every_list_run() -> None:
    slots, inside = ListSlots(0, wait_seconds=0.01), []
    hold = asyncio.Event()

    async def listing() -> None:
        async with slots.held():
            inside.append(1)
            await hold.wait()

    tasks = [asyncio.create_task(listing()) for _ in range(20)]
    await asyncio.sleep(0.05)
    assert len(inside) == 20
    hold.set()
    await asyncio.gather(*tasks)


async def test_waiting_too_long_is_503_without_a_call() -> None:
    slots, hold = ListSlots(1, wait_seconds=0.05), asyncio.Event()

    async def first() -> None:
        async with slots.held():
            await hold.wait()

    task = asyncio.create_task(first())
    await asyncio.sleep(0)
    with pytest.raises(ApiError) as err:
        async with slots.held():
            raise AssertionError("a list without a slot ran")
    assert (err.value.status_code, err.value.details) == (503, {"reason": "ListsBusy"})
    hold.set()
    await task
    async with slots.held():  # the slot is free again
        pass


@pytest.mark.parametrize("path", [f"{API}/jobs", f"{API}/hitl/pending"])
async def test_a_list_over_the_bound_is_refused_over_http(
    real_api: Api, temporal: StubTemporal, path: str
) -> None:
    temporal.list_gate = asyncio.Event()  # Temporal's visibility answers slowly
    first = asyncio.create_task(real_api.http.get(path))
    await asyncio.wait_for(temporal.list_entered.wait(), 5)
    r = await asyncio.wait_for(real_api.http.get(path), 5)  # without the bound: waits on
    assert error_body(r, 503)["details"] == {"reason": "ListsBusy"}
    assert r.headers["retry-after"] == "1"
    assert temporal.ops().count("fetch_page") == 1  # the refused one never reached Temporal
    temporal.list_gate.set()
    assert (await first).status_code == 200
