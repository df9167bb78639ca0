"""Invariants of the production-like stack (docker-compose.yml, deploy/, Dockerfile).

Docker is not needed: the files are parsed and checked against the code they configure
(common.settings.Settings, common.search_attributes).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from common.search_attributes import ALL, cli_flags
from common.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_PREFIX = "SKILL_FLEET_"

# The service names each role has in docker-compose.yml.
DATABASE, SCHEMA_JOB, SERVER, SETUP_JOB, UI = (
    "postgresql", "temporal-schema", "temporal", "temporal-setup", "temporal-ui")
API, WORKER, PROMETHEUS = "api", "worker", "prometheus"

# SKILL_FLEET_* variables the compose file sets for settings still being added.
# Remove a name here once Settings has the field.
PENDING_SETTINGS: set[str] = set()


# ----------------------------------------------------------------------------- helpers


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


_VAR = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)")


def interpolate(value: str, env: dict[str, str] | None = None) -> str:
    """Compose's variable interpolation; without `env`, every variable takes its default."""
    env = env or {}

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, default = m.group(2), m.group(3) or ""
        value = env.get(name)
        if op == ":-":
            return value if value else default
        if op == "-":
            return default if value is None else value
        if op and op.endswith("?") and not value:
            raise KeyError(f"compose requires ${name}: {default}")
        return value or ""

    return _VAR.sub(sub, value)


def environment(service: str) -> dict[str, str | None]:
    """A service's environment as compose passes it (defaults taken; None = pass-through)."""
    env = services()[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: None if v is None else interpolate(str(v)) for k, v in env.items()}


def command(service: str) -> list[str]:
    cmd = services()[service].get("command")
    if isinstance(cmd, str):
        return shlex.split(cmd)
    return [str(part) for part in cmd or []]


def script(service: str) -> str:
    """The shell script of a one-shot job (`entrypoint: [/bin/sh, -c]`), `$$` unescaped."""
    svc = services()[service]
    assert svc.get("entrypoint") == ["/bin/sh", "-c"], service
    return interpolate("\n".join(command(service)))


def option(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def image_tag(image: str) -> str | None:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def is_one_shot(svc: dict[str, Any]) -> bool:
    return str(svc.get("restart", "no")).split(":")[0] in ("no", "on-failure")


def depends_on(svc: dict[str, Any]) -> dict[str, str]:
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def seconds(duration: str | int | float) -> float:
    if isinstance(duration, int | float):
        return float(duration)
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"bad duration {duration}"
    return sum(float(n) * units[u] for n, u in parts)


def container_ports(service: str) -> set[int]:
    ports: set[int] = set()
    for spec in services()[service].get("ports") or []:
        target = spec["target"] if isinstance(spec, dict) else str(spec).rsplit(":", 1)[-1]
        ports.add(int(str(target).split("/")[0]))
    return ports


def healthcheck_url(service: str) -> str:
    test = " ".join(services()[service]["healthcheck"]["test"])
    found = re.search(r"https?://[^'\" ]+", test)
    assert found, f"{service}: no URL in healthcheck {test}"
    return found.group(0)


@cache
def prometheus_config() -> dict[str, Any]:
    mounts = [v for v in services()[PROMETHEUS]["volumes"] if str(v).startswith("./")]
    for mount in mounts:
        source, target = str(mount).split(":")[:2]
        if target == "/etc/prometheus/prometheus.yml":
            return yaml.safe_load((REPO / source).read_text())
    raise AssertionError("prometheus.yml is not mounted from the repository")


def scrape_job(name: str) -> dict[str, Any]:
    jobs = {job["job_name"]: job for job in prometheus_config()["scrape_configs"]}
    return jobs[name]


def settings_field(var: str) -> str:
    assert var.startswith(ENV_PREFIX), var
    return var[len(ENV_PREFIX):].lower()


# ----------------------------------------------------------------------------- images


def test_every_image_is_pinned_to_a_version() -> None:
    for name, svc in services().items():
        image = svc.get("image")
        assert image, f"{name}: no image"
        assert "$" not in image, f"{name}: the image tag must not come from a variable"
        tag = image_tag(image)
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image} not pinned"


