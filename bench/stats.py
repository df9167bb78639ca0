"""Percentiles and medians, without numpy."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    data = sorted(values)
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds and the sample count."""
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2) if seconds else math.nan,
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def median_of_summaries(parts: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per-window percentiles, then the median of each across windows."""
    parts = [p for p in parts if p.get("n")]
    if not parts:
        return {"n": 0}
    out: dict[str, float] = {"n": sum(p["n"] for p in parts), "windows": len(parts)}
    for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
        out[key] = round(median([p[key] for p in parts]), 2)
    return out
