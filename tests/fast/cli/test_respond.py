"""`respond`: the answer each checkpoint type needs, typed `--answer`s, and refusals.

The fake judges answers with the workflow's own `check_response`, so "refused by the
server" here is the refusal a real job gives (422/409), mapped to exit codes 2 and 6.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fast.cli.conftest import API_URL, Cli, exits_with
from tests.fast.cli.fakes import (
    JOB_ID,
    FakeGateway,
    FakeJob,
    Step,
    finished_job,
    make_prompt,
    make_view,
)
from workflows.models import HitlAction, HitlType, JobStatus

CLARIFY_ANSWERS = ["--answer", "subject=python pull requests", "--answer", "output=checklist",
                   "--answer", "examples=yes", "--answer", "topics=security, poetry"]


def waiting(fake: FakeGateway, kind: HitlType, prompt_id: int = 1, **prompt: Any) -> None:
    """A job waiting at `kind`, whose next step (after an answer) waits at confirm."""
    fake.add(FakeJob([Step(make_view(prompt=make_prompt(kind, prompt_id, **prompt))),
                      Step(make_view(prompt=make_prompt(HitlType.CONFIRM, prompt_id + 1)))]))


def test_clarify_answers_are_typed_by_the_questions(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.CLARIFY)
    ack = cli.json("respond", JOB_ID, "--action", "proceed", *CLARIFY_ANSWERS)
    assert set(ack) == {"job_id", "prompt_id", "response_id", "action", "status",
                        "duplicate", "prompt"}
    assert (ack["job_id"], ack["prompt_id"], ack["action"]) == (JOB_ID, 1, "proceed")
    assert ack["status"] == "pending_hitl" and ack["prompt"]["type"] == "confirm"
    [sent] = fake.answers
    assert sent.answers == {"subject": "python pull requests", "output": "checklist",
                            "examples": True, "topics": ["security", "poetry"]}


def test_human_output_names_the_next_checkpoint(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.CLARIFY)
    result = cli("respond", JOB_ID, "--action", "proceed", *CLARIFY_ANSWERS)
    assert result.stdout.splitlines() == [
        "Answered prompt 1 with proceed; job is pending_hitl.",
        "Next checkpoint: confirm (prompt 2): Confirm the plan for 'git-commit-messages'",
        f"  in the browser: {API_URL}/ui/jobs/{JOB_ID}"]


@pytest.mark.parametrize(("answer", "message"), [
    ("examples=maybe", "examples is yes/no: use true or false"),
    ("output=poster", "output is one of: checklist, guide, template"),
    ("topics=,", "topics needs at least one choice"),
    ("nope=1", "no question 'nope'; the prompt asks: examples, output, subject, topics"),
    ("novalue", "'novalue' is not KEY=VALUE"),
    ("=x", "'=x' is not KEY=VALUE"),
])
def test_unreadable_answers_are_usage_errors(cli: Cli, fake: FakeGateway, answer: str,
                                             message: str) -> None:
    waiting(fake, HitlType.CLARIFY)
    result = cli("respond", JOB_ID, "--action", "proceed", "--answer", answer)
    assert result.exit_code == 2 and "--answer" in result.stderr
    assert message in " ".join(result.stderr.split()), result.stderr  # the box wraps lines
    assert fake.answers == []


def test_incomplete_clarify_answer_is_refused_by_the_server(cli: Cli,
                                                            fake: FakeGateway) -> None:
    waiting(fake, HitlType.CLARIFY)
    exits_with(cli("respond", JOB_ID, "--action", "proceed", "--answer", "subject=x"), 2,
         "Answer does not fit the prompt", "'output' is a required property")
    exits_with(cli("respond", JOB_ID, "--action", "proceed"), 2, "'answers' is a required property")
    assert fake.answers == []


def test_structure_fix_accepting_the_suggestions(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.STRUCTURE_FIX)
    cli.json("respond", JOB_ID, "--action", "proceed", "--accept-suggestions")
    [sent] = fake.answers
    assert sent.accept_suggestions is True and sent.skill_name is None


def test_structure_fix_with_own_name_and_description(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.STRUCTURE_FIX)
    cli.json("respond", JOB_ID, "--action", "proceed", "--reject-suggestions",
             "--skill-name", "git-msgs", "--description", "Writes commits. Use when committing.")
    [sent] = fake.answers
    assert (sent.accept_suggestions, sent.skill_name, sent.description) == (
        False, "git-msgs", "Writes commits. Use when committing.")


def test_structure_fix_bad_name_is_refused(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.STRUCTURE_FIX)
    exits_with(cli("respond", JOB_ID, "--action", "proceed", "--skill-name", "Git Msgs"), 2,
         "does not match")
    assert fake.answers == []


@pytest.mark.parametrize("kind", [HitlType.CONFIRM, HitlType.PREVIEW, HitlType.VALIDATE])
def test_revise_sends_the_feedback(cli: Cli, fake: FakeGateway, kind: HitlType) -> None:
    waiting(fake, kind)
    ack = cli.json("respond", JOB_ID, "--action", "revise", "--feedback", "Cover security.")
    assert ack["action"] == "revise"
    [sent] = fake.answers
    assert (sent.action, sent.feedback, sent.prompt_id) == ("revise", "Cover security.", 1)


@pytest.mark.parametrize("kind", list(HitlType))
@pytest.mark.parametrize("action", [HitlAction.PROCEED, HitlAction.CANCEL])
def test_decisions_at_each_checkpoint(cli: Cli, fake: FakeGateway, kind: HitlType,
                                      action: HitlAction) -> None:
    waiting(fake, kind)
    args = ["--accept-suggestions"] if kind is HitlType.STRUCTURE_FIX else []
    if kind is HitlType.CLARIFY and action is HitlAction.PROCEED:
        args = CLARIFY_ANSWERS
    result = cli("respond", JOB_ID, "--action", action.value, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Answered prompt 1 with {action.value}; job is ")
    assert [a.action for a in fake.answers] == [action.value]


def test_revise_over_the_limit_is_refused(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.VALIDATE, revisions_used=3, revisions_left=0)
    exits_with(cli("respond", JOB_ID, "--action", "revise", "--feedback", "again"), 2,
         "Revision limit reached at validate (3 used); only proceed or cancel are accepted.")


def test_answering_an_old_prompt_exits_6(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.CONFIRM, prompt_id=2)
    exits_with(cli("respond", JOB_ID, "--action", "proceed", "--prompt-id", "1"), 6,
         "Prompt 1 is not the pending prompt (pending: 2)")
    assert fake.answers == []


def test_explicit_prompt_id_skips_the_prompt_lookup(cli: Cli, fake: FakeGateway) -> None:
    waiting(fake, HitlType.CONFIRM, prompt_id=2)
    assert cli.json("respond", JOB_ID, "--action", "proceed", "--prompt-id", "2")[
        "prompt_id"] == 2


def test_job_not_waiting_exits_6_without_sending(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job())
    exits_with(cli("respond", JOB_ID, "--action", "proceed"), 6,
         f"job {JOB_ID} is not waiting for an answer (status completed)")
    exits_with(cli("respond", JOB_ID, "--action", "proceed", "--prompt-id", "3"), 6,
         "The job has already finished (completed)")
    assert fake.answers == []


def test_job_running_between_checkpoints_exits_6(cli: Cli, fake: FakeGateway) -> None:
    fake.add(FakeJob([Step(make_view(status=JobStatus.RUNNING))]))
    exits_with(cli("respond", JOB_ID, "--action", "proceed"), 6, "(status running)")
