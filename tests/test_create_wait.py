"""`POST /skills/create?wait=S` over real HTTP against the real stack: the reply carries the
job's first prompt (or its end), an idempotent retry too, and nothing changes without it."""

from __future__ import annotations

import httpx

from tests.support import API, get_job

TASK = "Draft release notes for Python libraries from their merged pull requests"
WAIT = 20  # the client's timeout is 30 s


def _create(
    http: httpx.Client,
    params: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
    **fields: object,
) -> httpx.Response:
    return http.post(
        f"{API}/skills/create",
        params=params,
        headers=headers,
        json={"task_description": TASK, "user_id": "create-wait", **fields},
    )


def test_create_with_wait_replies_with_the_first_prompt(http: httpx.Client) -> None:
    r = _create(http, {"wait": WAIT}, enable_hitl_confirm=True, enable_hitl_review=True)
    assert r.status_code == 202, r.text
    created = r.json()
    assert set(created) == {"job_id", "status", "prompt"}
    assert created["status"] == "pending_hitl", created
    assert created["prompt"]["type"] == "confirm" and created["prompt"]["prompt_id"] == 1
    # A read right after the reply shows the same prompt: no poll was needed to find it.
    shown = http.get(f"{API}/hitl/{created['job_id']}/prompt").json()
    assert shown["prompt"]["prompt_id"] == created["prompt"]["prompt_id"]

    # The answers' ?wait carries it on to the next prompt, then to the job's end.
    prompt = created["prompt"]
    while prompt is not None:
        r = http.post(
            f"{API}/hitl/{created['job_id']}/response",
            params={"wait": WAIT},
            json={"prompt_id": prompt["prompt_id"], "action": "proceed"},
        )
        assert r.status_code == 200, r.text
        prompt = r.json()["prompt"]
    assert r.json()["status"] == "completed"


def test_create_with_wait_of_a_job_without_checkpoints_waits_for_its_end(
    http: httpx.Client,
) -> None:
    r = _create(http, {"wait": WAIT})
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["status"] == "completed" and created["prompt"] is None, created
    assert get_job(http, created["job_id"])["status"] == "completed"


def test_idempotent_create_with_wait(http: httpx.Client) -> None:
    """A retry with the same key names the same job; waiting, it returns its current prompt."""
    key = {"Idempotency-Key": "create-wait-retry"}
    first = _create(http, {"wait": WAIT}, key, enable_hitl_confirm=True)
    again = _create(http, {"wait": WAIT}, key, enable_hitl_confirm=True)
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert first.json() == again.json(), (first.json(), again.json())
    assert first.json()["prompt"]["type"] == "confirm"
    # Without wait the retry's reply is as it always was.
    plain = _create(http, None, key, enable_hitl_confirm=True)
    assert plain.json() == {"job_id": first.json()["job_id"], "status": "pending_hitl"}
    assert http.post(f"{API}/jobs/{first.json()['job_id']}/cancel").status_code == 202


def test_create_without_wait_is_unchanged_and_bad_waits_are_422(http: httpx.Client) -> None:
    before = http.get(f"{API}/jobs", params={"user_id": "create-wait-bad"}).json()["jobs"]
    for bad in (-1, 61, "soon", "nan"):
        r = http.post(
            f"{API}/skills/create",
            params={"wait": bad},
            json={"task_description": TASK, "user_id": "create-wait-bad"},
        )
        assert r.status_code == 422, (bad, r.text)
        assert "wait" in r.json()["error"], r.text
    after = http.get(f"{API}/jobs", params={"user_id": "create-wait-bad"}).json()["jobs"]
    assert after == before == []
    r = _create(http, enable_hitl_confirm=True)
    assert r.status_code == 202 and set(r.json()) == {"job_id", "status"}, r.text
    assert r.json()["status"] == "pending"
    assert http.post(f"{API}/jobs/{r.json()['job_id']}/cancel").status_code == 202
