"""A Server-Sent Events reader for tests: the text/event-stream format parsed by hand."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import API


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


def follow_like_an_eventsource(base_url: str, job_id: str, *, within: float = 120.0,
                               retry_seconds: float = 0.5) -> list[SseMessage]:
    """All job events until the stream ends after the last, reconnecting like a browser.

    A browser's EventSource reconnects when a stream breaks or answers an error, sending
    the last id it saw as Last-Event-ID; `error` messages are not job events.
    """
    got: list[SseMessage] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        headers = {"Last-Event-ID": got[-1].id or "0"} if got else None
        errored = False
        try:
            with httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0)) as client, \
                    client.stream("GET", f"{API}/jobs/{job_id}/events", headers=headers) as r:
                if r.status_code == 200:
                    for message, _ in _parse(r.iter_lines()):
                        if message is None:
                            continue
                        if message.event == "error":
                            errored = True
                        else:
                            got.append(message)
                    if not errored:
                        return got
        except httpx.TransportError:
            pass
        time.sleep(retry_seconds)
    raise AssertionError(f"the stream of {job_id} did not end in {within}s; got {len(got)}")
