"""The deterministic offline author: no network, no keys, the same output for the same input.

It is the default so the whole product runs anywhere; its skills must pass
validation and read sensibly, so it plans from the task's own words and fills
the structure an expert expects (when to use, steps, examples, edge cases).
"""

from __future__ import annotations

import asyncio
import re

from activities.offline_feedback import (
    follow_outline,
    revise_content,
    revise_plan,
    written_for,
)
from activities.offline_naming import plan_naming
from activities.offline_trigger_cases import example_requests, near_misses as neighbouring_requests
from skill_format import render_skill_md
from skill_format.models import SkillContent
from workflows.models import (
    ClarifyingQuestion,
    GenerateInput,
    QuestionOption,
    ResourcePlan,
    Understanding,
    UnderstandInput,
)
from workflows.taxonomy import taxonomy_path

STOPWORDS = frozenset(
    """a an the and or but if then else for to of in on at by with from into about over
    under me my i we our you your it its this that these those be is are was were am do does
    did done have has had can could should would will shall may might must please help make
    create build write skill skills agent some any all stuff things thing something want need
    like just also so very really get got use using used how what when where which who why new
    named called task tasks work working way ways lot lots kind sort""".split()
)
VAGUE_WORDS = frozenset({"stuff", "things", "thing", "something", "anything", "misc", "general"})

