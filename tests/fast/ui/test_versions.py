"""Versions on the job page and a version's own page: who wrote it, when, its SKILL.md, and
what changed against the version before (SKILL.md and each bundled file)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import httpx

from api.errors import ApiError
from skill_format.models import SkillContent
from tests.fast.api.harness import ALICE, Api
from tests.fast.api.samples import NOW, job_view
from tests.fast.ui.fakes import UiFakeGateway
from tests.fast.ui.pages import open_as, sign_in
from workflows.models import JobStatus, SkillVersion, VersionInfo

V1 = "---\nname: triage-tests\n---\n# Triage\n\nRun the suite twice.\nKeep notes.\n"
V2 = "---\nname: triage-tests\n---\n# Triage\n\nRun the suite three times.\nKeep notes.\n"


def versions() -> list[SkillVersion]:
    return [
        SkillVersion(version=1, created_at=NOW, author="model",
                     content=SkillContent(skill_md=V1, files={"notes.md": "a\n",
                                                              "old.md": "gone\n"})),
        SkillVersion(version=2, created_at=NOW + timedelta(minutes=5), author="alice",
                     feedback="Run it three times",
                     content=SkillContent(skill_md=V2, files={"notes.md": "b\n",
                                                              "new.md": "fresh\n"})),
    ]


def with_versions(gateway: UiFakeGateway) -> str:
    found = versions()
    gateway.version_list = found
    gateway.view_result = job_view(status=JobStatus.PENDING_HITL, skill_name="triage-tests",
                                   versions_count=2, versions=[
                                       VersionInfo(version=v.version, created_at=v.created_at,
                                                   author=v.author, feedback=v.feedback)
                                       for v in found])
    return gateway.view_result.job_id


def text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


async def test_the_job_page_lists_every_version(ui: Api, browser: httpx.AsyncClient,
                                                gateway: UiFakeGateway) -> None:
    job_id = with_versions(gateway)
    r = await open_as(browser, ALICE, f"/ui/jobs/{job_id}")
    assert r.status_code == 200
    rows = re.findall(r'<tr data-version="(\d+)">(.*?)</tr>', r.text, re.S)
    assert [n for n, _ in rows] == ["1", "2"]
    first, second = (" ".join(text(row).split()) for _, row in rows)
    assert first.startswith("Version 1 model 2026-01-02 03:04:05 UTC")
    assert second == "Version 2 (latest) alice 2026-01-02 03:09:05 UTC Run it three times"
    assert f'href="/ui/jobs/{job_id}/versions/2"' in r.text
    assert gateway.called("version") == []  # the list comes from the view: no query


async def test_a_version_shows_its_skill_and_the_changes_since_the_one_before(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = with_versions(gateway)
    r = await open_as(browser, ALICE, f"/ui/jobs/{job_id}/versions/2")
    assert r.status_code == 200
    # one query per version shown: this one and the one before (each owner-checked)
    assert gateway.called("version") == [{"job_id": job_id, "number": n, "owner": "alice"}
                                         for n in (2, 1)]
    assert "<p>Run the suite three times.\nKeep notes.</p>" in r.text  # rendered
    diff = r.text[r.text.index('id="version-diff"'):]
    diff = diff[:diff.index("</table>")]
    assert "<del>Run the suite twice.</del>" in diff
    assert "<ins>Run the suite three times.</ins>" in diff
    assert "version 1 (left) against version 2 (right)" in diff
    files = " ".join(text(r.text[r.text.index('<ul class="files">'):]).split())
    assert files.startswith("new.md : added notes.md : changed old.md : removed")
    assert '<ins>fresh</ins>' in r.text and '<del>gone</del>' in r.text
    assert f'href="/ui/jobs/{job_id}/versions/1" rel="prev"' in r.text
    assert 'rel="next"' not in r.text
    assert "Answering</dt><dd>Run it three times" in r.text


async def test_the_first_version_has_nothing_before_it(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = with_versions(gateway)
    r = await open_as(browser, ALICE, f"/ui/jobs/{job_id}/versions/1")
    assert r.status_code == 200 and "nothing (the first version)" in r.text
    assert 'id="version-diff"' not in r.text
    assert f'href="/ui/jobs/{job_id}/versions/2" rel="next"' in r.text


async def test_missing_versions_and_other_users_jobs_are_not_found(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = with_versions(gateway)
    await sign_in(browser, ALICE)
    for bad in ("3", "0", "two", "99999999999"):
        r = await browser.get(f"/ui/jobs/{job_id}/versions/{bad}")
        assert r.status_code == 404 and "has no version" in r.text, bad
    gateway.fail["view"] = ApiError(404, f"Job {job_id} not found.")
    r = await browser.get(f"/ui/jobs/{job_id}/versions/1")
    assert r.status_code == 404
    assert [c["number"] for c in gateway.called("version")] == [3]  # only "3" is asked


async def test_a_version_that_cannot_be_read_says_why(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = with_versions(gateway)
    gateway.fail["version"] = ApiError(503, "No worker is polling the task queue.")
    r = await open_as(browser, ALICE, f"/ui/jobs/{job_id}/versions/1")
    assert r.status_code == 503 and "No worker is polling the task queue." in r.text


async def test_a_versions_markdown_is_sanitized(ui: Api, browser: httpx.AsyncClient,
                                                gateway: UiFakeGateway) -> None:
    job_id = with_versions(gateway)
    gateway.version_list[0].content.skill_md = "# Hi\n\n<script>alert(1)</script>\n"
    r = await open_as(browser, ALICE, f"/ui/jobs/{job_id}/versions/1")
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(1)" in r.text
