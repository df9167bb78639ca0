"""The benchmark's quick mode (`make bench-quick`) runs end to end in the suite.

Checks that every phase ran and produced numbers, never the numbers themselves, so a slow
or busy machine does not fail it. The full run (`make bench`) is not part of the suite.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _positive(x: object) -> bool:
    return isinstance(x, int | float) and not math.isnan(x) and x > 0


@pytest.mark.timeout(900)
def test_bench_quick_runs_every_phase(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=840)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(out.read_text())
    assert "error" not in results, results["error"]
    assert results["machine"]["cores_logical"] >= 1
    assert results["machine"]["temporalio"]
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

    reads = phases["reads"]
    for label, kinds in (("get_saturating", ("job_running", "job_finished")),
                         ("get_paced", ("job_running", "job_finished")),
                         ("get_every_second", ("job_running", "job_finished")),
                         ("mixed_saturating", ("job_running", "job_finished",
                                               "list_pending_hitl"))):
        for kind in kinds:
            assert reads[label][kind]["n"] > 0, (label, kind)
            assert _positive(reads[label][kind]["p50_ms"]), (label, kind)

    parked = phases["parked"]
    assert parked["all_completed"] is True, parked
    assert parked["completed"] == parked["jobs"] > 0
    assert all(_positive(v) for v in parked["rss_mb_parked"].values()), parked["rss_mb_parked"]
    assert _positive(parked["list_pending_hitl"]["p50_ms"])

    recovery = phases["recovery"]
    assert recovery["all_completed"] is True, recovery
    assert _positive(recovery["baseline_median_s"]) and _positive(recovery["killed_median_s"])
