"""The job's human checkpoints: raise a prompt, wait, remind, escalate, time out, answer.

The workflow owns one `Checkpoints` (as the Temporal samples' workflows own an
`UpdatableTimer`): its main method calls `ask`, which returns the answer or raises
`JobCancelled` / `Rewound`; the message handlers only `take` an answer or `request_rewind`,
and `ask` notices. The pure rules (which answers a prompt accepts, its schema) are in
`workflows.hitl`.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from common.job_terms import TimeoutAction
    from workflows import job_metrics, lean_history
    from workflows.hitl import (
        PHASE_OF,
        REVISABLE_TYPES,
        Refusal,
        allowed_actions,
        answer_schema,
        check_response,
        owner_refusal,
        rewind_refusal,
        waiting_status,
    )
    from workflows.job_part import JobPart
    from workflows.models import (
        HitlAction,
        HitlPrompt,
        HitlResponse,
        HitlType,
        JobStatus,
        RewindRequest,
    )
    from workflows.prompt_text import prompt_markdown, prompt_summary
    from workflows.reminders import nudges
    from workflows.reviewer_edits import EDIT_FIELDS
    from workflows.wake_timer import WakeUpTimer

# A structure_fix prompt's name pattern refuses a trailing newline (`hitl.answer_schema`).
PATCH_FULL_MATCH_NAMES = "full-match-skill-names"
# confirm and preview take direct edits (`workflows.reviewer_edits`) in their answer schema.
PATCH_REVIEWER_EDITS = "reviewer-edits"


class JobCancelled(Exception):
    """A human (or a timeout policy) ended the job at a checkpoint."""


class Rewound(Exception):
    """A human sent the job back to the start of an earlier phase."""

    def __init__(self, request: RewindRequest) -> None:
        super().__init__(request.to)
        self.request = request


class Checkpoints(JobPart):
    """One job's checkpoints. `answer` and `rewind` are what the handlers recorded."""

    answer: HitlResponse | None = None
    rewind: RewindRequest | None = None
    # The job's one pending timer (`workflows.wake_timer`); None: a timer per wait.
    timer: WakeUpTimer | None = None

    # ------------------------------------------------------------------ the main method's side

    async def ask(
        self, hitl_type: HitlType, data: dict[str, Any], *, validation_failed: bool = False
    ) -> HitlResponse:
        """Raise a prompt, wait for its answer or its deadline, and return the answer."""
        state = self._state
        opts = state.options
        used = state.revisions.get(hitl_type.value, 0)
        left = max(0, opts.max_revisions - used) if hitl_type in REVISABLE_TYPES else 0
        actions = allowed_actions(hitl_type, revisions_left=left)
        now = workflow.now()
        state.last_prompt_id += 1
        prompt = HitlPrompt(
            prompt_id=state.last_prompt_id,
            type=hitl_type,
            phase=PHASE_OF[hitl_type],
            created_at=now,
            deadline=now + timedelta(seconds=opts.hitl_timeout_seconds),
            actions=actions,
            answer_schema=answer_schema(hitl_type, data, actions, full_match=(
                hitl_type is not HitlType.STRUCTURE_FIX
                or workflow.patched(PATCH_FULL_MATCH_NAMES)), edits=(
                hitl_type in EDIT_FIELDS and lean_history.patched(opts, PATCH_REVIEWER_EDITS))),
            revisions_used=used,
            revisions_left=left,
            assignee=state.user_id,
            data=data,
        )
        prompt.summary = prompt_summary(prompt)
        state.prompt = prompt  # the state's hitl_type follows it
        state.status = waiting_status(hitl_type, validation_failed=validation_failed)
        state.progress_message = f"Waiting for a human: {prompt.summary}"
        self._record("prompt_raised", prompt_id=prompt.prompt_id, type=hitl_type.value,
                     deadline=prompt.deadline.isoformat(), summary=prompt.summary)
        self._publish()
        workflow.set_current_details(prompt_markdown(prompt, state.job_id))

        try:
            answer = await self._wait_for_answer(prompt)
        except Rewound:
            job_metrics.record_wait(hitl_type.value, (workflow.now() - now).total_seconds(),
                                    "rewound")
            raise
        job_metrics.record_wait(hitl_type.value, (workflow.now() - now).total_seconds(),
                                "timed_out" if answer is None else "answered")
        if answer is None:
            self._record("prompt_timed_out", prompt_id=prompt.prompt_id,
                         timeout_action=opts.on_hitl_timeout.value)
            if opts.on_hitl_timeout is TimeoutAction.CANCEL:
                self.clear()
                raise JobCancelled(f"No answer to {hitl_type.value} before its deadline.")
            answer = default_answer(prompt)
            self._record("answer_accepted", prompt_id=prompt.prompt_id, action="proceed",
                         response_id=None, source="timeout")

        self.clear()
        action = answer.normalized_action()
        if action is HitlAction.REVISE:
            state.revisions[hitl_type.value] = used + 1
        if action is HitlAction.CANCEL:
            raise JobCancelled(f"Cancelled by the user at {hitl_type.value}.")
        state.status = JobStatus.RUNNING
        self._publish()
        return answer

    async def _wait_for_answer(self, prompt: HitlPrompt) -> HitlResponse | None:
        """Wait for an answer, reminding and escalating on the way; None at the deadline."""
        opts = self._state.options
        schedule = nudges(prompt.created_at, prompt.deadline, opts.reminder_offsets_seconds,
                          opts.escalate_before_seconds)
        for nudge in schedule:
            if await self._answered_by(nudge.at, f"{prompt.type.value} {nudge.kind}"):
                break
            if nudge.kind == "reminder":
                prompt.reminders_sent += 1
                self._record("prompt_reminder", prompt_id=prompt.prompt_id,
                             type=prompt.type.value, deadline=prompt.deadline.isoformat(),
                             seconds_left=nudge.before_deadline_seconds)
            else:
                prompt.assignee = f"group:{opts.escalation_group}"
                self._record("prompt_escalated", prompt_id=prompt.prompt_id,
                             type=prompt.type.value, assignee=prompt.assignee,
                             seconds_left=nudge.before_deadline_seconds)
            self._publish()
        else:
            await self._answered_by(prompt.deadline, f"{prompt.type.value} deadline")
        if self.rewind is not None:
            self.clear()
            raise Rewound(self.rewind)
        return self.answer

    async def _answered_by(self, when: datetime, summary: str) -> bool:
        """True once an answer (or a rewind) arrived; False when `when` passed first."""
        if self.timer is not None:
            return await self.timer.wait(
                lambda: self.answer is not None or self.rewind is not None, when, summary)
        try:
            await workflow.wait_condition(
                lambda: self.answer is not None or self.rewind is not None,
                timeout=max(when - workflow.now(), timedelta(milliseconds=1)),
                timeout_summary=summary,
            )
        except TimeoutError:
            return False
        return True

    def clear(self) -> None:
        """No prompt is pending any more (answered, timed out, or the job ended)."""
        self.answer = None
        self._state.prompt = None
        workflow.set_current_details("")

    # ------------------------------------------------------------------ the handlers' side

    def is_duplicate(self, response: HitlResponse) -> bool:
        applied = self._state.applied_responses
        return bool(response.response_id) and response.response_id in applied

    def update_refusal(self, response: HitlResponse) -> Refusal | None:
        """Why an answer sent as an update is refused before it is accepted, or None.

        A duplicate is never refused: its reply is the first one's (but only to the owner
        or an admin: to anyone else the job does not exist).
        """
        state = self._state
        not_yours = owner_refusal(state, response.caller)
        if not_yours or self.is_duplicate(response):
            return not_yours
        if state.status.is_terminal:
            return Refusal("nothing_pending",
                           f"The job has already finished ({state.status.value}).")
        return check_response(state.prompt, response, answer_pending=self.answer is not None)

    def receive_signal(self, response: HitlResponse) -> None:
        """A signalled answer cannot be refused: it is taken or recorded as rejected."""
        if self.is_duplicate(response):
            return
        refusal = check_response(self._state.prompt, response,
                                 answer_pending=self.answer is not None)
        if refusal:
            self._record("answer_rejected", prompt_id=response.prompt_id,
                         response_id=response.response_id, reason=refusal.kind,
                         message=refusal.message, source="signal")
            self._publish()
            return
        self.take(response, source="signal")

    def take(self, response: HitlResponse, *, source: str) -> bool:
        """Record an accepted answer for the main method; True if it was a duplicate."""
        if self.is_duplicate(response):
            return True
        state = self._state
        assert state.prompt is not None
        if response.response_id:
            state.applied_responses[response.response_id] = response.prompt_id
        self.answer = response
        # Who answered is event data (state), not a command: no patch needed for replay.
        who = {"answered_by": response.answered_by} if response.answered_by else {}
        self._record("answer_accepted", prompt_id=response.prompt_id,
                     action=(response.normalized_action() or HitlAction.PROCEED).value,
                     response_id=response.response_id, source=source,
                     type=state.prompt.type.value, **who)
        return False

    async def applied(self, response: HitlResponse) -> None:
        """Return once the main method took the answer; with `wait_seconds`, once it led
        somewhere (the next prompt or the job's end), so the reply carries the next prompt
        instead of the client polling for it.

        A lean job (`workflows.lean_history`) waits with no timer: the next prompt or the
        job's end always comes, and the API stops waiting for the reply after
        `wait_seconds` on its side."""
        await workflow.wait_condition(lambda: self.answer is None)
        if response.wait_seconds > 0:
            answered, state = response.prompt_id, self._state
            if lean_history.lean(state.options):
                await workflow.wait_condition(
                    lambda: state.last_prompt_id > answered or state.status.is_terminal)
                return
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: state.last_prompt_id > answered or state.status.is_terminal,
                    timeout=timedelta(seconds=response.wait_seconds),
                    timeout_summary=f"reply to the answer to prompt {answered}",
                )

    def rewind_refusal(self, request: RewindRequest) -> Refusal | None:
        """A rewind is taken only while a prompt waits with no answer or rewind arrived."""
        waiting = self._state.prompt is not None and self.answer is None and self.rewind is None
        return rewind_refusal(self._state, request, waiting=waiting)

    async def request_rewind(self, request: RewindRequest) -> None:
        """Hand a rewind to `ask`, which raises `Rewound`; return once the job went back."""
        revisions = self._state.revisions
        revisions["rewind"] = revisions.get("rewind", 0) + 1
        self.rewind = request
        await workflow.wait_condition(lambda: self.rewind is None)


def default_answer(prompt: HitlPrompt) -> HitlResponse:
    """What `on_hitl_timeout=proceed` answers: defaults for questions, suggestions for fixes."""
    if prompt.type is HitlType.CLARIFY:
        answers: dict[str, Any] = {}
        for q in prompt.data.get("questions", []):
            options = q.get("options") or []
            if q.get("question_type") == "boolean":
                answers[q["id"]] = True
            elif options:
                first = options[0]["id"]
                answers[q["id"]] = [first] if q.get("question_type") == "multi" else first
            else:
                answers[q["id"]] = "No preference; use sensible defaults."
        return HitlResponse(prompt_id=prompt.prompt_id, action="proceed", answers=answers)
    if prompt.type is HitlType.STRUCTURE_FIX:
        return HitlResponse(prompt_id=prompt.prompt_id, action="proceed", accept_suggestions=True)
    return HitlResponse(prompt_id=prompt.prompt_id, action="proceed")
