"""Human checkpoints: which answers each prompt accepts, and why a message is refused.

Pure and deterministic, so the workflow's update validators, its signal handler
and the API's own documentation all use the same rules: an answer, a rewind and a
promotion are refused with the same `Refusal`, whose kind the API maps to a status.
The JSON Schema shown with a prompt is the schema the answer is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import jsonschema
from temporalio.exceptions import ApplicationError

from workflows.models import (
    ACTION_ALIASES,
    AnswerCaller,
    HitlAction,
    HitlPrompt,
    HitlResponse,
    HitlType,
    JobState,
    JobStatus,
    Phase,
    RewindRequest,
    no_control_chars,
)
from workflows.promotion_models import PromoteRequest

# Answers are checked with Python's `jsonschema`, whose `pattern` is `re.search`: there `$`
# also matches before a final newline ("victim\n" passed). `$(?!\n)` is the end of the text
# in Python and in the ECMA-262 regexes a client validates the published schema with.
# SKILL_NAME_PATTERN (`skill_format.skill_name`) and PLAIN_TEXT_PATTERN come with the edits
# that also use them.
from workflows.reviewer_edits import (
    PLAIN_TEXT_PATTERN as PLAIN_TEXT_PATTERN,
    SKILL_NAME_PATTERN as SKILL_NAME_PATTERN,
    edit_properties,
    extra_refusal,
    revise_needs,
)

# What prompts raised before the fix published; kept for their replay (see `answer_schema`).
# A literal on purpose: it must stay this text even if the skill-name rule changes.
LEGACY_SKILL_NAME_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_FEEDBACK_CHARS = 4000
# The older words for revise that answers may still use (`refine`).
REVISE_ALIASES = [word for word, action in ACTION_ALIASES.items() if action is HitlAction.REVISE]
MAX_ANSWER_CHARS = 2000

PHASE_OF: dict[HitlType, Phase] = {
    HitlType.CLARIFY: Phase.UNDERSTANDING,
    HitlType.STRUCTURE_FIX: Phase.UNDERSTANDING,
    HitlType.CONFIRM: Phase.UNDERSTANDING,
    HitlType.PREVIEW: Phase.GENERATION,
    HitlType.VALIDATE: Phase.VALIDATION,
}

# clarify and structure_fix ask the user for input; the others ask for a decision.
USER_INPUT_TYPES = frozenset({HitlType.CLARIFY, HitlType.STRUCTURE_FIX})
REVISABLE_TYPES = frozenset({HitlType.CONFIRM, HitlType.PREVIEW, HitlType.VALIDATE})


def waiting_status(hitl_type: HitlType, *, validation_failed: bool = False) -> JobStatus:
    if hitl_type in USER_INPUT_TYPES:
        return JobStatus.PENDING_USER_INPUT
    if hitl_type is HitlType.VALIDATE and validation_failed:
        return JobStatus.PENDING_REVIEW
    return JobStatus.PENDING_HITL


def allowed_actions(hitl_type: HitlType, *, revisions_left: int) -> list[HitlAction]:
    if hitl_type in REVISABLE_TYPES and revisions_left > 0:
        return [HitlAction.PROCEED, HitlAction.REVISE, HitlAction.CANCEL]
    return [HitlAction.PROCEED, HitlAction.CANCEL]


def _question_schema(question: dict[str, Any]) -> dict[str, Any]:
    option_ids = [o["id"] for o in question.get("options", [])]
    qtype = question.get("question_type", "single")
    text = {"type": "string", "minLength": 1, "maxLength": MAX_ANSWER_CHARS}
    if qtype == "boolean":
        return {"type": "boolean"}
    if qtype == "text" or not option_ids:
        return text
    choice: dict[str, Any] = {"enum": option_ids}
    if question.get("allows_other"):
        choice = {"anyOf": [choice, text]}
    if qtype == "multi":
        return {"type": "array", "items": choice, "minItems": 1, "uniqueItems": True}
    return choice


def answer_schema(hitl_type: HitlType, data: dict[str, Any], actions: list[HitlAction], *,
                  full_match: bool = True, edits: bool = True) -> dict:
    """The JSON Schema of an answer body (without prompt_id/response_id).

    `full_match=False` gives a structure_fix prompt the name pattern it had before the
    trailing-newline fix: the workflow passes it when replaying such a prompt, so a signal
    answer accepted then is accepted again (the activities' path checks refuse the name).
    `edits=False` is the schema of confirm and preview before reviewer edits, likewise.
    """
    edits = edits and hitl_type in (HitlType.CONFIRM, HitlType.PREVIEW)
    action_values = [a.value for a in actions]
    revise_words = [HitlAction.REVISE.value, *REVISE_ALIASES]
    if HitlAction.REVISE in actions:
        action_values += REVISE_ALIASES
    props: dict[str, Any] = {
        "action": {"enum": action_values},
        "feedback": {"type": ["string", "null"], "maxLength": MAX_FEEDBACK_CHARS},
    }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": ["action"],
        "additionalProperties": False,
        "allOf": [],
    }
    if HitlAction.REVISE in actions:
        schema["allOf"].append(
            {
                "if": {"properties": {"action": {"enum": revise_words}}},
                "then": revise_needs(hitl_type) if edits else {
                    "required": ["feedback"],
                    "properties": {"feedback": {"type": "string", "minLength": 1}},
                },
            }
        )
    if edits:
        props.update(edit_properties(hitl_type, data))
    if hitl_type is HitlType.CLARIFY:
        questions = data.get("questions", [])
        props["answers"] = {
            "type": "object",
            "properties": {q["id"]: _question_schema(q) for q in questions},
            "required": [q["id"] for q in questions],
            "additionalProperties": False,
        }
        schema["allOf"].append(
            {"if": {"properties": {"action": {"const": "proceed"}}},
             "then": {"required": ["answers"]}}
        )
    elif hitl_type is HitlType.STRUCTURE_FIX:
        name_pattern = SKILL_NAME_PATTERN if full_match else LEGACY_SKILL_NAME_PATTERN
        props["skill_name"] = {"type": "string", "pattern": name_pattern, "maxLength": 64}
        props["description"] = {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024,
            "pattern": PLAIN_TEXT_PATTERN,  # `[^<>]*` takes newlines: same result as before
        }
        props["accept_suggestions"] = {"type": "boolean"}
        schema["allOf"].append(
            {
                "if": {"properties": {"action": {"const": "proceed"}}},
                "then": {
                    "anyOf": [
                        {"required": ["accept_suggestions"],
                         "properties": {"accept_suggestions": {"const": True}}},
                        {"required": ["skill_name"]},
                        {"required": ["description"]},
                    ]
                },
            }
        )
    if not schema["allOf"]:
        del schema["allOf"]
    return schema


@dataclass(frozen=True)
class Refusal:
    """Why an answer, rewind or promotion is not applied. `kind` maps to an HTTP status in
    the API (`api.refusal_status`'s REFUSAL_STATUS, REWIND_REFUSAL_STATUS, PROMOTE_REFUSAL_STATUS).
    """

    kind: str  # answers: "not_found" | "nothing_pending" | "stale_prompt" | "invalid_answer"
    #            | "revision_limit"
    message: str

    def refuse(self) -> NoReturn:
        """Refuse the message: the caller gets `kind` as the error type, never retried."""
        raise ApplicationError(self.message, type=self.kind, non_retryable=True)


def refuse_if(refusal: Refusal | None) -> None:
    """An update validator's whole body: refuse the message when a rule says why."""
    if refusal:
        refusal.refuse()


PROMOTION_RUNNING = Refusal("promotion_in_progress", "A promotion of this job is already running.")
# The API turns this one into its plain 404 (the body of an unknown job), never a 403.
NOT_FOUND = "not_found"


def owner_refusal(state: JobState, caller: AnswerCaller | None) -> Refusal | None:
    """Another user's answer: the job does not exist for them. The workflow knows its owner,
    so the API checks ownership here instead of describing the job before each answer."""
    if caller is None or caller.admin or caller.user_id == state.user_id:
        return None
    return Refusal(NOT_FOUND, f"Job {state.job_id} not found.")


def rewind_refusal(state: JobState, request: RewindRequest, *, waiting: bool) -> Refusal | None:
    """Why the job cannot go back to `request.to` now, or None; `waiting`: a prompt is open."""
    used = state.revisions.get("rewind", 0)
    if not waiting:
        return Refusal("not_waiting", "Rewind is possible only while the job waits at a "
                                      "checkpoint.")
    if used >= state.options.max_revisions:
        return Refusal("revision_limit", f"Rewind limit reached ({used} used); only proceed "
                                         "or cancel are accepted.")
    if request.to != Phase.UNDERSTANDING.value and state.understanding is None:
        return Refusal("invalid_rewind", "There is no plan yet; rewind to understanding.")
    if request.to == Phase.VALIDATION.value and not state.versions:
        return Refusal("invalid_rewind", "There is no skill yet; rewind to generation.")
    return None


def promotion_refusal(state: JobState, request: PromoteRequest, *,
                      running: bool) -> Refusal | None:
    """Why the draft cannot be promoted now, or None; `running`: a promotion is under way."""
    if state.status is not JobStatus.COMPLETED:
        return Refusal("not_completed", f"The job is {state.status.value}, not completed.")
    if not state.draft_path:
        return Refusal("no_draft", "The job has no draft to promote.")
    if not state.validation_passed and not request.force:
        return Refusal("validation_failed",
                       "The skill did not pass validation; promote with force=true to accept it.")
    if running:
        return PROMOTION_RUNNING
    return None


def check_response(
    prompt: HitlPrompt | None, response: HitlResponse, *, answer_pending: bool
) -> Refusal | None:
    """Return why `response` cannot answer `prompt`, or None when it can."""
    if prompt is None:
        return Refusal("nothing_pending", "The job is not waiting for an answer.")
    if response.prompt_id != prompt.prompt_id or answer_pending:
        return Refusal(
            "stale_prompt",
            f"Prompt {response.prompt_id} is not the pending prompt "
            f"(pending: {prompt.prompt_id}"
            + (", already answered" if answer_pending else "")
            + ").",
        )
    action = response.normalized_action()
    if action is None:
        return Refusal(
            "invalid_answer",
            f"Unknown action {response.action!r}; use one of "
            f"{', '.join(a.value for a in prompt.actions)}.",
        )
    over_cap = prompt.type in REVISABLE_TYPES and prompt.revisions_left <= 0
    if action is HitlAction.REVISE and over_cap:
        return Refusal(
            "revision_limit",
            f"Revision limit reached at {prompt.type.value} ({prompt.revisions_used} used); "
            "only proceed or cancel are accepted.",
        )
    if action not in prompt.actions:
        return Refusal(
            "invalid_answer",
            f"Action {action.value!r} is not allowed at {prompt.type.value}; use one of "
            f"{', '.join(a.value for a in prompt.actions)}.",
        )
    try:
        for text in (response.feedback, response.skill_name, response.description,
                     response.category, response.outline, response.skill_md,
                     *(response.files or {}).values(), *(response.answers or {}).values()):
            no_control_chars(text)
    except ValueError as err:
        return Refusal("invalid_answer", f"Answer text {err}.")
    body = response.model_dump(exclude_none=True,
                               exclude={"prompt_id", "response_id", "wait_seconds",
                                        "answered_by", "caller"})
    if response.files:  # a null value (remove the file) is dropped by exclude_none
        body["files"] = dict(response.files)
    body["action"] = response.action.strip().lower()
    errors = sorted(
        jsonschema.Draft202012Validator(prompt.answer_schema).iter_errors(body),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        messages = [_describe(e) for e in errors[:5]]
        return Refusal("invalid_answer", "Answer does not fit the prompt: " + "; ".join(messages))
    problem = extra_refusal(prompt.type, response, prompt.data) if "skill_md" in \
        prompt.answer_schema.get("properties", {}) else None
    if problem:
        return Refusal("invalid_answer", f"Answer does not fit the prompt: {problem}")
    return None


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "answer"
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "maxLength":  # the message would repeat the whole text
        return f"{where}: longer than {error.validator_value} characters"
    if hint and error.validator == "anyOf":
        return f"{where}: {hint}"
    if hint and error.validator in ("pattern", "not", "minLength"):
        shown = repr(error.instance)[:80]
        return f"{where}: {shown} is not allowed: {hint}"
    if error.validator == "required" and error.schema_path and "then" in error.schema_path:
        return f"{where}: {error.message} for this action"
    return f"{where}: {error.message}"
