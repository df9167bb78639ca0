"""The reviewer page in-process: sign-in, sessions, CSRF, ownership, headers, each form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

import httpx
import pytest

from api.errors import ApiError
from api.schemas import InboxItem
from api.ui.render import CSP
from api.ui.session import COOKIE
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ADMIN, ALICE, BOB, KEYS, Api
from tests.fast.api.samples import job_view, new_job_id
from tests.fast.api.temporal_stub import StubTemporal
from tests.fast.ui.conftest import keys_file
from tests.fast.ui.pages import hidden, post_answer, sign_in
from tests.fast.ui.samples import every_prompt, prompt_for
from workflows.models import HitlPrompt, HitlType, JobStatus


class _Markup(HTMLParser):
    """The tags and attributes of an HTML fragment (text, escaped or not, is ignored)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs


def _cookie_header(r: httpx.Response) -> str:
    [header] = [v for k, v in r.headers.multi_items() if k == "set-cookie" and COOKIE in v]
    return header


async def test_signing_in_trades_the_key_for_a_strict_http_only_cookie(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    assert (await browser.get("/ui/")).headers["location"] == "/ui/sign-in"
    r = await sign_in(browser, ALICE)
    assert (r.status_code, r.headers["location"]) == (303, "/ui/")
    header = _cookie_header(r).lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/ui" in header
    assert ALICE.lower() not in unquote(header)  # the key itself is never in the cookie
    page = await browser.get("/ui/")
    assert page.status_code == 200 and "Signed in as <strong>alice</strong>" in page.text
    assert gateway.called("pending_prompts")[-1]["user_id"] == "alice"


async def test_signing_out_ends_the_session(ui: Api, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, ALICE)
    page = await browser.get("/ui/")
    r = await browser.post("/ui/sign-out", data={"csrf": hidden(page.text, "csrf")})
    assert (r.status_code, r.headers["location"]) == (303, "/ui/sign-in")
    assert (await browser.get("/ui/")).headers["location"] == "/ui/sign-in"


async def test_the_inbox_lists_each_prompt_with_its_deadline_and_count(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    now = datetime.now(UTC)
    items = [InboxItem(job_id=new_job_id(), user_id="alice", type=HitlType.PREVIEW,
                       prompt_id=3, created_at=now - timedelta(minutes=90, seconds=30),
                       deadline=now + timedelta(minutes=20, seconds=30),
                       summary="Review the draft",
                       assignee="alice", skill_name="review-python-prs", revisions_left=2),
             InboxItem(job_id=new_job_id(), user_id="alice", type=HitlType.CLARIFY,
                       prompt_id=1, created_at=now - timedelta(days=2),
                       deadline=now - timedelta(hours=1, seconds=30),
                       summary="Answer questions")]
    gateway.inbox_page = (items, None)
    await sign_in(browser, ALICE)
    page = (await browser.get("/ui/")).text
    assert "<title>(2) Inbox" in page
    rows = re.findall(r'<tr data-job="([^"]+)" data-prompt="\d+">(.*?)</tr>', page, re.S)
    assert [job for job, _ in rows] == [i.job_id for i in reversed(items)]  # overdue first
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
             for _, row in reversed(rows)]
    # times in words, rounded down: the half minutes keep them steady while the test runs
    assert cells[0].startswith("review-python-prs Review the draft")
    assert "preview 1 h 30 min ago in 20 min (soon) 2 alice alice" in cells[0]
    assert "(unnamed skill)" in cells[1] and "overdue by 1 h (overdue)" in cells[1]
    assert f'href="/ui/jobs/{items[0].job_id}"' in page


async def test_a_wrong_key_is_refused_in_words(ui: Api, browser: httpx.AsyncClient) -> None:
    r = await sign_in(browser, ALICE + "x")
    assert r.status_code == 401 and "That API key is not valid." in r.text
    assert (await browser.get("/ui/")).status_code == 303


async def test_an_admin_sees_every_users_prompts(ui: Api, browser: httpx.AsyncClient,
                                                gateway: FakeGateway) -> None:
    await sign_in(browser, ADMIN)
    assert (await browser.get("/ui/")).status_code == 200
    assert gateway.called("pending_prompts")[-1]["user_id"] is None


async def test_revoking_the_key_ends_the_session(ui: Api, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, BOB)
    assert (await browser.get("/ui/")).status_code == 200
    keys_file(ui).write_text(KEYS.replace('"bob"', '"bobby"'))  # bob's key: someone else's
    assert (await browser.get("/ui/")).headers["location"] == "/ui/sign-in"
    keys_file(ui).write_text("[]")
    r = await sign_in(browser, BOB)
    assert r.status_code == 401


async def test_a_forged_or_foreign_cookie_is_no_session(ui: Api, browser: httpx.AsyncClient
                                                        ) -> None:
    await sign_in(browser, ALICE)
    value = browser.cookies[COOKIE]
    browser.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"),
                        domain="127.0.0.1", path="/ui")
    assert (await browser.get("/ui/")).status_code == 303


