"""Reading a job's event stream in tests with httpx-sse, the reader the CLI and bench use."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, connect_sse

from tests.support import API


@dataclass(frozen=True)
class SseMessage:
    """One message, comparable by value (httpx-sse's own compare by identity)."""

    id: str  # "" when the stream has not sent one yet
    event: str
    data: str

    @classmethod
    def of(cls, sse: ServerSentEvent) -> SseMessage:
        return cls(sse.id, sse.event, sse.data)

    def json(self) -> dict[str, Any]:
        return json.loads(self.data)


@dataclass
class SseRead:
    messages: list[SseMessage] = field(default_factory=list)
    ended: bool = False  # the server closed the stream (we did not stop reading)

    @property
    def ids(self) -> list[int]:
        return [int(m.id) for m in self.messages if m.id]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [m.json() for m in self.messages]


def read_sse(base_url: str, job_id: str, *, headers: dict[str, str] | None = None,
             params: dict[str, str] | None = None,
             stop: Callable[[SseRead], bool] | None = None, timeout: float = 90.0) -> SseRead:
    """Read the stream until the server ends it or `stop` says enough."""
    out = SseRead()
    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout)) as client, \
            connect_sse(client, "GET", f"{API}/jobs/{job_id}/events",
                        headers=dict(headers or {}), params=params) as source:
        r = source.response
        assert r.status_code == 200, r.read().decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            out.messages.append(SseMessage.of(sse))
            if stop and stop(out):
                return out
        out.ended = True
    return out


def comment_lines(base_url: str, job_id: str, *, count: int, timeout: float) -> list[str]:
    """The first `count` comment lines of the stream, heartbeats among them. SSE readers
    (httpx-sse's too) drop comments by design, so these are looked for on the wire."""
    found: list[str] = []
    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout)) as client, \
            client.stream("GET", f"{API}/jobs/{job_id}/events") as r:
        assert r.status_code == 200, r.read().decode()
        for line in r.iter_lines():
            if line.startswith(":"):
                found.append(line)
                if len(found) == count:
                    return found
    raise AssertionError(f"the stream ended after {len(found)} of {count} comments")


def follow_like_an_eventsource(base_url: str, job_id: str, *, within: float = 120.0,
                               retry_seconds: float = 0.5) -> list[SseMessage]:
    """All job events until the stream ends after the last, reconnecting like a browser.

    A browser's EventSource reconnects when a stream breaks or answers an error, sending
    the last id it saw as Last-Event-ID; `error` messages are not job events.
    """
    got: list[SseMessage] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        headers = {"Last-Event-ID": got[-1].id or "0"} if got else {}
        errored = False
        try:
            with httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0)) as client, \
                    connect_sse(client, "GET", f"{API}/jobs/{job_id}/events",
                                headers=headers) as source:
                if source.response.status_code == 200:
                    for sse in source.iter_sse():
                        if sse.event == "error":
                            errored = True
                        else:
                            got.append(SseMessage.of(sse))
                    if not errored:
                        return got
        except httpx.TransportError:  # httpx-sse's SSEError too (a non-stream answer)
            pass
        time.sleep(retry_seconds)
    raise AssertionError(f"the stream of {job_id} did not end in {within}s; got {len(got)}")
