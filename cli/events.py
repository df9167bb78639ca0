"""Following one job's events over Server-Sent Events (read with httpx-sse).

The feed remembers the last sequence number it handed out, so a caller can stop
reading (to ask a human something) and later continue exactly where it left off,
and a dropped connection resumes with `Last-Event-ID` instead of starting over.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from httpx_sse import ServerSentEvent

from cli.client import ApiClient
from cli.exits import CliError, ExitCode
from workflows.models import JobEvent

TERMINAL_KINDS = frozenset({"completed", "failed", "cancelled"})


@dataclass
class Event:
    seq: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    # True for history re-read on attach: shown quietly, never re-announced.
    replayed: bool = False

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS


class EventFeed:
    """New events of one job from its event stream, reconnecting after `last_seq`."""

    def __init__(self, client: ApiClient, job_id: str, *, replay_until: int = 0,
                 poll_interval: float = 0.5, patience: float = 60.0) -> None:
        self.client = client
        self.job_id = job_id
        self.replay_until = replay_until
        self.poll_interval = poll_interval  # the pause before reconnecting to a quiet stream
        self.patience = patience  # how long transient failures are retried
        self.last_seq = 0
        self._failing_since: float | None = None
        self.on_retry: Callable[[str], None] | None = None  # told about reconnects

    def events(self) -> Generator[Event, None, None]:
        """Yield events after `last_seq` until the terminal one (or the caller stops)."""
        while True:
            try:
                yield from self._stream()
                return
            except CliError as err:
                self._transient(err)

    def _stream(self) -> Iterator[Event]:
        while True:
            before = self.last_seq
            with self.client.event_stream(self.job_id, self.last_seq) as source:
                self._failing_since = None
                for message in source.iter_sse():
                    if message.event == "error":
                        raise _stream_error(message.data)
                    event = self._accept(_job_event(message))
                    if event is None:
                        continue
                    yield event
                    if event.terminal:
                        return
            # The server closed the stream without a terminal event (restart, proxy
            # timeout): resume after the last event we saw, without hammering it.
            if self.last_seq == before:
                time.sleep(self.poll_interval)

    def _accept(self, raw: JobEvent | None) -> Event | None:
        if raw is None or raw.seq <= self.last_seq:
            return None  # a duplicate after a reconnect
        self.last_seq = raw.seq
        return Event(raw.seq, raw.kind, raw.data, replayed=raw.seq <= self.replay_until)

    def _transient(self, err: CliError) -> None:
        """Retry unreachable/unavailable for `patience` seconds; anything else is final."""
        if err.code is not ExitCode.UNREACHABLE:
            raise err
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
            if self.on_retry:
                self.on_retry(f"{err.message}; retrying ...")
        elif now - self._failing_since > self.patience:
            raise err
        time.sleep(1.0)


def _stream_error(data: str) -> CliError:
    """The server gave up mid-stream: its status says how the CLI exits."""
    try:
        body = json.loads(data)
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    status = int(body.get("status") or 503)
    message = f"the event stream stopped: {body.get('error') or 'server error'}"
    code = {404: ExitCode.NOT_FOUND, 401: ExitCode.AUTH, 403: ExitCode.AUTH}.get(
        status, ExitCode.UNREACHABLE if status >= 500 else ExitCode.CONFLICT)
    return CliError(message, code)


def _job_event(message: ServerSentEvent) -> JobEvent | None:
    """The job event a message carries (its data is the event's JSON); None if it is not one."""
    try:
        body = json.loads(message.data)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if "seq" not in body and message.id.isdigit():
        body["seq"] = int(message.id)
    body.setdefault("kind", message.event)
    try:
        return JobEvent.model_validate(body)
    except ValueError:
        return None
