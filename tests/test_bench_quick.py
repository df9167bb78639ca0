"""The benchmark harness runs end to end: a smoke in the default suite, the quick mode marked.

Checks that phases ran and produced numbers, never the numbers themselves, so a slow or busy
machine does not fail them. The default suite runs one phase (reads) at the smallest scale
(~20 s), so the harness cannot rot unseen; `make bench-quick` runs every phase at quick scale
(~3 min, marked `bench`); the full run (`make bench`) is never part of a test.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _positive(x: object) -> bool:
    return isinstance(x, int | float) and not math.isnan(x) and x > 0


def run_bench(out: Path, *args: str, timeout: float) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "bench", *args, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    print(proc.stdout)  # the tables, shown with `pytest -s` (make bench-quick)
    results = json.loads(out.read_text())
    assert "error" not in results, results["error"]
    assert results["machine"]["cores_logical"] >= 1
    assert results["machine"]["temporalio"]
    return results


def check_reads(reads: dict[str, Any]) -> None:
    for label, kinds in (("get_saturating", ("job_running", "job_finished")),
                         ("get_paced", ("job_running", "job_finished")),
                         ("get_every_second", ("job_running", "job_finished")),
                         ("mixed_saturating", ("job_running", "job_finished",
                                               "list_pending_hitl"))):
        for kind in kinds:
            assert reads[label][kind]["n"] > 0, (label, kind)
            assert _positive(reads[label][kind]["p50_ms"]), (label, kind)


@pytest.mark.timeout(180)
def test_bench_smoke_runs_the_reads_phase(tmp_path: Path) -> None:
    results = run_bench(tmp_path / "smoke.json", "--smoke", "--phases", "reads", timeout=170)
    assert results["mode"] == "smoke"
    assert set(results["phases"]) == {"reads"}
    check_reads(results["phases"]["reads"])
    assert _positive(results["stack_start_seconds"])


@pytest.mark.bench
@pytest.mark.timeout(900)
def test_bench_quick_runs_every_phase() -> None:
    out = ROOT / "bench" / "results" / f"{dt.date.today().isoformat()}-quick.json"
    results = run_bench(out, "--quick", timeout=840)
    phases = results["phases"]
    assert set(phases) == {"overhead", "events", "reads", "parked", "recovery"}

    for c in ("1", "10", "50"):
        row = phases["overhead"][c]
        for kind in ("skill_fleet", "bare"):
            assert row[kind]["jobs_measured"] > 0, (c, kind, row[kind])
            assert _positive(row[kind]["jobs_per_s_overall"]), (c, kind, row[kind])
            assert row[kind]["round_trip"]["n"] > 0, (c, kind)
            assert _positive(row[kind]["round_trip"]["p50_ms"]), (c, kind)
        assert _positive(row["ratio_overall"]), (c, row)
    polling = phases["overhead"]["polling_client_c1"]
    assert polling["round_trip"]["n"] > 0 and _positive(polling["round_trip"]["p50_ms"])

    events = phases["events"]
    assert events["available"], events.get("detail")
    assert _positive(events["1"]["p50_ms"]) and _positive(events["50"]["p50_ms"])
    idle = events["idle_streams"]
    assert idle["streams"] == 50
    # A difference of two CPU readings: near zero, either sign, but a number per process.
    assert {"server", "worker", "api"} <= idle["cpu_ms_per_s_per_stream"].keys()
    assert all(math.isfinite(v) for v in idle["cpu_ms_per_s_per_stream"].values())

    check_reads(phases["reads"])

    parked = phases["parked"]
    assert parked["all_completed"] is True, parked
    assert parked["completed"] == parked["jobs"] > 0
    assert all(_positive(v) for v in parked["rss_mb_parked"].values()), parked["rss_mb_parked"]
    assert _positive(parked["list_pending_hitl"]["p50_ms"])

    recovery = phases["recovery"]
    assert recovery["all_completed"] is True, recovery
    assert _positive(recovery["baseline_median_s"]) and _positive(recovery["killed_median_s"])
