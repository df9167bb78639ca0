"""The inbox's filters and sort kept in the URL, and validate findings linked to their lines,
in Chromium against the real stack.

Three jobs of the reviewer wait at different checkpoints with different deadlines: the
inbox is filtered by checkpoint type and sorted by deadline, age and skill name through
its GET form; the choice survives a reload and a live update (a new prompt arrives in
the filtered order, a prompt of another type does not show). Then a validate checkpoint
on a SKILL.md the reviewer wrote: a finding's line link scrolls to that line of the
shown source, which becomes the :target.
"""

from __future__ import annotations

import re

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import REVIEWER, Browser, assert_stayed_home, sign_in
from tests.support import answer, create_job, get_job, wait_prompt, wait_status

LIVE_TIMEOUT = 20_000  # ms: visibility, then one poll of the inbox stream
HOUR = 3600.0
WCAG_AA = {"runOnly": {"type": "tag",
                       "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def accessible(page: Page) -> None:
    """axe-core (bundled, no download) finds no WCAG 2.1 AA violation in the page now."""
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


def shown(page: Page, mine: list[str]) -> list[str]:
    """The rows of `mine` in the order the page shows them (other jobs may wait too)."""
    order = page.locator("tr[data-job]").evaluate_all("rows => rows.map(r => r.dataset.job)")
    return [job for job in order if job in mine]


def title_counts_rows(page: Page) -> None:
    count = page.locator("tr[data-job]").count()
    expect(page).to_have_title(re.compile(rf"^\({count}\) Inbox"))


def choose(page: Page, *, checkpoint: str, sort: str) -> None:
    form = page.locator("#inbox-filters")
    form.get_by_label("Checkpoint").select_option(checkpoint)
    form.get_by_label("Sort").select_option(sort)
    form.get_by_role("button", name="Apply").click()


def test_filters_and_sort_live_in_the_url_through_reload_and_live_updates(
        page: Page, browser: Browser, ui_url: str, reviewer_http: httpx.Client,
        jobs: list[str]) -> None:
    # a: confirm, asked first, due in 2 h; b: preview, asked later, due in 1 h
    jobs.append(a := create_job(reviewer_http, "Summarise flaky integration tests from CI "
                                "history", enable_hitl_confirm=True,
                                hitl_timeout_seconds=2 * HOUR))
    wait_prompt(reviewer_http, a, "confirm")
    jobs.append(b := create_job(reviewer_http, "Audit Terraform modules for public S3 "
                                "buckets", enable_hitl_preview=True, hitl_timeout_seconds=HOUR))
    wait_prompt(reviewer_http, b, "preview")
    names = {job: get_job(reviewer_http, job)["skill_name"] for job in (a, b)}

    sign_in(page, ui_url)
    expect(page.locator(f'tr[data-job="{b}"]')).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(page.locator(f'tr[data-job="{a}"]')).to_have_count(1, timeout=LIVE_TIMEOUT)
    assert shown(page, [a, b]) == [b, a]  # the default: soonest deadline first
    title_counts_rows(page)

    choose(page, checkpoint="", sort="age")
    expect(page).to_have_url(f"{ui_url}/ui/?type=&sort=age")
    assert shown(page, [a, b]) == [a, b]  # oldest first
    choose(page, checkpoint="", sort="skill")
    assert shown(page, [a, b]) == sorted((a, b), key=lambda j: names[j].casefold())

    choose(page, checkpoint="preview", sort="deadline")
    expect(page).to_have_url(f"{ui_url}/ui/?type=preview&sort=deadline")
    expect(page.locator(f'tr[data-job="{a}"]')).to_have_count(0)
    assert shown(page, [a, b]) == [b]
    kinds = page.locator("tr[data-job] td:nth-child(2)").all_inner_texts()
    assert kinds and set(kinds) == {"preview"}, kinds
    title_counts_rows(page)

    page.reload()  # the choice is the URL's: it survives a reload
    expect(page.locator("#f-type")).to_have_value("preview")
    expect(page.locator("#f-sort")).to_have_value("deadline")
    assert shown(page, [a, b]) == [b]
    title_counts_rows(page)
    accessible(page)

    choose(page, checkpoint="confirm", sort="deadline")
    expect(page.locator("body")).to_have_attribute("data-live-state", "up")
    assert page.locator("body").get_attribute("data-live") == (
        "/ui/inbox/events?type=confirm")
    page.evaluate("window.notReloaded = true")
    # c: confirm, due in 30 min; it arrives live, first, and b (preview) stays out
    jobs.append(c := create_job(reviewer_http, "Draft on-call handover notes from "
                                "PagerDuty incidents", enable_hitl_confirm=True,
                                hitl_timeout_seconds=HOUR / 2))
    expect(page.locator(f'tr[data-job="{c}"]')).to_have_count(1, timeout=LIVE_TIMEOUT)
    assert shown(page, [a, b, c]) == [c, a]
    assert page.evaluate("window.notReloaded === true")
    expect(page).to_have_url(f"{ui_url}/ui/?type=confirm&sort=deadline")
    title_counts_rows(page)
    assert_stayed_home(browser)


def vague_skill(name: str) -> str:
    """A SKILL.md with 40 specific lines, then steps any task would have (the findings)."""
    facts = "\n".join(f"- `git log --oneline v1.{i}..v1.{i + 1}` lists release 1.{i + 1}'s "
                      f"commits; `git tag -v v1.{i + 1}` checks its signature."
                      for i in range(40))
    return (f"---\nname: \"{name}\"\ndescription: \"Reviews release tags and their commits. "
            f"Use when a release needs checking.\"\n---\n\n# Release review\n\n"
            f"## Reference\n{facts}\n\n## Instructions\n1. Do the thing as needed.\n"
            f"2. Handle it properly.\n3. Make sure everything is good.\n")


def test_a_finding_links_to_its_line_of_skill_md(
        page: Page, browser: Browser, ui_url: str, reviewer_http: httpx.Client,
        jobs: list[str]) -> None:
    jobs.append(job_id := create_job(reviewer_http, "Review release tags and the commits "
                                     "they ship", enable_hitl_preview=True,
                                     enable_hitl_review=True))
    prompt = wait_prompt(reviewer_http, job_id, "preview")
    name = get_job(reviewer_http, job_id)["skill_name"]
    assert answer(reviewer_http, job_id, prompt["prompt_id"], action="proceed",
                  skill_md=vague_skill(name)).status_code == 200
    wait_prompt(reviewer_http, job_id, "validate")

    sign_in(page, ui_url)
    page.goto(f"{ui_url}/ui/jobs/{job_id}")
    expect(page.locator("#prompt-title")).to_contain_text("Review the validation report")
    # the vague last step's line in the file (the findings count body lines)
    number = vague_skill(name).splitlines().index("3. Make sure everything is good.") + 1
    target = f"L{number}"
    link = page.locator(f'ul.findings a.line-link[href="#{target}"]').first
    expect(link).to_be_visible()
    line = page.locator(f"#{target}")
    expect(line).to_have_text("3. Make sure everything is good.")
    expect(line).not_to_be_in_viewport()  # far below the findings: it must scroll there

    link.click()
    expect(page).to_have_url(re.compile(rf"/ui/jobs/{job_id}#{target}$"))
    assert page.evaluate("document.querySelector(':target').id") == target
    expect(line).to_be_in_viewport()
    assert line.evaluate("el => getComputedStyle(el).fontWeight") == "700"  # :target marked
    accessible(page)
    assert get_job(reviewer_http, job_id)["user_id"] == REVIEWER
    assert_stayed_home(browser)
    reviewer_http.post(f"/api/v2/jobs/{job_id}/cancel")
    wait_status(reviewer_http, job_id, ["cancelled"])
