"""The Understanding and Generation activities, and the interface every author implements.

An author (offline or an LLM provider) only thinks; the activities add what
must hold whatever the author: heartbeats, the format-rule check that decides
on `structure_fix`, and errors Temporal knows not to retry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Protocol, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import llm_usage
from activities.metrics import author_call, record_tokens
from skill_format import description_issues, name_issues, suggest_description, suggest_name
from workflows.activity_models import TokenUsage
from workflows.models import (
    GenerateInput,
    SkillContent,
    SuggestedFix,
    Understanding,
    UnderstandInput,
)
from workflows.names import ACTIVITY_GENERATE, ACTIVITY_UNDERSTAND
from workflows.taxonomy import taxonomy_path

HEARTBEAT_EVERY_SECONDS = 2.0
T = TypeVar("T")


class Author(Protocol):
    """Writes a plan and a skill. Implementations: `OfflineAuthor`, LLM-backed authors."""

    async def understand(self, request: UnderstandInput) -> Understanding: ...

    async def generate(self, request: GenerateInput) -> SkillContent: ...


@contextlib.asynccontextmanager
async def heartbeating(detail: str) -> AsyncIterator[None]:
    """Heartbeat while a slow call runs, so a dead worker or a cancel is noticed in seconds."""

    async def beat() -> None:
        while True:
            activity.heartbeat(detail)
            await asyncio.sleep(HEARTBEAT_EVERY_SECONDS)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def rule_check(plan: Understanding, task: str) -> Understanding:
    """Fill `rule_issues` and `suggested_fixes` from the format rules."""
    issues: list[str] = []
    fixes: list[SuggestedFix] = []
    for issue in name_issues(plan.skill_name):
        issues.append(f"skill_name: {issue}")
    if issues:
        fixes.append(SuggestedFix(
            field="skill_name", issue=issues[0], current=plan.skill_name,
            suggested=suggest_name(" ".join(plan.topics) or f"{plan.domain} {task}"),
            explanation="Names are ASCII kebab-case, at most 64 characters, "
                        "without reserved or vague words.",
        ))
    desc_issues = [f"description: {i}" for i in description_issues(plan.description)]
    if desc_issues:
        issues += desc_issues
        fixes.append(SuggestedFix(
            field="description", issue=desc_issues[0], current=plan.description,
            suggested=suggest_description(plan.skill_name, plan.description),
            explanation="Descriptions say what the skill does and when to use it, "
                        "in at most 1024 characters, without < or >.",
        ))
    plan.rule_issues = issues
    plan.suggested_fixes = fixes
    if not issues and plan.skill_name:
        # Everything before the name: a category may have sub-categories (devops/observability).
        category = plan.taxonomy_path.rpartition("/")[0] or plan.category
        plan.taxonomy_path = taxonomy_path(category or "general", plan.skill_name)
    return plan


# Well below Temporal's 2 MB payload limit, with room for the job's other state.
MAX_SKILL_BYTES = 512 * 1024


def check_size(content: SkillContent, limit: int = MAX_SKILL_BYTES) -> SkillContent:
    size = len(content.skill_md.encode()) + sum(len(t.encode()) for t in content.files.values())
    if size > limit:
        raise ApplicationError(
            f"The generated skill is {size} bytes; the limit is {limit}. "
            "Ask for a narrower skill or move material out.",
            type="ContentTooLarge", non_retryable=True,
        )
    return content


async def _author_call(call: str, model: str, detail: str,
                       work: Awaitable[T]) -> tuple[T, TokenUsage | None]:
    """Run one author call with heartbeats and its metrics; return its result and tokens
    (None when no model was called: the offline author)."""
    with llm_usage.counting() as usage:
        async with heartbeating(detail), author_call(call, model):
            result = await work
    if not usage[0].calls:
        return result, None
    record_tokens(call, model, usage[0])
    return result, usage[0]


class AuthoringActivities:
    def __init__(self, author: Author) -> None:
        self._author = author
        # A metric label: the configured model ("openai:gpt-4o-mini"), or "offline".
        self._model = str(getattr(author, "model_id", "offline"))

    @activity.defn(name=ACTIVITY_UNDERSTAND)
    async def understand_task(self, request: UnderstandInput) -> Understanding:
        plan, usage = await _author_call("understand", self._model, "understanding",
                                         self._author.understand(request))
        plan.usage = usage
        return rule_check(plan, request.task_description)

    @activity.defn(name=ACTIVITY_GENERATE)
    async def generate_skill(self, request: GenerateInput) -> SkillContent:
        content, usage = await _author_call("generate", self._model, "generating",
                                            self._author.generate(request))
        content.usage = usage
        # Each version says who wrote it; a reviewer's own versions carry their user id.
        content.author = "offline" if self._model == "offline" else "model"
        return check_size(content)
