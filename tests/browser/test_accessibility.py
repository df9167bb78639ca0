"""Every state of the reviewer page passes axe-core's WCAG 2.1 A/AA rules, in Chromium.

The module's own API (on the session's Temporal and worker) knows two users: `ally`, who
never makes a job (an empty inbox), and `axel`, whose jobs walk the checkpoints. Its pass
threshold is above what the offline author reaches, so every job also stops at a failed
validation: the validate prompt with findings, without a job of its own. One job goes
through confirm (a refused revise, a stale submit), preview (version 2 with its diff and
source open), validate and completion; two more stop at clarify and structure_fix.
States that carry meaning in colour (deadline, severities, the connection) are checked to
say it in words too; single-key shortcuts can be turned off (WCAG 2.1.4); and at 400 % zoom
(320 CSS px) the inbox, a preview and the new-job form reflow without sideways scrolling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from api.auth import hash_key
from tests.browser.accessibility import assert_accessible, violations
from tests.browser.conftest import (
    Browser,
    assert_stayed_home,
    browser_of_its_own,
    cancel_unfinished,
    open_page,
    sign_in,
)
from tests.support import LocalStack, answer, create_job, wait_prompt

EMPTY_KEY = "ally-key-for-the-accessibility-tests-0123456789"
REVIEWER_KEY = "axel-key-for-the-accessibility-tests-0123456789"
TASK = "Triage flaky integration tests from their CI logs and propose fixes"
VAGUE_TASK = "Help me with stuff please"
BAD_NAME_TASK = ("Create a skill named Claude-Helper that formats SQL queries for "
                 "readability in code reviews")
SOON = 1800  # an answer timeout under an hour: the deadline reads "soon"
LIVE_TIMEOUT = 20_000


@pytest.fixture(scope="module")
def a11y_url(stack: LocalStack) -> str:
    keys = [{"key_sha256": hash_key(EMPTY_KEY), "user_id": "ally", "role": "user"},
            {"key_sha256": hash_key(REVIEWER_KEY), "user_id": "axel", "role": "user"}]
    return stack.start_api(SKILL_FLEET_API_KEYS=json.dumps(keys),
                           SKILL_FLEET_PASS_THRESHOLD="0.995")


@pytest.fixture
def axel(a11y_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=a11y_url, timeout=30,
                      headers={"Authorization": f"Bearer {REVIEWER_KEY}"}) as client:
        yield client


# A browser context of this test's own: no cookie from another test.
fresh = pytest.fixture(browser_of_its_own, name="fresh")


@pytest.fixture
def jobs(axel: httpx.Client) -> Iterator[list[str]]:
    """Jobs a test creates; any still waiting at the end is cancelled."""
    made: list[str] = []
    yield made
    cancel_unfinished(axel, made)


def live(page: Page) -> None:
    """The page's stream is open (its scripts ran, the banner is hidden)."""
    expect(page.locator("body")).to_have_attribute("data-live-state", "up")


def job_page(page: Page, url: str, job_id: str, title: str) -> None:
    page.goto(f"{url}/ui/jobs/{job_id}")
    expect(page.locator("#prompt-title")).to_contain_text(title, timeout=LIVE_TIMEOUT)


def freeze(page: Page) -> None:
    """Stop the page's own updates (stream and re-reads) so it keeps showing a prompt that
    is answered meanwhile; documents (form posts, navigation) still load."""
    def no_live(route: Route) -> None:
        if route.request.resource_type in ("eventsource", "fetch"):
            route.abort()
        else:
            route.fallback()

    page.route("**/*", no_live)


def test_the_pages_without_a_job_pass_axe(fresh: Browser, a11y_url: str) -> None:
    page = open_page(fresh)
    page.goto(f"{a11y_url}/ui/")
    expect(page).to_have_url(f"{a11y_url}/ui/sign-in")
    assert_accessible(page, "sign-in page")

    page.get_by_label("API key").fill("not-a-key-of-anyone-here")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_contain_text("not valid")
    assert_accessible(page, "sign-in page with an error")

    sign_in(page, a11y_url, EMPTY_KEY)
    expect(page.locator(".empty")).to_have_text("Nothing is waiting for you.")
    live(page)
    assert_accessible(page, "empty inbox")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    assert_accessible(page, "shortcuts help")
    # single-key shortcuts can be turned off (WCAG 2.1.4); the header's button still works
    page.get_by_label("Single-key shortcuts on").uncheck()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()
    page.reload()
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(page.locator("#shortcuts")).to_be_visible()
    page.get_by_label("Single-key shortcuts on").check()
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()

    page.goto(f"{a11y_url}/ui/jobs")
    expect(page.locator(".empty")).to_have_text("No jobs match.")
    assert_accessible(page, "empty jobs list")

    page.goto(f"{a11y_url}/ui/new")
    assert_accessible(page, "new-job form")
    page.get_by_label("What should the skill do?").fill("too short")
    page.get_by_role("button", name="Create the job").click()
    expect(page.locator("#form-error")).to_contain_text("The job was not created")
    assert_accessible(page, "new-job form with a refusal")
    assert_stayed_home(fresh)

    # the check can fail: a field without a label, a heading skipping levels
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<input type=\\'text\\' id=\\'unlabelled\\'><h5>Skipped</h5>')")
    assert {"label", "heading-order"} <= {v["id"] for v in violations(page)}

    # The connection's state is said in words, not by colour: cut the inbox's stream.
    cut = open_page(fresh)
    cut.route("**/ui/inbox/events*", lambda route: route.abort())
    cut.goto(f"{a11y_url}/ui/")
    banner = cut.locator("#live-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Disconnected: this page is not updating.")
    expect(cut.locator("body")).to_have_attribute("data-live-state", "down")
    assert_accessible(cut, "inbox with the disconnected banner")
    cut.unroute("**/ui/inbox/events*")
    expect(banner).to_be_hidden(timeout=LIVE_TIMEOUT)  # back: it reconnects by itself
    assert fresh.foreign == []


