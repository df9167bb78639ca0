"""The deterministic offline author: no network, no keys, the same output for the same input.

It is the default so the whole product runs anywhere; its skills must pass
validation and read sensibly, so it plans from the task's own words and fills
the structure an expert expects (when to use, steps, examples, edge cases).
"""

from __future__ import annotations

import asyncio
import re

from skill_format import render_skill_md
from workflows.models import (
    ClarifyingQuestion,
    GenerateInput,
    QuestionOption,
    ResourcePlan,
    SkillContent,
    Understanding,
    UnderstandInput,
)

STOPWORDS = frozenset(
    """a an the and or but if then else for to of in on at by with from into about over
    under me my i we our you your it its this that these those be is are was were am do does
    did done have has had can could should would will shall may might must please help make
    create build write skill skills agent some any all stuff things thing something want need
    like just also so very really get got use using used how what when where which who why new
    named called task tasks work working way ways lot lots kind sort""".split()
)
VAGUE_WORDS = frozenset({"stuff", "things", "thing", "something", "anything", "misc", "general"})

CATEGORIES: list[tuple[str, frozenset[str]]] = [
    ("development", frozenset("git commit branch code refactor python javascript typescript api "
                              "review pull merge debug lint function class repository".split())),
    ("testing", frozenset("test tests testing pytest unit integration coverage qa".split())),
    ("devops", frozenset("deploy deployment docker kubernetes ci cd pipeline terraform "
                         "infrastructure server monitoring logs incident".split())),
    ("data", frozenset("csv excel spreadsheet sql database query analysis dataset "
                       "chart charts pandas report reports metrics".split())),
    ("documents", frozenset("pdf docx word document documents slides presentation "
                            "markdown invoice invoices form forms".split())),
    ("writing", frozenset("write blog post email newsletter copy article essay "
                          "summary summarize summarise tone style".split())),
    ("security", frozenset("security vulnerability secrets audit threat password "
                           "encryption".split())),
]

REQUESTED_NAME = re.compile(r"\b(?:named|called)\s+[\"'`]?([^\s\"'`,.;]+)", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _keywords(text: str) -> list[str]:
    seen: list[str] = []
    for w in _words(text):
        if w not in STOPWORDS and len(w) > 2 and not w.isdigit() and w not in seen:
            seen.append(w)
    return seen


def _category(words: list[str]) -> str:
    best, best_hits = "general", 0
    for name, vocab in CATEGORIES:
        hits = sum(1 for w in words if w in vocab)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def _verb_phrase(task: str) -> str:
    """The task as an imperative phrase: 'Create a skill that reviews PRs' -> 'review PRs'."""
    text = task.strip().rstrip(".!?")
    text = re.sub(r"^(please\s+)?(i\s+(want|need)\s+(a|an)\s+)?", "", text, flags=re.I)
    text = re.sub(r"^(create|build|make|write)\s+(a|an)\s+(agent\s+)?skill\s+"
                  r"((named|called)\s+\S+\s+)?(that|which|to|for)\s+", "", text, flags=re.I)
    text = re.sub(r"^(a|an)\s+(agent\s+)?skill\s+(that|which|to|for)\s+", "", text, flags=re.I)
    return text[:1].lower() + text[1:] if text else "handle the task"


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
        await self._think()
        task = request.task_description
        requested = REQUESTED_NAME.search(task)
        # The subject comes from what the skill does, not from the name asked for.
        subject_text = task.replace(requested.group(1), " ") if requested else task
        answers = " ".join(str(v) for v in _flatten(request.clarifications.values()))
        basis = f"{task} {answers} {' '.join(request.feedback)}"
        keywords = _keywords(f"{subject_text} {answers}")
        subject = [w for w in keywords if w not in VAGUE_WORDS][:4] or ["task", "workflow"]
        category = _category(_words(basis))

        if request.allow_questions and is_vague(task) and not request.clarifications:
            return Understanding(
                domain="unknown", category=category, topics=subject,
                ambiguities=["The task does not say what the skill works on or what it produces."],
                skill_name="-".join(subject[:3]), description="",
                questions=_questions(),
            )

        name = request.skill_name or (requested.group(1) if requested else "-".join(subject[:4]))
        phrase = _verb_phrase(task)
        if answers:
            phrase = f"{phrase} ({answers.strip()})"
        description = request.description or _description(phrase, subject)
        topics = subject
        examples = [
            f"Can you {phrase}?",
            f"I need to {phrase} for my project.",
            f"Help me with {' '.join(subject[:2])}.",
            f"What is the best way to {phrase}?",
        ]
        near_misses = [
            "Tell me a joke about cats.",
            "Translate this sentence into French.",
            "What is the weather tomorrow?",
        ]
        constraints = [f"Reviewer asked: {f}" for f in request.feedback if f]
        constraints += [f"{k}: {v}" for k, v in request.clarifications.items()]
        return Understanding(
            domain=" ".join(subject[:2]), category=category, topics=topics,
            constraints=constraints, ambiguities=[],
            example_requests=examples, near_misses=near_misses,
            skill_name=name, description=description,
            taxonomy_path=f"{category}/{name}",
            outline=["When to Use", "Instructions", "Examples", "Edge Cases", "References"],
            resources=[ResourcePlan(path="references/checklist.md",
                                    purpose="A checklist to verify the result")],
            success_criteria=[f"The result does what was asked: {phrase}.",
                              "Every step is checked before the answer is returned."],
            assumptions=["The user works in a standard environment with common tools."],
        )

    async def generate(self, request: GenerateInput) -> SkillContent:
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
        feedback_notes: list[str] = []
        if request.feedback:
            feedback_notes.append(request.feedback.strip())
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
        if constraints or feedback_notes:
            body += ["## Requirements", "", *[f"- {c}" for c in constraints + feedback_notes], ""]
        body += [
            "## Examples",
            "",
            "**Input:**",
            "",
            f"> {plan.example_requests[0] if plan.example_requests else subject}",
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


def _third_person(phrase: str) -> str:
    """'triage pods' -> 'Triages pods': descriptions speak about the skill, not to the user."""
    verb, _, rest = phrase.partition(" ")
    if verb.endswith(("s", "x", "ch", "sh")):
        verb += "es"
    elif verb.endswith("y") and verb[-2:-1] not in "aeiou":
        verb = verb[:-1] + "ies"
    else:
        verb += "s"
    return f"{verb[:1].upper()}{verb[1:]} {rest}".strip()


def _description(phrase: str, subject: list[str]) -> str:
    keywords = ", ".join(subject)
    return (
        f"{_third_person(phrase)}. Use when the user asks to {phrase}, "
        f"or mentions {keywords}."
    )[:1024]


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
