"""Human-readable text for a pending prompt: the inbox summary and the Web UI's Markdown."""

from __future__ import annotations

import json

from workflows.models import HitlPrompt, HitlType
from workflows.names import SIGNAL_HITL_RESPONSE


def prompt_summary(prompt: HitlPrompt) -> str:
    data = prompt.data
    match prompt.type:
        case HitlType.CLARIFY:
            return f"{len(data.get('questions', []))} question(s) about the task"
        case HitlType.STRUCTURE_FIX:
            return f"Name/description break {len(data.get('issues', []))} rule(s)"
        case HitlType.CONFIRM:
            summary = data.get("summary", {})
            return f"Confirm the plan for '{summary.get('skill_name', '')}'"
        case HitlType.PREVIEW:
            return f"Review draft version {data.get('version', 1)} of SKILL.md"
        case HitlType.VALIDATE:
            report = data.get("report", {})
            verdict = "passed" if report.get("passed") else "did not pass"
            return f"Validation {verdict} (score {report.get('score', 0):.2f})"
    return prompt.type.value


def prompt_markdown(prompt: HitlPrompt, job_id: str) -> str:
    """What an operator sees in the Temporal Web UI while the job waits."""
    lines = [
        f"### Waiting for a human: `{prompt.type.value}` (prompt {prompt.prompt_id})",
        "",
        prompt.summary,
        "",
        f"Deadline: {prompt.deadline.isoformat()}  ",
        f"Actions: {', '.join(a.value for a in prompt.actions)}",
        "",
    ]
    if prompt.type is HitlType.CLARIFY:
        for q in prompt.data.get("questions", []):
            options = ", ".join(f"`{o['id']}`" for o in q.get("options", []))
            lines.append(f"- **{q['id']}** ({q.get('question_type')}): {q['text']} {options}")
        example = {"prompt_id": prompt.prompt_id, "action": "proceed",
                   "answers": {q["id"]: "..." for q in prompt.data.get("questions", [])}}
    elif prompt.type is HitlType.STRUCTURE_FIX:
        lines += [f"- {issue}" for issue in prompt.data.get("issues", [])]
        example = {"prompt_id": prompt.prompt_id, "action": "proceed",
                   "accept_suggestions": True}
    else:
        example = {"prompt_id": prompt.prompt_id, "action": "proceed"}
    lines += [
        "",
        "Answer from a terminal:",
        "```",
        f"temporal workflow signal --workflow-id {job_id} --name {SIGNAL_HITL_RESPONSE} "
        f"--input '{json.dumps(example)}'",
        "```",
    ]
    return "\n".join(lines)
