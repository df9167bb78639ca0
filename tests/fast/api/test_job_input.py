"""What a create turns into: the job's input from the request and this server's settings.

Every policy setting is given a value other than its default, so a setting that does not
reach the job (a misspelt name, a property read as a field) fails here, not in a slow
integration test of escalation or refinement."""

from __future__ import annotations

from pathlib import Path

from api.routes.jobs import _job_input
from api.schemas import CreateJobRequest
from tests.fast.api.harness import make_settings
from workflows.models import JobInput

TASK = "Triage customer support tickets by urgency"


def _input(tmp_path: Path, body: CreateJobRequest, **settings: object) -> JobInput:
    return _job_input(body, "alice", "job-1", make_settings(tmp_path, **settings))


def test_server_policy_reaches_the_job(tmp_path: Path) -> None:
    job = _input(
        tmp_path, CreateJobRequest(task_description=TASK),
        max_revisions=7, pass_threshold=0.61, promotion_window_seconds=90,
        hitl_escalate_before="59s", hitl_escalation_group="group:leads",
        hitl_reminders="10s,30s", auto_refine_max=4, hitl_timeout_seconds=600,
        on_hitl_timeout="proceed", webhook_url="http://127.0.0.1:9/ops", judge_model=" judge ")
    assert (job.job_id, job.user_id, job.task_description) == ("job-1", "alice", TASK)
    assert (job.max_revisions, job.pass_threshold, job.promotion_window_seconds) == (7, 0.61, 90)
    assert (job.escalate_before_seconds, job.escalation_group) == (59, "group:leads")
    assert job.reminder_offsets_seconds == [30, 10]  # before the deadline, earliest first
    assert (job.auto_refine_max, job.hitl_timeout_seconds) == (4, 600)
    assert job.on_hitl_timeout.value == "proceed"
    assert job.operator_webhook and job.judge and job.webhook_url is None
    assert not (job.enable_hitl_confirm or job.enable_hitl_preview or job.enable_hitl_review)


def test_the_request_wins_where_it_may_choose(tmp_path: Path) -> None:
    body = CreateJobRequest(
        task_description=TASK, enable_hitl_confirm=True, enable_hitl_preview=True,
        enable_hitl_review=True, hitl_timeout_seconds=45, on_hitl_timeout="cancel",
        webhook_url="https://hooks.example/job")
    job = _input(tmp_path, body, hitl_timeout_seconds=600, on_hitl_timeout="proceed")
    assert job.enable_hitl_confirm and job.enable_hitl_preview and job.enable_hitl_review
    assert (job.hitl_timeout_seconds, job.on_hitl_timeout.value) == (45, "cancel")
    assert job.webhook_url == "https://hooks.example/job"
    assert not job.operator_webhook and not job.judge and job.escalate_before_seconds is None
