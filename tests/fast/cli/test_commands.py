"""What each command sends and prints: create, jobs, show, cancel, promote, skills, validate.

JSON output is the scripting contract (shapes are pinned); human output is checked for
the facts a person needs (ids, statuses, next commands), not for exact layout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from api.schemas import JobDetail
from common.job_terms import TimeoutAction
from tests.fast.cli.conftest import CORPUS, KEY, Cli
from tests.fast.cli.fakes import (
    JOB_ID,
    TASK,
    FakeGateway,
    FakeJob,
    Step,
    finished_job,
    make_prompt,
    make_view,
    summary,
)
from workflows.models import HitlType, JobStatus, Phase

VALID_SKILL = CORPUS / "valid" / "git-commit-messages"


# ---------------------------------------------------------------------- create


def test_create_no_wait_json_is_the_created_job(cli: Cli, fake: FakeGateway) -> None:
    created = cli.json("create", TASK, "--no-wait", "--user", "cli-create")
    assert set(created) == {"job_id", "status"} and created["status"] == "pending"
    [job] = fake.started
    assert created["job_id"] == job.job_id
    assert (job.task_description, job.user_id) == (TASK, "cli-create")
    assert not (job.enable_hitl_confirm or job.enable_hitl_preview or job.enable_hitl_review)


def test_create_passes_checkpoints_and_timeouts(cli: Cli, fake: FakeGateway) -> None:
    cli.json("create", TASK, "--no-wait", "--confirm", "--preview", "--review",
             "--hitl-timeout", "60", "--on-hitl-timeout", "proceed", SKILL_FLEET_USER="carol")
    [job] = fake.started
    assert job.enable_hitl_confirm and job.enable_hitl_preview and job.enable_hitl_review
    assert job.hitl_timeout_seconds == 60 and job.on_hitl_timeout is TimeoutAction.PROCEED
    assert job.user_id == "carol"  # SKILL_FLEET_USER when --user is not given


def test_create_without_a_terminal_does_not_wait(cli: Cli, fake: FakeGateway) -> None:
    """Piped output (scripts, CI) gets the id and the next commands, not a live follow."""
    result = cli("create", TASK)
    assert result.exit_code == 0, result.stderr
    [job] = fake.started
    assert f"Created job {job.job_id} (pending)." in result.stdout
    assert f"skill-fleet attach {job.job_id}" in result.stdout
    assert f"skill-fleet show {job.job_id}" in result.stdout


# ---------------------------------------------------------------------- jobs


def test_jobs_json_is_the_page(cli: Cli, fake: FakeGateway) -> None:
    fake.page = ([summary(JOB_ID)], "next-token")
    page = cli.json("jobs")
    assert set(page) == {"jobs", "next_page_token"} and page["next_page_token"] == "next-token"
    assert page["jobs"] == [summary(JOB_ID).model_dump(mode="json")]


def test_jobs_filters_reach_the_server(cli: Cli, fake: FakeGateway) -> None:
    cli.json("jobs", "--status", "pending_hitl", "--phase", "generation", "--user", "bob",
             "--limit", "5", "--page-token", "abc")
    assert fake.listed == [{"status": JobStatus.PENDING_HITL, "phase": Phase.GENERATION,
                            "user_id": "bob", "page_size": 5, "page_token": "abc"}]


@pytest.mark.parametrize(("env", "user"), [({}, "default"), ({"SKILL_FLEET_USER": "carol"},
                                                             "carol")])
def test_jobs_mine_in_open_mode(cli: Cli, fake: FakeGateway, env: dict[str, str],
                                user: str) -> None:
    cli.json("jobs", "--mine", **env)
    assert fake.listed[0]["user_id"] == user


def test_jobs_mine_with_a_key_is_the_keys_user(keyed_cli: Cli, fake: FakeGateway) -> None:
    """The CLI does not guess a user for a key; the server scopes the listing to its owner."""
    keyed_cli.json("jobs", "--mine", SKILL_FLEET_API_KEY=KEY)
    assert fake.listed[0]["user_id"] == "alice"


def test_jobs_table(cli: Cli, fake: FakeGateway) -> None:
    other = "11111111-2222-4333-8444-555555555555"
    fake.page = ([summary(JOB_ID), summary(other, JobStatus.PENDING_USER_INPUT,
                                           hitl_type="clarify", current_phase="understanding")],
                 "tok")
    out = cli("jobs").stdout
    header = out.splitlines()[0].split()
    assert header == ["JOB", "STATUS", "PHASE", "WAITING", "ON", "UPDATED", "TASK"]
    assert JOB_ID in out and other in out
    assert "pending_user_input" in out and "clarify" in out and "2030-01-02 03:09" in out
    assert "more: skill-fleet jobs --page-token tok" in out


def test_jobs_table_on_a_narrow_terminal_keeps_ids_whole(cli: Cli, fake: FakeGateway) -> None:
    fake.page = ([summary(JOB_ID, task_description="word " * 50)], None)
    out = cli("jobs", columns=80).stdout
    assert out.splitlines()[0].split() == ["JOB", "STATUS", "TASK"]
    row = out.splitlines()[1]
    assert JOB_ID in row and "completed" in row and row.endswith("…")
    assert len(row) <= 80 and "more:" not in out


def test_jobs_empty(cli: Cli) -> None:
    assert cli("jobs").stdout == "No jobs.\n"


# ---------------------------------------------------------------------- show


def test_show_json_is_the_job(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job())
    shown = cli.json("show", JOB_ID)
    assert set(shown) == set(JobDetail.model_fields) | set(JobDetail.model_computed_fields)
    assert shown["job_id"] == JOB_ID and shown["status"] == "completed"
    assert shown["draft_path"] and shown["prompt"] is None


def test_show_completed_job(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job(final_path="development/git-commit-messages", promoted=True))
    out = cli("show", JOB_ID).stdout
    assert f"job {JOB_ID}" in out
    for fact in ("completed", "done (100%)", "git-commit-messages",
                 "development/git-commit-messages", "passed (score 0.91)",
                 f"_drafts/{JOB_ID}/git-commit-messages", "promoted to"):
        assert fact in out, fact


def test_show_waiting_job_says_how_to_answer(cli: Cli, fake: FakeGateway) -> None:
    fake.add(FakeJob([Step(make_view(prompt=make_prompt(HitlType.CLARIFY)))]))
    out = cli("show", JOB_ID).stdout
    assert "pending_user_input" in out
    assert "clarify (prompt 1): 4 question(s) about the task" in out
    assert f"skill-fleet attach {JOB_ID}" in out and f"skill-fleet respond {JOB_ID}" in out


def test_show_failed_job_has_its_error(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job(status=JobStatus.FAILED, error="model [quota] exceeded",
                          validation_passed=False, validation_score=0.2))
    out = cli("show", JOB_ID).stdout
    assert "failed" in out and "model [quota] exceeded" in out  # markup-like text kept
    assert "failed (score 0.20)" in out


# ---------------------------------------------------------------------- cancel


def test_cancel(cli: Cli, fake: FakeGateway) -> None:
    fake.add(FakeJob([Step(make_view())]))
    assert cli.json("cancel", JOB_ID) == {"job_id": JOB_ID, "status": "cancelling"}
    assert cli("cancel", JOB_ID).stdout == f"Job {JOB_ID} is cancelling.\n"
    assert fake.cancelled == [JOB_ID, JOB_ID]


# ---------------------------------------------------------------------- promote


def test_promote_json_and_defaults(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job())
    promoted = cli.json("promote", JOB_ID)
    assert promoted == {"job_id": JOB_ID, "status": "promoted",
                        "final_path": "development/git-commit-messages",
                        "taxonomy_path": "development/git-commit-messages"}
    [request] = fake.promotions
    assert (request.overwrite, request.delete_draft, request.force) == (False, False, False)
    assert request.admin  # open local mode: every caller is an admin


def test_promote_flags_and_human_output(cli: Cli, fake: FakeGateway) -> None:
    fake.add(finished_job())
    result = cli("promote", JOB_ID, "--overwrite", "--delete-draft", "--force")
    assert result.stdout == ("Promoted to development/git-commit-messages "
                             "(development/git-commit-messages).\n")
    [request] = fake.promotions
    assert (request.overwrite, request.delete_draft, request.force) == (True, True, True)


# ---------------------------------------------------------------------- skills


def test_skills_empty(cli: Cli) -> None:
    assert cli.json("skills") == []
    assert cli("skills").stdout == "No skills yet.\n"


def test_skills_lists_the_library(cli: Cli, skills_root: Path) -> None:
    shutil.copytree(VALID_SKILL, skills_root / "development" / "git-commit-messages")
    [entry] = cli.json("skills")
    assert {"taxonomy_path", "name", "description", "path"} <= set(entry)
    assert entry["taxonomy_path"] == "development/git-commit-messages"
    assert entry["name"] == "git-commit-messages"
    out = cli("skills").stdout
    assert out.splitlines()[0].split() == ["TAXONOMY", "PATH", "NAME", "DESCRIPTION"]
    assert "development/git-commit-messages" in out


# ---------------------------------------------------------------------- validate (offline)


def test_validate_a_valid_skill(runner: Cli) -> None:
    """Offline: no API is needed (the runner has none)."""
    report = runner.json("validate", str(VALID_SKILL))
    assert report["passed"] is True and report["score"] >= 0.75
    result = runner("validate", str(VALID_SKILL / "SKILL.md"))  # the file means its folder
    assert result.exit_code == 0 and "Validation PASSED" in result.stdout
    checks = len(report["checks"])
    assert f"{checks}/{checks} checks passed" in result.stdout
    assert not ok_rows(result.stdout)  # passing checks are listed only with --all-checks
    assert ok_rows(runner("validate", str(VALID_SKILL), "--all-checks").stdout) == checks


def ok_rows(out: str) -> int:
    return sum(line.startswith("ok ") for line in out.splitlines())


def test_validate_a_failing_skill_exits_1(runner: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "Bad Skill"
    bad.mkdir()
    (bad / "SKILL.md").write_text("---\nname: x\n---\nhi\n")
    result = runner("validate", str(bad))
    assert result.exit_code == 1 and "Validation FAILED" in result.stdout
    assert "error" in result.stdout
    report = runner("validate", str(bad), "--json")
    assert report.exit_code == 1
    assert '"passed": false' in report.stdout
