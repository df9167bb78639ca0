"""Who may do what: API keys, ownership, idempotent create, limits, and secrets kept out."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from api.auth import hash_key
from devstack.temporal_server import temporal_binary
from tests.support import API, LocalStack, answer, create_job, wait_prompt, wait_status

ALICE, BOB, ADMIN = "alice-key-0123456789", "bob-key-0123456789", "admin-key-0123456789"
# The limits test's own user: a job another test left for bob may still count as active
# in visibility for a moment after its cancel, and take one of the 3 slots.
CAROL = "carol-key-0123456789"
WEBHOOK_SECRET = "whsec-do-not-leak-42"
TASK = "Plan database schema migrations for a PostgreSQL service with zero downtime"


def _keys() -> str:
    return json.dumps([
        {"key_sha256": hash_key(ALICE), "user_id": "alice", "role": "user"},
        {"key_sha256": hash_key(BOB), "user_id": "bob", "role": "user"},
        {"key_sha256": hash_key(ADMIN), "user_id": "root", "role": "admin"},
        {"key_sha256": hash_key(CAROL), "user_id": "carol", "role": "user"},
    ])


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, str]]:
    stack = LocalStack(tmp_path_factory.mktemp("secured"))
    keys_file = stack.root / "keys.json"
    keys_file.write_text(_keys())
    try:
        stack.start_server()
        [url] = stack.start_workers_and_apis(
            worker_env={"SKILL_FLEET_WEBHOOK_SECRET": WEBHOOK_SECRET},
            api_env={"SKILL_FLEET_API_KEYS_FILE": str(keys_file),
                     "SKILL_FLEET_MAX_ACTIVE_JOBS_PER_USER": "3",
                     "SKILL_FLEET_MAX_BODY_BYTES": "20000"})
        yield stack, url
    finally:
        stack.stop()


def client(url: str, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def test_keys_are_required_except_for_health(secured: tuple[LocalStack, str]) -> None:
    _, url = secured
    with client(url, None) as anon, client(url, "wrong-key") as wrong:
        assert anon.get("/health").status_code == 200
        for c in (anon, wrong):
            for method, path in (("GET", f"{API}/jobs"), ("POST", f"{API}/skills/create"),
                                 ("GET", f"{API}/hitl/config")):
                r = c.request(method, path, json={"task_description": TASK})
                assert r.status_code == 401, (method, path, r.text)
                assert r.json()["request_id"]
        assert "Missing API key" in anon.get(f"{API}/jobs").json()["error"]
        assert wrong.get(f"{API}/jobs").json()["error"] == "Invalid API key."


def test_ownership_on_every_job_endpoint(secured: tuple[LocalStack, str]) -> None:
    _, url = secured
    with client(url, ALICE) as alice, client(url, BOB) as bob, client(url, ADMIN) as admin:
        # a user_id in the body cannot impersonate
        r = alice.post(f"{API}/skills/create", json={"task_description": TASK, "user_id": "bob"})
        assert r.status_code == 403
        job_id = create_job(alice, TASK, enable_hitl_confirm=True)
        prompt = wait_prompt(alice, job_id, "confirm")
        assert alice.get(f"{API}/jobs/{job_id}").json()["user_id"] == "alice"

        # bob sees nothing of it: 404, not 403, on every endpoint
        for method, path, body in (
            ("GET", f"{API}/jobs/{job_id}", None),
            ("GET", f"{API}/hitl/{job_id}/prompt", None),
            ("POST", f"{API}/hitl/{job_id}/response",
             {"prompt_id": prompt["prompt_id"], "action": "cancel"}),
            ("POST", f"{API}/jobs/{job_id}/cancel", None),
            ("POST", f"{API}/jobs/{job_id}/rewind", {"to": "understanding"}),
            ("POST", f"{API}/drafts/{job_id}/promote", {}),
            ("GET", f"{API}/jobs/{job_id}/events?format=json", None),
        ):
            r = bob.request(method, path, json=body)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert job_id not in {j["job_id"] for j in bob.get(f"{API}/jobs").json()["jobs"]}
        assert bob.get(f"{API}/jobs", params={"user_id": "alice"}).json()["jobs"] == []

        # the admin sees and steers it
        assert admin.get(f"{API}/jobs/{job_id}").status_code == 200
        r = answer(admin, job_id, prompt["prompt_id"], action="proceed")
        assert r.status_code == 200, r.text
        assert wait_status(alice, job_id, ["completed"])["user_id"] == "alice"


def test_idempotency_key_returns_the_same_job(secured: tuple[LocalStack, str]) -> None:
    _, url = secured
    with client(url, ALICE) as alice, client(url, BOB) as bob:
        body = {"task_description": TASK, "enable_hitl_confirm": True}
        first = alice.post(f"{API}/skills/create", json=body, headers={"Idempotency-Key": "k1"})
        again = alice.post(f"{API}/skills/create", json=body, headers={"Idempotency-Key": "k1"})
        assert first.status_code == again.status_code == 202
        assert first.json()["job_id"] == again.json()["job_id"]
        # another user with the same key gets their own job
        other = bob.post(f"{API}/skills/create", json=body, headers={"Idempotency-Key": "k1"})
        assert other.status_code == 202 and other.json()["job_id"] != first.json()["job_id"]
        # a different body with the same key is refused
        changed = alice.post(f"{API}/skills/create", json={**body, "enable_hitl_review": True},
                             headers={"Idempotency-Key": "k1"})
        assert changed.status_code == 422
        assert "different request body" in changed.json()["error"]
        for c, r in ((alice, first), (bob, other)):
            c.post(f"{API}/jobs/{r.json()['job_id']}/cancel")
        # once finished, the key still names that job
        wait_status(alice, first.json()["job_id"], ["cancelled"])
        late = alice.post(f"{API}/skills/create", json=body, headers={"Idempotency-Key": "k1"})
        assert late.status_code == 202
        assert late.json() == {"job_id": first.json()["job_id"], "status": "cancelled"}


def test_limits(secured: tuple[LocalStack, str]) -> None:
    _, url = secured
    with client(url, CAROL) as carol:
        big = carol.post(f"{API}/skills/create", content=b"x" * 30000,
                       headers={"content-type": "application/json"})
        assert big.status_code == 413 and "larger than" in big.json()["error"]
        # One at a time, each waiting at its prompt before the next create: admission counts
        # a job that visibility lists between its two reads twice (refusing early, by
        # design: api/limits.py), so back-to-back creates could be refused at the third.
        jobs: list[str] = []
        for _ in range(3):
            jobs.append(create_job(carol, TASK, enable_hitl_confirm=True))
            wait_prompt(carol, jobs[-1], "confirm")
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the count comes from visibility
            capped = carol.post(f"{API}/skills/create", json={"task_description": TASK})
            if capped.status_code == 429:
                break
            carol.post(f"{API}/jobs/{capped.json()['job_id']}/cancel")
            time.sleep(0.3)
        assert capped.status_code == 429, capped.text
        assert "3 active jobs" in capped.json()["error"]
        r = carol.post(f"{API}/hitl/{jobs[0]}/response", json={
            "prompt_id": 1, "action": "proceed",
            "answers": {f"q{i}": "x" for i in range(25)}})
        assert r.status_code == 422
        for job_id in jobs:
            carol.post(f"{API}/jobs/{job_id}/cancel")


def test_secrets_never_reach_history_visibility_or_logs(secured: tuple[LocalStack, str]) -> None:
    stack, url = secured
    with client(url, ALICE) as alice:
        job_id = create_job(alice, TASK)
        wait_status(alice, job_id, ["completed"])
    history = subprocess.run(
        [temporal_binary(), "workflow", "show", "--address", stack.address,
         "--workflow-id", job_id, "--output", "json"],
        check=True, capture_output=True, text=True, timeout=30).stdout
    listing = subprocess.run(
        [temporal_binary(), "workflow", "list", "--address", stack.address, "--output", "json"],
        check=True, capture_output=True, text=True, timeout=30).stdout
    logs = "".join(p.read_text(errors="replace") for p in stack.logs.glob("*.log"))
    for secret in (ALICE, BOB, ADMIN, WEBHOOK_SECRET, hash_key(ALICE)):
        for where, text in (("history", history), ("visibility", listing), ("logs", logs)):
            assert secret not in text, f"{secret[:6]}... leaked into {where}"


def _describes(url: str) -> float:
    """The API process's count of describe calls it sent to Temporal (`GET /metrics`)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    [line] = [x for x in text.splitlines() if x.startswith("skill_fleet_temporal_describes_total")]
    return float(line.split()[-1])


