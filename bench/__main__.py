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

from bench import drivers as d
from bench import phases
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
    return ap.parse_args(argv)


async def run_phases(stack: BenchStack, scale: phases.Scale, wanted: set[str],
                     args: argparse.Namespace, results: dict[str, Any]) -> None:
    p = results["phases"]
    async with d.http_client(stack.api_url, max_connections=160) as http:
        client = await Client.connect(stack.address)
        await phases.warm_up(http, client, scale, _log)

        finished: list[str] = []
        if "overhead" in wanted:
            profiler = Profiler(args.profile) if args.profile else None
            hook = None
            if profiler is not None:
                if profiler.available:
                    def hook(c: int, kind: str, seconds: float) -> None:
                        if c == profiler.concurrency and kind == profiler.kind:
                            _log(f"profiling api and worker for {seconds:.0f} s")
                            profiler.start(stack.pids(), seconds)
                else:
                    _log("py-spy not found on PATH; not profiling")
            p["overhead"] = await phases.phase_overhead(stack, http, client, scale, _log,
                                                        on_measure=hook)
            for row in p["overhead"].values():
                if isinstance(row, dict):
                    finished += row.pop("finished_job_ids", [])
            if profiler is not None and profiler.available:
                files = profiler.wait()
                results["profiles"] = [str(f) for f in files]
                for f in files:
                    if f.suffix == ".txt":
                        _log(summarize(f, top=30))
        if not finished:
            rec = d.HttpJobRecorder()
            for _ in range(3):
                await d.http_job(http, rec, "bench-reads")
            finished = rec.finished

        if "events" in wanted:
            p["events"] = await phases.phase_events(http, scale, finished[-1], _log)
        if "reads" in wanted:
            p["reads"] = await phases.phase_reads(stack, http, scale, finished, _log)
        if "parked" in wanted:
            try:
                p["parked"] = await phases.phase_parked(stack, http, client, scale, _log,
                                                        deadline_s=args.park_deadline)
            except TimeoutError as err:
                p["parked"] = {"jobs": scale.parked, "error": str(err), "all_completed": False,
                               "worker_settings": {"SKILL_FLEET_WORKER_MAX_CACHED_WORKFLOWS":
                                                   scale.park_worker_cache}}
                _log(f"parked: {err}")
        if "recovery" in wanted:
            p["recovery"] = await phases.phase_recovery(stack, http, client, scale, _log)


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
    stack = BenchStack(keep=args.keep)
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
