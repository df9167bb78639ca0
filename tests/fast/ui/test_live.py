"""The page's live updates in-process: the cookie-signed job and inbox streams, their
slots under the per-user stream cap, the inbox's arrivals and departures, the answer's
wait slot, and the attributes the page's script (static/live.js) reads."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.errors import ApiError
from api.limits import UserLimits
from api.schemas import InboxItem
from api.ui import inbox_stream
from api.ui.session import COOKIE
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ALICE, BOB, Api
from tests.fast.api.limits_support import install_limits
from tests.fast.api.samples import NOW, job_view, new_job_id
from tests.fast.api.temporal_stub import StubTemporal
from tests.fast.asgi_stream import OpenStream, open_stream
from tests.fast.ui.pages import post_answer, sign_in
from tests.fast.ui.samples import prompt_for
from workflows.models import EventsPage, HitlAck, HitlResponse, HitlType, JobEvent, JobStatus


def event(seq: int, kind: str, **data: object) -> JobEvent:
    return JobEvent(seq=seq, at=NOW + timedelta(seconds=seq), kind=kind, data=data)


@dataclass
class LiveGateway(FakeGateway):
    """A job whose log grows when the test says so (`add`), followed like Temporal's."""

    log: list[JobEvent] = field(default_factory=list)
    fetch_error: ApiError | None = None
    _grew: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, kind: str, **data: object) -> None:
        self.log.append(event(len(self.log) + 1, kind, **data))
        self._grew.set()

    async def fetch_events(self, job_id: str, after: int) -> EventsPage:
        self._record("fetch_events", job_id=job_id, after=after)
        if self.fetch_error is not None:
            raise self.fetch_error
        terminal = bool(self.log) and self.log[-1].kind in ("completed", "cancelled")
        return EventsPage(events=self.log[after:], last_seq=len(self.log), terminal=terminal)

    async def follow(self, job_id: str) -> AsyncIterator[int]:
        self._record("follow", job_id=job_id)
        while True:
            await self._grew.wait()
            self._grew.clear()
            yield len(self.log)


async def open_ui_stream(app: FastAPI, path: str, cookie: str | None, *,
                         headers: dict[str, str] | None = None) -> OpenStream:
    """The page's stream as its browser opens it: with the session cookie, if it has one."""
    session = {"cookie": f"{COOKIE}={cookie}"} if cookie else {}
    return await open_stream(app, path, {**session, **(headers or {})})


async def signed_in_cookie(browser: httpx.AsyncClient, key: str = ALICE) -> str:
    await sign_in(browser, key)
    return browser.cookies[COOKIE]


@pytest.fixture
def live(ui: Api) -> LiveGateway:
    gateway = LiveGateway()
    gateway.log = [event(1, "job_started"), event(2, "prompt_raised", prompt_id=1)]
    gateway.view_result = job_view(events_count=2)
    ui.use_fake(gateway)
    return gateway


async def test_a_job_stream_needs_the_session_and_sends_job_messages(
        ui: Api, browser: httpx.AsyncClient, live: LiveGateway) -> None:
    job_id = live.view_result.job_id
    anonymous = await open_ui_stream(ui.app, f"/ui/jobs/{job_id}/events", None)
    assert (anonymous.status, anonymous.headers["location"]) == (303, "/ui/sign-in")
    await anonymous.close()

    cookie = await signed_in_cookie(browser)
    stream = await open_ui_stream(ui.app, f"/ui/jobs/{job_id}/events?after=1", cookie)
    assert stream.status == 200 and stream.headers["content-type"].startswith(
        "text/event-stream")
    assert "script-src 'self'" in stream.headers["content-security-policy"]
    await stream.until(lambda ms: len(ms) == 1)
    live.add("answer_accepted", prompt_id=1, action="proceed")
    await stream.until(lambda ms: len(ms) == 2)
    # one message name for every kind (an EventSource hears only names it listens to)
    assert [(m.event, m.id, json.loads(m.data)["kind"]) for m in stream.messages] == [
        ("job", "2", "prompt_raised"), ("job", "3", "answer_accepted")]
    live.add("completed")
    await stream.until(lambda ms: len(ms) == 3)
    await asyncio.wait_for(stream.task, 5)  # the stream ends after the terminal event
    assert ui.app.state.limits.streams.in_use("alice") == 0