def test_a_job_through_its_checkpoints_passes_axe(
        fresh: Browser, a11y_url: str, axel: httpx.Client, jobs: list[str]) -> None:
    jobs.append(job_id := create_job(axel, TASK, enable_hitl_confirm=True,
                                     enable_hitl_preview=True, hitl_timeout_seconds=SOON))
    first = wait_prompt(axel, job_id, "confirm")
    page = open_page(fresh)
    sign_in(page, a11y_url, REVIEWER_KEY)
    row = page.locator(f'tr[data-job="{job_id}"]')
    expect(row).to_have_count(1, timeout=LIVE_TIMEOUT)
    live(page)
    # the deadline's state is in the words, not only in the cell's colour
    expect(row.locator("td.deadline")).to_have_class("deadline soon")
    expect(row.locator("td.deadline")).to_contain_text("(soon)")
    assert_accessible(page, "inbox with a prompt")

    page.goto(f"{a11y_url}/ui/jobs")
    expect(page.locator(f'table.jobs tr[data-job="{job_id}"]')).to_have_count(1)
    assert_accessible(page, "jobs list")

    # confirm; revise without feedback is refused next to the form
    job_page(page, a11y_url, job_id, "Confirm the plan")
    expect(page.locator("section.prompt")).to_contain_text("(soon)")
    live(page)
    assert_accessible(page, "job at confirm")
    prompt = page.locator("section.prompt")
    prompt.get_by_role("button", name="Revise").click()
    expect(page.locator("#form-error")).to_contain_text("does not fit")
    assert_accessible(page, "confirm with a form error")

    # a stale submit: answered through the API while the (frozen) page still shows it
    freeze(page)
    page.reload()
    expect(page.locator("#prompt-title")).to_contain_text("prompt 1,")
    assert answer(axel, job_id, first["prompt_id"], action="revise",
                  feedback="Name the flaky test in each finding.").status_code == 200
    prompt.get_by_role("button", name="Proceed").click()
    expect(page.locator("#form-error")).to_contain_text("This prompt was already answered")
    expect(page.locator("#live-banner")).to_be_visible()  # frozen: it says so in words
    assert_accessible(page, "stale submit refused (409), disconnected")
    page.unroute("**/*")
    fresh.console_errors.clear()  # the requests aborted above, on purpose

    job_page(page, a11y_url, job_id, "prompt 2,")
    live(page)
    prompt.get_by_role("button", name="Proceed").click()
    expect(page.locator("#prompt-title")).to_contain_text("Review the draft SKILL.md",
                                                          timeout=LIVE_TIMEOUT)
    assert_accessible(page, "job at preview, version 1")

    # the reviewer's own edit: version 2, with its diff against version 1
    source = page.locator("#skill_md")
    source.fill(source.input_value().rstrip("\n") + "\n\n## Quarantine\n\n- Mark a test "
                "flaky only after three failing reruns.\n")
    page.get_by_label("Feedback").fill("Say when to quarantine a test.")
    prompt.get_by_role("button", name="Revise").click()
    expect(page.locator("#skill-diff")).to_be_visible(timeout=LIVE_TIMEOUT)
    page.get_by_text("Source of SKILL.md").click()
    page.get_by_text("Previous version's source").click()
    expect(page.locator("#skill-source")).to_contain_text("## Quarantine")
    assert_accessible(page, "preview with its diff and sources open")

    # validation fails (the threshold): the author refines once unasked, then it is ours
    prompt.get_by_role("button", name="Proceed").click()
    expect(page.locator("#prompt-title")).to_contain_text("prompt 5, preview",
                                                          timeout=LIVE_TIMEOUT)
    prompt.get_by_role("button", name="Proceed").click()
    expect(page.locator("#prompt-title")).to_contain_text("Review the validation report",
                                                          timeout=LIVE_TIMEOUT)
    expect(page.locator("ul.findings li").first).to_be_visible()
    # each severity is a heading in words; each check says FAIL or pass, not only a colour
    expect(page.locator("section.prompt h4").first).to_contain_text(
        re.compile(r"^(Error|Warning|Info)s: \d+ failing of \d+$"))
    checks = page.locator("ul.checks li")
    expect(checks.first).to_be_visible()
    for n in range(checks.count()):
        expect(checks.nth(n)).to_contain_text(re.compile(r"^(FAIL|pass) "))
    assert_accessible(page, "job at validate with failing checks")

    prompt.get_by_role("button", name="Proceed").click()
    expect(page.locator("#job-status")).to_have_text("completed", timeout=LIVE_TIMEOUT)
    expect(page.locator("#promote-form")).to_be_visible()
    assert_accessible(page, "completed job")

    page.locator('#versions-region tr[data-version="2"]').get_by_role("link").click()
    expect(page.locator("#changes-title")).to_contain_text("Changes from version 1")
    assert_accessible(page, "versions page")
    assert_stayed_home(fresh)


