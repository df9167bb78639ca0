"""HTTP request and response bodies (the job and prompt models come from `workflows.models`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from common.job_terms import USER_ID_PATTERN, TimeoutAction
from workflows.hitl import MAX_FEEDBACK_CHARS
from workflows.models import (
    HitlAction,
    HitlPrompt,
    HitlType,
    JobStatus,
    JobView,
    Phase,
    no_control_chars,
)
from workflows.reviewer_edits import MAX_FILES, MAX_SECTIONS, MAX_SKILL_MD_CHARS

WEBHOOK_URL_FIELD = "webhook_url"


def same_named(source: object, names: Iterable[str]) -> dict[str, Any]:
    """`names` read from `source` (fields or properties), for a model that takes them under the
    same names; a name `source` lacks is an AttributeError, never a silently missing value."""
    return {name: getattr(source, name) for name in names}


class CreateJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_description: str = Field(min_length=10, max_length=4000)
    user_id: str | None = Field(
        default=None, pattern=USER_ID_PATTERN,
        description="Owner in open mode (default 'default'); with API keys the key's user.",
    )
    enable_hitl_confirm: bool = False
    enable_hitl_preview: bool = False
    enable_hitl_review: bool = False
    hitl_timeout_seconds: float | None = Field(default=None, gt=0, le=30 * 24 * 3600)
    on_hitl_timeout: TimeoutAction | None = None
    webhook_url: HttpUrl | None = Field(
        default=None,
        description="Also receives a signed POST for each event of this job, in addition to "
                    "the operator's receiver. Its host must be in "
                    "SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS (empty by default: refused with 422).")

    _plain_text = field_validator("task_description")(no_control_chars)

    @field_validator("webhook_url")
    @classmethod
    def _short_url(cls, url: HttpUrl | None) -> HttpUrl | None:
        if url is not None and len(str(url)) > 2000:
            raise ValueError("webhook_url is longer than 2000 characters")
        return url


class CreateJobResponse(BaseModel):
    job_id: str
    status: JobStatus


class CreateJobWaitResponse(CreateJobResponse):
    """The reply of a create with `?wait=`: the job's status and prompt once the first prompt
    exists or the job ended (or the wait ran out), as answers' `?wait` returns them."""

    prompt: HitlPrompt | None = Field(
        default=None, description="Only with ?wait: the job's first prompt, if it has one yet.")


class JobSummary(BaseModel):
    job_id: str
    status: JobStatus | None
    current_phase: Phase | None
    user_id: str | None
    hitl_type: str | None
    task_description: str | None
    progress_percent: int | None
    created_at: str | None
    updated_at: str | None


class JobList(BaseModel):
    jobs: list[JobSummary]
    next_page_token: str | None


class JobDetail(JobView):
    """GET /jobs/{id}: the view the job last published (its OpenAPI name; the CLI parses it)."""


class CancelResponse(BaseModel):
    job_id: str
    status: str


class PromptResponse(BaseModel):
    job_id: str
    status: JobStatus
    prompt: HitlPrompt | None


class PromoteBody(BaseModel):
    """The promote request as callers send it; who asks comes from the API key."""

    model_config = ConfigDict(extra="forbid")

    overwrite: bool = Field(
        default=False, description="Replace a skill already at the path (yours, or any as admin).")
    delete_draft: bool = False
    force: bool = Field(
        default=False, description="Admins only: promote a skill that failed validation.")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included: an answer may nest objects and lists
    (walked with a stack, so a deep one cannot exhaust the recursion limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt_id: int = Field(ge=1, description="The prompt being answered (from GET .../prompt).")
    action: str = Field(default="proceed", max_length=32)
    response_id: str | None = Field(default=None, min_length=1, max_length=128)
    feedback: str | None = Field(default=None, max_length=MAX_FEEDBACK_CHARS)
    answers: dict[str, Any] | None = Field(default=None, max_length=20)
    # Their patterns are the prompt's (`workflows.hitl.answer_schema`), checked by the workflow.
    skill_name: str | None = Field(
        default=None, max_length=64,
        description="structure_fix and confirm: the skill's name (kebab-case).")
    description: str | None = Field(
        default=None, max_length=1024,
        description="structure_fix and confirm: the skill's description.")
    accept_suggestions: bool | None = None
    category: str | None = Field(
        default=None, max_length=200,
        description="confirm: the taxonomy category, e.g. 'devops' or 'devops/observability'.")
    outline: list[str] | None = Field(
        default=None, max_length=MAX_SECTIONS,
        description="confirm: the planned SKILL.md sections, in order.")
    skill_md: str | None = Field(
        default=None, max_length=MAX_SKILL_MD_CHARS,
        description="preview: the whole edited SKILL.md; it becomes a version written by you.")
    files: dict[str, str | None] | None = Field(
        default=None, max_length=MAX_FILES,
        description="preview: bundled files to write (relative path -> text) or remove (null).")

    _plain_text = field_validator("response_id", "feedback", "skill_name", "description",
                                  "category", "outline", "skill_md")(no_control_chars)

    @field_validator("files")
    @classmethod
    def _plain_files(cls, files: dict[str, str | None] | None) -> dict[str, str | None] | None:
        for path, text in (files or {}).items():
            no_control_chars([path, text])
        return files

    @field_validator("answers")
    @classmethod
    def _plain_answers(cls, answers: dict[str, Any] | None) -> dict[str, Any] | None:
        no_control_chars(list(_strings(answers)))
        return answers


class AnswerResponse(BaseModel):
    job_id: str
    prompt_id: int
    response_id: str
    action: HitlAction
    status: JobStatus
    duplicate: bool
    prompt: HitlPrompt | None


class HitlConfig(BaseModel):
    actions: list[str]
    aliases: dict[str, str]
    checkpoints: dict[str, dict[str, Any]]
    max_revisions: int
    hitl_timeout_seconds: float
    on_hitl_timeout: TimeoutAction


class Health(BaseModel):
    status: str
    temporal: str = Field(description="reachable, unreachable or misconfigured")
    detail: str | None = Field(
        default=None, description="What is misconfigured, e.g. the missing search attributes.")


class InboxItem(BaseModel):
    """One prompt waiting for a human, as the inbox lists it (from the job's memo view)."""

    job_id: str
    user_id: str | None
    type: HitlType
    prompt_id: int
    created_at: datetime
    deadline: datetime | None
    summary: str
    assignee: str | None = None
    skill_name: str | None = None
    revisions_left: int | None = None


class InboxPage(BaseModel):
    prompts: list[InboxItem]
    next_page_token: str | None
