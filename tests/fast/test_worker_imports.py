"""A worker without a model imports no model library: pydantic-ai alone costs a second and a
half of CPU at every worker start, and the suite and a scaled-out fleet start many workers."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(*sys.modules)"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return set(out.split())


def test_the_offline_worker_does_not_import_pydantic_ai() -> None:
    loaded = _modules_after("import worker")
    assert "worker" in loaded and "activities.refining" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "pydantic_ai"}



def test_the_warm_up_skill_runs_the_whole_validator() -> None:
    """The worker warms the validator with a small skill at start (`warm_validator`): it must
    get through every check and the scoring, or the first real validation still loads the
    word lists inside an answer's workflow task."""
    from activities.validation import warm_validator

    report = warm_validator()
    assert not report.errors, report.errors
    assert report.score_parts and report.trigger_cases and report.checks
