"""One logging setup for the API and the worker: JSON lines or human-readable text.

`SKILL_FLEET_LOG_FORMAT=json` gives one JSON object per line (time, level, logger,
message, plus `request_id` and `job_id` wherever they are known) so a log shipper can
index it; `text` (the default) is for people at a terminal. Context comes from two
places: contextvars bound per HTTP request (`bind`), and Temporal's own log extras or
activity context in the worker, so no call site has to pass ids by hand.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from temporalio import activity
from temporalio.runtime import LogForwardingConfig, LoggingConfig, TelemetryFilter

request_id_var: ContextVar[str | None] = ContextVar("skill_fleet_request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("skill_fleet_job_id", default=None)

CONTEXT_FIELDS = ("request_id", "job_id")
# Loggers that the servers configure for themselves; ours replace their handlers.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
# Our access line (method, route, status, duration, request id) replaces uvicorn's.
UVICORN_ACCESS = "uvicorn.access"
# HTTP clients log every request URL at INFO; a webhook URL can carry a token (Slack's do).
QUIET_LOGGERS = ("httpx", "httpcore")
# Extras other libraries add that duplicate the message.
DROPPED_EXTRAS = frozenset({"color_message"})


@contextmanager
def bind(*, request_id: str | None = None, job_id: str | None = None) -> Iterator[None]:
    """Attach ids to every log line written inside the block (this task and its children)."""
    tokens = [request_id_var.set(request_id) if request_id else None,
              job_id_var.set(job_id) if job_id else None]
    try:
        yield
    finally:
        for var, token in zip((request_id_var, job_id_var), tokens, strict=True):
            if token is not None:
                var.reset(token)


def _temporal_job_id(record: logging.LogRecord) -> str | None:
    """The job id is the workflow id: from Temporal's logger extras, or the running activity."""
    for extra in ("temporal_workflow", "temporal_activity"):
        info = getattr(record, extra, None)
        if isinstance(info, dict) and info.get("workflow_id"):
            return str(info["workflow_id"])
    if activity.in_activity():
        return activity.info().workflow_id
    return None


class ContextFilter(logging.Filter):
    """Stamp `request_id` / `job_id` on a record when they are known (never overwrite)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None) and (rid := request_id_var.get()):
            record.request_id = rid
        if not getattr(record, "job_id", None):
            job_id = job_id_var.get() or _temporal_job_id(record)
            if job_id:
                record.job_id = job_id
        return True


class JsonLineFormatter(JsonFormatter):
    """time/level/logger/message first, then the context and any extras; UTC ISO times."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso(record)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in DROPPED_EXTRAS:
            log_data.pop(key, None)


def printable(text: str) -> str:
    """`text` with line breaks and other non-printable characters escaped (`\\n`, `\\x1b`).

    A request path or a name from a caller can hold CR/LF (`%0A`) or terminal escapes;
    written as is to a text log, it would start a line that looks like the server's own.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _printable_args(args: Any) -> Any:
    if isinstance(args, Mapping):
        return {k: printable(v) if isinstance(v, str) else v for k, v in args.items()}
    return tuple(printable(a) if isinstance(a, str) else a for a in args)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger message [request_id=.. job_id=..]`: greppable by id, still readable.

    Strings interpolated into a message (`log.info("... %s", value)`) are data, often from
    a caller: their control characters are escaped so one record stays one line. The format
    string, exceptions given as arguments (our multi-line errors) and tracebacks are kept.
    JSON lines need none of this: the encoder escapes control characters.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if args and any(isinstance(a, str) and not a.isprintable()
                        for a in (args.values() if isinstance(args, Mapping) else args)):
            # A copy: other handlers (the JSON one, pytest's capture) see the record as is.
            record = logging.makeLogRecord({**record.__dict__, "args": _printable_args(args)})
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso(record)

    def formatMessage(self, record: logging.LogRecord) -> str:  # before any traceback
        text = super().formatMessage(record)
        context = " ".join(f"{k}={printable(str(v))}" for k in CONTEXT_FIELDS
                           if (v := getattr(record, k, None)))
        return f"{text} [{context}]" if context else text


def _iso(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so a second setup replaces only it."""


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Install one stderr handler on the root logger; route uvicorn's loggers through it.

    Idempotent, and it leaves other handlers alone (pytest's capture, for one).
    """
    handler = _OurHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        server_log = logging.getLogger(name)
        server_log.handlers.clear()
        server_log.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    access = logging.getLogger(UVICORN_ACCESS)
    access.handlers.clear()
    access.propagate = False
    access.disabled = True


def temporal_core_logging(level: str = "WARN") -> LoggingConfig:
    """Forward Temporal Core's (Rust) logs into Python logging, so they share the format.

    Without this, Core prints its own lines to stderr and a JSON log would have
    lines no parser reads.
    """
    return LoggingConfig(
        filter=TelemetryFilter(core_level=level, other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
