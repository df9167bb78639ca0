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
        prompt=current, hitl_type=current.type if current else None,
        last_prompt_id=current.prompt_id if current else 0,
        **fields,  # type: ignore[arg-type]
    )
