"""Models shared by the SkillJob workflow, its activities, the API and the CLI.

Everything that crosses a Temporal boundary is a pydantic model, so the
`pydantic_data_converter` serialises it the same way in every process.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from common.job_terms import TimeoutAction
from skill_format.skill_name import SKILL_NAME_FIELD_PATTERN

# The activities' inputs and outputs live in `workflows.activity_models`; re-exported
# here so every importer keeps one place to import models from.
from workflows.activity_models import (
    ClarifyingQuestion as ClarifyingQuestion,
    DeleteDraftInput as DeleteDraftInput,
    GenerateInput as GenerateInput,
    QuestionOption as QuestionOption,
    ResourcePlan as ResourcePlan,
    SaveDraftInput as SaveDraftInput,
    SaveDraftResult as SaveDraftResult,
    SkillContent as SkillContent,
    SuggestedFix as SuggestedFix,
    Understanding as Understanding,
    UnderstandInput as UnderstandInput,
    ValidateInput as ValidateInput,
    ValidationReport as ValidationReport,
)
from workflows.refine_models import RefineRound, TokenUsage

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_chars(value: Any) -> Any:
    """Refuse NUL and other control characters in free text (they would reach SKILL.md)."""
    texts = value if isinstance(value, list) else [value]
    for text in texts:
        if isinstance(text, str) and _CONTROL_CHARS.search(text):
            raise ValueError("must not contain NUL or other control characters")
    return value


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PENDING_USER_INPUT = "pending_user_input"
    PENDING_HITL = "pending_hitl"
    PENDING_REVIEW = "pending_review"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def is_waiting(self) -> bool:
        return self in (
            JobStatus.PENDING_USER_INPUT,
            JobStatus.PENDING_HITL,
            JobStatus.PENDING_REVIEW,
        )


class Phase(StrEnum):
    QUEUED = "queued"
    UNDERSTANDING = "understanding"
    GENERATION = "generation"
    VALIDATION = "validation"
    SAVING = "saving"
    DONE = "done"


class HitlType(StrEnum):
    CLARIFY = "clarify"
    STRUCTURE_FIX = "structure_fix"
    CONFIRM = "confirm"
    PREVIEW = "preview"
    VALIDATE = "validate"


class HitlAction(StrEnum):
    PROCEED = "proceed"
    REVISE = "revise"
    CANCEL = "cancel"


# The longest an answer's reply may be held for the next prompt (`?wait=`).
MAX_ANSWER_WAIT_SECONDS = 60.0

# `refine` is what the original preview/validate checkpoints called `revise`.
ACTION_ALIASES: dict[str, HitlAction] = {"refine": HitlAction.REVISE}


# --------------------------------------------------------------------------- job input


class JobInput(BaseModel):
    """Everything a job needs, resolved by the API at create time.

    Defaults that come from settings are resolved before the workflow starts:
    workflow code must not read the environment.
    """

    job_id: str
    task_description: str
    user_id: str = "default"
    enable_hitl_confirm: bool = False
    enable_hitl_preview: bool = False
    enable_hitl_review: bool = False
    hitl_timeout_seconds: float = 24 * 3600
    on_hitl_timeout: TimeoutAction = TimeoutAction.CANCEL
    max_revisions: int = 3
    pass_threshold: float = 0.75
    # A completed job stays open this long to accept `promote`.
    promotion_window_seconds: float = 30 * 24 * 3600
    # Reminders this many seconds before a prompt's deadline; escalation likewise.
    reminder_offsets_seconds: list[float] = Field(default_factory=list)
    escalate_before_seconds: float | None = None
    escalation_group: str = "admins"
    # Events also go to the operator's receiver. Its URL lives only in the worker's
    # settings (SKILL_FLEET_WEBHOOK_URL), so no job's options show it.
    operator_webhook: bool = False
    # The job's own receiver, in addition to the operator's (an allow-listed host).
    webhook_url: str | None = None
    created_at: datetime | None = None
    # A model's failing draft is refined this many rounds before a human sees it (the API
    # sets SKILL_FLEET_AUTO_REFINE_MAX; 0 here keeps jobs started before as they were).
    auto_refine_max: int = Field(default=0, ge=0, le=10)
    # The worker's rubric judge (SKILL_FLEET_JUDGE_MODEL) adds a part to model drafts' scores.
    judge: bool = False
    # Which commands the job issues (`workflows.lean_history.HISTORY_FORMAT`, set by the API);
    # 0, a job started by an older API, decides by its patches.
    history_format: int = Field(default=0, ge=0)


# --------------------------------------------------------------------------- human in the loop


class HitlPrompt(BaseModel):
    prompt_id: int
    type: HitlType
    phase: Phase
    created_at: datetime
    deadline: datetime
    actions: list[HitlAction]
    answer_schema: dict[str, Any]
    revisions_used: int = 0
    revisions_left: int = 0
    summary: str = ""
    # Who should answer: the job's user, or `group:<name>` once escalated.
    assignee: str = ""
    reminders_sent: int = 0
    # The type's payload: questions, suggested fixes, summary, content, report...
    data: dict[str, Any] = Field(default_factory=dict)


class AnswerCaller(BaseModel):
    """The API's caller behind an answer: a non-admin must own the job."""

    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(default=None, max_length=128)
    admin: bool = False


