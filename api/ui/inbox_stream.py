"""The inbox as a stream: what arrived and what left, each time the set of prompts changes.

Prompts are raised inside workflows, so nothing passes through the API when one appears;
the stream reads the inbox from visibility (one list call, as the inbox page does) every
`POLL_SECONDS` and sends an `inbox` message only when the set of (job, prompt) pairs
changed: the count, the prompts that arrived and those that left, each with why it left
(answered, with the action and, where the job's log says so, by whom; timed out; the job
ended). The first message is the inbox as it is, so a reconnecting page starts from the
truth. The page re-reads its table on each message; the message itself is only a
notice. A stream holds one of its user's stream slots (see api/ui/live.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import ServerSentEvent

from api.errors import ApiError
from api.job_gateway import JobGateway
from api.schemas import InboxItem
from api.ui.inbox_view import InboxQuery, read_inbox

POLL_SECONDS = 1.0
# Temporal or the worker briefly away: retried this long, then an error message ends it.
RETRY_FOR_SECONDS = 15.0
# How far back in a departed prompt's job log to look for what happened to it.
LOOK_BACK_EVENTS = 40

Key = tuple[str, int]


def _item(item: InboxItem) -> dict[str, Any]:
    return {"job_id": item.job_id, "prompt_id": item.prompt_id, "type": item.type.value,
            "skill_name": item.skill_name or "(unnamed skill)"}


async def departure(gateway: JobGateway, item: InboxItem) -> dict[str, Any]:
    """What happened to a prompt that left the inbox, from the end of its job's log."""
    said = {**_item(item), "outcome": "left", "words": "is no longer waiting"}
    try:
        view = await gateway.view(item.job_id)
        page = await gateway.fetch_events(item.job_id,
                                          max(0, view.events_count - LOOK_BACK_EVENTS))
    except ApiError:
        return said
    mine = [e for e in page.events if e.data.get("prompt_id") == item.prompt_id
            and e.kind in ("answer_accepted", "prompt_timed_out")]
    if mine and mine[-1].kind == "answer_accepted":
        event = mine[-1]
        action = event.data.get("action") or "proceed"
        who = event.data.get("answered_by")
        if event.data.get("source") == "timeout":
            return {**said, "outcome": "timed_out", "words": f"passed its deadline ({action})"}
        return {**said, "outcome": "answered", "action": action, "answered_by": who,
                "words": f"was answered ({action})" + (f" by {who}" if who else "")}
    if mine:
        return {**said, "outcome": "timed_out", "words": "timed out"}
    ended = [e for e in page.events if e.kind in ("cancelled", "failed")]
    if ended:
        return {**said, "outcome": ended[-1].kind, "words": f"left: the job {ended[-1].kind}"}
    return said


async def inbox_changes(gateway: JobGateway, owner: str | None,
                        poll_seconds: float | None = None, query: InboxQuery | None = None,
                        ) -> AsyncIterator[ServerSentEvent]:
    """`inbox` messages: now, then each time the inbox (as `query` filters it, like the
    page it serves) changes; `stream-error` ends it."""
    loop = asyncio.get_running_loop()
    previous: dict[Key, InboxItem] | None = None
    failing_since: float | None = None
    while True:
        try:
            items, more = await read_inbox(gateway, owner, query or InboxQuery())
            failing_since = None
        except ApiError as err:
            failing_since = failing_since or loop.time()
            if err.status_code != 503 or loop.time() - failing_since > RETRY_FOR_SECONDS:
                yield ServerSentEvent(event="stream-error", data=json.dumps(
                    {"error": err.error, "status": err.status_code}))
                return
            await asyncio.sleep(poll_seconds or POLL_SECONDS)
            continue
        current = {(i.job_id, i.prompt_id): i for i in items}
        if previous is None or current.keys() != previous.keys():
            before = previous or {}
            left = [await departure(gateway, before[k]) for k in before if k not in current]
            arrived = [_item(current[k]) for k in current if previous is not None
                       and k not in before]
            yield ServerSentEvent(event="inbox", data=json.dumps({
                "count": len(current), "more": bool(more), "arrived": arrived,
                "left": left}))
            previous = current
        await asyncio.sleep(poll_seconds or POLL_SECONDS)