async def test_a_reconnect_resumes_after_last_event_id(
        ui: Api, browser: httpx.AsyncClient, live: LiveGateway) -> None:
    cookie = await signed_in_cookie(browser)
    live.add("completed")
    stream = await open_ui_stream(ui.app, f"/ui/jobs/{live.view_result.job_id}/events?after=0",
                                  cookie, headers={"Last-Event-ID": "2"})
    await asyncio.wait_for(stream.task, 5)
    assert [m.id for m in stream.messages] == ["3"]


async def test_a_failing_job_stream_says_so_under_its_own_name(
        ui: Api, browser: httpx.AsyncClient, live: LiveGateway) -> None:
    cookie = await signed_in_cookie(browser)
    live.fetch_error = ApiError(404, "Job gone.")
    stream = await open_ui_stream(ui.app, f"/ui/jobs/{live.view_result.job_id}/events",
                                  cookie)
    await asyncio.wait_for(stream.task, 5)
    [message] = stream.messages
    assert message.event == "stream-error" and json.loads(message.data)["status"] == 404


async def test_another_users_job_stream_is_not_found(
        ui: Api, browser: httpx.AsyncClient, temporal: StubTemporal) -> None:
    ui.use_real(temporal)
    job_id = temporal.add(job_view(user_id="alice")).view.job_id
    cookie = await signed_in_cookie(browser, BOB)
    stream = await open_ui_stream(ui.app, f"/ui/jobs/{job_id}/events", cookie)
    assert stream.status == 404
    await stream.close()
    assert ui.app.state.limits.streams.in_use("bob") == 0


async def test_page_streams_count_against_the_users_stream_cap(
        ui: Api, browser: httpx.AsyncClient, live: LiveGateway) -> None:
    limits = install_limits(ui, max_event_streams_per_user=2)
    cookie = await signed_in_cookie(browser)
    job_path = f"/ui/jobs/{live.view_result.job_id}/events?after=2"
    held = [await open_ui_stream(ui.app, job_path, cookie),
            await open_ui_stream(ui.app, "/ui/inbox/events", cookie)]
    assert [s.status for s in held] == [200, 200]
    assert limits.streams.in_use("alice") == 2
    third = await open_ui_stream(ui.app, "/ui/inbox/events", cookie)
    assert third.status == 429
    await third.close()
    await held[0].close()  # the page went away: its slot comes back
    assert limits.streams.in_use("alice") == 1
    again = await open_ui_stream(ui.app, job_path, cookie)
    assert again.status == 200
    for s in (held[1], again):
        await s.close()
    assert limits.streams.in_use("alice") == 0


def item(job_id: str, prompt_id: int, hitl_type: HitlType = HitlType.CONFIRM) -> InboxItem:
    return InboxItem(job_id=job_id, user_id="alice", type=hitl_type, prompt_id=prompt_id,
                     created_at=NOW, deadline=NOW + timedelta(hours=1), summary="s",
                     skill_name="review-prs")


async def test_the_inbox_stream_says_what_arrived_and_what_left(live: LiveGateway) -> None:
    first, second = item(new_job_id(), 1), item(new_job_id(), 3, HitlType.PREVIEW)
    live.inbox_page = ([first], None)
    live.log = [event(1, "prompt_raised", prompt_id=1),
                event(2, "answer_accepted", prompt_id=1, action="revise",
                      answered_by="rita")]
    live.view_result = job_view(events_count=2)
    changes = inbox_stream.inbox_changes(live, "alice", poll_seconds=0.001)
    now = json.loads((await anext(changes)).data)
    assert (now["count"], now["arrived"], now["left"]) == (1, [], [])
    live.inbox_page = ([second], None)
    message = await anext(changes)  # polls until the set changes: one message per change
    change = json.loads(message.data)
    assert message.event == "inbox" and change["count"] == 1
    assert [a["job_id"] for a in change["arrived"]] == [second.job_id]
    [left] = change["left"]
    assert (left["job_id"], left["outcome"]) == (first.job_id, "answered")
    assert left["words"] == "was answered (revise) by rita"
    assert all(c["user_id"] == "alice" for c in live.called("pending_prompts"))
    await changes.aclose()


@pytest.mark.parametrize(("log", "words"), [
    ([event(1, "prompt_timed_out", prompt_id=1)], "timed out"),
    ([event(1, "answer_accepted", prompt_id=1, action="proceed", source="timeout")],
     "passed its deadline (proceed)"),
    ([event(1, "answer_accepted", prompt_id=2, action="proceed"), event(2, "cancelled")],
     "left: the job cancelled"),
    ([event(1, "answer_accepted", prompt_id=1, action="cancel"), event(2, "cancelled")],
     "was answered (cancel)"),
    ([], "is no longer waiting"),
])
async def test_why_a_prompt_left_the_inbox(live: LiveGateway, log: list[JobEvent],
                                           words: str) -> None:
    live.log = log
    live.view_result = job_view(events_count=len(log))
    assert (await inbox_stream.departure(live, item(new_job_id(), 1)))["words"] == words


