"""`python -m bench [--quick|--smoke]`: start a private local stack, measure, print, write JSON.

Full mode takes a long while (10,000 parked jobs); `--quick` is a few minutes' check and
`--smoke` the smallest scale that still runs every phase (the test suite uses it).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench import drivers as d, phase_events, phase_parked, phase_recovery, phases
from bench.profiling import Profiler, summarize
from bench.report import METHOD, TARGETS, machine_info, measured_vs_targets, print_tables
from bench.stack import BenchStack

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ALL_PHASES = ("overhead", "events", "reads", "parked", "recovery")


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small scale (500 parked jobs)")
    mode.add_argument("--smoke", action="store_true", help="smallest scale, for the test suite")
    ap.add_argument("--out", type=Path, help="JSON file (default bench/results/<date>[-mode].json)")
    ap.add_argument("--phases", default=",".join(ALL_PHASES),
                    help=f"comma-separated subset of {','.join(ALL_PHASES)}")
    ap.add_argument("--parked", type=int, help="override the number of parked jobs")
    ap.add_argument("--park-cache", type=int,
                    help="SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS for the parked phase")
    ap.add_argument("--park-deadline", type=float, default=None,
                    help="give up the parked phase after this many seconds")
    ap.add_argument("--profile", type=Path, metavar="DIR",
                    help="record py-spy profiles of API and worker during the c=10 run")
    ap.add_argument("--keep", action="store_true", help="keep the stack's temp folder and logs")
    ap.add_argument("--worker-script", default="worker.py",
                    help="experiments only: run this file instead of worker.py as the worker")
    ap.add_argument("--api-app", default="api.app:app",
                    help="experiments only: serve this ASGI app instead of api.app:app")
    return ap.parse_args(argv)


async def run_phases(stack: BenchStack, scale: phases.Scale, wanted: set[str],
                     args: argparse.Namespace, results: dict[str, Any]) -> None:
    p = results["phases"]
    took = results.setdefault("phase_seconds", {})
    mark = time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        took[name] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()

    async with d.HttpPool(stack.api_url) as pool:
        client = await Client.connect(stack.address)
        await phases.warm_up(pool, client, scale, _log)
        lap("warmup")

        finished: list[str] = []
        profiler = Profiler(args.profile) if args.profile else None
        if profiler is not None and not profiler.available:
            _log("py-spy not found on PATH; not profiling")
            profiler = None

        def collect_profiles() -> None:
            if profiler is not None:
                files = profiler.wait()
                results.setdefault("profiles", []).extend(str(f) for f in files)
                for f in files:
                    if f.suffix == ".txt":
                        _log(summarize(f, top=30))

        if "overhead" in wanted:
            hook = None
            if profiler is not None:
                def hook(c: int, kind: str, seconds: float) -> None:
                    if c == profiler.concurrency and kind == profiler.kind:
                        _log(f"profiling api and worker for {seconds:.0f} s")
                        profiler.start(stack.pids(), seconds)
            p["overhead"] = await phases.phase_overhead(stack, pool, client, scale, _log,
                                                        on_measure=hook)
            for row in p["overhead"].values():
                if isinstance(row, dict) and "ratio" in row:
                    finished += row.pop("skill_fleet_finished_ids", [])
                    row.pop("bare_finished_ids", None)
            collect_profiles()
            lap("overhead")
        if not finished:
            rec = d.HttpJobRecorder()  # three finished jobs to read, made side by side
            await asyncio.gather(*(d.http_job(pool[i], rec, "bench-reads-extra")
                                   for i in range(3)))
            finished = rec.finished

        if "events" in wanted:
            p["events"] = await phase_events.phase_events(stack, pool, scale, finished[-1],
                                                    _log)
            lap("events")
        if "reads" in wanted:
            read_hook = None
            if profiler is not None:
                def read_hook(label: str, seconds: float) -> None:
                    _log(f"profiling api and worker for {seconds:.0f} s ({label})")
                    profiler.start(stack.pids(), seconds, label)
            p["reads"] = await phases.phase_reads(stack, pool, scale, finished, _log,
                                                  on_measure=read_hook)
            collect_profiles()
            lap("reads")
        if "parked" in wanted:
            try:
                p["parked"] = await phase_parked.phase_parked(stack, pool, client, scale, _log,
                                                        deadline_s=args.park_deadline)
            except TimeoutError as err:
                p["parked"] = {"jobs": scale.parked, "error": str(err), "all_completed": False,
                               "worker_settings": {"SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS":
                                                   scale.park_worker_cache}}
                _log(f"parked: {err}")
            lap("parked")
        if "recovery" in wanted:
            p["recovery"] = await phase_recovery.phase_recovery(stack, pool, client, scale, _log)
            lap("recovery")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    scale = phases.SCALES[mode]
    if args.parked is not None:
        scale = dataclasses.replace(scale, parked=args.parked)
    if args.park_cache is not None:
        scale = dataclasses.replace(scale, park_worker_cache=args.park_cache)
    wanted = {x.strip() for x in args.phases.split(",") if x.strip()}
    unknown = wanted - set(ALL_PHASES)
    if unknown:
        sys.exit(f"unknown phases: {sorted(unknown)}")
    os.chdir(Path(__file__).resolve().parent.parent)  # worker.py and api/ are found from here

    today = dt.date.today().isoformat()
    out = args.out or RESULTS_DIR / (today + ("" if mode == "full" else f"-{mode}") + ".json")
    results: dict[str, Any] = {
        "date": today, "mode": mode, "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(), "loadavg_start": phases.loadavg(), "method": METHOD,
        "targets": TARGETS, "scale": phases.scale_dict(scale), "phases": {},
    }
    _log(f"mode {mode}; phases {sorted(wanted)}; load average {results['loadavg_start']}")

    # SIGTERM behaves like Ctrl-C: unwind through the finally below.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    stack = BenchStack(keep=args.keep, worker_script=args.worker_script, api_app=args.api_app)
    results["worker_script"] = args.worker_script
    results["api_app"] = args.api_app
    status = 0
    try:
        _log(f"starting the stack in {stack.root}")
        stack.start_server()
        stack.start_worker()
        stack.start_api()
        stack.start_bare_worker()
        results["stack_start_seconds"] = round(time.monotonic() - started, 1)
        _log(f"stack up in {results['stack_start_seconds']} s: temporal {stack.address}, "
             f"api {stack.api_url}")
        asyncio.run(run_phases(stack, scale, wanted, args, results))
    except KeyboardInterrupt:
        _log("interrupted; stopping the stack")
        results["error"] = "interrupted"
        status = 130
    except Exception as err:  # still write what was measured
        traceback.print_exc()
        results["error"] = f"{type(err).__name__}: {err}"
        status = 1
    finally:
        stack.stop()
    results["runtime_seconds"] = round(time.monotonic() - started, 1)
    results["loadavg_end"] = phases.loadavg()
    results["targets_vs_measured"] = [
        dict(zip(("target", "wanted", "measured", "met"), r, strict=True))
        for r in measured_vs_targets(results)
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(out)
    print_tables(results)
    _log(f"results written to {out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
