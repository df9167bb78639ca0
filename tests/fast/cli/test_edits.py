"""Direct edits from the CLI: `respond`'s edit options and "edit" when answering interactively.

The fake gateway judges answers with the workflow's own `check_response`, so a refused edit
here is refused as a real job refuses it (422 -> exit 2, naming the field). The editor is
`click.edit`, replaced by a function that edits the text as a person would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest

from cli.interactive import collect_answer
from tests.fast.cli.conftest import Cli, exits_with
from tests.fast.cli.fakes import SKILL_MD, FakeGateway, make_prompt
from tests.fast.cli.test_interactive import Typist
from tests.fast.cli.test_respond import JOB_ID, waiting
from workflows.models import HitlType

EDITED = SKILL_MD + "\n## Examples\n\n- Fix a typo in the README: `docs: fix typo`.\n"


def test_confirm_edits_as_options(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.CONFIRM)
    ack = cli.json("respond", JOB_ID, "--action", "revise", "--skill-name", "commit-messages",
                   "--category", "devops", "--outline", "When to Use", "--outline", "Steps")
    assert ack["action"] == "revise"
    [sent] = fake.answers
    assert (sent.skill_name, sent.category, sent.outline, sent.feedback) == (
        "commit-messages", "devops", ["When to Use", "Steps"], None)


def test_preview_edits_from_files(cli: Cli, fake: FakeGateway, tmp_path: Path) -> None:
    waiting(fake, HitlType.PREVIEW)
    (tmp_path / "SKILL.md").write_text(EDITED)
    (tmp_path / "types.md").write_text("# Types\n")
    cli.json("respond", JOB_ID, "--action", "proceed", "--skill-md", str(tmp_path / "SKILL.md"),
             "--file", f"references/commit-types.md={tmp_path / 'types.md'}",
             "--remove-file", "references/types.md")
    [sent] = fake.answers
    assert sent.skill_md == EDITED
    assert sent.files == {"references/commit-types.md": "# Types\n",
                          "references/types.md": None}


def test_edits_from_a_json_file(cli: Cli, fake: FakeGateway, tmp_path: Path) -> None:
    waiting(fake, HitlType.CONFIRM)
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps({"description": "Writes commits. Use when committing.",
                                 "category": "development"}))
    cli.json("respond", JOB_ID, "--action", "proceed", "--edits", str(edits),
             "--category", "devops")  # an option wins over the file
    [sent] = fake.answers
    assert (sent.description, sent.category) == ("Writes commits. Use when committing.",
                                                 "devops")


@pytest.mark.parametrize(("args", "fragments"), [
    (["--category", "cooking"], ["category: 'cooking' is not allowed: a known category"]),
    (["--skill-name", "Bad Name"], ["skill_name: 'Bad Name' is not allowed"]),
    (["--outline", "# Steps"], ["outline/0:"]),
])
def test_a_refused_edit_names_the_field(cli: Cli, fake: FakeGateway, args: list[str],
                                        fragments: list[str]) -> None:
    waiting(fake, HitlType.CONFIRM)
    result = cli("respond", JOB_ID, "--action", "revise", *args)
    exits_with(result, 2, "Answer does not fit the prompt")
    flat = " ".join(result.stderr.split())
    assert all(f in flat for f in fragments), flat
    assert fake.answers == []


@pytest.mark.parametrize(("args", "message"), [
    (["--file", "references/a.md"], "is not PATH=LOCAL_FILE"),
    (["--skill-md", "/nonexistent/SKILL.md"], "--skill-md: cannot read"),
    (["--edits", "/nonexistent/edits.json"], "--edits: cannot read"),
])
def test_unreadable_edit_options_are_usage_errors(cli: Cli, fake: FakeGateway,
                                                  args: list[str], message: str) -> None:
    waiting(fake, HitlType.PREVIEW)
    result = cli("respond", JOB_ID, "--action", "proceed", *args)
    assert result.exit_code == 2 and message in " ".join(result.stderr.split()), result.stderr
    assert fake.answers == []


def test_revise_with_only_an_edit_needs_no_feedback(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.CONFIRM)
    cli.json("respond", JOB_ID, "--action", "revise", "--category", "devops")
    assert [a.category for a in fake.answers] == ["devops"]
    waiting(fake, HitlType.CONFIRM)
    result = cli("respond", JOB_ID, "--action", "revise")
    assert result.exit_code == 2 and "--feedback (or an edit)" in result.stderr


def _editor(replacement: str | None, seen: list[str]) -> Any:
    def edit(text: str, **options: Any) -> str | None:
        seen.append(text)
        assert options.get("extension") == ".md"
        return replacement

    return edit


def test_edit_at_preview_opens_the_editor_on_skill_md(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(click, "edit", _editor(EDITED, seen))
    typist = Typist("edit", "")  # edit, then proceed (the default)
    body = collect_answer(make_prompt(HitlType.PREVIEW), typist)
    assert seen == [SKILL_MD]
    assert body == {"skill_md": EDITED, "action": "proceed"}
    assert "Action [proceed/revise/cancel/edit]" in typist.text


def test_an_unchanged_editor_asks_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(click, "edit", _editor(None, []))  # closed without saving
    typist = Typist("e", "proceed")
    assert collect_answer(make_prompt(HitlType.PREVIEW), typist) == {"action": "proceed"}
    assert "SKILL.md was not changed." in typist.text


def test_edit_at_confirm_asks_each_field() -> None:
    typist = Typist("edit", "commit-messages", "", "devops", "When to Use, Steps", "revise")
    body = collect_answer(make_prompt(HitlType.CONFIRM), typist)
    assert body == {"skill_name": "commit-messages", "category": "devops",
                    "outline": ["When to Use", "Steps"], "action": "revise"}
    assert "Category [development]:" in typist.text


def test_validate_offers_no_edit() -> None:
    typist = Typist("")
    collect_answer(make_prompt(HitlType.VALIDATE), typist)
    assert "Action [proceed/revise/cancel] (proceed):" in typist.text