def test_clarify_and_structure_fix_pass_axe(
        fresh: Browser, a11y_url: str, axel: httpx.Client, jobs: list[str]) -> None:
    jobs.append(vague := create_job(axel, VAGUE_TASK))
    jobs.append(misnamed := create_job(axel, BAD_NAME_TASK))
    wait_prompt(axel, vague, "clarify")
    wait_prompt(axel, misnamed, "structure_fix")
    page = open_page(fresh)
    sign_in(page, a11y_url, REVIEWER_KEY)

    job_page(page, a11y_url, vague, "Answer a few questions")
    expect(page.locator('section.prompt input[type="radio"]').first).to_be_visible()
    assert_accessible(page, "job at clarify")

    job_page(page, a11y_url, misnamed, "Fix the skill's name or description")
    expect(page.locator("tr.fix").first).to_contain_text("Claude-Helper")
    assert_accessible(page, "job at structure_fix")
    assert_stayed_home(fresh)


# ------------------------------------------------------------------- 400 % zoom (reflow)

ZOOMED = {"width": 320, "height": 256}  # 1280 x 1024 CSS px at 400 %: WCAG 1.4.10
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {  // inside a block that scrolls by itself (code, a wide table)
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "auto" || x === "scroll") return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    // a box past the edge, or text running out of its box (a long word)
    const spills = box.left + el.scrollWidth > width + 1 &&
                   getComputedStyle(el).overflowX === "visible";
    if (box.width && (box.right > width + 1 || spills) && !scrolls(el)) {
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                (el.className && typeof el.className === "string" ? "." + el.className : "") +
                " right=" + Math.round(Math.max(box.right, box.left + el.scrollWidth)));
    }
  }
  return {scroll: document.documentElement.scrollWidth, client: width,
          wide: wide.slice(0, 12)};
}"""


def assert_reflows(page: Page, state_name: str) -> None:
    """No horizontal scrolling of the page at 320 CSS px; list what sticks out if there is.

    Measured once the page has loaded, its stylesheet included: on a loaded machine the rows
    can be in the DOM before the stylesheet applies, and an unstyled table is wider (seen once
    in CI-like runs: every column side by side, none of the page's narrow-screen rules).
    """
    page.wait_for_load_state("load")
    page.wait_for_function("() => [...document.styleSheets].some(s => s.href && "
                           "s.href.includes('/ui/static/'))")
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["client"] + 1, (
        f"{state_name} scrolls sideways at 400 % zoom: {found['scroll']} px wide in "
        f"{found['client']} px; too wide: {found['wide']}")


def assert_reachable(page: Page, name: str) -> None:
    """The button can be scrolled to and lies inside the viewport's width."""
    button = page.get_by_role("button", name=name, exact=True).first
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= ZOOMED["width"], (
        f"{name}: {box}")


def test_the_page_reflows_at_400_percent_zoom(
        fresh: Browser, a11y_url: str, axel: httpx.Client, jobs: list[str]) -> None:
    jobs.append(job_id := create_job(axel, TASK, enable_hitl_preview=True,
                                     hitl_timeout_seconds=SOON))
    wait_prompt(axel, job_id, "preview")
    page = open_page(fresh)
    page.set_viewport_size(ZOOMED)
    sign_in(page, a11y_url, REVIEWER_KEY)
    expect(page.locator(f'tr[data-job="{job_id}"]')).to_have_count(1, timeout=LIVE_TIMEOUT)
    assert_reflows(page, "inbox")

    job_page(page, a11y_url, job_id, "Review the draft SKILL.md")
    page.get_by_text("Source of SKILL.md").click()
    assert_reflows(page, "job at preview")
    for action in ("Proceed", "Revise"):
        assert_reachable(page, action)

    page.goto(f"{a11y_url}/ui/new")
    assert_reflows(page, "new-job form")
    assert_reachable(page, "Create the job")
    assert_stayed_home(fresh)