def test_dockerfile_base_images_are_pinned_and_install_from_the_lock() -> None:
    text = DOCKERFILE.read_text()
    images = re.findall(r"^FROM\s+(\S+)", text, re.M) + re.findall(r"--from=(\S+)", text)
    assert images
    for image in images:
        tag = image_tag(image)
        assert tag and tag != "latest" and re.search(r"\d", tag), image
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "uv sync --frozen --no-dev" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0")), "the image must not run as root"


def test_api_and_worker_share_one_image_and_the_worker_runs_the_default_cmd() -> None:
    api, worker = services()[API], services()[WORKER]
    assert api["image"] == worker["image"]
    assert api.get("build") == worker.get("build") == "."
    cmd = re.findall(r"^CMD\s+(\[.*\])", DOCKERFILE.read_text(), re.M)
    assert cmd and json.loads(cmd[-1]) == command(WORKER)
    assert command(API)[:2] == ["uvicorn", "api.app:app"]
    assert option(command(API), "--host") == "0.0.0.0"


# ----------------------------------------------------------------------------- lifecycle


def test_long_running_services_have_healthchecks_and_restart() -> None:
    for name, svc in services().items():
        if is_one_shot(svc):
            continue
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"
        assert svc.get("restart") in ("unless-stopped", "always"), f"{name}: restart policy"


def test_one_shot_jobs_are_bounded_and_awaited() -> None:
    jobs = {name for name, svc in services().items() if is_one_shot(svc)}
    assert jobs == {SCHEMA_JOB, SETUP_JOB}
    awaited = {dep for svc in services().values()
               for dep, cond in depends_on(svc).items() if cond == "service_completed_successfully"}
    assert awaited == jobs
    for name in jobs:
        svc = services()[name]
        assert re.fullmatch(r"on-failure:\d+", svc["restart"]), f"{name}: unbounded retries"
        assert "ports" not in svc and "healthcheck" not in svc
        assert image_tag(svc["image"]) == image_tag(services()[SERVER]["image"]), (
            f"{name}: admin-tools and server versions differ")


def test_startup_order() -> None:
    svcs = services()
    for name, svc in svcs.items():
        for dep, cond in depends_on(svc).items():
            assert dep in svcs, f"{name} depends on unknown service {dep}"
            if cond == "service_healthy":
                assert "healthcheck" in svcs[dep], f"{name} waits for {dep}, which has none"
            elif cond == "service_completed_successfully":
                assert is_one_shot(svcs[dep])

    # No cycles (compose would refuse to start).
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for dep in depends_on(svcs[name]):
                visit(dep, (*path, name))
            done.add(name)

    for name in svcs:
        visit(name, ())

    # schema job -> server -> namespace job -> api/worker, each waiting for the right state.
    expected = {
        (SCHEMA_JOB, DATABASE): "service_healthy",
        (SERVER, SCHEMA_JOB): "service_completed_successfully",
        (SETUP_JOB, SERVER): "service_healthy",
        (UI, SERVER): "service_healthy",
        (API, SETUP_JOB): "service_completed_successfully",
        (WORKER, SETUP_JOB): "service_completed_successfully",
    }
    for (name, dep), cond in expected.items():
        assert depends_on(svcs[name]).get(dep) == cond, f"{name} must wait for {dep}: {cond}"
    assert "setup-schema" in script(SCHEMA_JOB) and "update-schema" in script(SCHEMA_JOB)
    assert "auto-setup" not in COMPOSE_FILE.read_text()


def test_workers_scale() -> None:
    worker = services()[WORKER]
    for key in ("container_name", "ports", "hostname"):
        assert key not in worker, f"worker has {key}: `--scale worker=N` would conflict"
    assert worker.get("network_mode") != "host"


