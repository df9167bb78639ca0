"""Machine facts, the targets, and the results as rich tables."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from devstack.temporal_server import temporal_binary

METHOD = (
    "Monotonic clock (time.monotonic). Every process is separate: Temporal dev server "
    "(SQLite, WAL), skill-fleet worker (worker.py), API (uvicorn, one process), bare worker "
    "(bench/bare_worker.py), and this client, all on loopback on one machine. Warm-up jobs "
    "through both paths first. Throughput: closed loop of C clients each running jobs back to "
    "back; the first `warmup` seconds are not counted, then `windows` consecutive windows of "
    "`window` seconds each give one sample; reported value = median of the windows. Human round "
    "trip: POST /hitl/{id}/response?wait=30 sent -> its reply carrying the next prompt (the "
    "reply is held until the next prompt exists; the first prompt comes in the reply of "
    "POST /skills/create?wait=30, the end in the last answer's: nothing is polled), pooled "
    "over the measuring windows; a separate c=1 client creates and answers without wait and "
    "polls GET /hitl/{id}/prompt every 10 ms. Event stream: answer "
    "sent -> prompt_raised received; idle streams: CPU over read_windows x read_window "
    "seconds with N jobs parked and no stream, then with one stream open on each; the "
    "difference / N. Reads: per-window "
    "p50/p95/p99, median over windows. Parked and recovery: wall time; recovery is the median "
    "of `recovery_reps` repetitions."
)

TARGETS = {
    "overhead_ratio_c10": ">= 0.8",
    "round_trip_c1_p50_ms": "<= 50",
    "round_trip_c1_p95_ms": "<= 150",
    "get_job_p50_ms_50_readers": "<= 10",
    "get_job_p99_ms_50_readers": "<= 50",
    "parked_worker_rss_mb": "<= 400 (10,000 parked)",
    "parked_all_completed": "true",
    "recovery_added_s": "<= heartbeat timeout (10 s) + 5 s",
}


def _version(pkg: str) -> str:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    try:
        cli = subprocess.run([temporal_binary(), "--version"], capture_output=True, text=True,
                             timeout=20).stdout.strip()
    except Exception as err:
        cli = f"unknown ({err})"
    cpu_model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "cpu_model": cpu_model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "temporalio": _version("temporalio"),
        "temporal_cli": cli,
        "fastapi": _version("fastapi"),
        "uvicorn": _version("uvicorn"),
        "httpx": _version("httpx"),
        "pydantic": _version("pydantic"),
    }


def _ms(s: dict[str, Any] | None, key: str) -> str:
    if not s or key not in s:
        return "-"
    return f"{s[key]:.1f}"


def _measure_table(title: str) -> Table:
    """A two-column table of one phase's measures: what was measured, and its value."""
    t = Table(title=title)
    t.add_column("measure")
    t.add_column("value", justify="right")
    return t


def _parked_table(pk: dict[str, Any]) -> Table:
    """4. The parked phase: time to park, memory, the inbox listing, time to finish."""
    t = _measure_table(f"4. Parked jobs (N={pk['jobs']}, worker cache "
                       f"{pk['worker_settings']['SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS']})")
    if "park_seconds" in pk:
        t.add_row("time to park all (create -> all at confirm)",
                  f"{pk['park_seconds']} s ({pk['park_rate_per_s']}/s)")
    for key, label in (("rss_mb_parked", "RSS MB when all parked"),
                       ("rss_mb_peak", "RSS MB peak in phase")):
        if key in pk:
            r = pk[key]
            t.add_row(label, f"worker {r.get('worker')}, server {r.get('server')}, "
                             f"api {r.get('api')}")
    if "list_pending_hitl" in pk:
        s = pk["list_pending_hitl"]
        t.add_row("GET /jobs?status=pending_hitl (sequential)",
                  f"p50 {s['p50_ms']} / p95 {s['p95_ms']} / p99 {s['p99_ms']} ms")
    if "answer_to_all_completed_seconds" in pk:
        t.add_row("first answer -> all completed",
                  f"{pk['answer_to_all_completed_seconds']} s "
                  f"({pk['complete_rate_per_s']}/s)")
        t.add_row("all completed", f"{pk['all_completed']} ({pk['completed']}/{pk['jobs']})")
    if "error" in pk:
        t.add_row("error", str(pk["error"])[:100])
    return t


