"""A fake `JobGateway` for the in-process API: scripted jobs instead of Temporal workflows.

A job is a list of steps (its view after each step, and the events the step added).
Following the event stream moves a job on by one step unless it waits for a human; an
accepted answer moves it on, and so does a prompt marked `moves_on` (a timeout, or an
answer from elsewhere) once a client has read the job and so has seen the prompt.
Answers are judged by the workflow's own `check_response`, so a refusal reaches the
CLI with the same status and message as from a real job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.errors import ApiError
from api.job_gateway import parse_job_id
from api.refusal_status import REFUSAL_STATUS
from api.schemas import JobSummary
from tests.fast.api.samples import stored_facts
from workflows.hitl import PHASE_OF, allowed_actions, answer_schema, check_response, waiting_status
from workflows.models import (
    EventsPage,
    HitlAck,
    HitlPrompt,
    HitlResponse,
    HitlType,
    JobEvent,
    JobInput,
    JobStatus,
    JobView,
    Phase,
)
from workflows.promotion_models import PromoteRequest, PromoteResult
from workflows.prompt_text import prompt_summary

JOB_ID = "0b0e5a3c-6f1d-4e8a-9c2b-7d4f3e2a1b0c"
MISSING_JOB = "00000000-0000-4000-8000-000000000000"
TASK = "Write commit messages for git repositories following the conventional commits format"
AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
# An answer the CLI never sends would leave a stream waiting; fail the test instead.
ANSWER_WAIT_SECONDS = 5.0
POLL_SECONDS = 0.005

QUESTIONS: list[dict[str, Any]] = [
    {"id": "subject", "text": "What should the skill work on?", "question_type": "text"},
    {"id": "output", "text": "What should the skill produce?", "question_type": "single",
     "options": [{"id": "guide", "label": "Guide"}, {"id": "checklist", "label": "Checklist"},
                 {"id": "template", "label": "Template"}]},
    {"id": "examples", "text": "Should the skill include worked examples?",
     "question_type": "boolean"},
    {"id": "topics", "text": "Which topics?", "question_type": "multi", "allows_other": True,
     "options": [{"id": "security", "label": "Security"}, {"id": "style", "label": "Style"}]},
]
REPORT: dict[str, Any] = {
    "passed": True, "score": 0.91, "score_parts": {"structure": 1.0, "triggers": 0.8},
    "checks": [{"check": "name_format", "passed": True, "message": "ok"},
               {"check": "trigger_clarity", "passed": False, "severity": "warning",
                "message": "description could name more triggers"}],
    "weaknesses": ["few examples"],
}
SKILL_MD = ("---\nname: git-commit-messages\ndescription: Writes conventional commits. Use when "
            "committing.\n---\n\n# Git Commit Messages\n\n## When to Use\n\n- Before a commit.\n")
PROMPT_DATA: dict[HitlType, dict[str, Any]] = {
    HitlType.CLARIFY: {"questions": QUESTIONS, "ambiguities": ["which repositories"]},
    HitlType.STRUCTURE_FIX: {
        "issues": ["name has capitals"],
        "suggested_fixes": [{"field": "skill_name", "issue": "capitals", "current": "Git-Msgs",
                             "suggested": "git-msgs", "explanation": "lowercase only"}],
        "current": {"skill_name": "Git-Msgs", "description": "Writes commit messages."}},
    HitlType.CONFIRM: {"summary": {"skill_name": "git-commit-messages",
                                   "taxonomy_path": "development/git-commit-messages",
                                   "scope": ["format", "examples"], "key_assumptions": []}},
    HitlType.PREVIEW: {"content": SKILL_MD, "files": ["references/types.md"], "version": 1},
    HitlType.VALIDATE: {"report": REPORT},
}


def make_prompt(kind: HitlType, prompt_id: int = 1, *, revisions_used: int = 0,
                revisions_left: int = 3, **data: Any) -> HitlPrompt:
    """A prompt as the workflow raises it (actions, schema and summary from its own code)."""
    payload = {**PROMPT_DATA[kind], **data}
    left = revisions_left if kind in (HitlType.CONFIRM, HitlType.PREVIEW,
                                      HitlType.VALIDATE) else 0
    actions = allowed_actions(kind, revisions_left=left)
    prompt = HitlPrompt(
        prompt_id=prompt_id, type=kind, phase=PHASE_OF[kind], created_at=AT,
        deadline=AT + timedelta(hours=1), actions=actions,
        answer_schema=answer_schema(kind, payload, actions), revisions_used=revisions_used,
        revisions_left=left, assignee="default", data=payload)
    prompt.summary = prompt_summary(prompt)
    return prompt


def make_view(job_id: str = JOB_ID, status: JobStatus = JobStatus.RUNNING, *,
              prompt: HitlPrompt | None = None, **fields: Any) -> JobView:
    """A job view with plausible defaults; a prompt sets the status and phase it implies."""
    if prompt is not None:
        status = waiting_status(prompt.type)
        fields.setdefault("current_phase", prompt.phase)
        fields.setdefault("last_prompt_id", prompt.prompt_id)
    if status is JobStatus.COMPLETED:
        fields.setdefault("current_phase", Phase.DONE)
        fields.setdefault("progress_percent", 100)
        fields.setdefault("skill_name", "git-commit-messages")
        fields.setdefault("intended_taxonomy_path", "development/git-commit-messages")
        fields.setdefault("draft_path", f"_drafts/{job_id}/git-commit-messages")
        fields.setdefault("validation_passed", True)
        fields.setdefault("validation_score", 0.91)
    task = fields.pop("task_description", TASK)
    user = fields.pop("user_id", "default")
    defaults: dict[str, Any] = {
        "current_phase": Phase.UNDERSTANDING, "progress_percent": 10,
        "progress_message": f"Waiting for a human: {prompt.summary}" if prompt else "Working",
    }
    return JobView(job_id=job_id, status=status, task_description=task, user_id=user,
                   created_at=AT, updated_at=AT, prompt=prompt,
                   options=JobInput(job_id=job_id, task_description=task, user_id=user),
                   **stored_facts({**defaults, **fields}))


@dataclass
class Step:
    """The job's view after this step, and the events (kind, data) the step added."""

    view: JobView
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # A step with a prompt waits for an answer, unless it moves on alone (a timeout).
    moves_on: bool = False