def test_stop_grace_periods_outlast_graceful_shutdown() -> None:
    env = environment(WORKER)
    graceful = float(env.get("SKILL_FLEET_WORKER_GRACEFUL_SHUTDOWN_SECONDS")
                     or Settings.model_fields["worker_graceful_shutdown_seconds"].default)
    assert seconds(services()[WORKER]["stop_grace_period"]) > graceful
    api_cmd = command(API)
    assert "--timeout-graceful-shutdown" in api_cmd, "uvicorn would wait for streams forever"
    assert seconds(services()[API]["stop_grace_period"]) > float(
        option(api_cmd, "--timeout-graceful-shutdown"))


# ----------------------------------------------------------------------------- settings


def test_skill_fleet_variables_are_settings_fields() -> None:
    fields = set(Settings.model_fields)
    referenced = {var for name in services() for var in environment(name)
                  if var.startswith(ENV_PREFIX)}
    referenced |= set(re.findall(r"\b(SKILL_FLEET_\w+)=", DOCKERFILE.read_text()))
    unknown = {settings_field(var) for var in referenced} - fields
    assert unknown <= PENDING_SETTINGS, f"not fields of Settings: {sorted(unknown)}"


@pytest.mark.parametrize("service", [API, WORKER])
def test_environment_is_valid_settings(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith(ENV_PREFIX):
            monkeypatch.delenv(var)
    env = {k: v for k, v in environment(service).items() if v is not None}
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    settings = Settings()  # raises on a value of the wrong type
    for var in ("SKILL_FLEET_TEMPORAL_ADDRESS", "SKILL_FLEET_TASK_QUEUE",
                "SKILL_FLEET_SKILLS_ROOT", "SKILL_FLEET_TEMPORAL_NAMESPACE"):
        assert env.get(var), f"{service} must set {var}"
    host, port = settings.temporal_address.rsplit(":", 1)
    assert host == SERVER and port == "7233"
    assert str(settings.skills_root).startswith("/"), "the skills root is a container path"


def test_api_and_worker_agree_on_temporal_and_storage() -> None:
    api, worker = environment(API), environment(WORKER)
    for var in ("SKILL_FLEET_TEMPORAL_ADDRESS", "SKILL_FLEET_TEMPORAL_NAMESPACE",
                "SKILL_FLEET_TASK_QUEUE", "SKILL_FLEET_SKILLS_ROOT"):
        assert api[var] == worker[var], var
    root = api["SKILL_FLEET_SKILLS_ROOT"]
    mounts = {}
    for name in (API, WORKER):
        volumes = [str(v).split(":") for v in services()[name].get("volumes", [])]
        mounts[name] = {source for source, target, *_ in volumes if target == root}
    assert mounts[API] and mounts[API] == mounts[WORKER], "skills root must be one shared volume"
    assert mounts[API] <= set(compose().get("volumes") or {}), "use a named volume"


def test_secrets_are_not_baked_into_the_compose_file() -> None:
    for name in services():
        for var, value in environment(name).items():
            if re.search(r"API_KEY|SECRET|TOKEN", var) and not (
                    var.endswith("_FILE") and str(value).startswith("/run/secrets/")):
                assert value is None, f"{name}: {var} must be passed through, not set here"


def test_the_api_needs_a_keys_file_and_never_runs_open() -> None:
    """`docker compose up` without SKILL_FLEET_API_KEYS_FILE stops with a message; with it,
    the host file is the API's keys file (a secret mount: edits reach the running API)."""
    path = environment(API)["SKILL_FLEET_API_KEYS_FILE"]
    assert path and path.startswith("/run/secrets/")
    secret = path.removeprefix("/run/secrets/")
    assert secret in services()[API].get("secrets", [])
    source = str(compose()["secrets"][secret]["file"])
    with pytest.raises(KeyError, match=r"SKILL_FLEET_API_KEYS_FILE.*python -m api\.auth"):
        interpolate(source)
    assert interpolate(source, {"SKILL_FLEET_API_KEYS_FILE": "./keys.json"}) == "./keys.json"
    for name in services():
        assert "SKILL_FLEET_OPEN_MODE" not in environment(name), name
        assert "SKILL_FLEET_API_KEYS" not in environment(name), f"{name}: keys go in the file"
    # In the image the API binds 0.0.0.0: open mode there refuses to start.
    assert re.search(r"\bSKILL_FLEET_API_HOST=0\.0\.0\.0\b", DOCKERFILE.read_text())


# ----------------------------------------------------------------------------- ports


def test_published_ports_are_loopback_only() -> None:
    for name in services():
        for spec in services()[name].get("ports") or []:
            host_ip = spec.get("host_ip") if isinstance(spec, dict) else (
                str(spec).split(":")[0] if str(spec).count(":") == 2 else None)
            assert host_ip == "127.0.0.1", f"{name}: {spec} is published on every interface"


def test_api_port_is_the_same_everywhere() -> None:
    port = int(option(command(API), "--port"))
    assert container_ports(API) == {port}
    assert urlsplit(healthcheck_url(API)).port == port
    assert urlsplit(healthcheck_url(API)).path == "/health"
    job = scrape_job("skill-fleet-api")
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert [t for c in job["static_configs"] for t in c["targets"]] == [f"{API}:{port}"]


def test_worker_metrics_port_is_the_same_everywhere() -> None:
    port = int(environment(WORKER)["SKILL_FLEET_WORKER_METRICS_PORT"] or 0)
    assert port == 9464
    assert urlsplit(healthcheck_url(WORKER)).port == port
    job = scrape_job("skill-fleet-worker")
    # DNS discovery finds every replica of a scaled service; a static target finds one.
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == [WORKER] and sd["type"] == "A" and sd["port"] == port


def test_temporal_ports() -> None:
    assert container_ports(UI) == {8080}
    assert str(environment(UI).get("TEMPORAL_UI_PORT")) == "8080"
    assert environment(UI)["TEMPORAL_ADDRESS"] == environment(SETUP_JOB)["TEMPORAL_ADDRESS"]
    assert environment(SETUP_JOB)["TEMPORAL_ADDRESS"] == f"{SERVER}:7233"
    assert container_ports(SERVER) == {7233}
    metrics_port = int(str(environment(SERVER)["PROMETHEUS_ENDPOINT"]).rsplit(":", 1)[1])
    targets = [t for c in scrape_job("temporal")["static_configs"] for t in c["targets"]]
    assert targets == [f"{SERVER}:{metrics_port}"]
    assert container_ports(PROMETHEUS) == {9090}


# ----------------------------------------------------------------------------- search attributes


def test_setup_job_creates_exactly_our_search_attributes() -> None:
    text = script(SETUP_JOB)
    created = re.findall(r"search-attribute create\b[^\n]*?--name (\S+) --type (\S+)", text)
    wanted = dict(flag.split("=") for flag in cli_flags()[1::2])
    assert len(wanted) == len(ALL)
    assert dict(created) == wanted and len(created) == len(wanted)
    # ... in the namespace the API and the workers use, which the job creates if missing.
    namespace = environment(API)["SKILL_FLEET_TEMPORAL_NAMESPACE"]
    namespaces = set(re.findall(r"--namespace (\S+)", text))
    assert namespaces == {namespace}
    assert "operator namespace create" in text


def test_interpolation_helper() -> None:
    assert interpolate("${A:-x}-${B}-$${C}", {"B": "b"}) == "x-b-${C}"
    assert interpolate("${A-x}", {"A": ""}) == ""


def test_dockerignore_keeps_what_the_build_needs() -> None:
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    needed = ["pyproject.toml", "uv.lock", project["project"]["readme"],
              *project["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"]]
    for path in needed:
        assert (REPO / path).exists(), path
        assert not any(fnmatch.fnmatch(path, p.strip("/")) for p in patterns), (
            f".dockerignore drops {path}, which the image build needs")