class HitlResponse(BaseModel):
    """An answer to one prompt; the same model for the signal and the update."""

    model_config = ConfigDict(extra="forbid")

    prompt_id: int
    action: str = HitlAction.PROCEED.value
    response_id: str | None = Field(default=None, max_length=128)
    feedback: str | None = None
    answers: dict[str, Any] | None = None
    skill_name: str | None = None
    description: str | None = None
    accept_suggestions: bool | None = None
    # Direct edits (`workflows.reviewer_edits`): the plan's at confirm, the files at preview.
    category: str | None = None
    outline: list[str] | None = None
    skill_md: str | None = None
    files: dict[str, str | None] | None = None
    # Who answered: set by the API from the caller's key, never by the answer's body.
    answered_by: str | None = Field(default=None, max_length=128)
    # Update only: hold the reply up to this long for the next prompt (or the job's end).
    wait_seconds: float = Field(default=0, ge=0, le=MAX_ANSWER_WAIT_SECONDS)
    # Update only, set by the API: who sends the answer, so the update's validator checks
    # ownership (the API does not describe the job first). None: an older API or an
    # operator's signal, not checked here.
    caller: AnswerCaller | None = None

    def normalized_action(self) -> HitlAction | None:
        action = self.action.strip().lower()
        if action in ACTION_ALIASES:
            return ACTION_ALIASES[action]
        try:
            return HitlAction(action)
        except ValueError:
            return None


class HitlAck(BaseModel):
    """What the update returns: the job's status after the answer was taken."""

    prompt_id: int
    response_id: str | None = None
    action: HitlAction
    status: JobStatus
    duplicate: bool = False
    # Workers before issue 27's slim replies carried the next prompt itself; now only its id
    # (the prompt is in the memo, where the API reads it), so its data is not written twice.
    prompt: HitlPrompt | None = None
    next_prompt_id: int | None = None


# --------------------------------------------------------------------------- job state


class JobEvent(BaseModel):
    seq: int
    at: datetime
    kind: str
    data: dict[str, Any] = Field(default_factory=dict)


class VersionInfo(BaseModel):
    """One version as the job's view lists it: who wrote it and why, without the files."""

    version: int
    created_at: datetime
    # "model", "offline" or the reviewer's user id; None for versions from before.
    author: str | None = None
    feedback: str | None = None


class SkillVersion(VersionInfo):
    """One version with its files: what `get_version` returns (the workflow keeps these; the
    job's state and result list versions without their files, see `VersionRecord`)."""

    content: SkillContent
    # Unified diff against the previous version (None for the first).
    diff: str | None = None


class VersionRecord(VersionInfo):
    """One version in the job's state and result: its size and hash, not its files, so the
    state stays far under Temporal's 2 MB payload limit however many versions there are."""

    # SKILL.md plus its files in UTF-8 bytes, and their `version_sha256` (None: from before).
    size_bytes: int | None = None
    sha256: str | None = None


def _copied(part: str, field: str, returns: Any) -> Any:
    """A derived field of `JobBase`: `field` of its optional `part`, None while it has none."""

    def read(self: BaseModel) -> Any:
        value = getattr(self, part)
        return None if value is None else getattr(value, field)

    return computed_field(property(read), return_type=returns)