async def test_the_inbox_stream_gives_up_on_lasting_trouble(
        live: LiveGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox_stream, "RETRY_FOR_SECONDS", 0.01)
    live.fail["pending_prompts"] = ApiError(503, "Temporal is unavailable.")
    messages = [m async for m in inbox_stream.inbox_changes(live, None, poll_seconds=0.005)]
    assert [(m.event, json.loads(m.data)["status"]) for m in messages] == [
        ("stream-error", 503)]


async def test_the_inbox_stream_route_sends_the_inbox_now(
        ui: Api, browser: httpx.AsyncClient, live: LiveGateway) -> None:
    live.inbox_page = ([item(new_job_id(), 1)], None)
    stream = await open_ui_stream(ui.app, "/ui/inbox/events",
                                  await signed_in_cookie(browser))
    await stream.until(lambda ms: len(ms) == 1)
    assert stream.messages[0].event == "inbox"
    assert json.loads(stream.messages[0].data)["count"] == 1
    await stream.close()


@dataclass
class WaitCounting(FakeGateway):
    """Notes how many of alice's wait slots are held while the workflow has the answer."""

    limits: UserLimits | None = None
    held_during: list[int] = field(default_factory=list)

    async def answer(self, job_id: str, response: HitlResponse,
                     owner: str | None = None) -> HitlAck:
        assert self.limits is not None
        self.held_during.append(self.limits.waits.in_use("alice"))
        return await super().answer(job_id, response, owner)


async def test_an_answer_from_the_page_holds_a_wait_slot_and_names_its_reviewer(
        ui: Api, browser: httpx.AsyncClient) -> None:
    gateway = WaitCounting(view_result=job_view(waiting=prompt_for(HitlType.CONFIRM)))
    ui.use_fake(gateway)
    gateway.limits = limits = install_limits(ui, max_waits_per_user=1)
    await sign_in(browser, ALICE)
    job_id = gateway.view_result.job_id
    assert (await post_answer(browser, job_id, {"action": "proceed"})).status_code == 303
    assert (gateway.held_during, limits.waits.in_use("alice")) == ([1], 0)
    [call] = gateway.called("answer")
    assert (call["response"].wait_seconds, call["response"].answered_by) == (15.0, "alice")

    # at the cap (the user's API scripts wait too), the page's answer is taken without a wait
    held = limits.waits.acquire("alice")
    assert (await post_answer(browser, job_id, {"action": "proceed"})).status_code == 303
    assert gateway.called("answer")[-1]["response"].wait_seconds == 0
    held.release()
    assert limits.waits.in_use("alice") == 0


async def test_pages_name_their_stream_and_load_only_their_own_scripts(
        ui: Api, browser: httpx.AsyncClient, live: LiveGateway) -> None:
    await sign_in(browser, ALICE)
    job_id = live.view_result.job_id
    page = (await browser.get(f"/ui/jobs/{job_id}")).text
    # the stream goes on after the last event the page shows
    assert f'data-live="/ui/jobs/{job_id}/events?after=2"' in page
    assert f'data-read="/ui/jobs/{job_id}"' in page
    assert 'id="prompt-region" data-live-region' in page and 'data-live-key="1-' in page
    inbox = (await browser.get("/ui/")).text
    assert 'data-live="/ui/inbox/events"' in inbox and 'id="inbox-live"' in inbox
    for html in (page, inbox):
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert [s for s, _ in scripts] == [' src="/ui/static/live.js" defer',
                                            ' src="/ui/static/keys.js" defer']
        assert all(body == "" for _, body in scripts)  # no inline script
        assert 'id="live-banner"' in html and 'id="shortcuts"' in html
    live.view_result = job_view(job_id, status=JobStatus.COMPLETED)
    done = (await browser.get(f"/ui/jobs/{job_id}")).text
    assert 'data-live-end="true"' in done and "data-live=" not in done
    for name in ("live.js", "keys.js"):
        r = await browser.get(f"/ui/static/{name}")
        assert r.status_code == 200 and "javascript" in r.headers["content-type"]
        assert r.headers["x-content-type-options"] == "nosniff"
