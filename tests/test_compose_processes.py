"""Our processes run exactly as docker-compose.yml says, and work spreads over the workers.

Without Docker, each container becomes a local process: `command` and `environment` are
taken from the parsed compose file. What a container gets from Docker is mapped to this
machine: the Temporal address (the test's dev server), volume paths (a temp directory),
secrets (a keys file the test writes), the container's own network namespace (the API and
metrics listen on free loopback ports, as three workers on one host cannot all bind 9464),
and the image's PATH (our virtualenv).

The dev server starts *without* our search attributes: the compose file's namespace job
(its shell script, with the real `temporal` CLI) must register them, or no job completes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil
from temporalio.client import Client

from api.auth import hash_key
from devstack.processes import ManagedProcess, free_port, http_ok, port_open, wait_until
from devstack.temporal_server import server_args, temporal_binary, wait_for_namespace
from tests.fast.test_compose import (
    API,
    SETUP_JOB,
    WORKER,
    command,
    environment,
    option,
    script,
    services,
)
from tests.skeleton import SKELETON_PASS_THRESHOLD
from tests.support import API as API_PREFIX, create_job, wait_status

WORKERS = 3
API_PROCESSES = 2
JOBS = 20
VENV_BIN = Path(sys.executable).parent
KEY = "compose-test-key-0123456789"


def _without_search_attributes(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--search-attribute":
            skip = True
        else:
            out.append(arg)
    return out


def _executable(args: list[str]) -> list[str]:
    """The image puts the virtualenv first on PATH; do the same without relying on ours."""
    if args[0] == "python":
        return [sys.executable, *args[1:]]
    local = VENV_BIN / args[0]
    return [str(local), *args[1:]] if local.exists() else args


def _volume_paths(service: str, volumes: dict[str, Path]) -> dict[str, Path]:
    """Container path -> host directory, for the service's named volumes and tmpfs mounts
    (a fresh directory of the service's own)."""
    mounts: dict[str, Path] = {}
    for spec in services()[service].get("volumes", []):
        source, target = str(spec).split(":")[:2]
        mounts[target] = volumes.setdefault(source, volumes["_root"] / source)
        mounts[target].mkdir(parents=True, exist_ok=True)
    for target in services()[service].get("tmpfs", []):
        mounts[target] = volumes["_root"] / f"{service}-tmpfs{target.replace('/', '-')}"
        mounts[target].mkdir(parents=True, exist_ok=True)
    return mounts


def _secret_paths(service: str, root: Path) -> dict[str, Path]:
    """Container path -> host file, for the service's secrets: the API's keys file holds
    one admin key, KEY."""
    paths: dict[str, Path] = {}
    for name in services()[service].get("secrets", []):
        paths[f"/run/secrets/{name}"] = host = root / f"secret-{name}"
        host.write_text(f'[{{"key_sha256": "{hash_key(KEY)}", "user_id": "ops", '
                        '"role": "admin"}]')
    return paths


def _container_env(service: str, temporal_address: str,
                   mounts: dict[str, Path]) -> dict[str, str]:
    env: dict[str, str] = {}
    for var, value in environment(service).items():
        if value is None:  # passed through from the host only when set there
            continue
        if var == "SKILL_FLEET_TEMPORAL_ADDRESS":
            value = temporal_address
        elif value in mounts:
            value = str(mounts[value])
        env[var] = value
    return env


def _jobs_created(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    [line] = [x for x in text.splitlines() if x.startswith("skill_fleet_jobs_created_total")]
    return float(line.split()[-1])


def _process(name: str, args: list[str], env: dict[str, str], log: Path) -> ManagedProcess:
    proc = ManagedProcess(name, _executable(args), env=env, log_path=log)
    # A container sees only its own environment: drop SKILL_FLEET_* leaking in from ours.
    proc.env = {k: v for k, v in proc.env.items()
                if not k.startswith("SKILL_FLEET_") or k in env}
    return proc


def _run_setup_job(address: str, log: Path) -> None:
    env = {**os.environ, **{k: v for k, v in environment(SETUP_JOB).items() if v},
           "TEMPORAL_ADDRESS": address,
           "PATH": f"{Path(temporal_binary()).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["/bin/sh", "-c", script(SETUP_JOB)], env=env, timeout=120,
                            capture_output=True, text=True)
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"namespace job failed:\n{result.stdout}\n{result.stderr}"
    # Re-running it (a restarted stack) must succeed too.
    again = subprocess.run(["/bin/sh", "-c", script(SETUP_JOB)], env=env, timeout=120,
                           capture_output=True, text=True)
    assert again.returncode == 0, f"namespace job is not re-runnable:\n{again.stderr}"


async def _activity_identities(address: str, namespace: str, job_ids: list[str]) -> Counter[str]:
    client = await Client.connect(address, namespace=namespace)
    seen: Counter[str] = Counter()
    for job_id in job_ids:
        async for event in client.get_workflow_handle(job_id).fetch_history_events():
            if event.HasField("activity_task_started_event_attributes"):
                seen[event.activity_task_started_event_attributes.identity] += 1
    return seen


def test_compose_api_and_three_workers_share_the_work(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    volumes: dict[str, Path] = {"_root": tmp_path / "volumes"}
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = ManagedProcess(
        "temporal",
        _without_search_attributes(server_args(tmp_path / "temporal.db", port, None)),
        log_path=logs / "temporal.log")
    children: list[ManagedProcess] = []
    try:
        server.start()
        children.append(server)
        wait_until(lambda: port_open("127.0.0.1", port), timeout=30, what="Temporal",
                   proc=server.proc)
        namespace = environment(API)["SKILL_FLEET_TEMPORAL_NAMESPACE"] or "default"
        asyncio.run(wait_for_namespace(address, namespace))
        _run_setup_job(address, logs / "setup-job.log")

        # Workers: compose's command and environment, one metrics port each.
        worker_pids: dict[int, int] = {}
        for n in range(WORKERS):
            env = _container_env(WORKER, address, _volume_paths(WORKER, volumes))
            if "SKILL_FLEET_WORKER_METRICS_PORT" in env:
                env["SKILL_FLEET_WORKER_METRICS_PORT"] = str(free_port())
                # containers scrape each other; on this host stay on loopback
                env["SKILL_FLEET_WORKER_METRICS_HOST"] = "127.0.0.1"
            worker = _process(f"worker{n}", command(WORKER), env, logs / f"worker{n}.log")
            children.append(worker.start())
            worker_pids[worker.pid] = n
        workers = children[1:]

        # The API: compose's command on a free loopback port.
        api_args = command(API)
        api_port = free_port()
        api_args[api_args.index("--port") + 1] = str(api_port)
        assert option(api_args, "--host") == "0.0.0.0"
        api_args[api_args.index("--host") + 1] = "127.0.0.1"
        mounts = {**_volume_paths(API, volumes), **_secret_paths(API, tmp_path)}
        api_env = _container_env(API, address, mounts)
        # The offline skeleton under the default pass mark stops for a human (tests.skeleton).
        api_env["SKILL_FLEET_PASS_THRESHOLD"] = str(SKELETON_PASS_THRESHOLD)
        api = _process("api", api_args, api_env, logs / "api.log")
        children.append(api.start())
        url = f"http://127.0.0.1:{api_port}"
        for worker in workers:  # all polling before the first job, so each can take work
            log = worker.log_path
            assert log is not None
            wait_until(lambda log=log: "worker polling" in log.read_text(errors="replace"),
                       timeout=90, what=worker.name, proc=worker.proc)
        wait_until(lambda: http_ok(f"{url}/health"), timeout=60, what="API", proc=api.proc)

        with httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {KEY}"}) as http:
            job_ids = [create_job(http, f"Job {i}: summarise release notes for version {i}.0")
                       for i in range(JOBS)]
            deadline = time.monotonic() + 180
            for job_id in job_ids:
                job = wait_status(http, job_id, ["completed", "failed", "cancelled"],
                                  timeout=max(1.0, deadline - time.monotonic()))
                assert job["status"] == "completed", (job_id, job.get("error"))
            assert http.get(f"{API_PREFIX}/jobs/{job_ids[0]}").status_code == 200
            # The API runs as the file's uvicorn workers (issue 27), and whichever of them
            # answers a scrape reports the series of all of them.
            assert int(option(api_args, "--workers")) == API_PROCESSES
            forks = [" ".join(p.cmdline()) for p in psutil.Process(api.pid).children()]
            serving = [c for c in forks if "spawn_main" in c and "resource_tracker" not in c]
            assert len(serving) == API_PROCESSES, forks
            for _ in range(4):
                assert _jobs_created(url) == JOBS

        # The drafts are on the shared volume, written by the workers.
        skills_root = Path(_container_env(WORKER, address, _volume_paths(WORKER, volumes))
                           ["SKILL_FLEET_SKILLS_ROOT"])
        assert any(skills_root.rglob("SKILL.md")), "no skill written to the shared volume"

        identities = asyncio.run(_activity_identities(address, namespace, job_ids))
        per_worker: Counter[int] = Counter()
        for identity, count in identities.items():
            pid = int(identity.split("@", 1)[0])
            assert pid in worker_pids, f"activity run by unknown worker {identity}"
            per_worker[worker_pids[pid]] += count
        assert set(per_worker) == set(range(WORKERS)), (
            f"every worker must run activities; activities per worker: {dict(per_worker)}")
    finally:
        for child in reversed(children):
            # The server last, and killed: its ~1 s graceful stop proves nothing here.
            child.kill() if child is server else child.stop(timeout=15)
