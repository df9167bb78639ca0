"""The event stream over real HTTP: SSE with replay and resume, JSON pages, heartbeats."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support import API, LocalStack, answer, create_job, wait_prompt, wait_status

TERMINAL_KINDS = {"completed", "failed", "cancelled"}


@dataclass
class SseMessage:
    id: str | None
    event: str
    data: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.data)


@dataclass
class SseRead:
    messages: list[SseMessage] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    ended: bool = False  # the server closed the stream (we did not stop reading)

    @property
    def ids(self) -> list[int]:
        return [int(m.id) for m in self.messages if m.id is not None]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [m.json() for m in self.messages]


def read_sse(base_url: str, job_id: str, *, headers: dict[str, str] | None = None,
             params: dict[str, str] | None = None,
             stop: Callable[[SseRead], bool] | None = None, timeout: float = 90.0) -> SseRead:
    """Read an SSE stream (the text/event-stream format parsed by hand, line by line)."""
    out = SseRead()
    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout)) as client, \
            client.stream("GET", f"{API}/jobs/{job_id}/events", headers=headers,
                          params=params) as r:
        assert r.status_code == 200, r.read().decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        for message, comment in _parse(r.iter_lines()):
            if message is not None:
                out.messages.append(message)
            if comment is not None:
                out.comments.append(comment)
            if stop and stop(out):
                return out
        out.ended = True
    return out


def _parse(lines: Iterator[str]) -> Iterator[tuple[SseMessage | None, str | None]]:
    fields: dict[str, list[str]] = {}
    for line in lines:
        if line == "":
            if fields:
                yield SseMessage(id=fields.get("id", [None])[-1],
                                 event=fields.get("event", ["message"])[-1],
                                 data="\n".join(fields.get("data", []))), None
            fields = {}
        elif line.startswith(":"):
            yield None, line[1:].strip()
        else:
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)


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
                       stop=lambda s: len(s.comments) >= 2)
        assert not got.ended
        assert all(c.startswith("ping") for c in got.comments)
        assert got.messages[-1].event == "prompt_raised"  # idle while the job waits
        assert http.post(f"{API}/jobs/{job_id}/cancel").status_code == 202
        wait_status(http, job_id, ["cancelled"])
        # A cancelled job's stream ends with its terminal event (the query replays it).
        tail = read_sse(fast_heartbeat_api, job_id, headers={"Last-Event-ID": str(got.ids[-1])})
        assert tail.ended and tail.messages[-1].event == "cancelled"