async def test_forms_without_this_sessions_csrf_token_are_refused(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    other = httpx.AsyncClient(transport=browser._transport, base_url="http://127.0.0.1")
    async with other:
        foreign = hidden((await other.get("/ui/sign-in")).text, "csrf")
    for token in ("", "0" * 64, foreign):
        r = await browser.post("/ui/sign-in", data={"csrf": token, "api_key": ALICE})
        assert r.status_code == 403 and "Reload the page" in r.text, token
    await sign_in(browser, ALICE)
    job_id = gateway.view_result.job_id
    page = (await browser.get(f"/ui/jobs/{job_id}")).text
    r = await browser.post(f"/ui/jobs/{job_id}/answer", data={
        "csrf": foreign, "prompt_id": hidden(page, "prompt_id"), "action": "proceed"})
    assert r.status_code == 403
    assert gateway.called("answer") == []


async def test_another_users_job_is_not_found(ui: Api, browser: httpx.AsyncClient,
                                              temporal: StubTemporal) -> None:
    """Through the real gateway: the owner check is the API's own."""
    ui.use_real(temporal)
    job_id = temporal.add(job_view(user_id="alice")).view.job_id
    await sign_in(browser, ALICE)
    page = await browser.get(f"/ui/jobs/{job_id}")
    assert page.status_code == 200
    assert f'href="http://127.0.0.1:8233/namespaces/default/workflows/{job_id}"' in page.text
    browser.cookies.clear()
    await sign_in(browser, BOB)
    r = await browser.get(f"/ui/jobs/{job_id}")
    assert r.status_code == 404 and f"Job {job_id} not found." in r.text
    r = await post_answer(browser, job_id, {"action": "proceed"}, page=page.text.replace(
        hidden(page.text, "csrf"), hidden((await browser.get("/ui/")).text, "csrf")))
    assert r.status_code == 404
    assert [c[0] for c in temporal.calls if c[0] == "update"] == []


async def test_every_ui_response_carries_the_strict_csp(ui: Api, browser: httpx.AsyncClient
                                                        ) -> None:
    assert "script-src 'self'" in CSP and "'unsafe-inline'" not in CSP
    for path in ("/ui/sign-in", "/ui/static/ui.css", "/ui/"):
        r = await browser.get(path)
        assert r.headers["content-security-policy"] == CSP, path
        assert r.headers["x-content-type-options"] == "nosniff"
    page = (await browser.get("/ui/sign-in")).text
    assert " style=" not in page and "<style" not in page
    # scripts only from this origin's static files, none inline (see test_live.py)
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/ui/static/live.js" defer>', '<script src="/ui/static/keys.js" defer>']
    assert not re.search(r'(src|href|action)="(https?:)?//', page)  # nothing from elsewhere


async def test_open_local_mode_needs_no_sign_in(open_page: Api, open_browser: httpx.AsyncClient,
                                                gateway: FakeGateway) -> None:
    assert (await open_browser.get("/ui/sign-in")).headers["location"] == "/ui/"
    r = await open_browser.get("/ui/")
    assert r.status_code == 200 and "Open local mode" in r.text
    assert gateway.called("pending_prompts")[-1]["user_id"] is None


@pytest.mark.parametrize("prompt", every_prompt(),
                         ids=lambda p: f"{p.type.value}-{len(p.actions)}")
async def test_each_checkpoints_form_renders(open_page: Api, open_browser: httpx.AsyncClient,
                                             gateway: FakeGateway, prompt: HitlPrompt) -> None:
    gateway.view_result = job_view(waiting=prompt, skill_name="review-python-prs")
    r = await open_browser.get(f"/ui/jobs/{gateway.view_result.job_id}")
    assert r.status_code == 200, r.text[:500]
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)"', r.text)
    assert buttons == [a.value for a in prompt.actions]
    assert 'name="answer_json"' not in r.text  # drawn as a form, not the JSON fallback
    names = [n for n in prompt.answer_schema["properties"] if n not in ("action", "answers")]
    names += [f"answers.{q}" for q in prompt.answer_schema["properties"].get(
        "answers", {}).get("properties", {})]
    for name in names:  # every field of the schema is on the page
        assert f'name="{name}"' in r.text, name
    if prompt.type is HitlType.CLARIFY:
        assert "Who will use the skill?" in r.text and 'value="__other__"' in r.text
    if prompt.type is HitlType.PREVIEW:
        # the body's headings nest under the prompt's h3 for assistive technology
        assert '<h1 aria-level="4">Review Python PRs</h1>' in r.text and "<table>" in r.text
        assert 'id="skill-source">---' in r.text


