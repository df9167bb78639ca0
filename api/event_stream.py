"""A job's event log as Server-Sent Events: replay from any seq, then follow live.

A stream reads the job's view once (`describe`: its `events_count`, whether it ended),
then follows the job's history with a long-poll (`JobGateway.follow`): every view upsert
the workflow writes carries the new `events_count`, and only when that passed the last seq
sent does the stream run the `get_events(after)` query, which returns just the new events.
So a stream costs nothing while its job waits for a human, hears of new events within
milliseconds, costs the same for a job with 10 events or 10,000, and never changes the job.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import aclosing

from sse_starlette import ServerSentEvent

from api.errors import ApiError
from api.job_gateway import JobGateway
from common.settings import Settings

log = logging.getLogger("skill_fleet.api")

# Heartbeat comment interval; SKILL_FLEET_SSE_HEARTBEAT_SECONDS overrides it.
HEARTBEAT_SECONDS = 15.0
# Transient failures (Temporal or the worker briefly away) are retried this long, then
# the stream ends with an `error` message; the client resumes with Last-Event-ID.
RETRY_FOR_SECONDS = 15.0
RETRY_INTERVAL_SECONDS = 0.5

_SEQ = re.compile(r"[0-9]{1,12}\Z")


def heartbeat_seconds(settings: Settings) -> float:
    return settings.sse_heartbeat_seconds or HEARTBEAT_SECONDS


def resume_point(header: str | None, query: str | None, after: int) -> int:
    """The seq to resume after: Last-Event-ID header, then `last_event_id`, then `after`.

    The header wins because a browser's EventSource sends it on reconnect while
    the URL still carries the first request's query.
    """
    for source, raw in (("Last-Event-ID header", header), ("last_event_id", query)):
        if raw is None or not raw.strip():
            continue
        if not _SEQ.fullmatch(raw.strip()):
            raise ApiError(422, f"{source} must be a non-negative integer event seq, "
                                f"not {raw[:40]!r}.")
        return int(raw.strip())
    return after


async def job_events(gateway: JobGateway, job_id: str, after: int) -> AsyncIterator[
        ServerSentEvent]:
    """Every event with seq > `after`, in order, once each; ends after the terminal event.

    The caller has checked ownership. A client disconnect cancels this generator
    (sse-starlette cancels the response's task group), which ends the long-poll.
    """
    last = after
    failing_since: float | None = None
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                async with aclosing(_event_counts(gateway, job_id)) as counts:
                    async for count, final in counts:
                        if final or count > last:
                            page = await gateway.fetch_events(job_id, last)
                            for event in page.events:
                                if event.seq <= last:
                                    continue
                                yield ServerSentEvent(data=event.model_dump_json(),
                                                      id=str(event.seq), event=event.kind)
                                last = event.seq
                            # Terminal: everything up to last_seq is sent (the page held it).
                            if page.terminal or final:
                                return
                        failing_since = None
            except ApiError as err:
                if err.status_code != 503:
                    yield _error(err)
                    return
                failing_since = failing_since or loop.time()
                if loop.time() - failing_since > RETRY_FOR_SECONDS:
                    yield _error(err)
                    return
                await asyncio.sleep(RETRY_INTERVAL_SECONDS)
    finally:
        log.debug("event stream of %s closed after seq %d", job_id, last)


async def _event_counts(gateway: JobGateway, job_id: str) -> AsyncIterator[tuple[int, bool]]:
    """(events_count, job ended): now, then after every change, until the job ends."""
    while True:  # once per run: a reset ends one run and begins another
        view = await gateway.view(job_id)
        yield view.events_count, view.status.is_terminal
        if view.status.is_terminal:
            return
        async with aclosing(gateway.follow(job_id)) as counts:
            async for count in counts:
                yield count, False


def _error(err: ApiError) -> ServerSentEvent:
    """Not a job event (no id, so Last-Event-ID still points at the last real one)."""
    return ServerSentEvent(data=json.dumps({"error": err.error, "status": err.status_code}),
                           event="error")