# A clarify answer that leaves the choice to us (the workflow's answer on timeout).
NO_PREFERENCE = re.compile(r"\s*no\s+preference\b", re.IGNORECASE)
REQUESTED_NAME = re.compile(r"\b(?:named|called)\s+[\"'`]?([^\s\"'`,.;]+)", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _keywords(text: str) -> list[str]:
    seen: list[str] = []
    for w in _words(text):
        if w not in STOPWORDS and len(w) > 2 and not w.isdigit() and w not in seen:
            seen.append(w)
    return seen


def is_vague(task: str) -> bool:
    """Too short or without a subject: the author would only be guessing."""
    keywords = [w for w in _keywords(task) if w not in VAGUE_WORDS]
    return len(keywords) < 2 or len(_words(task)) < 4


class OfflineAuthor:
    def __init__(self, delay_seconds: float = 0.0) -> None:
        self._delay = delay_seconds

    async def _think(self) -> None:
        if self._delay:
            await asyncio.sleep(self._delay)

    async def understand(self, request: UnderstandInput) -> Understanding:
        """The plan, with what it can read for certain of the reviewer's feedback applied."""
        plan = await self._plan(request)
        if request.feedback and not plan.questions:
            plan = revise_plan(plan, request.feedback)
        return plan

    async def generate(self, request: GenerateInput) -> SkillContent:
        """A first version from the plan; a revision edits the previous version instead.

        Free text cannot be rewritten into prose without a model: a revision applies the
        requests it reads for certain and says plainly what it left unchanged.
        """
        if request.feedback and request.previous is not None \
                and written_for(request.previous, request.plan):
            await self._think()
            return revise_content(request.previous, request.feedback, request.plan)
        content = await self._write(request.model_copy(update={"feedback": None}))
        content.skill_md = follow_outline(content.skill_md, request.plan.outline)
        if request.feedback:  # no version to revise yet (a rewind before the first)
            content.notes = revise_content(content, request.feedback, request.plan).notes
        return content

    async def _plan(self, request: UnderstandInput) -> Understanding:
        await self._think()
        task = request.task_description
        requested = REQUESTED_NAME.search(task)
        answers = " ".join(str(v) for v in _flatten(request.clarifications.values()))
        # A vague task answered with a subject is planned from that answer ("reviewing
        # python pull requests"); other answers are kept as a note on the phrase.
        subject_answer = request.clarifications.get("subject")
        planned_from = task
        extra = answers.strip()
        if (isinstance(subject_answer, str) and is_vague(task)
                and not is_vague(subject_answer) and not NO_PREFERENCE.match(subject_answer)):
            planned_from, extra = subject_answer, ""
        naming = plan_naming(planned_from, extra=extra,
                             context=f"{answers} {' '.join(request.feedback)}")
        subject = naming.topics
        category = naming.category

        if request.allow_questions and is_vague(task) and not request.clarifications:
            return Understanding(
                domain="unknown", category=category, topics=subject,
                ambiguities=["The task does not say what the skill works on or what it produces."],
                skill_name=naming.skill_name, description="",
                questions=_questions(),
            )

        name = request.skill_name or (requested.group(1) if requested else naming.skill_name)
        phrase = naming.phrase.imperative + (f" ({extra})" if extra else "")
        description = request.description or naming.description
        topics = subject
        # Cases from other words than the description's, and neighbouring jobs: they can fail.
        examples = example_requests(naming)
        near_misses = neighbouring_requests(naming, planned_from)
        constraints = [f"{k}: {v}" for k, v in request.clarifications.items()]
        return Understanding(
            domain=" ".join(subject[:2]), category=category, topics=topics,
            constraints=constraints, ambiguities=[],
            example_requests=examples, near_misses=near_misses,
            skill_name=name, description=description,
            taxonomy_path=taxonomy_path(category, name),
            outline=["When to Use", "Instructions", "Examples", "Edge Cases", "References"],
            resources=[ResourcePlan(path="references/checklist.md",
                                    purpose="A checklist to verify the result")],
            success_criteria=[f"The result does what was asked: {phrase}.",
                              "Every step is checked before the answer is returned."],
            assumptions=["The user works in a standard environment with common tools."],
        )

    async def _write(self, request: GenerateInput) -> SkillContent:
        await self._think()
        plan = request.plan
        title = " ".join(w.capitalize() for w in plan.skill_name.split("-"))
        subject = " ".join(plan.topics[:3]) or plan.domain
        steps = [
            f"Restate the goal in one sentence and confirm the inputs for {subject}.",
            "Collect the material the user provided; ask for anything missing before starting.",
            f"Work through the {subject} in small, verifiable steps.",
            "Check the result against the checklist in [the checklist](references/checklist.md).",
            "Report what was done, what was assumed and what the user should check.",
        ]
        constraints = [c for c in plan.constraints]
        body = [
            f"# {title}",
            "",
            f"This skill guides the agent through one job: {plan.description.split('. ')[0]}.",
            "",
            "## When to Use",
            "",
            *[f"- {r}" for r in plan.example_requests[:4]],
            "",
            "Do not use it for unrelated requests such as:",
            "",
            *[f"- {r}" for r in plan.near_misses[:2]],
            "",
            "## Instructions",
            "",
            *[f"{i}. {s}" for i, s in enumerate(steps, 1)],
            "",
        ]
        if constraints:
            body += ["## Requirements", "", *[f"- {c}" for c in constraints], ""]
        body += [
            *generic_examples_and_edge_cases(
                plan.example_requests[0] if plan.example_requests else subject, subject),
            "## References",
            "",
            "- [Checklist](references/checklist.md): what to verify before answering.",
            "",
        ]
        frontmatter = {
            "name": plan.skill_name,
            "description": plan.description,
            "metadata": {"version": "1.0", "generated-by": "skill-fleet offline author"},
        }
        checklist = "\n".join(
            ["# Checklist", ""] + [f"- [ ] {c}" for c in plan.success_criteria] + [""]
        )
        return SkillContent(
            skill_md=render_skill_md(frontmatter, "\n".join(body)),
            files={"references/checklist.md": checklist},
        )


def generic_examples_and_edge_cases(request: str, subject: str) -> list[str]:
    """SKILL.md's Examples and Edge Cases sections as a template writes them: one example
    whose output fits any task, and edge cases any skill has. The calibration set's generic
    twins (`tests.calibration_table`) end with the same lines."""
    return [
        "## Examples",
        "",
        "**Input:**",
        "",
        f"> {request}",
        "",
        "**Output:**",
        "",
        f"A short summary of the {subject} result, the steps taken, and any open questions.",
        "",
        "## Edge Cases",
        "",
        "- The input is incomplete: list what is missing and stop before guessing.",
        "- The request is outside this skill's scope: say so and suggest what fits.",
        "- The result cannot be verified: report it as unverified.",
        "",
    ]


def _questions() -> list[ClarifyingQuestion]:
    return [
        ClarifyingQuestion(
            id="subject", text="What should the skill work on (the subject or domain)?",
            question_type="text",
            rationale="The task does not name what the skill operates on.",
        ),
        ClarifyingQuestion(
            id="output", text="What should the skill produce?", question_type="single",
            options=[
                QuestionOption(id="guide", label="Step-by-step guide"),
                QuestionOption(id="checklist", label="Checklist"),
                QuestionOption(id="script", label="A script plus instructions"),
            ],
            allows_other=True, rationale="The output format shapes the whole skill.",
        ),
        ClarifyingQuestion(
            id="examples", text="Should the skill include worked examples?",
            question_type="boolean", rationale="Examples make a skill easier to trigger and use.",
        ),
    ]


def _flatten(values: object) -> list[object]:
    out: list[object] = []
    for v in values:  # type: ignore[attr-defined]
        if isinstance(v, list):
            out.extend(v)
        elif isinstance(v, bool):
            continue
        else:
            out.append(v)
    return out
