"""Per-user limits over real HTTP on the real stack: the active-job cap under a burst of
parallel creates (real Temporal, whose visibility lags the starts), the create rate's
Retry-After, and an event-stream slot given back when the client goes away."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support import API, LocalStack, create_job, wait_prompt

TASK = "Write release notes from a list of merged pull requests"
BURST = 16


@pytest.fixture(scope="module")
def capped_api(stack: LocalStack) -> str:
    """Cap 3 active jobs and 1 open stream per user; no create rate (the cap is on trial)."""
    return stack.start_api(
        SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER="3",
        SKILL_FLEET_CREATE_RATE_PER_MINUTE="0",
        SKILL_FLEET_MAX_EVENT_STREAMS_PER_USER="1",
    )


@pytest.fixture(scope="module")
def rate_api(stack: LocalStack) -> str:
    return stack.start_api(
        SKILL_FLEET_CREATE_RATE_PER_MINUTE="2", SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER="0"
    )


def _create(url: str, user: str, ready: threading.Barrier | None = None) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=30) as http:
        if ready is not None:  # connected, then all at once
            assert http.get("/health").status_code == 200
            ready.wait(timeout=30)
        return http.post(
            f"{API}/skills/create",
            json={"task_description": TASK, "user_id": user, "enable_hitl_confirm": True},
        )


def test_a_burst_of_parallel_creates_starts_exactly_the_cap(capped_api: str) -> None:
    user = f"burst-{uuid.uuid4().hex[:8]}"
    ready = threading.Barrier(BURST)
    with ThreadPoolExecutor(BURST) as pool:
        responses = list(pool.map(lambda _: _create(capped_api, user, ready), range(BURST)))
    codes = [r.status_code for r in responses]
    assert codes.count(202) == 3 and codes.count(429) == BURST - 3, codes
    assert all(
        "already has 3 active jobs" in r.json()["error"] for r in responses if r.status_code == 429
    )
    started = {r.json()["job_id"] for r in responses if r.status_code == 202}
    with httpx.Client(base_url=capped_api, timeout=30) as http:
        # Temporal holds exactly those three: once visibility has caught up it lists them
        # and nothing else, and a further create is still refused
        listed: set[str] = set()
        for _ in range(100):
            page = http.get(f"{API}/jobs", params={"user_id": user}).json()["jobs"]
            listed = {j["job_id"] for j in page}
            if listed == started:
                break
            time.sleep(0.1)
        assert listed == started
        assert _create(capped_api, user).status_code == 429
        # a finished job frees its place once visibility shows it finished
        first = sorted(started)[0]
        assert http.post(f"{API}/jobs/{first}/cancel").status_code == 202
        for _ in range(100):
            late = _create(capped_api, user)
            if late.status_code != 429:
                break
            time.sleep(0.1)
        assert late.status_code == 202, late.text
        for job_id in (started - {first}) | {late.json()["job_id"]}:
            http.post(f"{API}/jobs/{job_id}/cancel")


def test_the_create_rate_says_when_to_retry(rate_api: str) -> None:
    user = f"rate-{uuid.uuid4().hex[:8]}"
    codes = [_create(rate_api, user) for _ in range(3)]
    assert [r.status_code for r in codes] == [202, 202, 429]
    refused = codes[2]
    assert "at most 2 a minute" in refused.json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 30  # a token every 30 s
    assert _create(rate_api, f"{user}-other").status_code == 202  # per user
    with httpx.Client(base_url=rate_api, timeout=30) as http:
        for r in codes[:2]:
            http.post(f"{API}/jobs/{r.json()['job_id']}/cancel")


def test_a_stream_slot_comes_back_when_the_client_goes_away(capped_api: str) -> None:
    with httpx.Client(base_url=capped_api, timeout=30) as http:
        job_id = create_job(http, TASK, enable_hitl_confirm=True)
        wait_prompt(http, job_id, "confirm")
        events = f"{API}/jobs/{job_id}/events"
        with httpx.Client(base_url=capped_api, timeout=30) as watcher:
            with watcher.stream("GET", events) as first:
                assert first.status_code == 200
                second = http.get(events)
                assert second.status_code == 429, second.text
                assert "open event streams" in second.json()["error"]
            # the first client closed its connection: the server notices and frees the slot
            status = 0
            for _ in range(100):
                with watcher.stream("GET", events) as again:
                    status = again.status_code
                if status == 200:
                    break
                time.sleep(0.1)
            assert status == 200
        http.post(f"{API}/jobs/{job_id}/cancel")
