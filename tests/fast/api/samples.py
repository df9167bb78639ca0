"""Fixed job views and prompts: what a gateway would return for a job in a known state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from workflows.models import (
    HitlAction,
    HitlPrompt,
    HitlType,
    JobInput,
    JobStatus,
    JobView,
    Phase,
    Understanding,
    ValidationReport,
)

API = "/api/v2"
TASK = "Review Python pull requests for security issues and missing tests"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# Every route that names a job: (method, route template, JSON body).
JOB_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v2/jobs/{}", None),
    ("GET", "/api/v2/hitl/{}/prompt", None),
    ("GET", "/api/v2/jobs/{}/events?format=json", None),
    ("GET", "/api/v2/jobs/{}/events", None),
    ("GET", "/api/v2/drafts/{}", None),
    ("POST", "/api/v2/drafts/{}/promote", None),
    ("POST", "/api/v2/jobs/{}/cancel", None),
    ("POST", "/api/v2/hitl/{}/response", {"prompt_id": 1, "action": "proceed"}),
    ("POST", "/api/v2/jobs/{}/rewind", {"to": "understanding"}),
]


def new_job_id() -> str:
    return str(uuid.uuid4())


def prompt(prompt_id: int = 1, hitl_type: HitlType = HitlType.CONFIRM) -> HitlPrompt:
    return HitlPrompt(
        prompt_id=prompt_id, type=hitl_type, phase=Phase.UNDERSTANDING, created_at=NOW,
        deadline=NOW + timedelta(hours=1), actions=list(HitlAction), answer_schema={},
        summary="Confirm the plan",
    )


def job_view(
    job_id: str | None = None,
    *,
    user_id: str = "alice",
    status: JobStatus = JobStatus.PENDING_HITL,
    waiting: HitlPrompt | None = None,
    **fields: object,
) -> JobView:
    """A job's view; by default waiting at a confirm prompt, so every route has work to do."""
    job_id = job_id or new_job_id()
    current = waiting if waiting is not None else (
        prompt() if status is JobStatus.PENDING_HITL else None)
    return JobView(
        job_id=job_id, status=status, task_description=TASK, user_id=user_id,
        current_phase=Phase.UNDERSTANDING, progress_message="Waiting", progress_percent=20,
        created_at=NOW, updated_at=NOW,
        options=JobInput(job_id=job_id, task_description=TASK, user_id=user_id),
        prompt=current, last_prompt_id=current.prompt_id if current else 0,
        **stored_facts(fields),  # type: ignore[arg-type]
    )


def stored_facts(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with the view's derived fields given as the facts they are derived from:
    `skill_name` and `intended_taxonomy_path` as the plan's, `validation_passed`/`_score` as
    the report's (`hitl_type` and `hitl_data` follow the prompt)."""
    out = {k: v for k, v in fields.items() if k not in ("hitl_type", "hitl_data")}
    name = out.pop("skill_name", None)
    path = out.pop("intended_taxonomy_path", None)
    if name is not None and "understanding" not in out:
        out["understanding"] = Understanding(skill_name=name,
                                             taxonomy_path=path or f"development/{name}")
    passed, score = out.pop("validation_passed", None), out.pop("validation_score", None)
    if (passed is not None or score is not None) and "validation" not in out:
        out["validation"] = ValidationReport(
            passed=bool(passed), score=score if score is not None else (0.9 if passed else 0.4))
    return out
