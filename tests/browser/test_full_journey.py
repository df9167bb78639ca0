"""One job through every checkpoint, answered only in the page, to a promoted skill.

The task is vague and names its skill badly on purpose, so the offline author asks its
clarify questions (a text answer, a choice, yes/no: the form drawn from the prompt's
schema) and then raises structure_fix for the name; the reviewer writes their own name.
At confirm they revise with feedback (a category the offline author applies), then
proceed; at preview they edit SKILL.md in the form and revise, so the next preview shows
the change against the previous version side by side, then proceed; validate proceed;
the job completes and is promoted from the page. Nothing leaves loopback.
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Browser, assert_stayed_home, sign_in
from tests.browser.test_reviewer_page import wait_for_status
from tests.support import create_job, get_job, wait_prompt

# Vague (the author must ask) and with a name that breaks the rules (uppercase, '_').
TASK = "Do stuff called My_Thing please"
NAME = "pull-request-review-checklist"  # the reviewer's own name at structure_fix
ADDED = "- A pull request without tests: ask for them before approving."


def answered(page: Page, prompt_id: int, title: str) -> Locator:
    """The page after an answer: the next prompt, by its number and title."""
    expect(page.locator(".notice")).to_contain_text("was taken.")
    heading = page.locator("#prompt-title")
    expect(heading).to_contain_text(f"prompt {prompt_id},")
    expect(heading).to_contain_text(title)
    return page.locator("section.prompt")


def test_one_job_through_every_checkpoint_in_the_page(
        page: Page, browser: Browser, ui_url: str, reviewer_http: httpx.Client) -> None:
    job_id = create_job(reviewer_http, TASK, enable_hitl_confirm=True,
                        enable_hitl_preview=True, enable_hitl_review=True)
    wait_prompt(reviewer_http, job_id, "clarify")
    sign_in(page, ui_url)
    page.goto(f"{ui_url}/ui/jobs/{job_id}")

    # clarify: a text question, a single choice and a yes/no, drawn from the schema
    prompt = page.locator("section.prompt")
    expect(page.locator("#prompt-title")).to_contain_text("Answer a few questions")
    prompt.get_by_label("What should the skill work on (the subject or domain)?").fill(
        "reviewing python pull requests")
    prompt.get_by_role("group", name="What should the skill produce?").get_by_role(
        "radio", name="Checklist").check()
    prompt.get_by_role("group", name="Should the skill include worked examples?").get_by_role(
        "radio", name="Yes").check()
    prompt.get_by_role("button", name="Proceed").click()

    # structure_fix: the bad name against the suggestion, word by word; the reviewer's own
    prompt = answered(page, 2, "Fix the skill's name or description")
    fix = prompt.locator('tr.fix[data-field="skill_name"]')
    expect(fix).to_contain_text("My_Thing")
    expect(fix.locator(".word-diff del")).to_have_text("My_Thing")
    prompt.get_by_label("Skill name").fill(NAME)
    prompt.get_by_role("button", name="Proceed").click()

    # confirm: revise with feedback, see the plan change, then proceed
    prompt = answered(page, 3, "Confirm the plan")
    expect(prompt.locator("dl.plan")).to_contain_text(NAME)
    prompt.get_by_label("Feedback").fill("Put it under security.")
    prompt.get_by_role("button", name="Revise").click()
    prompt = answered(page, 4, "Confirm the plan")
    expect(prompt.locator("dl.plan")).to_contain_text(f"security/{NAME}")
    expect(prompt).to_contain_text("revisions left: 2")
    prompt.get_by_role("button", name="Proceed").click()

    # preview: the reviewer edits SKILL.md and revises; the next preview shows the change
    prompt = answered(page, 5, "Review the draft SKILL.md")
    expect(prompt.locator("#skill-diff")).to_have_count(0)  # the first version
    source = prompt.get_by_label("SKILL.md", exact=True)
    first = source.input_value()
    assert "## Edge Cases\n\n" in first
    source.fill(first.replace("## Edge Cases\n\n", f"## Edge Cases\n\n{ADDED}\n", 1))
    prompt.get_by_role("button", name="Revise").click()
    prompt = answered(page, 6, "Review the draft SKILL.md")
    expect(prompt.get_by_role("heading", name="Changes from version 1")).to_be_visible()
    added = prompt.locator("#skill-diff tr.added, #skill-diff tr.changed")
    expect(added.filter(has_text=ADDED)).to_have_count(1)
    expect(added.filter(has_text=ADDED).locator("ins")).to_have_text(ADDED)
    expect(prompt.locator("#skill-rendered")).to_contain_text(ADDED.removeprefix("- "))
    prompt.get_by_role("button", name="Proceed").click()

    # validate: the report, then proceed
    prompt = answered(page, 7, "Review the validation report")
    expect(prompt).to_contain_text("Validation: passed")
    prompt.get_by_role("button", name="Proceed").click()

    wait_for_status(page, "completed")
    expect(page.locator("#timeline-region")).to_contain_text("answered (revise) by rita")
    expect(page.locator("#versions-region tr[data-version]")).to_have_count(2)
    page.get_by_role("button", name="Promote").click()
    expect(page.locator(".notice")).to_contain_text(f"Promoted to security/{NAME}")
    job = get_job(reviewer_http, job_id)
    assert (job["status"], job["promoted"], job["final_path"]) == (
        "completed", True, f"security/{NAME}")
    assert job["clarifications"] == {"subject": "reviewing python pull requests",
                                     "output": "checklist", "examples": True}
    assert [v["author"] for v in job["versions"]] == ["offline", "rita"]
    assert_stayed_home(browser)
