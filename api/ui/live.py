"""The page's live updates: a job's event stream and the inbox stream, signed in by cookie.

An EventSource cannot send `Authorization`, so these are the API's streams again under
/ui/, authenticated by the session cookie (api/ui/session.py) with the same ownership
rules. Each open stream holds one of its user's stream slots
(SKILL_FLEET_MAX_EVENT_STREAMS_PER_USER, shared with the API's own streams), given back
when it ends however it ends. The page (static/live.js) treats every message as "the
state changed" and re-reads the page's live regions, also on every reconnect, so a
missed message loses nothing.

Job events come as `job` messages (the event's kind is in its data: an EventSource only
hears the names it listens to), failures as `stream-error` (`error` is the name of the
EventSource's own connection event).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import ServerSentEvent
from starlette.responses import Response

from api.deps import UncheckedGatewayDep
from api.event_stream import heartbeat_seconds, job_events, resume_point
from api.limits import HeldEventSourceResponse, LimitsDep, caller_key
from api.ui import inbox_stream
from api.ui.inbox_view import InboxQuery
from api.ui.routes import UiCallerDep, UiRoute, ready

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


async def _for_page(events: AsyncIterator[ServerSentEvent]) -> AsyncIterator[ServerSentEvent]:
    async for message in events:
        message.event = "stream-error" if message.event == "error" else "job"
        yield message


@router.get("/jobs/{job_id}/events")
async def job_stream(
    job_id: str, request: Request, gateway: UncheckedGatewayDep, caller: UiCallerDep,
    limits: LimitsDep, after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    """The job's events after `after` (or the Last-Event-ID a reconnect sends)."""
    gateway = await ready(request, gateway)
    start = resume_point(last_event_id, None, after)
    slot = limits.streams.acquire(caller_key(caller))  # 429 past the cap
    try:
        await gateway.view(job_id, caller.owner_scope)  # another user's job: 404
        return HeldEventSourceResponse(
            _for_page(job_events(gateway, job_id, start)),
            ping=heartbeat_seconds(request.app.state.settings), slot=slot)
    except BaseException:
        slot.release()
        raise


@router.get("/inbox/events")
async def inbox_events(request: Request, gateway: UncheckedGatewayDep, caller: UiCallerDep,
                       limits: LimitsDep) -> Response:
    """`inbox` messages: the inbox now, then what arrived and left at each change; the
    page's filters (its URL's query) apply (api/ui/inbox_view.py)."""
    query = InboxQuery.parse(request.query_params)
    gateway = await ready(request, gateway)
    slot = limits.streams.acquire(caller_key(caller))
    try:
        return HeldEventSourceResponse(
            inbox_stream.inbox_changes(gateway, caller.owner_scope, query=query),
            ping=heartbeat_seconds(request.app.state.settings), slot=slot)
    except BaseException:
        slot.release()
        raise
