"""Property-based fuzzing of the whole HTTP API from its own OpenAPI document (schemathesis).

Every operation of the live API's `/openapi.json` gets valid and invalid inputs
(bodies, path and query parameters, headers) from schemathesis' Hypothesis
strategies; the properties: no 5xx, every response matches the schema declared for
its status (errors included), and no request hangs (10 s per request).

Path `job_id`s are often swapped for real jobs (waiting at clarify, waiting at
confirm, completed) so the fuzzer reaches the answer, rewind, cancel and promote
logic, not only the 404 path.

schemathesis' own pytest loader (`schemathesis.pytest.from_fixture`) does not run on
pytest 9 (it sets `request.node._nodeid`), so each operation's strategy is driven
with Hypothesis directly; failures are collected, not raised, so one run reports all.

    uv run pytest tests/test_fuzz.py              # short run (default suite, < ~60 s)
    uv run pytest -m fuzz tests/test_fuzz.py      # >= 1,000 cases
    FUZZ_SEED=123 uv run pytest ...               # replay a seed (printed by every run)
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup

from tests.support import API, LocalStack, create_job, wait_prompt, wait_status

# The short run in the default suite replays one seed (the suite must not flake); the long
# run explores a new one each time. Either way the seed is printed.
SHORT_SEED = 991633898
SEED = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(1, 10**9))
REQUEST_TIMEOUT = 10.0
# An event stream of a waiting job never ends; schemathesis reads it for the request's
# timeout and keeps what arrived, so streams get a shorter one.
STREAM_TIMEOUT = 3.0
# Never let a fuzzed job call out: webhooks go to a closed loopback port.
LOOPBACK_WEBHOOK = "http://127.0.0.1:9/fuzz-webhook"


@dataclass
class FuzzRun:
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    slow: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.cases.values())


@pytest.fixture(scope="module")
def real_jobs(stack: LocalStack, api_url: str) -> list[str]:
    """Jobs the fuzzer may hit: waiting at clarify, waiting at confirm, completed."""
    with httpx.Client(base_url=api_url, timeout=30) as http:
        clarify = create_job(http, "Help me with stuff please", user_id="fuzz")
        confirm = create_job(
            http,
            "Summarise fuzzing crash reports into triage notes",
            user_id="fuzz",
            enable_hitl_confirm=True,
        )
        done = create_job(
            http, "Turn fuzzing corpora statistics into weekly coverage charts", user_id="fuzz"
        )
        wait_prompt(http, clarify, "clarify")
        wait_prompt(http, confirm, "confirm")
        wait_status(http, done, ["completed"])
    return [clarify, confirm, done]


def _operations(api_url: str, run_seed: int) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json", timeout=REQUEST_TIMEOUT)
    schema.config.seed = run_seed
    return [result.ok() for result in schema.get_all_operations()]


def _strategy(operation: Any) -> Any:
    modes = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            modes.append(operation.as_strategy(generation_mode=mode))
        except Exception:  # e.g. nothing to make invalid
            continue
    return st.one_of(*modes)


def _check_case(case: Any, run: FuzzRun, real_jobs: list[str], rng: random.Random) -> None:
    if isinstance(case.body, dict) and isinstance(case.body.get("webhook_url"), str):
        case.body["webhook_url"] = LOOPBACK_WEBHOOK
    params = case.path_parameters or {}
    if "job_id" in params and rng.random() < 0.5:
        params["job_id"] = rng.choice(real_jobs)
    label = f"{case.operation.method.upper()} {case.operation.path}"
    run.cases[label] += 1
    started = time.monotonic()
    try:
        timeout = STREAM_TIMEOUT if case.operation.path.endswith("/events") else REQUEST_TIMEOUT
        response = case.call(timeout=timeout)
    except requests.RequestException as err:
        run.failures.append(
            f"{label}: no response within {timeout}s ({err!r})\n  {case.as_curl_command()}"
        )
        return
    took = time.monotonic() - started
    run.slowest = max(run.slowest, took)
    if took > 3:
        run.slow.append(
            f"{label} -> {response.status_code} in {took:.1f}s: {case.as_curl_command()}"
        )
    run.statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    except (AssertionError, FailureGroup) as err:  # FailureGroup: a BaseExceptionGroup
        run.failures.append(
            f"{label} -> {response.status_code}: {_describe(err)[:600]}\n"
            f"  query={case.query!r} path={case.path_parameters!r} "
            f"headers={case.headers!r} body={str(case.body)[:300]!r}\n"
            f"  response: {response.text[:300]}"
        )


def _describe(err: BaseException) -> str:
    parts = [
        f"{type(e).__name__}: {getattr(e, 'title', '')} {getattr(e, 'message', e)}"
        for e in getattr(err, "exceptions", [err])
    ]
    return "; ".join(parts)


def fuzz(api_url: str, real_jobs: list[str], max_examples: int, run_seed: int) -> FuzzRun:
    print(f"fuzz seed: {run_seed} (replay with FUZZ_SEED={run_seed})")
    run = FuzzRun()
    rng = random.Random(run_seed)
    for operation in _operations(api_url, run_seed):

        @seed(run_seed)
        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )  # report, do not shrink
        @given(case=_strategy(operation))
        def one(case: Any) -> None:
            _check_case(case, run, real_jobs, rng)

        one()
    print(
        f"fuzz: {run.total} cases over {len(run.cases)} operations; statuses "
        f"{dict(sorted(run.statuses.items()))}; slowest response {run.slowest:.2f}s; "
        f"failures {len(run.failures)}"
    )
    print(f"fuzz: per operation {dict(run.cases)}")
    for slow in run.slow[:10]:
        print(f"fuzz: slow {slow}")
    for failure in run.failures[:30]:
        print(f"FUZZ FAILURE {failure}")
    return run


def _operation_count(api_url: str) -> int:
    doc = httpx.get(f"{api_url}/openapi.json", timeout=10).json()
    return sum(
        1
        for item in doc["paths"].values()
        for m in item
        if m in {"get", "post", "put", "patch", "delete"}
    )


def test_fuzz_short(api_url: str, real_jobs: list[str]) -> None:
    run = fuzz(
        api_url, real_jobs, max_examples=8, run_seed=int(os.environ.get("FUZZ_SEED") or SHORT_SEED)
    )
    assert not run.failures, "\n".join(run.failures[:10])
    assert len(run.cases) == _operation_count(api_url)
    assert run.total >= 60


@pytest.mark.fuzz
@pytest.mark.timeout(1800)
def test_fuzz_long(api_url: str, real_jobs: list[str]) -> None:
    run = fuzz(api_url, real_jobs, max_examples=110, run_seed=SEED)
    assert not run.failures, "\n".join(run.failures[:10])
    assert len(run.cases) == _operation_count(api_url)
    assert run.total >= 1000, dict(run.cases)


def test_every_operation_documents_the_error_shape(api_url: str) -> None:
    doc = httpx.get(f"{api_url}/openapi.json", timeout=10).json()
    assert any(p.startswith(API) for p in doc["paths"])
    schemas = doc["components"]["schemas"]
    assert set(schemas["ErrorResponse"]["required"]) == {"error", "request_id"}
    assert "HTTPValidationError" not in schemas
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for code in ("422", "default"):
                if code not in op["responses"]:
                    continue
                content = op["responses"][code]["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/ErrorResponse"), (method, path, code)
            assert "default" in op["responses"], (method, path)