class JobBase(BaseModel):
    """What a job's state and its view share: each fact stored once, its copies derived.

    The derived fields (`computed_field`) are in `model_dump` and JSON as before, for the
    API and the memo; on input they are ignored (`extra="ignore"`), so a state or view
    written when they were stored still loads.
    """

    model_config = ConfigDict(extra="ignore")

    job_id: str
    status: JobStatus = JobStatus.PENDING
    task_description: str
    user_id: str
    current_phase: Phase = Phase.QUEUED
    progress_message: str = "Queued"
    progress_percent: int = 0
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    options: JobInput
    # human in the loop
    prompt: HitlPrompt | None = None
    last_prompt_id: int = 0
    revisions: dict[str, int] = Field(default_factory=dict)
    clarifications: dict[str, Any] = Field(default_factory=dict)
    # outputs
    understanding: Understanding | None = None
    validation: ValidationReport | None = None
    draft_path: str | None = None
    final_path: str | None = None
    promoted: bool = False
    # Stored, not derived: it records the save, and its `draft_path` stays where the draft
    # was saved while `draft_path` above becomes None (promoted with delete_draft, expired).
    result: dict[str, Any] | None = None
    # What the last change did: the newest version against the one before, or the plan edit.
    last_diff: str | None = None
    # Refinement rounds of model drafts, and the tokens of model calls per call kind and
    # `total` (`workflows.refinement`).
    refine_rounds: list[RefineRound] = Field(default_factory=list)
    token_usage: dict[str, TokenUsage] = Field(default_factory=dict)

    hitl_type = _copied("prompt", "type", HitlType | None)
    skill_name = _copied("understanding", "skill_name", str | None)
    intended_taxonomy_path = _copied("understanding", "taxonomy_path", str | None)
    validation_passed = _copied("validation", "passed", bool | None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def validation_status(self) -> str | None:
        return None if self.validation is None else (
            "passed" if self.validation.passed else "failed")

    validation_score = _copied("validation", "score", float | None)


class JobState(JobBase):
    """The whole state of one skill job; what `get_state` returns and the workflow's result.

    Versions are listed without their files (the workflow keeps those: `get_version`).
    """

    applied_responses: dict[str, int] = Field(default_factory=dict)
    # A reviewer's edits of the plan, applied to every plan the author makes after them.
    plan_edits: dict[str, Any] = Field(default_factory=dict)
    versions: list[VersionRecord] = Field(default_factory=list)
    events: list[JobEvent] = Field(default_factory=list)

    @property
    def events_count(self) -> int:
        return len(self.events)

    @property
    def hitl_data(self) -> dict[str, Any] | None:
        return self.prompt.data if self.prompt else None


class JobView(JobBase):
    """What readers see of a job: the state without its bulky parts.

    The workflow publishes it as memo on every change (in parts, only the changed ones:
    `workflows.memo_view`), so the API reads a job with one `describe` call: fast, and
    possible with no worker running.
    """

    events_count: int = 0
    versions_count: int = 0
    versions: list[VersionInfo] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def hitl_data(self) -> dict[str, Any] | None:
        """The pending prompt's payload (the state has it as a plain property, not dumped)."""
        return self.prompt.data if self.prompt else None

    @classmethod
    def of(cls, state: JobState) -> JobView:
        return cls(
            **state.model_dump(include=set(JobBase.model_fields)),
            events_count=len(state.events),
            versions_count=len(state.versions),
            versions=[VersionInfo(version=v.version, created_at=v.created_at, author=v.author,
                                  feedback=v.feedback) for v in state.versions],
        )


class EventsPage(BaseModel):
    events: list[JobEvent]
    last_seq: int
    terminal: bool


# --------------------------------------------------------------------------- rewind


class RewindEdits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skill_name: str | None = Field(default=None, pattern=SKILL_NAME_FIELD_PATTERN, max_length=64)
    description: str | None = Field(default=None, min_length=1, max_length=1024,
                                    pattern=r"^[^<>]*$")
    outline: list[str] | None = Field(default=None, max_length=30)
    feedback: str | None = Field(default=None, max_length=4000)

    _plain_text = field_validator("description", "feedback", "outline")(no_control_chars)


class RewindRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Literal["understanding", "generation", "validation"]
    edits: RewindEdits = Field(default_factory=RewindEdits)


class RewindAck(BaseModel):
    to: Phase
    status: JobStatus
    rewinds_used: int


# --------------------------------------------------------------------------- webhooks


WebhookTarget = Literal["operator", "job"]


class WebhookInput(BaseModel):
    """One event for one receiver.

    The operator's receiver is named, never addressed: the worker knows its URL. `job`
    with a URL equal to the operator's is how jobs started before that looked.
    """

    target: WebhookTarget = "job"
    url: str = ""
    job_id: str
    user_id: str
    status: JobStatus
    phase: Phase
    event: JobEvent
