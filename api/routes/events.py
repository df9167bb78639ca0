"""A job's event log: live Server-Sent Events with replay, or JSON pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse

from api.auth import CallerDep
from api.deps import GatewayDep, SettingsDep
from api.event_stream import heartbeat_seconds, job_events, resume_point
from api.limits import HeldEventSourceResponse, LimitsDep, caller_key
from workflows.models import EventsPage

router = APIRouter()

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`text/event-stream` (default): one message per event, `id` = seq, "
                       "`event` = kind, `data` = the event as JSON; the stream ends after "
                       "the terminal event. With `format=json`: one page of events.",
        "model": EventsPage,
        "content": {"text/event-stream": {}},
    },
}


@router.get("/jobs/{job_id}/events", response_model=None, responses=_RESPONSES,
            summary="A job's events: live SSE with replay, or JSON pages")
async def job_events_route(
    job_id: str,
    gateway: GatewayDep,
    settings: SettingsDep,
    caller: CallerDep,
    limits: LimitsDep,
    format: Literal["sse", "json"] = "sse",
    after: Annotated[int, Query(ge=0, description="Only events with a larger seq.")] = 0,
    last_event_id: Annotated[
        str | None, Query(max_length=40, description="Resume after this seq (SSE).")
    ] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse | EventsPage:
    if format == "json":
        return await gateway.events(job_id, after, caller.owner_scope)
    start = resume_point(last_event_id_header, last_event_id, after)
    # A slot per open stream (429 past the cap), given back when the stream ends,
    # the client goes away or anything fails.
    slot = limits.streams.acquire(caller_key(caller))
    try:
        await gateway.view(job_id, caller.owner_scope)  # 404 before any byte is streamed
        return HeldEventSourceResponse(job_events(gateway, job_id, start),
                                       ping=heartbeat_seconds(settings), slot=slot)
    except BaseException:
        slot.release()
        raise
