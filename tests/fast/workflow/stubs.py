"""Stub activities under the real names: fixed outputs, every call recorded.

They stand in for the author and the validator where a test must script an outcome
(validation fails, an author hangs until cancelled) or count calls; drafts are still
written by the real `DraftActivities`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio import activity

from activities.drafts import DraftActivities
from activities.run_cancel import cancel_run
from skill_format.models import SkillContent, ValidationReport
from workflows import names
from workflows.models import GenerateInput, Understanding, UnderstandInput, ValidateInput

PLAN = Understanding(
    domain="support tickets", category="support", skill_name="ticket-triage",
    description="Triages support tickets. Use when the user asks to sort support tickets.",
    taxonomy_path="support/ticket-triage", outline=["When to Use", "Instructions"],
)
FINDING = "body: no worked example"


class ScriptedActivities:
    """Author and validator whose verdicts follow a script; the last verdict repeats."""

    def __init__(self, skills_root: Path, verdicts: list[bool]) -> None:
        self.verdicts = verdicts
        self.planned: list[UnderstandInput] = []
        self.generated: list[GenerateInput] = []
        self.validated: list[ValidateInput] = []
        self._drafts = DraftActivities(skills_root)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity a job runs but promotion."""
        return [self.understand, self.generate, self.validate,
                self._drafts.save_draft, self._drafts.delete_draft, cancel_run]

    @activity.defn(name=names.ACTIVITY_UNDERSTAND)
    async def understand(self, request: UnderstandInput) -> Understanding:
        self.planned.append(request)
        return PLAN.model_copy(deep=True)

    @activity.defn(name=names.ACTIVITY_GENERATE)
    async def generate(self, request: GenerateInput) -> SkillContent:
        self.generated.append(request)
        version = len(self.generated)
        return SkillContent(skill_md=f"---\nname: ticket-triage\n---\n\n# Version {version}\n\n"
                                     f"{request.feedback or 'First draft.'}\n",
                            files={"references/checklist.md": "- [ ] Checked\n"},
                            author="model")

    @activity.defn(name=names.ACTIVITY_VALIDATE)
    async def validate(self, request: ValidateInput) -> ValidationReport:
        self.validated.append(request)
        passed = self.verdicts[min(len(self.validated), len(self.verdicts)) - 1]
        return ValidationReport(passed=passed, score=0.9 if passed else 0.4,
                                errors=[] if passed else [FINDING])


class StuckAuthor:
    """An author whose plan never comes (a hung model call); it notes when it is cancelled.

    Wrapped in the real `AuthoringActivities`, so the cancel must travel the activity's
    own heartbeat loop to reach it.
    """

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def understand(self, request: UnderstandInput) -> Understanding:
        self.started.set()
        try:
            await asyncio.Event().wait()  # never set
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        raise AssertionError("unreachable")

    async def generate(self, request: GenerateInput) -> SkillContent:
        raise AssertionError("a stuck plan never reaches generation")