@dataclass
class FakeJob:
    """A scripted job: `steps[at].view` is what readers see; `log` grows with each step."""

    steps: list[Step]
    at: int = 0
    log: list[JobEvent] = field(default_factory=list)
    # Clients' reads since the stream last handed out events (the stream's own not counted).
    reads: int = 0

    def __post_init__(self) -> None:
        self._record(self.steps[0])

    @property
    def view(self) -> JobView:
        return self.steps[self.at].view.model_copy(update={"events_count": len(self.log)})

    def advance(self) -> bool:
        if self.at + 1 >= len(self.steps):
            return False
        self.at += 1
        self._record(self.steps[self.at])
        return True

    async def next_step(self) -> None:
        """What following the job waits for: time passing, or a human's move at a prompt."""
        at, step = self.at, self.steps[self.at]
        if step.view.prompt is None:
            if not self.advance():
                raise AssertionError(f"the script of {step.view.job_id} ended before the job")
            return
        deadline = asyncio.get_running_loop().time() + ANSWER_WAIT_SECONDS
        while self.at == at and not (step.moves_on and self.reads):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"prompt {step.view.prompt.prompt_id} was never answered")
            await asyncio.sleep(POLL_SECONDS)
        if self.at == at:
            self.advance()

    def _record(self, step: Step) -> None:
        for kind, data in step.events:
            self.log.append(JobEvent(seq=len(self.log) + 1, at=AT, kind=kind, data=data))


def finished_job(job_id: str = JOB_ID, status: JobStatus = JobStatus.COMPLETED,
                 **fields: Any) -> FakeJob:
    """A job that has already run to `status`, with the usual event history."""
    events = [("job_started", {}), ("phase_started", {"phase": "understanding"}),
              ("phase_started", {"phase": "generation"}), ("version_created", {"version": 1}),
              ("validated", {"passed": True, "score": 0.91}),
              (status.value, {"reason": fields.get("progress_message", "")})]
    return FakeJob([Step(make_view(job_id, status, **fields), events)])


def summary(job_id: str, status: JobStatus = JobStatus.COMPLETED, **fields: Any) -> JobSummary:
    """A row of the job list, as visibility returns it."""
    values: dict[str, Any] = {
        "job_id": job_id, "status": status, "current_phase": Phase.DONE, "user_id": "default",
        "hitl_type": None, "task_description": TASK, "progress_percent": 100,
        "created_at": "2030-01-02T03:04:05+00:00", "updated_at": "2030-01-02T03:09:00+00:00"}
    return JobSummary.model_validate({**values, **fields})