async def test_preview_markdown_is_sanitized(open_page: Api, open_browser: httpx.AsyncClient,
                                             gateway: FakeGateway) -> None:
    hostile = ("# Hi\n\n<script>alert(1)</script>\n\n![x](https://tracker.example/p.png)\n\n"
               "[go](javascript:alert(1)) <img src=x onerror=alert(1)> [docs](https://a.example/d)"
               "\n")
    prompt = prompt_for(HitlType.PREVIEW, data={"content": hostile, "version": 1})
    gateway.view_result = job_view(waiting=prompt)
    r = await open_browser.get(f"/ui/jobs/{gateway.view_result.job_id}")
    rendered = r.text.split('id="skill-rendered"')[1].split("</article>")[0]
    assert '<h1 aria-level="4">Hi</h1>' in rendered
    markup = _Markup()
    markup.feed(rendered)
    assert markup.tags <= {"h1", "p", "a"}, markup.tags  # no script, no img
    assert all(not name.startswith("on") for name, _ in markup.attrs), markup.attrs
    assert ("href", "https://a.example/d") in markup.attrs
    assert not any("javascript" in (v or "") or "tracker" in (v or "") for _, v in markup.attrs)
    assert '<a href="https://a.example/d" rel="noopener noreferrer">docs</a>' in rendered


async def test_an_answer_goes_through_the_gateway_and_redirects(
        ui: Api, browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    gateway.view_result = job_view(waiting=prompt_for(HitlType.CONFIRM, prompt_id=4))
    job_id = gateway.view_result.job_id
    await sign_in(browser, ALICE)
    r = await post_answer(browser, job_id, {"action": "revise", "feedback": "More tests"})
    assert (r.status_code, r.headers["location"]) == (303, f"/ui/jobs/{job_id}?answered=revise")
    [call] = gateway.called("answer")
    assert (call["owner"], call["response"].prompt_id) == ("alice", 4)
    assert (call["response"].action, call["response"].feedback) == ("revise", "More tests")
    assert "was taken" in (await browser.get(r.headers["location"])).text


async def test_revise_without_feedback_is_refused_next_to_the_form(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    gateway.view_result = job_view(waiting=prompt_for(HitlType.VALIDATE))
    r = await post_answer(open_browser, gateway.view_result.job_id, {"action": "revise"})
    assert r.status_code == 422 and "required to revise" in r.text
    assert gateway.called("answer") == []


@pytest.mark.parametrize(("status", "words"), [
    (409, "This prompt was already answered"), (422, "The answer was refused: Revision limit")])
async def test_gateway_refusals_are_shown_in_words(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway, status: int,
        words: str) -> None:
    gateway.view_result = job_view(waiting=prompt_for(HitlType.CONFIRM))
    message = ("Prompt 1 is not the pending prompt (pending: 2)." if status == 409
               else "Revision limit reached at confirm (3 used).")
    gateway.fail["answer"] = ApiError(status, message)
    r = await post_answer(open_browser, gateway.view_result.job_id,
                          {"action": "revise", "feedback": "again"})
    assert r.status_code == status and words in r.text and message in r.text


async def test_a_page_older_than_the_prompt_is_stale(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    gateway.view_result = job_view(waiting=prompt_for(HitlType.CONFIRM, prompt_id=1))
    page = (await open_browser.get(f"/ui/jobs/{gateway.view_result.job_id}")).text
    gateway.view_result = job_view(gateway.view_result.job_id, status=JobStatus.RUNNING)
    r = await post_answer(open_browser, gateway.view_result.job_id, {"action": "proceed"},
                          page=page)
    assert r.status_code == 409 and "already answered" in r.text
    assert gateway.called("answer") == []
