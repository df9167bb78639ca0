"""Validation findings linked to their SKILL.md lines (api/ui/finding_lines.py): the body
line -> file line mapping checked against the real validator's findings, and the
validate checkpoint's page with the file's lines as `L<n>` targets."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from api.errors import ApiError
from api.ui.finding_lines import body_offset, link_findings, source_lines
from skill_format import split_skill_md
from skill_format.validator import validate_content
from tests.fast.api.harness import ALICE, Api
from tests.fast.api.samples import NOW, job_view
from tests.fast.ui.fakes import UiFakeGateway
from tests.fast.ui.pages import open_as
from tests.fast.ui.samples import data_for, prompt_for
from workflows.activity_models import SkillContent
from workflows.models import HitlType, SkillVersion

# Written for these tests: vague steps the validator points at by line.
VAGUE = """---
name: tidy-release-notes
description: "Tidies release notes before a release. Use when release notes need a pass."
---

# Tidy release notes

## Instructions
1. Do the thing as needed.
2. Handle it properly.
3. Run `git log v1.2..HEAD --oneline` and group the entries by `feat:` and `fix:`.
4. Make sure everything is good.
"""


@pytest.mark.parametrize(("text", "offset"), [
    (VAGUE, 4),
    (VAGUE.replace("\n", "\r\n"), 4),
    ("# No frontmatter\n\nbody\n", 0),
    ("---\nname: x\nnever closed\n", 0),  # the validator reads it all as the body
    ("---\nname: x\n---", 3),  # nothing after the frontmatter
])
def test_the_body_starts_after_the_frontmatter(text: str, offset: int) -> None:
    assert body_offset(text) == offset


def test_every_linked_line_is_the_line_the_validator_meant() -> None:
    report = validate_content("tidy-release-notes", SkillContent(skill_md=VAGUE, files={}))
    findings = [f.model_dump() for f in report.findings if f.lines]
    assert findings, "the sample must draw findings with lines"
    linked, lines = link_findings(findings, VAGUE)
    body = source_lines(split_skill_md(VAGUE)[1])
    pairs = [pair for f in linked for pair in f["targets"]]
    assert pairs and all(lines[line - 1] == body[n - 1] for n, line in pairs)
    assert any(lines[line - 1] == "1. Do the thing as needed." for _, line in pairs)


def test_lines_outside_the_file_are_not_linked() -> None:
    linked, lines = link_findings([{"part": "p", "message": "m", "lines": [0, 1, 99]}],
                                  "---\nname: x\n---\nonly line\n")
    assert linked[0]["targets"] == [(1, 4)] and lines[3] == "only line"
    unlinked, none = link_findings([{"part": "p", "message": "m", "lines": [1]}], None)
    assert unlinked[0]["targets"] == [] and none == []


def validate_job(gateway: UiFakeGateway) -> str:
    report = data_for(HitlType.VALIDATE)["report"]
    report["findings"] = [{"part": "actionability", "message": "steps any task would have",
                           "lines": [5, 6, 8], "words": []}]
    prompt = prompt_for(HitlType.VALIDATE, data={"report": report})
    gateway.view_result = job_view(waiting=prompt, skill_name="tidy-release-notes",
                                   versions_count=2)
    gateway.version_list = [SkillVersion(version=1, created_at=NOW,
                                         content=SkillContent(skill_md="old\n")),
                            SkillVersion(version=2, created_at=NOW,
                                         content=SkillContent(skill_md=VAGUE))]
    return gateway.view_result.job_id


async def test_the_validate_page_links_findings_to_numbered_lines(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = validate_job(gateway)
    page = (await open_as(browser, ALICE, f"/ui/jobs/{job_id}")).text
    links = re.findall(r'<a href="#(L\d+)" class="line-link"[^>]*>(\d+)</a>', page)
    assert links == [("L9", "5"), ("L10", "6"), ("L12", "8")]  # body line 5 is file line 9
    targets = dict(re.findall(r'<li id="(L\d+)"><code>([^<]*)</code></li>', page))
    assert len(targets) == len(source_lines(VAGUE))  # the newest version, every line
    assert unescape(targets["L9"]) == "1. Do the thing as needed."
    assert unescape(targets["L12"]) == "4. Make sure everything is good."
    assert gateway.called("version")[-1] == {"job_id": job_id, "number": 2, "owner": "alice"}


async def test_without_the_file_the_findings_keep_their_numbers(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = validate_job(gateway)
    gateway.fail["version"] = ApiError(503, "No worker is polling the task queue.")
    r = await open_as(browser, ALICE, f"/ui/jobs/{job_id}")
    assert r.status_code == 200
    assert "(body lines 5, 6, 8)" in r.text
    assert 'class="line-link"' not in r.text and 'id="L1"' not in r.text
