"""The calibration set and its degraded twins, scored; run it to print the table.

`python -m tests.calibration_table` prints, per expert skill under
``tests/data/calibration/``, the score of the skill itself and of three twins made here by code
under the same frontmatter: a generic body written from the description (restate the goal,
work in small verifiable steps, check the result, off-topic near misses), the body cut to its
first third, and a vague description. It ends with the offline author's mean over the tasks of
``tests/data/tasks.json``, and the reference-style experts against their hand-written
boilerplate counterparts (``calibration/boilerplate/``). `tests/fast/test_calibration.py`
holds the same numbers to account.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from activities.authoring import rule_check
from activities.offline_author import OfflineAuthor, generic_examples_and_edge_cases
from skill_format import render_skill_md, split_skill_md, validate_content, validate_folder
from skill_format.frontmatter import parse_frontmatter
from skill_format.models import SkillContent, ValidationReport
from workflows.models import GenerateInput, UnderstandInput

DATA = Path(__file__).parent / "data"
CALIBRATION = DATA / "calibration"
# Hand-written boilerplate counterparts of the short reference-style experts: the same
# frontmatter, headings and list shape, with every exact value replaced by a vague one.
BOILERPLATE = CALIBRATION / "boilerplate"
EXPERT_CORPUS = DATA / "skill_corpus" / "expert"
VAGUE_DESCRIPTION = "Helps with tasks."
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#.-]*[A-Za-z0-9]")
_FILLER = frozenset(
    "the and for with from into that this when what your their uses use using user asks "
    "skill skills helps help toolkit guide about them they only each also".split()
)


def skill_folders(root: Path = CALIBRATION) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "SKILL.md").is_file())


def read_content(folder: Path) -> SkillContent:
    """SKILL.md and every other file of a folder, as the validator reads them in memory."""
    files = {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "SKILL.md"
    }
    return SkillContent(skill_md=(folder / "SKILL.md").read_text(encoding="utf-8"), files=files)


def _subject(description: str, count: int = 3) -> str:
    """The first few content words of the description: what a template would fill in."""
    words: list[str] = []
    for word in _WORD.findall(description):
        if word.lower() not in _FILLER and len(word) > 3 and word.lower() not in words:
            words.append(word.lower())
    return " ".join(words[:count]) or "the task"


def generic_body(name: str, description: str) -> str:
    """A plausible body that fits any task: it restates the description and goes through
    motions any skill would (the shape the issue measured against expert frontmatter)."""
    title = " ".join(part.capitalize() for part in name.split("-"))
    goal = re.split(r"(?<=[.!?])\s+", description.strip())[0].rstrip(".")
    subject = _subject(description)
    return "\n".join(
        [
            f"# {title}",
            "",
            f"This skill guides the agent through one job: {goal[:1].lower()}{goal[1:]}.",
            "",
            "## When to Use",
            "",
            f"- The user asks for help with {subject}.",
            f"- The user wants to get {subject} done correctly and quickly.",
            "",
            "Do not use it for unrelated requests such as:",
            "",
            "- Tell me a joke about cats.",
            "- What is the weather tomorrow?",
            "",
            "## Instructions",
            "",
            f"1. Restate the goal in one sentence and confirm the inputs for {subject}.",
            "2. Collect the material the user provided; ask for anything missing before starting.",
            f"3. Work through the {subject} in small, verifiable steps.",
            "4. Check the result carefully before answering.",
            "5. Report what was done, what was assumed and what the user should check.",
            "",
            *generic_examples_and_edge_cases(f"Can you help me with {subject}?", subject),
        ]
    )


def with_body(content: SkillContent, body: str) -> SkillContent:
    frontmatter_text, _ = split_skill_md(content.skill_md)
    return SkillContent(
        skill_md=f"---\n{(frontmatter_text or '').rstrip()}\n---\n{body}",
        files=dict(content.files),
    )


def with_description(content: SkillContent, description: str) -> SkillContent:
    frontmatter = parse_frontmatter(content.skill_md)
    _, body = split_skill_md(content.skill_md)
    return SkillContent(
        skill_md=render_skill_md({**frontmatter, "description": description}, body),
        files=dict(content.files),
    )


def twins(content: SkillContent) -> dict[str, SkillContent]:
    """The degraded twins: generic body, body cut to its first third, vague description.
    The generic twin keeps no files (it links none); the others keep them all."""
    frontmatter = parse_frontmatter(content.skill_md)
    _, body = split_skill_md(content.skill_md)
    lines = body.strip("\n").splitlines()
    generic = with_body(content, generic_body(frontmatter["name"], frontmatter["description"]))
    generic.files.clear()
    return {
        "generic": generic,
        "truncated": with_body(content, "\n".join(lines[: len(lines) // 3]) + "\n"),
        "vague": with_description(content, VAGUE_DESCRIPTION),
    }


@dataclass
class Row:
    name: str
    reports: dict[str, ValidationReport]

    def score(self, kind: str) -> float:
        return self.reports[kind].score


def score_folder(folder: Path) -> Row:
    content = read_content(folder)
    reports = {"expert": validate_content(folder.name, content)}
    for kind, twin in twins(content).items():
        reports[kind] = validate_content(folder.name, twin)
    return Row(folder.name, reports)


async def offline_reports() -> list[ValidationReport]:
    """The offline author's drafts for every task, validated as the workflow does."""
    author = OfflineAuthor()
    reports = []
    for task in json.loads((DATA / "tasks.json").read_text()):
        plan = rule_check(await author.understand(UnderstandInput(task_description=task)), task)
        content = await author.generate(GenerateInput(task_description=task, plan=plan))
        reports.append(
            validate_content(
                plan.skill_name,
                content,
                example_requests=plan.example_requests,
                near_misses=plan.near_misses,
            )
        )
    return reports


def table(rows: list[Row], offline: list[ValidationReport]) -> str:
    out = [f"{'skill':34} {'expert':>7} {'generic':>8} {'truncated':>10} {'vague':>6}"]
    for row in rows:
        out.append(
            f"{row.name:34} {row.score('expert'):7.2f} {row.score('generic'):8.2f} "
            f"{row.score('truncated'):10.2f} {row.score('vague'):6.2f}"
        )
    for kind in ("expert", "generic", "truncated", "vague"):
        mean = statistics.mean(r.score(kind) for r in rows)
        out.append(f"mean {kind:29} {mean:.3f}")
    scores = [r.score for r in offline]
    out.append(
        f"offline author drafts ({len(scores)}): mean {statistics.mean(scores):.3f}, "
        f"min {min(scores):.2f}, max {max(scores):.2f}, passed {sum(r.passed for r in offline)}"
    )
    return "\n".join(out)


def main() -> None:
    rows = [score_folder(f) for f in skill_folders()]
    corpus = [score_folder(f) for f in skill_folders(EXPERT_CORPUS)]
    print(table(rows, asyncio.run(offline_reports())))
    print("\nreference-style experts and their hand-written boilerplate counterparts:")
    for folder in skill_folders(BOILERPLATE):
        expert = validate_folder(CALIBRATION / folder.name).score
        print(f"{folder.name:34} {expert:7.2f} {validate_folder(folder).score:8.2f}")
    print("\nskill_corpus/expert (existing):")
    print(_corpus_lines(corpus))


def _corpus_lines(rows: list[Row]) -> str:
    return "\n".join(
        f"{r.name:34} {r.score('expert'):7.2f} {r.score('generic'):8.2f} "
        f"{r.score('truncated'):10.2f} {r.score('vague'):6.2f}"
        for r in rows
    )


if __name__ == "__main__":
    main()