def _recovery_table(rc: dict[str, Any]) -> Table:
    """5. The recovery phase: how much a killed worker adds to finishing."""
    t = _measure_table(f"5. Recovery: {rc['jobs']} jobs, worker SIGKILLed mid-activity "
                       f"(offline delay {rc['offline_delay_s']} s)")
    if "baseline_median_s" in rc:
        t.add_row("all complete, no kill (median)", f"{rc['baseline_median_s']} s")
        t.add_row("all complete, with kill + new worker (median)",
                  f"{rc['killed_median_s']} s")
        t.add_row("added by the kill", f"{rc['added_s']} s (budget {rc['budget_s']} s: "
                                       f"{'within' if rc['within_budget'] else 'OVER'})")
        t.add_row("all completed", str(rc["all_completed"]))
    return t


def measured_vs_targets(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(target, wanted, measured, met) rows."""
    p = results.get("phases", {})
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, measured: Any, ok: bool | None) -> None:
        met = "n/a" if ok is None else ("yes" if ok else "NO")
        rows.append((name, TARGETS[name], str(measured), met))

    ov = p.get("overhead", {}).get("10")
    if ov:
        row("overhead_ratio_c10", ov["ratio"], ov["ratio"] >= 0.8)
    rt = p.get("overhead", {}).get("1", {}).get("skill_fleet", {}).get("round_trip")
    if rt and rt.get("n"):
        row("round_trip_c1_p50_ms", rt["p50_ms"], rt["p50_ms"] <= 50)
        row("round_trip_c1_p95_ms", rt["p95_ms"], rt["p95_ms"] <= 150)
    for run, how in (("get_saturating", "no pause"), ("get_every_second", "1 read/s each")):
        reads = p.get("reads", {}).get(run)
        vals = [reads[k] for k in ("job_running", "job_finished")
                if reads and reads[k].get("n")]
        if vals:
            p50 = max(v["p50_ms"] for v in vals)
            p99 = max(v["p99_ms"] for v in vals)
            row("get_job_p50_ms_50_readers", f"{p50} ({how})", p50 <= 10)
            row("get_job_p99_ms_50_readers", f"{p99} ({how})", p99 <= 50)
    parked = p.get("parked")
    if parked and "rss_mb_peak" in parked:
        rss = parked["rss_mb_peak"].get("worker")
        full = parked["jobs"] >= 10_000
        row("parked_worker_rss_mb", f"{rss} (N={parked['jobs']})",
            (rss <= 400) if full else None)
        row("parked_all_completed", parked["all_completed"], parked["all_completed"])
    rec = p.get("recovery")
    if rec and "added_s" in rec:
        row("recovery_added_s", rec["added_s"], rec["within_budget"])
    return rows


def print_tables(results: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(width=max(Console().width, 130))
    p = results.get("phases", {})
    m = results["machine"]
    console.print(f"[bold]skill-fleet benchmark[/] mode={results['mode']} "
                  f"{m['cores_logical']} cores, {m['memory_gb']} GB, Python {m['python']}, "
                  f"temporalio {m['temporalio']}, {m['temporal_cli'].splitlines()[0]}; "
                  f"runtime {results.get('runtime_seconds')} s")
    for when in ("loadavg_start", "loadavg_end"):
        state = results.get(when) or {}
        psi = state.get("cpu_psi_some_avg60")
        busy = psi is not None and psi > 10
        console.print(f"machine at {when.split('_')[1]}: load {state.get('loadavg')}, CPU pressure "
                      f"(some, avg10/avg60) {state.get('cpu_psi_some_avg10')}/{psi} %"
                      + ("  [bold red]BUSY: other programs compete for the cores; latencies "
                         "are inflated[/]" if busy else ""))
    console.print(f"[dim]{METHOD}[/]")

    if "overhead" in p:
        t = Table(title="1. Throughput over HTTP vs bare Temporal (median of windows)")
        for col in ("C", "skill-fleet jobs/s", "bare jobs/s", "ratio", "skill-fleet job p50 ms",
                    "bare job p50 ms", "CPU cores used (srv/wkr/api/client)"):
            t.add_column(col, justify="right")
        for c, row in p["overhead"].items():
            if not isinstance(row, dict) or "ratio" not in row:
                continue
            sf, bare = row["skill_fleet"], row["bare"]
            cpu = sf["cpu_cores_used"]
            t.add_row(c, f"{sf['jobs_per_s']:.2f}", f"{bare['jobs_per_s']:.2f}",
                      f"{row['ratio']:.2f}", _ms(sf["job_latency"], "p50_ms"),
                      _ms(bare["job_latency"], "p50_ms"),
                      f"{cpu.get('server', 0):.2f}/{cpu.get('worker', 0):.2f}/"
                      f"{cpu.get('api', 0):.2f}/{cpu.get('bench_client', 0):.2f}")
        console.print(t)

        t = Table(title="2. Human round trip: answer POSTed -> next prompt visible")
        for col in ("path", "C", "p50 ms", "p95 ms", "p99 ms", "n"):
            t.add_column(col, justify="right")
        for c, row in p["overhead"].items():
            if isinstance(row, dict) and "ratio" in row:
                rt = row["skill_fleet"]["round_trip"]
                t.add_row("answer ?wait=30 (prompt in reply)", c, _ms(rt, "p50_ms"),
                          _ms(rt, "p95_ms"), _ms(rt, "p99_ms"), str(rt.get("n")))
        poll = p["overhead"].get("polling_client_c1")
        if poll:
            rt = poll["round_trip"]
            t.add_row("answer, poll GET prompt (10 ms)", "1", _ms(rt, "p50_ms"),
                      _ms(rt, "p95_ms"), _ms(rt, "p99_ms"), str(rt.get("n")))
        for c, row in p["overhead"].items():
            if isinstance(row, dict) and "ratio" in row:
                rt = row["bare"]["round_trip"]
                t.add_row("bare: update -> next update done", c, _ms(rt, "p50_ms"),
                          _ms(rt, "p95_ms"), _ms(rt, "p99_ms"), str(rt.get("n")))
        cost = p["overhead"].get("history_cost_per_job") or {}
        ev = p.get("events")
        if ev is not None:
            if ev.get("available"):
                for c in [k for k in ev if k.isdigit()]:
                    if c in ev:
                        t.add_row("GET /jobs/{id}/events stream", c, _ms(ev[c], "p50_ms"),
                                  _ms(ev[c], "p95_ms"), _ms(ev[c], "p99_ms"), str(ev[c]["n"]))
            else:
                t.add_row("GET /jobs/{id}/events stream", "-", "not available", "", "",
                          ev.get("detail", "")[:40])
        console.print(t)
        if cost:
            t = Table(title="Cost per job: one finished job's history (bench/cost.py)")
            for col in ("job", "history events", "history bytes", "billable actions",
                        "actions by kind"):
                t.add_column(col, justify="right")
            for kind, c in cost.items():
                t.add_row(kind, str(c["events"]), f"{c['bytes']:,}", str(c["billable_actions"]),
                          ", ".join(f"{k} {v}" for k, v in c["actions_by_kind"].items()))
            console.print(t)
        idle = (ev or {}).get("idle_streams")
        if idle:
            cost = ", ".join(f"{k} {v}" for k, v in idle["cpu_ms_per_s_per_stream"].items())
            console.print(f"{idle['streams']} open event streams on jobs waiting for a human, "
                          f"CPU ms per second per stream: {cost}")

    if "reads" in p:
        t = Table(title=f"3. Reads with {p['reads']['readers']} readers while "
                        f"{p['reads']['background_clients']} clients run jobs")
        for col in ("run", "request", "p50 ms", "p95 ms", "p99 ms", "n", "run req/s"):
            t.add_column(col, justify="right")
        for label in ("get_saturating", "get_paced", "get_every_second", "mixed_saturating"):
            run = p["reads"].get(label)
            if not run:
                continue
            name = {"get_saturating": "GET only, no pause",
                    "get_paced": f"GET only, {run['pause_s']} s pause",
                    "get_every_second": f"GET only, {run['pause_s']} s pause",
                    "mixed_saturating": "mixed, no pause"}[label]
            for kind in ("job_running", "job_finished", "list_pending_hitl"):
                s = run.get(kind)
                if not s or not s.get("n"):
                    continue
                t.add_row(name, {"job_running": "GET /jobs/{id} running",
                                 "job_finished": "GET /jobs/{id} finished",
                                 "list_pending_hitl": "GET /jobs?status=pending_hitl"}[kind],
                          _ms(s, "p50_ms"), _ms(s, "p95_ms"), _ms(s, "p99_ms"),
                          str(s.get("n")), str(run["requests_per_s"]))
        console.print(t)

    for phase, table in (("parked", _parked_table), ("recovery", _recovery_table)):
        if phase in p:
            console.print(table(p[phase]))

    rows = measured_vs_targets(results)
    if rows:
        t = Table(title="Targets")
        for col in ("target", "wanted", "measured", "met"):
            t.add_column(col)
        for r in rows:
            t.add_row(*r)
        console.print(t)
