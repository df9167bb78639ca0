"""Faults survived: concurrent jobs through every checkpoint while processes die.

Workers and API instances are SIGKILLed and restarted at random moments, and the
Temporal server once; the client retries with the same Idempotency-Key and the same
response_id. At the end every job is completed (or cancelled where the script
cancelled it), with exactly one draft holding the content the job's state says, and
an event log in which every answer was applied once, to its own prompt.

    uv run pytest tests/chaos -q                 # the smoke (one worker kill), in the default suite
    make test-chaos                              # the fast run (N=8) and the long run (N=50)
    CHAOS_SEED=1234 uv run pytest ...            # replay a seed (printed by every run)
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chaos.controller import ChaosConfig, ChaosReport, run_chaos
from tests.support import LocalStack, answer, create_job, wait_prompt, wait_status


def _seed() -> int:
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"chaos seed: {seed} (replay with CHAOS_SEED={seed})", flush=True)
    return seed


def _check(report: ChaosReport, cfg: ChaosConfig) -> None:
    summary = report.summary()
    assert not report.violations, "\n".join([str(summary), *report.violations[:40]])
    assert not report.stats.server_errors, report.stats.server_errors[:10]
    assert report.completed + report.cancelled == cfg.jobs, summary
    assert report.cancelled == report.cancelled_by_script, summary
    assert report.completed == cfg.jobs - report.cancelled_by_script, summary
    assert report.other == 0, summary
    # The faults really happened (the plan is bounded; jobs outlast the first few).
    assert report.faults.get("server", 0) == cfg.server_restarts, summary
    assert report.faults.get("worker", 0) >= min(cfg.worker_kills, 1), summary
    assert report.faults.get("api", 0) >= min(cfg.api_kills, 1), summary
    # Idempotent create was exercised: every other job sent its create twice (same key), and
    # one workflow exists per job (a violation otherwise).
    assert report.stats.creates_replayed == (cfg.jobs + 1) // 2, summary
    # Every prompt seen was answered, except the ones cancelled through the endpoint.
    assert report.answers_applied >= report.prompts_seen - report.cancelled_by_script, summary


# Each run's plan (its seed is drawn when it starts): the smoke in the default suite, the
# fast run (N=8) and the long run (N=50) under `make test-chaos`.
RUNS = [
    pytest.param(dict(jobs=3, worker_kills=1, api_kills=0, server_restarts=0,
                      fault_gap=(0.5, 1.0), offline_delay=0.5, think_time=(0.1, 0.3),
                      poll_interval=(0.1, 0.3), job_timeout=90.0),
                 id="smoke"),  # one worker SIGKILL: keeps the harness and its audit from rotting
    pytest.param(dict(jobs=8, worker_kills=4, api_kills=3, server_restarts=1,
                      fault_gap=(1.0, 2.5), offline_delay=2.0, think_time=(0.5, 3.0),
                      job_timeout=150.0),
                 id="fast", marks=pytest.mark.chaos),
    pytest.param(dict(jobs=50, worker_kills=12, api_kills=8, server_restarts=1,
                      all_worker_kills=2, fault_gap=(1.0, 4.0), poll_interval=(0.8, 1.6),
                      think_time=(0.5, 3.0), offline_delay=1.5, create_spread=90.0,
                      job_timeout=600.0),
                 id="fifty_jobs", marks=[pytest.mark.chaos, pytest.mark.timeout(1500)]),
]


@pytest.mark.parametrize("plan", RUNS)
def test_chaos(own_stack: LocalStack, plan: dict[str, Any]) -> None:
    cfg = ChaosConfig(seed=_seed(), **plan)
    report = run_chaos(own_stack, cfg)
    _check(report, cfg)


# ------------------------------------------------------------------ a kill inside save_draft
# The chaos run rarely lands a SIGKILL in the few milliseconds a save takes, so the two
# states such a kill leaves on disk are planted here, and the retried activity must clean
# up after its dead attempt.


def _save(root: Path, job_id: str, text: str) -> Path:
    from activities.drafts import DraftActivities
    from skill_format.models import SkillContent
    from workflows.models import SaveDraftInput

    result = DraftActivities(root).save_draft(
        SaveDraftInput(
            job_id=job_id,
            taxonomy_path="development/demo-skill",
            content=SkillContent(skill_md=text, files={"references/checklist.md": "- [ ] x\n"}),
        )
    )
    return root / result.draft_path


def _leftovers(job_root: Path, skill_dir: Path) -> list[str]:
    keep = {job_root / "development", skill_dir}
    return sorted(
        str(p.relative_to(job_root))
        for p in job_root.rglob("*")
        if p not in keep and skill_dir not in p.parents
    )


@pytest.mark.parametrize("killed", ["while-writing-scratch", "between-the-two-renames"])
def test_a_save_killed_midway_leaves_nothing_behind_after_the_retry(
    tmp_path: Path, killed: str
) -> None:
    root = tmp_path / "skills"
    job_id = "3f2c1f7e-1111-4222-8333-444455556666"
    job_root = root / "_drafts" / job_id
    parent = job_root / "development"
    if killed == "while-writing-scratch":
        # mkdir(scratch) and part of SKILL.md done, then SIGKILL
        (parent / ".tmp-deadbeef").mkdir(parents=True)
        (parent / ".tmp-deadbeef" / "SKILL.md").write_text("---\nname: demo")
    else:
        # a second save: target renamed away to .tmp-old, SIGKILL before the new one moved in
        _save(root, job_id, "old content\n")
        (parent / "demo-skill").rename(parent / ".tmp-old")
        (parent / ".tmp-new").mkdir()
        (parent / ".tmp-new" / "SKILL.md").write_text("new content\n")
    skill_dir = _save(root, job_id, "final content\n")  # the retried attempt
    assert (skill_dir / "SKILL.md").read_text() == "final content\n"
    assert _leftovers(job_root, skill_dir) == []


# ------------------------------------------------------------------ a retry after the job finished


def test_retrying_the_answer_that_finished_the_job_gets_its_original_outcome(
    http: httpx.Client,
) -> None:
    job_id = create_job(http, user_id="chaos-retry", enable_hitl_review=True)
    prompt = wait_prompt(http, job_id, "validate")
    first = answer(http, job_id, prompt["prompt_id"], action="proceed", response_id="last-one")
    assert first.status_code == 200, first.text
    wait_status(http, job_id, ["completed"])
    # the client lost `first` (API killed mid-response) and retries, as it must
    again = answer(http, job_id, prompt["prompt_id"], action="proceed", response_id="last-one")
    assert again.status_code == 200, again.text
    assert again.json()["response_id"] == "last-one"
