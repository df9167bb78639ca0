"""Answering checkpoints at the terminal (cli/interactive.py), with typed-in lines scripted.

The pexpect journeys in tests/test_cli_interactive.py prove the real terminal once; here
each question shape, each re-ask and each server refusal is one fast case.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from cli import interactive
from cli.client import ApiClient
from cli.exits import ExitCode
from cli.follow import follow
from cli.interactive import answer_prompt, collect_answer
from tests.fast.cli.fakes import (
    JOB_ID,
    FakeGateway,
    FakeJob,
    Step,
    make_prompt,
    make_view,
)
from workflows.models import HitlPrompt, HitlType, JobStatus


class Typist(Console):
    """A console whose `input` returns scripted lines; running out is Ctrl-D (EOFError)."""

    def __init__(self, *lines: str) -> None:
        super().__init__(file=io.StringIO(), width=120, highlight=False, soft_wrap=True)
        self.lines = list(lines)

    def input(self, prompt: Any = "", **kwargs: Any) -> str:
        self.print(prompt, end="")
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        self.print(line)
        return line

    @property
    def text(self) -> str:
        assert isinstance(self.file, io.StringIO)
        return self.file.getvalue()


CLARIFY = make_prompt(HitlType.CLARIFY)


def test_clarify_asks_each_question_in_its_shape() -> None:
    typist = Typist("python pull requests", "2", "y", "1, poetry", "")
    body = collect_answer(CLARIFY, typist)
    assert body == {"answers": {"subject": "python pull requests", "output": "checklist",
                                "examples": True, "topics": ["security", "poetry"]},
                    "action": "proceed"}
    for shown in ("What should the skill produce?", "2) Checklist (checklist)",
                  "Choice [1-3]:", "[y/n]:", "Choices (comma-separated, 1-2):",
                  "or type your own answer", "Action [proceed/cancel] (proceed):"):
        assert shown in typist.text, shown


def test_clarify_asks_again_until_an_answer_fits() -> None:
    typist = Typist("", "x", "9", "Guide", "maybe", "n", "3", "security,security", "")
    body = collect_answer(CLARIFY, typist)
    assert body["answers"] == {"subject": "x", "output": "guide", "examples": False,
                               "topics": ["security"]}  # a label works; repeats collapse
    assert "An answer is required." in typist.text
    assert "Pick a number from the list." in typist.text
    assert "Answer y or n." in typist.text
    assert "Pick numbers from the list or type your own answer." in typist.text


def test_cancel_at_clarify_drops_the_answers() -> None:
    assert collect_answer(CLARIFY, Typist("a", "1", "y", "1", "c")) == {"action": "cancel"}


@pytest.mark.parametrize(("typed", "action"), [
    ("", "proceed"), ("P", "proceed"), ("rev", "revise"), ("refine", "revise"), ("c", "cancel")])
def test_action_by_prefix_or_default(typed: str, action: str) -> None:
    lines = [typed, "Cover security."] if action == "revise" else [typed]
    body = collect_answer(make_prompt(HitlType.PREVIEW), Typist(*lines))
    assert body["action"] == action
    assert body.get("feedback") == ("Cover security." if action == "revise" else None)


def test_unknown_action_is_asked_again() -> None:
    typist = Typist("approve", "proceed")
    assert collect_answer(make_prompt(HitlType.CONFIRM), typist) == {"action": "proceed"}
    assert "Choose one of: proceed, revise, cancel, edit." in typist.text


def test_revise_is_not_offered_over_the_limit() -> None:
    prompt = make_prompt(HitlType.VALIDATE, revisions_used=3, revisions_left=0)
    typist = Typist("r", "")
    assert collect_answer(prompt, typist) == {"action": "proceed"}
    assert "Action [proceed/cancel] (proceed):" in typist.text


def test_structure_fix_takes_the_suggestions_by_default() -> None:
    body = collect_answer(make_prompt(HitlType.STRUCTURE_FIX), Typist("", ""))
    assert body == {"accept_suggestions": True, "action": "proceed"}


def test_structure_fix_own_values_keep_the_current_ones_on_enter() -> None:
    typist = Typist("n", "git-msgs", "", "")
    body = collect_answer(make_prompt(HitlType.STRUCTURE_FIX), typist)
    assert body == {"accept_suggestions": False, "skill_name": "git-msgs",
                    "description": "Writes commit messages.", "action": "proceed"}
    assert "Skill name [Git-Msgs]:" in typist.text


# ---------------------------------------------------------------------- against the API


def waiting(fake: FakeGateway, *prompts: HitlPrompt) -> None:
    steps = [Step(make_view(prompt=p)) for p in prompts]
    fake.add(FakeJob([*steps, Step(make_view(status=JobStatus.COMPLETED))]))


def test_refused_answer_shows_why_and_asks_again(api_client: ApiClient,
                                                 fake: FakeGateway) -> None:
    fix = make_prompt(HitlType.STRUCTURE_FIX)
    waiting(fake, fix)
    typist = Typist("n", "Git Msgs", "", "", "y", "")
    assert answer_prompt(api_client, JOB_ID, fix, typist) is True
    assert "The answer was refused: Answer does not fit the prompt" in typist.text
    assert [a.accept_suggestions for a in fake.answers] == [True]


def test_answer_to_a_replaced_prompt_moves_to_the_new_one(api_client: ApiClient,
                                                          fake: FakeGateway) -> None:
    """Someone else answered prompt 1 meanwhile: the newer prompt is shown and asked."""
    waiting(fake, make_prompt(HitlType.CONFIRM, 2))
    typist = Typist("subject", "1", "y", "1", "", "")
    assert answer_prompt(api_client, JOB_ID, CLARIFY, typist) is True
    assert "Prompt 1 is not the pending prompt (pending: 2)" in typist.text
    assert "The job is waiting on a newer prompt:" in typist.text
    assert [(a.prompt_id, a.action) for a in fake.answers] == [(2, "proceed")]


def test_answer_to_a_finished_job_gives_up(api_client: ApiClient, fake: FakeGateway) -> None:
    fake.add(FakeJob([Step(make_view(status=JobStatus.CANCELLED))]))
    typist = Typist("", "")
    assert answer_prompt(api_client, JOB_ID, make_prompt(HitlType.PREVIEW), typist) is False
    assert "The job has already finished (cancelled)" in typist.text


def test_lost_reply_is_retried_with_the_same_response_id(
        api_client: ApiClient, fake: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interactive.time, "sleep", lambda seconds: None)
    preview = make_prompt(HitlType.PREVIEW)
    waiting(fake, preview)
    fake.lost_replies = 1
    typist = Typist("")
    assert answer_prompt(api_client, JOB_ID, preview, typist) is True
    assert len(fake.answers) == 1  # applied once, though sent twice
    assert "This answer had already been applied." in typist.text


def test_follow_answers_each_checkpoint_until_done(api_client: ApiClient,
                                                   fake: FakeGateway) -> None:
    raised = [("prompt_raised", {"prompt_id": n, "summary": p.summary})
              for n, p in ((1, CLARIFY), (2, make_prompt(HitlType.CONFIRM, 2)))]
    fake.add(FakeJob([
        Step(make_view(), [("job_started", {})]),
        Step(make_view(prompt=CLARIFY), [raised[0]]),
        Step(make_view(prompt=make_prompt(HitlType.CONFIRM, 2)),
             [("answer_accepted", {"prompt_id": 1, "action": "proceed"}), raised[1]]),
        Step(make_view(status=JobStatus.COMPLETED),
             [("answer_accepted", {"prompt_id": 2, "action": "proceed"}), ("completed", {})])]))
    typist = Typist("commit messages", "1", "n", "2", "", "")
    code, view = follow(api_client, JOB_ID, typist, attach=False, interactive=True)
    assert code is ExitCode.OK and view is not None and view.status is JobStatus.COMPLETED
    assert [a.prompt_id for a in fake.answers] == [1, 2]
    assert fake.answers[0].answers == {"subject": "commit messages", "output": "guide",
                                       "examples": False, "topics": ["style"]}
    assert "checkpoint: confirm (prompt 2)" in typist.text and "✔ Completed" in typist.text


def test_ctrl_d_at_a_question_detaches_and_leaves_the_job(api_client: ApiClient,
                                                          fake: FakeGateway) -> None:
    fake.add(FakeJob([Step(make_view(prompt=CLARIFY), [("job_started", {}), (
        "prompt_raised", {"prompt_id": 1, "summary": CLARIFY.summary})])]))
    typist = Typist("half an answer")
    code, view = follow(api_client, JOB_ID, typist, attach=False, interactive=True)
    assert (code, view) == (ExitCode.DETACHED, None)
    assert f"Detached. Job {JOB_ID} keeps running; re-attach with skill-fleet attach " \
           f"{JOB_ID}" in typist.text
    assert fake.answers == []
