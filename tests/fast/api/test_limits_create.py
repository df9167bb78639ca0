"""Create limits: the active-job cap under a burst, and the create rate (api/limits.py).

Visibility lag is the fake gateway's `visibility_lag`: started jobs are neither counted
nor listed and every call yields to the loop, so parallel creates interleave as they
would against a real Temporal whose visibility has not caught up.
"""

from __future__ import annotations

import asyncio

import httpx

from api.errors import ApiError
from tests.fast.api.checks import error_body
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ALICE, BOB, Api, bearer
from tests.fast.api.limits_support import FakeClock, install_limits
from tests.fast.api.samples import API, TASK

CREATE = f"{API}/skills/create"
BODY = {"task_description": TASK}


async def _burst(api: Api, key: str, n: int) -> list[httpx.Response]:
    return list(
        await asyncio.gather(
            *(api.http.post(CREATE, json=BODY, headers=bearer(key)) for _ in range(n))
        )
    )


def _starts(gateway: FakeGateway, user: str) -> int:
    return sum(1 for s in gateway.called("start") if s["job"].user_id == user)


async def test_a_burst_admits_exactly_the_cap_per_user(secured: Api, gateway: FakeGateway) -> None:
    install_limits(secured, max_active_jobs_per_user=5, create_rate_per_minute=0)
    gateway.visibility_lag = True
    alice, bob = await asyncio.gather(_burst(secured, ALICE, 20), _burst(secured, BOB, 7))
    for responses, user in ((alice, "alice"), (bob, "bob")):
        codes = [r.status_code for r in responses]
        assert codes.count(202) == 5 and codes.count(429) == len(codes) - 5, codes
        assert _starts(gateway, user) == 5
        refused = next(r for r in responses if r.status_code == 429)
        assert "already has 5 active jobs" in error_body(refused, 429)["error"]
        assert "SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER" in refused.json()["error"]
        assert "retry-after" not in refused.headers  # when a job ends is not known


async def test_started_jobs_count_until_visibility_lists_them(
    secured: Api, gateway: FakeGateway
) -> None:
    clock = FakeClock()
    install_limits(secured, clock, max_active_jobs_per_user=2, create_rate_per_minute=0)
    gateway.visibility_lag = True
    assert [r.status_code for r in await _burst(secured, ALICE, 3)].count(202) == 2
    # visibility catches up: it lists both and counts them; then one of them ends
    gateway.visibility_lag, gateway.active = False, 2
    error_body(await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE)), 429)
    listed = gateway.called("listed")[-1]["job_ids"]
    assert sorted(listed) == sorted(s["job"].job_id for s in gateway.called("start"))
    gateway.active = 1
    r = await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))
    assert r.status_code == 202, r.text
    # a start visibility never lists counts only for a while (RECENT_START_SECONDS)
    gateway.visibility_lag, gateway.active = True, 0
    r = await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))
    assert r.status_code == 202 and _starts(gateway, "alice") == 4
    error_body(await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE)), 429)
    clock.advance(61)
    r = await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))
    assert r.status_code == 202, r.text


async def test_a_failed_start_counts_for_nothing(secured: Api, gateway: FakeGateway) -> None:
    limits = install_limits(secured, max_active_jobs_per_user=1, create_rate_per_minute=1)
    gateway.visibility_lag = True
    gateway.fail["start"] = ApiError(503, "Temporal is not reachable")
    error_body(await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE)), 503)
    del gateway.fail["start"]
    # neither its token nor its slot was taken; the lock of alice was let go
    r = await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))
    assert r.status_code == 202, r.text
    assert limits.active._locks == {}


async def test_the_rate_refuses_with_retry_after_until_a_token_is_back(
    secured: Api, gateway: FakeGateway
) -> None:
    clock = FakeClock()
    install_limits(secured, clock, create_rate_per_minute=3, max_active_jobs_per_user=0)
    for _ in range(3):
        assert (
            await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))
        ).status_code == 202
    refused = await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))
    body = error_body(refused, 429)
    assert "at most 3 a minute" in body["error"]
    assert "SKILL_FLEET_CREATE_RATE_PER_MINUTE" in body["error"]
    assert refused.headers["retry-after"] == "20"  # one token every 20 s
    assert _starts(gateway, "alice") == 3
    # bob has his own bucket
    assert (await secured.http.post(CREATE, json=BODY, headers=bearer(BOB))).status_code == 202
    clock.advance(15)
    refused = await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))
    assert error_body(refused, 429) and refused.headers["retry-after"] == "5"
    clock.advance(5)
    assert (await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))).status_code == 202
    error_body(await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE)), 429)
    assert _starts(gateway, "alice") == 4


async def test_a_burst_setting_and_a_refusal_by_the_cap_costs_no_token(
    secured: Api, gateway: FakeGateway
) -> None:
    clock = FakeClock()
    install_limits(
        secured, clock, create_rate_per_minute=60, create_burst=2, max_active_jobs_per_user=5
    )
    gateway.active = 5
    error_body(await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE)), 429)
    gateway.active = 0
    codes = [
        (await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))).status_code
        for _ in range(3)
    ]
    assert codes == [202, 202, 429]
    clock.advance(1)  # 60 a minute: one a second
    assert (await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE))).status_code == 202


async def test_a_parallel_burst_past_the_rate_starts_only_the_burst(
    secured: Api, gateway: FakeGateway
) -> None:
    install_limits(secured, create_rate_per_minute=4, max_active_jobs_per_user=0)
    gateway.visibility_lag = True
    codes = [r.status_code for r in await _burst(secured, ALICE, 12)]
    assert codes.count(202) == 4 and codes.count(429) == 8, codes
    assert _starts(gateway, "alice") == 4


async def test_an_idempotent_retry_is_neither_charged_nor_refused(
    secured: Api, gateway: FakeGateway
) -> None:
    install_limits(secured, create_rate_per_minute=1, max_active_jobs_per_user=1)
    key = {"Idempotency-Key": "retry-me", **bearer(ALICE)}
    first = await secured.http.post(CREATE, json=BODY, headers=key)
    assert first.status_code == 202
    gateway.existing.add(first.json()["job_id"])
    gateway.active = 1  # alice is at her cap and out of tokens
    for _ in range(2):
        again = await secured.http.post(CREATE, json=BODY, headers=key)
        assert again.status_code == 202 and again.json()["job_id"] == first.json()["job_id"]
    error_body(await secured.http.post(CREATE, json=BODY, headers=bearer(ALICE)), 429)
    other = await secured.http.post(
        CREATE, json=BODY, headers={"Idempotency-Key": "new", **bearer(ALICE)}
    )
    assert "a minute" in error_body(other, 429)["error"]
