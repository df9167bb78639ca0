"""The inbox's filters and sort (api/ui/inbox_view.py): the order of each sort, the URL
query they live in, the API's ownership rule, bad values refused in words, and the inbox
stream taking the same query as its page."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qsl

import httpx
import pytest

from api.errors import ApiError
from api.schemas import InboxItem
from api.ui import inbox_stream
from api.ui.inbox_view import InboxQuery
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ADMIN, ALICE, Api
from tests.fast.api.samples import NOW, new_job_id
from tests.fast.ui.pages import sign_in
from workflows.models import HitlType


def prompt(skill: str | None, hitl_type: HitlType, *, asked_min: int,
           deadline_min: int | None, user: str = "alice") -> InboxItem:
    """A prompt asked `asked_min` minutes before NOW, due `deadline_min` after it."""
    return InboxItem(job_id=new_job_id(), user_id=user, type=hitl_type, prompt_id=1,
                     created_at=NOW - timedelta(minutes=asked_min),
                     deadline=None if deadline_min is None
                     else NOW + timedelta(minutes=deadline_min),
                     summary=f"{skill} waits", skill_name=skill, assignee=user)


OLD_LATE = prompt("zeta-tool", HitlType.CONFIRM, asked_min=90, deadline_min=600)
NEW_OVERDUE = prompt("Alpha-tool", HitlType.PREVIEW, asked_min=10, deadline_min=-5)
NO_DEADLINE = prompt(None, HitlType.PREVIEW, asked_min=50, deadline_min=None)
SOON = prompt("beta-tool", HitlType.VALIDATE, asked_min=30, deadline_min=20, user="bob")
INBOX = [OLD_LATE, NEW_OVERDUE, NO_DEADLINE, SOON]


def names(items: list[InboxItem]) -> list[str | None]:
    return [i.skill_name for i in items]


@pytest.mark.parametrize(("sort", "order"), [
    ("deadline", ["Alpha-tool", "beta-tool", "zeta-tool", None]),  # overdue first, none last
    ("age", ["zeta-tool", None, "beta-tool", "Alpha-tool"]),  # oldest prompt first
    ("skill", ["Alpha-tool", "beta-tool", "zeta-tool", None]),  # letters, not case; none last
])
def test_each_sort_orders_the_prompts(sort: str, order: list[str | None]) -> None:
    assert names(InboxQuery(sort=sort).apply(INBOX)) == order
    assert names(InboxQuery(sort=sort).apply(list(reversed(INBOX)))) == order


def test_the_type_filter_keeps_one_checkpoint() -> None:
    kept = InboxQuery(type=HitlType.PREVIEW, sort="age").apply(INBOX)
    assert names(kept) == [None, "Alpha-tool"]
    assert InboxQuery(type=HitlType.CLARIFY).apply(INBOX) == []


def test_the_query_round_trips_through_the_url() -> None:
    assert InboxQuery.parse({}) == InboxQuery()
    assert InboxQuery().query_string() == ""  # the plain inbox has a plain URL
    blank = InboxQuery.parse({"type": "", "sort": " ", "user": "", "assignee": ""})
    assert blank == InboxQuery() and not blank.filtered
    chosen = InboxQuery.parse({"type": "validate", "sort": "skill", "user": "bob",
                               "assignee": "group:admins"})
    assert chosen == InboxQuery(HitlType.VALIDATE, "group:admins", "bob", "skill")
    assert chosen.query_string() == "type=validate&assignee=group%3Aadmins&user=bob&sort=skill"
    assert InboxQuery.parse(dict(parse_qsl(chosen.query_string()))) == chosen


@pytest.mark.parametrize(("params", "words"), [
    ({"type": "review"}, "Filter type must be one of: clarify, structure_fix"),
    ({"sort": "newest"}, "Sort must be one of: deadline, age, skill (not 'newest')"),
    ({"user": "a b"}, "Filter user must be a user id"),
    ({"assignee": "group:"}, "Filter assignee must be a user id or group:<name>"),
    ({"assignee": "x" * 200}, "Filter assignee must be"),
])
def test_bad_values_are_named(params: dict[str, str], words: str) -> None:
    with pytest.raises(ApiError) as caught:
        InboxQuery.parse(params)
    assert caught.value.status_code == 422 and words in caught.value.error


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-job="([^"]+)" data-prompt="\d+">', html)


async def test_an_admin_filters_and_sorts_through_the_url(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    gateway.inbox_page = (INBOX, None)
    await sign_in(browser, ADMIN)
    r = await browser.get("/ui/?type=preview&assignee=group%3Aadmins&user=alice&sort=age")
    assert r.status_code == 200
    call = gateway.called("pending_prompts")[-1]
    assert (call["user_id"], call["assignee"]) == ("alice", "group:admins")
    assert rows(r.text) == [NO_DEADLINE.job_id, NEW_OVERDUE.job_id]
    assert "<title>(2) Inbox" in r.text  # the tab counts what is shown
    assert "oldest first (filtered)</caption>" in r.text
    assert '<option value="preview" selected>' in r.text
    assert '<option value="age" selected>' in r.text
    assert 'name="assignee" type="text" value="group:admins"' in r.text
    assert 'name="user" type="text" value="alice"' in r.text
    # the live stream carries the same query, so its notices fit what the page shows
    [live] = re.findall(r'data-live="([^"]+)"', r.text)
    assert unescape(live) == ("/ui/inbox/events?type=preview&assignee=group%3Aadmins"
                              "&user=alice&sort=age")
    assert 'href="/ui/">Clear</a>' in r.text


async def test_the_default_is_soonest_deadline_first(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    gateway.inbox_page = (INBOX, None)
    await sign_in(browser, ADMIN)
    r = await browser.get("/ui/")
    assert rows(r.text) == [p.job_id for p in (NEW_OVERDUE, SOON, OLD_LATE, NO_DEADLINE)]
    assert "soonest deadline first</caption>" in r.text and ">Clear</a>" not in r.text
    assert '<option value="deadline" selected>' in r.text


async def test_a_user_filters_by_type_but_sees_only_their_own(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    gateway.inbox_page = ([OLD_LATE, NEW_OVERDUE], None)
    await sign_in(browser, ALICE)
    r = await browser.get("/ui/?type=confirm")
    assert rows(r.text) == [OLD_LATE.job_id]
    assert gateway.called("pending_prompts")[-1]["user_id"] == "alice"
    assert 'name="assignee"' not in r.text and 'name="user"' not in r.text  # admins only
    calls = len(gateway.called("pending_prompts"))
    r = await browser.get("/ui/?user=bob")  # someone else's inbox: nothing, as the API
    assert r.status_code == 200 and rows(r.text) == []
    assert "No waiting prompt matches these filters." in r.text
    assert len(gateway.called("pending_prompts")) == calls


async def test_bad_filters_are_a_422_page_in_words(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    await sign_in(browser, ADMIN)
    for query, words in (("type=nope", "Filter type must be one of"),
                         ("sort=%27%3B--", "Sort must be one of"),
                         ("user=%3Cscript%3E", "Filter user must be a user id"),
                         ("assignee=a%20b", "Filter assignee must be")):
        for path in ("/ui/", "/ui/inbox/events"):
            r = await browser.get(f"{path}?{query}")
            assert r.status_code == 422, (path, query, r.status_code)
            assert words in unescape(r.text) and 'role="alert"' in r.text, (path, query)
            assert "<script>" not in r.text
    assert gateway.called("pending_prompts") == []


async def test_the_stream_sends_only_what_the_query_shows(gateway: FakeGateway) -> None:
    gateway.inbox_page = ([OLD_LATE], None)
    changes = inbox_stream.inbox_changes(gateway, None, poll_seconds=0.001,
                                         query=InboxQuery(type=HitlType.PREVIEW))
    first = json.loads((await anext(changes)).data)
    assert first["count"] == 0
    # a validate prompt (not this page's) and a preview one arrive: only the latter is news
    gateway.inbox_page = ([OLD_LATE, SOON, NEW_OVERDUE], None)
    change = json.loads((await anext(changes)).data)
    assert change["count"] == 1
    assert [a["job_id"] for a in change["arrived"]] == [NEW_OVERDUE.job_id]
    await changes.aclose()