def test_answers_check_ownership_in_the_workflow_not_with_a_describe(
    secured: tuple[LocalStack, str]
) -> None:
    """Issue 27: the update carries the caller and the workflow's validator refuses a
    stranger with the unknown job's 404; the answer path sends no describe, and a `?wait`
    reply reads its next prompt from the memo with one."""
    _, url = secured
    with client(url, ALICE) as alice, client(url, BOB) as bob, client(url, ADMIN) as admin:
        job_id = create_job(alice, TASK, enable_hitl_confirm=True, enable_hitl_preview=True)
        prompt = wait_prompt(alice, job_id, "confirm")
        unknown = "3f2c1f7e-1111-4222-8333-444455556666"
        before = _describes(url)
        theirs = answer(bob, job_id, prompt["prompt_id"], action="proceed", response_id="r1")
        missing = answer(bob, unknown, 1, action="proceed")
        assert theirs.status_code == missing.status_code == 404, theirs.text
        assert theirs.json()["error"] == f"Job {job_id} not found."
        assert set(theirs.json()) == set(missing.json()) == {"error", "request_id"}
        assert _describes(url) - before == 1  # only the unknown job's, after its update
        assert alice.get(f"{API}/jobs/{job_id}").json()["prompt"]["prompt_id"] == prompt[
            "prompt_id"]  # bob's answer changed nothing

        before = _describes(url)
        r = admin.post(f"{API}/hitl/{job_id}/response", params={"wait": 30},
                       json={"prompt_id": prompt["prompt_id"], "action": "proceed",
                             "response_id": "r1"})
        assert r.status_code == 200, r.text
        preview = r.json()["prompt"]
        assert preview["type"] == "preview" and preview["data"]["content"].startswith("---")
        assert _describes(url) - before == 1  # the next prompt, from the memo
        # a stranger who guesses the response id gets no reply of the admin's update
        again = answer(bob, job_id, prompt["prompt_id"], action="proceed", response_id="r1")
        assert again.status_code == 404, again.text

        before = _describes(url)
        r = answer(alice, job_id, preview["prompt_id"], action="proceed")
        assert r.status_code == 200 and r.json()["duplicate"] is False, r.text
        assert _describes(url) - before == 0
        assert wait_status(alice, job_id, ["completed"])["user_id"] == "alice"
