"""The event stream over real HTTP: SSE with replay and resume, JSON pages, heartbeats."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from tests.sse import SseRead, comment_lines, read_sse
from tests.support import API, LocalStack, answer, create_job, wait_prompt, wait_status

TERMINAL_KINDS = {"completed", "failed", "cancelled"}


def json_page(http: httpx.Client, job_id: str, after: int) -> dict[str, Any]:
    r = http.get(f"{API}/jobs/{job_id}/events", params={"format": "json", "after": after})
    assert r.status_code == 200, r.text
    return r.json()


def test_subscribers_get_every_event_once_live_and_on_resume(
        http: httpx.Client, api_url: str) -> None:
    job_id = create_job(http, user_id="events", enable_hitl_confirm=True,
                        enable_hitl_preview=True)
    with ThreadPoolExecutor(5) as pool:
        # Three subscribers from the start, and one that leaves at the first prompt.
        subscribers = [pool.submit(read_sse, api_url, job_id) for _ in range(3)]
        leaver = pool.submit(read_sse, api_url, job_id,
                             stop=lambda s: bool(s.messages)
                             and s.messages[-1].event == "prompt_raised")
        prompt = wait_prompt(http, job_id, "confirm")
        first = leaver.result(timeout=60)
        assert not first.ended
        cut = first.ids[-1]

        assert answer(http, job_id, prompt["prompt_id"], action="revise",
                      feedback="Mention breaking changes.").status_code == 200
        prompt = wait_prompt(http, job_id, "confirm")
        assert answer(http, job_id, prompt["prompt_id"], action="proceed").status_code == 200
        prompt = wait_prompt(http, job_id, "preview")
        # It comes back mid-job with Last-Event-ID, and follows the rest live.
        resumed = pool.submit(read_sse, api_url, job_id, headers={"Last-Event-ID": str(cut)})
        assert answer(http, job_id, prompt["prompt_id"], action="proceed").status_code == 200
        wait_status(http, job_id, ["completed", "failed", "cancelled"])
        streams = [f.result(timeout=60) for f in subscribers]
        rest = resumed.result(timeout=60)

    full = json_page(http, job_id, 0)
    events = full["events"]
    n = len(events)
    assert full["terminal"] is True and full["last_seq"] == n
    assert [e["seq"] for e in events] == list(range(1, n + 1))

    for stream in streams:
        assert stream.ended
        assert stream.ids == list(range(1, n + 1))  # every event once, in seq order
        assert [m.event for m in stream.messages] == [e["kind"] for e in events]
        assert stream.events == events  # data is the JSON event itself
    assert streams[0].messages == streams[1].messages == streams[2].messages
    kinds = [e["kind"] for e in events]
    assert [k for k in kinds if k in TERMINAL_KINDS] == ["completed"]
    assert kinds.count("prompt_raised") == 3 and kinds.count("answer_accepted") == 3

    # the leaver + the resumed stream = the whole log: no gap, no duplicate
    assert first.ids == list(range(1, cut + 1))
    assert rest.ended and rest.ids == list(range(cut + 1, n + 1))
    assert first.events + rest.events == events

    # resuming with the query parameter, after the end: exactly the rest, then the end
    late = read_sse(api_url, job_id, params={"last_event_id": str(cut)})
    assert late.ended and late.events == events[cut:]
    done = read_sse(api_url, job_id, headers={"Last-Event-ID": str(n)})
    assert done.ended and done.messages == []

    # JSON pages agree with the stream
    for after in (0, 1, cut, n - 1, n, n + 5):
        page = json_page(http, job_id, after)
        assert page["events"] == events[after:]
        assert page["last_seq"] == n and page["terminal"] is True


def test_a_job_ended_by_an_operator_ends_its_open_streams(
        http: httpx.Client, api_url: str, stack: LocalStack) -> None:
    """Terminating from the Web UI or CLI bypasses the workflow's own ending."""
    job_id = create_job(http, user_id="events", enable_hitl_confirm=True)
    wait_prompt(http, job_id, "confirm")
    following = threading.Event()
    give_up = time.monotonic() + 60

    def caught_up(s: SseRead) -> bool:
        if s.messages and s.messages[-1].event == "prompt_raised":
            following.set()
        return time.monotonic() > give_up  # heartbeats keep an unended stream open

    with ThreadPoolExecutor(2) as pool:
        streams = [pool.submit(read_sse, api_url, job_id, stop=caught_up, timeout=30)
                   for _ in range(2)]
        assert following.wait(30)

        async def terminate() -> None:
            client = await Client.connect(stack.address)
            await client.get_workflow_handle(job_id).terminate(reason="operator test")

        asyncio.run(terminate())
        ended = [s.result(timeout=90) for s in streams]
    log = json_page(http, job_id, 0)["events"]
    for stream in ended:
        assert stream.ended
        assert stream.events == log  # everything written before the end, once
    assert wait_status(http, job_id, ["cancelled"])["status"] == "cancelled"


def test_unknown_job_and_bad_resume_points(http: httpx.Client) -> None:
    missing = str(uuid.uuid4())
    for params in ({}, {"format": "json"}):
        r = http.get(f"{API}/jobs/{missing}/events", params=params)
        assert r.status_code == 404, r.text
        assert "not found" in r.json()["error"]
    assert http.get(f"{API}/jobs/not-a-job/events").status_code == 404

    job_id = create_job(http, user_id="events")
    path = f"{API}/jobs/{job_id}/events"
    for bad in ("abc", "-1", "1.5", "1e3"):
        r = http.get(path, headers={"Last-Event-ID": bad})
        assert r.status_code == 422, (bad, r.text)
        assert "Last-Event-ID" in r.json()["error"]
        r = http.get(path, params={"last_event_id": bad})
        assert r.status_code == 422, (bad, r.text)
    assert http.get(path, params={"format": "json", "after": -1}).status_code == 422
    assert http.get(path, params={"format": "xml"}).status_code == 422
    wait_status(http, job_id, ["completed"])


@pytest.fixture(scope="module")
def fast_heartbeat_api(stack: LocalStack) -> str:
    return stack.start_api(SKILL_FLEET_SSE_HEARTBEAT_SECONDS="1")


def test_heartbeat_comments_keep_an_idle_stream_alive(fast_heartbeat_api: str) -> None:
    with httpx.Client(base_url=fast_heartbeat_api, timeout=30) as http:
        job_id = create_job(http, user_id="events", enable_hitl_confirm=True)
        wait_prompt(http, job_id, "confirm")
        got = read_sse(fast_heartbeat_api, job_id, timeout=15,
                       stop=lambda s: s.messages[-1].event == "prompt_raised")
        assert not got.ended  # idle while the job waits
        # With no event for seconds, the stream (read timeout 5 s) lives on its heartbeats.
        pings = comment_lines(fast_heartbeat_api, job_id, count=3, timeout=5)
        assert all(c.removeprefix(":").strip().startswith("ping") for c in pings), pings
        assert http.post(f"{API}/jobs/{job_id}/cancel").status_code == 202
        wait_status(http, job_id, ["cancelled"])
        # A cancelled job's stream ends with its terminal event (the query replays it).
        tail = read_sse(fast_heartbeat_api, job_id, headers={"Last-Event-ID": str(got.ids[-1])})
        assert tail.ended and tail.messages[-1].event == "cancelled"
