"""Refinement from findings and the rubric judge, end to end against a local model server.

The fake OpenAI-compatible server of tests/test_llm_author.py answers the writer with a
generic skill, and each refinement with a revision that fixes what the findings it was
sent name (one fix a round): ignore the findings and the draft never improves. The judge's
verdict depends on the draft too. Real Temporal server, worker, API and validator.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.processes import free_port, wait_until
from skill_format import validate_content
from skill_format.models import SkillContent
from tests.support import LocalStack, create_job, get_job, wait_status
from tests.test_llm_author import PLAN, SECRET, SKILL, TASK, FakeLlm

GENERIC_STEPS = [
    "Read the request carefully and collect everything the user provided.",
    "Work through the task in small steps and check each result before moving on.",
    "Ask the user when something important is missing instead of guessing.",
    "Report what was done, what was assumed and what is left to do.",
]
GENERIC_EXAMPLES = [{"input": "A typical request from the user.",
                     "output": "A good result that follows the steps above."}]
CONCRETE_STEPS = [
    *SKILL["instructions"],
    "Use `fix` for a bug fix, `feat` for a feature, `refactor` when behaviour does not "
    "change, `docs` for README or docstring edits, and `chore` for build or CI files such as "
    "`package.json` or `.github/workflows/ci.yml`.",
    "Put the scope in parentheses from the top-level folder the diff touches (`api`, `cli`, "
    "`worker`); leave it out when the diff spans several.",
    "Wrap the body at 72 columns and reference issues in a footer: `Refs: #123` or "
    "`Closes: #123`.",
]
CONCRETE_EXAMPLES = [*SKILL["examples"], {
    "input": "Fix my message 'fixed stuff' for a diff that corrects an off-by-one in "
             "`paginate()` in api/jobs.py.",
    "output": "fix(api): correct off-by-one in paginate()\n\nThe last page dropped one job "
              "when the total was a multiple of the page size.\n\nCloses: #482"}]
STEPS_MARK, EXAMPLES_MARK = "git diff --staged", "off-by-one in paginate()"
FINDINGS = re.compile(r"Validator findings \(JSON list[^\n]*\n(.*?)\n\nRevise", re.S)
ROUND = re.compile(r"refinement round (\d+)")


class RefiningLlm(FakeLlm):
    """Plans, writes a generic skill, revises from the findings, judges by a rubric."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds: Counter[int] = Counter()
        self.judge_calls = 0
        self.judge_status: int | None = None
        self.hold_round: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()

    def close(self) -> None:
        self.release.set()  # a held round answers before the server stops
        super().close()

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        props = body["tools"][0]["function"]["parameters"]["properties"]
        text = "\n".join(str(m.get("content")) for m in body["messages"])
        if "safety" in props:
            self.judge_calls += 1
            if self.judge_status is not None:
                return self.judge_status, {"error": {"message": "judge scripted failure"}}
            return 200, self._tool(body, _verdict(STEPS_MARK in text))
        if "skill_name" in props:
            return 200, self._tool(body, PLAN)
        found = ROUND.search(text)
        if not found:
            return 200, self._tool(body, _skill(GENERIC_STEPS, GENERIC_EXAMPLES))
        n = int(found.group(1))
        with self._lock:
            self.rounds[n] += 1
        if n == self.hold_round:
            self.held.set()
            self.release.wait(60)
        return 200, self._tool(body, _revise(text))

    def _tool(self, body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        tool = body["tools"][0]["function"]
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": tool["name"], "arguments": json.dumps(answer)}}]}
        return {"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}


def _skill(steps: list[str], examples: list[dict[str, str]]) -> dict[str, Any]:
    return {**copy.deepcopy(SKILL), "instructions": steps, "examples": examples}


def _revise(prompt: str) -> dict[str, Any]:
    """The draft in the prompt with one fix: for the weakest part the findings name."""
    findings = json.loads(FINDINGS.search(prompt).group(1))  # type: ignore[union-attr]
    steps, examples = STEPS_MARK in prompt, EXAMPLES_MARK in prompt
    for finding in findings:
        part = finding.get("part")
        if part in ("specificity", "actionability") and not steps:
            steps = True
            break
        if part == "examples" and not examples:
            examples = True
            break
    return _skill(CONCRETE_STEPS if steps else GENERIC_STEPS,
                  CONCRETE_EXAMPLES if examples else GENERIC_EXAMPLES)


def _verdict(concrete: bool) -> dict[str, Any]:
    value = 0.9 if concrete else 0.3
    why = "names git diff --staged and the commit types" if concrete else "steps fit any task"
    return {name: {"score": value, "reason": f"{name}: {why}"} for name in
            ("specificity", "actionability", "examples", "trigger_clarity", "safety")} | {
        "summary": why}


@pytest.fixture
def llm() -> Iterator[RefiningLlm]:
    with RefiningLlm() as server:
        yield server


def _model_env(llm: RefiningLlm) -> dict[str, str]:
    return {"SKILL_FLEET_MODEL": "openai:test-model", "SKILL_FLEET_LLM_BASE_URL": llm.url,
            "SKILL_FLEET_LLM_API_KEY": SECRET}


def _start(stack: LocalStack, llm: RefiningLlm, **worker_env: str) -> str:
    stack.start_server()
    [url] = stack.start_workers_and_apis(
        worker_env={**_model_env(llm), **worker_env},
        api_env={"SKILL_FLEET_PASS_THRESHOLD": "0.75", "SKILL_FLEET_AUTO_REFINE_MAX": "2",
                 **({"SKILL_FLEET_JUDGE_MODEL": "openai:judge-model"}
                    if "SKILL_FLEET_JUDGE_MODEL" in worker_env else {})})
    return url


def _draft(stack: LocalStack, job: dict[str, Any]) -> SkillContent:
    folder = stack.on_disk(job["draft_path"])
    files = {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*")
             if p.is_file() and p.name != "SKILL.md"}
    return SkillContent(skill_md=(folder / "SKILL.md").read_text(), files=files)


def test_refined_to_pass_with_the_judges_part_and_its_costs(own_stack: LocalStack,
                                                            llm: RefiningLlm) -> None:
    metrics_port = free_port()
    url = _start(own_stack, llm, SKILL_FLEET_JUDGE_MODEL="openai:judge-model",
                 SKILL_FLEET_WORKER_METRICS_PORT=str(metrics_port))
    with httpx.Client(base_url=url, timeout=30) as http:
        job_id = create_job(http, TASK)
        job = wait_status(http, job_id, ["completed", "failed", "cancelled",
                                         "pending_review"], timeout=90)
        assert job["status"] == "completed", job.get("error") or job.get("validation")
        rounds = job["refine_rounds"]
        # generic -> concrete steps -> concrete examples: two rounds, each a rise
        assert [(r["round"], r["kept"]) for r in rounds] == [(1, True), (2, True)]
        assert rounds[0]["score_before"] < rounds[0]["score_after"] < rounds[1]["score_after"]
        assert rounds[1]["passed"] and not rounds[0]["passed"]
        assert all(r["findings"] > 0 for r in rounds)
        assert dict(llm.rounds) == {1: 1, 2: 1}

        report = job["validation"]
        assert report["passed"] and "rubric_judge" in report["score_parts"]
        assert report["score_parts"]["rubric_judge"] == 0.9
        evidence = [f["message"] for f in report["findings"] if f["part"] == "rubric_judge"]
        assert len(evidence) == 5 and any("git diff --staged" in e for e in evidence)
        # the judged part moves the score: not the validator's alone
        validator = validate_content(PLAN["skill_name"], _draft(own_stack, job),
                                     example_requests=PLAN["example_requests"],
                                     near_misses=PLAN["near_misses"], pass_threshold=0.75)
        assert report["score"] != validator.score and "rubric_judge" not in validator.score_parts

        # costs: plan, draft, 2 rounds, 3 judgements (first draft and each revision)
        usage = job["token_usage"]
        assert llm.judge_calls == 3
        assert usage["total"] == {"calls": 7, "input_tokens": 70, "output_tokens": 70}
        assert usage["refine"]["calls"] == 2 and usage["judge"]["calls"] == 3
        assert rounds[0]["usage"] == {"calls": 2, "input_tokens": 20, "output_tokens": 20}
        scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        assert re.search(r'skill_fleet_llm_tokens_total\{[^}]*call="refine"[^}]*'
                         r'direction="input"[^}]*\} 20', scrape), scrape[-2000:]

        # a judge that fails leaves the verdict to the validator, and says so
        llm.judge_status = 500
        job_id = create_job(http, TASK)
        job = wait_status(http, job_id, ["completed", "failed", "cancelled",
                                         "pending_review"], timeout=90)
        assert job["status"] == "completed", job.get("error")
        report = job["validation"]
        assert "rubric_judge" not in report["score_parts"]
        notes = [f["message"] for f in report["findings"] if f["part"] == "rubric_judge"]
        assert len(notes) == 1 and "failed" in notes[0] and "validator's score stands" in notes[0]
        validator = validate_content(PLAN["skill_name"], _draft(own_stack, job),
                                     example_requests=PLAN["example_requests"],
                                     near_misses=PLAN["near_misses"], pass_threshold=0.75)
        assert report["score"] == validator.score and report["passed"] == validator.passed
        events = http.get(f"/api/v2/jobs/{job_id}/events", params={"format": "json"})
        assert events.status_code == 200, events.text
        assert "judge_unavailable" in [e["kind"] for e in events.json()["events"]]


def test_a_worker_killed_mid_refinement_resumes_at_its_round(own_stack: LocalStack,
                                                              llm: RefiningLlm) -> None:
    url = _start(own_stack, llm)
    [worker] = own_stack.workers
    llm.hold_round = 2
    with httpx.Client(base_url=url, timeout=30) as http:
        job_id = create_job(http, TASK)
        wait_until(llm.held.is_set, timeout=60, what="refinement round 2 reached the model")
        assert dict(llm.rounds) == {1: 1, 2: 1}
        worker.kill()
        llm.hold_round = None
        llm.release.set()
        own_stack.start_worker(**_model_env(llm))
        job = wait_status(http, job_id, ["completed", "failed", "cancelled",
                                         "pending_review"], timeout=90)
        assert job["status"] == "completed", (job.get("error"), job["refine_rounds"])
        # round 1 ran once; round 2 ran again on the new worker (its first attempt died)
        assert dict(llm.rounds) == {1: 1, 2: 2}
        assert [(r["round"], r["kept"]) for r in job["refine_rounds"]] == [(1, True), (2, True)]
        assert job["validation"]["passed"]
        assert get_job(http, job_id)["versions_count"] == 3
