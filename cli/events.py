"""Following one job's events: Server-Sent Events first, polling only when the server lacks them.

The feed remembers the last sequence number it handed out, so a caller can stop
reading (to ask a human something) and later continue exactly where it left off,
and a dropped connection resumes with `Last-Event-ID` instead of starting over.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from cli.client import ApiClient, ApiError
from cli.exits import CliError, ExitCode
from workflows.models import JobEvent, JobView

TERMINAL_KINDS = frozenset({"completed", "failed", "cancelled"})
Mode = Literal["sse", "page", "view"]


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
    """New events of one job, by SSE, else the JSON page endpoint, else job snapshots."""

    def __init__(self, client: ApiClient, job_id: str, *, replay_until: int = 0,
                 poll_interval: float = 0.5, patience: float = 60.0) -> None:
        self.client = client
        self.job_id = job_id
        self.replay_until = replay_until
        self.poll_interval = poll_interval
        self.patience = patience  # how long transient failures are retried
        self.mode: Mode = "sse"
        self.last_seq = 0
        self._view: JobView | None = None  # the last snapshot, in "view" mode
        self._failing_since: float | None = None
        self.on_retry: Callable[[str], None] | None = None  # told about reconnects

    def events(self) -> Generator[Event, None, None]:
        """Yield events after `last_seq` until the terminal one (or the caller stops)."""
        while True:
            try:
                if self.mode == "sse":
                    yield from self._sse()
                elif self.mode == "page":
                    yield from self._pages()
                else:
                    yield from self._snapshots()
                return
            except ApiError as err:
                if err.status in (404, 405) and self.mode != "view":
                    # The caller has just read the job, so a 404 here means "no such route".
                    self.mode = "page" if self.mode == "sse" else "view"
                    continue
                self._transient(err)
            except CliError as err:
                self._transient(err)

    # ------------------------------------------------------------------ transports

    def _sse(self) -> Iterator[Event]:
        while True:
            before = self.last_seq
            with self.client.event_stream(self.job_id, self.last_seq) as response:
                self._failing_since = None
                for event_id, kind, data in _parse_sse(response.iter_lines()):
                    if kind == "error":
                        raise _stream_error(data)
                    event = self._accept(_job_event(event_id, kind, data))
                    if event is None:
                        continue
                    yield event
                    if event.terminal:
                        return
            # The server closed the stream without a terminal event (restart, proxy
            # timeout): resume after the last event we saw, without hammering it.
            if self.last_seq == before:
                time.sleep(self.poll_interval)

    def _pages(self) -> Iterator[Event]:
        while True:
            page = self.client.events_page(self.job_id, self.last_seq)
            self._failing_since = None
            for raw in page.events:
                event = self._accept(raw)
                if event is None:
                    continue
                yield event
                if event.terminal:
                    return
            if page.terminal:
                return
            time.sleep(self.poll_interval)

    def _snapshots(self) -> Iterator[Event]:
        first = self._view is None
        while True:
            view = self.client.job(self.job_id)
            self._failing_since = None
            for kind, data in _diff(self._view, view):
                self.last_seq += 1
                yield Event(self.last_seq, kind, data, replayed=first and self.replay_until > 0)
            self._view = view
            first = False
            if view.status.is_terminal:
                return
            time.sleep(self.poll_interval)

    # ------------------------------------------------------------------ helpers

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


def _parse_sse(lines: Iterator[str]) -> Iterator[tuple[str | None, str, str]]:
    """(id, event, data) per message; comments (heartbeats) are skipped."""
    event_id: str | None = None
    kind = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield event_id, kind or "message", "\n".join(data)
            event_id, kind, data = None, "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            event_id = value
        elif name == "event":
            kind = value
        elif name == "data":
            data.append(value)
    if data:
        yield event_id, kind or "message", "\n".join(data)


def _stream_error(data: str) -> CliError:
    """The server gave up mid-stream; a plain CliError, so it never triggers the fallback."""
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


def _job_event(event_id: str | None, kind: str, data: str) -> JobEvent | None:
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if "seq" not in body and event_id and event_id.isdigit():
        body["seq"] = int(event_id)
    body.setdefault("kind", kind)
    try:
        return JobEvent.model_validate(body)
    except ValueError:
        return None


def _diff(old: JobView | None, new: JobView) -> Iterator[tuple[str, dict[str, Any]]]:
    """Events inferred from two snapshots, for servers without an events endpoint."""
    if old is None:
        yield "job_started", {"task_description": new.task_description}
    if old is None or old.current_phase != new.current_phase:
        if new.current_phase.value not in ("queued", "done"):
            yield "phase_started", {"phase": new.current_phase.value}
    if old is not None and old.prompt and (new.prompt is None
                                           or new.prompt.prompt_id != old.prompt.prompt_id):
        yield "answer_accepted", {"prompt_id": old.prompt.prompt_id}
    if old is not None and new.versions_count > old.versions_count:
        yield "version_created", {"version": new.versions_count}
    if new.validation_score is not None and (old is None
                                             or old.validation_score != new.validation_score):
        yield "validated", {"passed": new.validation_passed, "score": new.validation_score}
    if new.prompt and (old is None or old.prompt is None
                       or old.prompt.prompt_id != new.prompt.prompt_id):
        p = new.prompt
        yield "prompt_raised", {"prompt_id": p.prompt_id, "type": p.type.value,
                                "deadline": p.deadline.isoformat(), "summary": p.summary}
    if new.status.is_terminal:
        data: dict[str, Any] = {"draft_path": new.draft_path, "error": new.error,
                                "reason": new.progress_message}
        yield new.status.value, data
