"""What each checkpoint shows besides its form: the preview's side-by-side diff, the word
diff of structure_fix, validate's findings by severity, and the cancel confirmation; and
who answered what in the timeline."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime

import httpx

from api.ui.diffs import Piece, Row, from_unified, side_by_side, word_diff
from api.ui.markdown_view import render_skill
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api
from tests.fast.api.samples import job_view
from tests.fast.ui.samples import SKILL_MD, data_for, prompt_for
from workflows.models import EventsPage, HitlType, JobEvent

OLD = "\n".join(f"line {i}" for i in range(1, 21))
NEW = OLD.replace("line 10", "line ten").replace("line 15\n", "") + "\nline 21"


def test_side_by_side_pairs_changes_and_folds_what_did_not_change() -> None:
    rows = side_by_side(OLD, NEW)
    assert rows[0] == Row("skipped", old="6 unchanged lines")  # lines 1-6; 7-9 are context
    changed = [r for r in rows if r.kind != "same"][1:]
    assert changed == [Row("changed", 10, "line 10", 10, "line ten"),
                       Row("removed", 15, "line 15", None, ""),
                       Row("added", None, "", 20, "line 21")]
    assert (changed[0].old_mark, changed[0].new_mark) == ("-", "+")
    assert side_by_side(OLD, OLD) == [Row("skipped", old="20 unchanged lines")]


def test_a_unified_diff_reads_as_the_same_rows() -> None:
    unified = "".join(difflib.unified_diff((OLD + "\n").splitlines(True),
                                           (NEW + "\n").splitlines(True), "a", "b"))
    rows = from_unified(unified + "... (diff cut at 9 characters; the version keeps it whole)")
    assert rows[0].kind == "hunk"
    assert [r for r in rows if r.kind in ("changed", "removed", "added")] == [
        r for r in side_by_side(OLD, NEW) if r.kind in ("changed", "removed", "added")]
    assert rows[-1] == Row("skipped", old="... (diff cut at 9 characters; the version keeps "
                                          "it whole)")


def test_word_diff_marks_whole_words() -> None:
    assert word_diff("Review_PRs for python", "review-prs for Python code") == [
        Piece("del", "Review_PRs"), Piece("ins", "review-prs"), Piece("same", " for "),
        Piece("del", "python"), Piece("ins", "Python code")]
    assert word_diff("", "new") == [Piece("ins", "new")]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


async def _page(client: httpx.AsyncClient, gateway: FakeGateway, hitl_type: HitlType,
                **data: object) -> str:
    prompt = prompt_for(hitl_type, data={**data_for(hitl_type), **data})
    gateway.view_result = job_view(waiting=prompt, skill_name="review-python-prs")
    r = await client.get(f"/ui/jobs/{gateway.view_result.job_id}")
    assert r.status_code == 200, r.text[:500]
    return r.text


async def test_the_preview_shows_its_diff_against_the_previous_version(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    page = await _page(open_browser, gateway, HitlType.PREVIEW, version=3,
                       previous_content=SKILL_MD.replace("Check `tests`.", "Run the tests."))
    table = page.split('id="skill-diff"')[1].split("</table>")[0]
    assert "version 2 (left) against version 3 (right)" in _text(table)
    changed = re.findall(r'<tr class="changed">(.*?)</tr>', table, re.S)
    assert len(changed) == 1
    assert _text(changed[0]) == "10 - 2. Run the tests. 10 + 2. Check `tests`."
    assert "<del>2. Run the tests.</del>" in changed[0]
    assert "<ins>2. Check `tests`.</ins>" in changed[0]
    # the first version has nothing to compare with
    first = await _page(open_browser, gateway, HitlType.PREVIEW, version=1,
                        previous_content=None)
    assert 'id="skill-diff"' not in first


async def test_the_preview_falls_back_to_the_unified_diff(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    page = await _page(open_browser, gateway, HitlType.PREVIEW, version=2,
                       previous_content=None,
                       diff="--- a\n+++ b\n@@ -3,1 +3,1 @@\n-old line\n+new line\n")
    assert "@@ -3,1 +3,1 @@" in page
    [changed] = re.findall(r'<tr class="changed">(.*?)</tr>', page, re.S)
    assert _text(changed) == "3 - old line 3 + new line"


async def test_structure_fix_shows_each_suggestion_word_by_word(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    page = await _page(open_browser, gateway, HitlType.STRUCTURE_FIX)
    [row] = re.findall(r'<tr class="fix" data-field="skill_name">(.*?)</tr>', page, re.S)
    assert ('<span class="word-diff"><del>Review_PRs</del><ins>review-prs</ins></span>'
            in row)


async def test_validate_groups_checks_by_severity_with_the_lines_they_concern(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    report = data_for(HitlType.VALIDATE)["report"]
    report["checks"].append({"check": "frontmatter", "passed": True, "severity": "error",
                             "message": "present"})
    report["findings"] = [{"part": "substance", "message": "vague steps", "lines": [4, 9],
                           "words": ["properly"]}]
    page = _text(await _page(open_browser, gateway, HitlType.VALIDATE, report=report))
    assert ("Errors: 1 failing of 2 FAIL name: too long pass frontmatter: present "
            "Warnings: 1 failing of 1 FAIL examples: no examples") in page
    assert "substance : vague steps (body lines 4, 9) words: properly" in page


async def test_cancel_asks_to_confirm_without_a_script(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    page = await _page(open_browser, gateway, HitlType.CONFIRM)
    details = page.split('<details class="cancel-confirm">')[1].split("</details>")[0]
    assert "<summary>Cancel the job&hellip;</summary>" in details
    assert '<button type="submit" name="action" value="cancel"' in details
    outside = page.replace(details, "")
    assert 'value="cancel"' not in outside  # no one-click cancel beside proceed/revise


async def test_the_timeline_says_who_answered_what(
        open_page: Api, open_browser: httpx.AsyncClient, gateway: FakeGateway) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    log = [JobEvent(seq=1, at=at, kind="answer_accepted",
                    data={"prompt_id": 1, "action": "revise", "answered_by": "rita"}),
           JobEvent(seq=2, at=at, kind="answer_accepted",  # a signal: nobody known
                    data={"prompt_id": 2, "action": "proceed"}),
           JobEvent(seq=3, at=at, kind="answer_accepted",
                    data={"prompt_id": 3, "action": "proceed", "source": "timeout"})]

    async def fetch_events(job_id: str, after: int) -> EventsPage:
        return EventsPage(events=log[after:], last_seq=len(log), terminal=False)

    gateway.fetch_events = fetch_events  # type: ignore[method-assign]
    page = await _page(open_browser, gateway, HitlType.CONFIRM)
    said = [_text(s) for s in re.findall(r'<span class="said">(.*?)</span>', page, re.S)]
    assert said == ["answered (revise) by rita", "answered (proceed)",
                    "the deadline passed (proceed)"]


def test_rendered_headings_nest_under_the_page_heading() -> None:
    """A11y: `# x` under the page's h2 is a level-3 heading; levels stop at 6."""
    html = str(render_skill("# A\n\n## B\n\n##### E\n", under_level=2).body_html)
    assert '<h1 aria-level="3">A</h1>' in html and '<h2 aria-level="4">B</h2>' in html
    assert '<h5 aria-level="6">E</h5>' in html
    assert "aria-level" not in str(render_skill("# A\n").body_html)