class FakeGateway:
    """Stands in for `JobGateway` behind `app.dependency_overrides[get_gateway]`."""

    def __init__(self) -> None:
        self.jobs: dict[str, FakeJob] = {}
        self.fail: dict[str, ApiError] = {}  # method name -> the error it raises
        self.started: list[JobInput] = []
        self.answers: list[HitlResponse] = []  # applied answers, in order
        self.applied: dict[str, HitlAck] = {}  # by response_id: a retry is a duplicate
        self.lost_replies = 0  # answers applied whose reply is then lost (a 503)
        self.stream_outages = 0  # event stream requests refused with a 503 before one works
        self.promotions: list[PromoteRequest] = []
        self.cancelled: list[str] = []
        self.listed: list[dict[str, Any]] = []
        self.page: tuple[list[JobSummary], str | None] = ([], None)
        self.next_job: FakeJob | None = None  # what `start` creates, under the new id
        self.promote_result: PromoteResult | None = None

    def add(self, job: FakeJob) -> FakeJob:
        self.jobs[job.view.job_id] = job
        return job

    def _job(self, job_id: str, owner: str | None = None) -> FakeJob:
        job_id = parse_job_id(job_id)  # the real gateway's 404 for malformed ids
        job = self.jobs.get(job_id)
        if job is None or (owner is not None and job.view.user_id != owner):
            raise ApiError(404, f"Job {job_id} not found.")
        return job

    def _maybe_fail(self, method: str) -> None:
        if method in self.fail:
            raise self.fail[method]

    # ---------------------------------------------------------------- JobGateway API

    async def start(self, job: JobInput, fingerprint: str | None = None) -> JobView | None:
        self._maybe_fail("start")
        self.started.append(job)
        if self.next_job is not None:
            old = self.next_job.view.job_id
            steps = [Step(JobView.model_validate_json(
                s.view.model_dump_json().replace(old, job.job_id)), s.events, s.moves_on)
                for s in self.next_job.steps]
            self.jobs[job.job_id] = FakeJob(steps)
        else:
            self.add(FakeJob([Step(make_view(job.job_id, JobStatus.PENDING,
                                             user_id=job.user_id))]))
        return None

    async def exists(self, job_id: str) -> bool:
        return job_id in self.jobs

    async def active_jobs(self, user_id: str) -> int:
        return 0

    async def view(self, job_id: str, owner: str | None = None, *,
                   watched: bool = False) -> JobView:
        self._maybe_fail("view")
        job = self._job(job_id, owner)
        job.reads += 1
        return job.view

    async def view_json(self, job_id: str, owner: str | None = None) -> bytes:
        return (await self.view(job_id, owner)).model_dump_json().encode()

    async def list(self, **query: Any) -> tuple[list[JobSummary], str | None]:
        self._maybe_fail("list")
        self.listed.append(query)
        return self.page

    async def answer(self, job_id: str, response: HitlResponse,
                     owner: str | None = None) -> HitlAck:
        job = self._job(job_id, owner)
        self._maybe_fail("answer")
        if response.response_id in self.applied:
            return self.applied[response.response_id].model_copy(update={"duplicate": True})
        if job.view.status.is_terminal:
            raise ApiError(409, f"The job has already finished ({job.view.status.value}).")
        refusal = check_response(job.view.prompt, response, answer_pending=False)
        if refusal is not None:
            raise ApiError(REFUSAL_STATUS[refusal.kind], refusal.message, reason=refusal.kind)
        self.answers.append(response)
        action = response.normalized_action()
        assert action is not None
        job.advance()
        ack = HitlAck(prompt_id=response.prompt_id, response_id=response.response_id,
                      action=action, status=job.view.status, prompt=job.view.prompt)
        self.applied[str(response.response_id)] = ack
        if self.lost_replies:
            self.lost_replies -= 1
            raise ApiError(503, "No worker took the answer in time. It may still be applied; "
                                "retry with the same response_id to be safe.")
        return ack

    async def promote(self, job_id: str, request: PromoteRequest,
                      owner: str | None = None) -> PromoteResult:
        job = self._job(job_id, owner)
        self._maybe_fail("promote")
        self.promotions.append(request)
        path = job.view.intended_taxonomy_path or "development/x"
        return self.promote_result or PromoteResult(job_id=job_id, final_path=path,
                                                    taxonomy_path=path)

    async def cancel(self, job_id: str, owner: str | None = None) -> None:
        job = self._job(job_id, owner)
        self._maybe_fail("cancel")
        if job.view.status.is_terminal:
            raise ApiError(409, f"The job has already finished ({job.view.status.value}).")
        self.cancelled.append(job_id)

    async def events(self, job_id: str, after: int, owner: str | None = None) -> EventsPage:
        self._job(job_id, owner)
        return await self.fetch_events(job_id, after)

    async def fetch_events(self, job_id: str, after: int) -> EventsPage:
        self._maybe_fail("fetch_events")
        job = self._job(job_id)
        events = [e for e in job.log if e.seq > after]
        if events:
            job.reads = 0  # only a read after these events counts as having seen them
        return EventsPage(events=events, last_seq=len(job.log),
                          terminal=job.view.status.is_terminal)

    async def follow(self, job_id: str) -> AsyncIterator[int]:
        job = self._job(job_id)
        await job.next_step()
        yield len(job.log)


class StreamSide:
    """The gateway as the event stream route sees it: its reads are not a client's."""

    def __init__(self, fake: FakeGateway) -> None:
        self.fake = fake

    async def view(self, job_id: str, owner: str | None = None, *,
                   watched: bool = False) -> JobView:
        self.fake._maybe_fail("view")
        if self.fake.stream_outages:
            self.fake.stream_outages -= 1
            raise ApiError(503, "Temporal is not reachable or did not answer in time")
        return self.fake._job(job_id, owner).view

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fake, name)
