"""Answers: stale, invalid, duplicate, over the revision cap, and the operator's signal path."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from devstack.temporal_server import temporal_binary
from tests.support import (
    API,
    LocalStack,
    answer,
    create_job,
    get_job,
    wait_job,
    wait_prompt,
    wait_status,
)

TASK = "Summarise incident postmortems into an executive briefing for engineering leaders"


def _events(job_id: str, stack: LocalStack) -> list[dict]:
    """The job's event log, read the way an operator would: `temporal workflow query`."""
    out = subprocess.run(
        [temporal_binary(), "workflow", "query", "--address", stack.address,
         "--workflow-id", job_id, "--name", "get_state", "--output", "json"],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout
    result = json.loads(out)
    state = result["queryResult"][0] if "queryResult" in result else result
    return state["events"]


def test_stale_and_invalid_answers_change_nothing(http: httpx.Client) -> None:
    job_id = create_job(http, TASK, user_id="answers", enable_hitl_confirm=True)
    prompt = wait_prompt(http, job_id, "confirm")
    before = get_job(http, job_id)

    stale = answer(http, job_id, prompt["prompt_id"] + 5, action="proceed")
    assert stale.status_code == 409, stale.text
    body = stale.json()
    assert "not the pending prompt" in body["error"]
    assert body["request_id"] == stale.headers["X-Request-ID"]

    for bad in (
        {"action": "revise"},  # revise needs feedback
        {"action": "maybe"},  # unknown action
        {"action": "proceed", "answers": {"x": 1}, "feedback": "x" * 5000},
    ):
        r = answer(http, job_id, prompt["prompt_id"], **bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]

    after = get_job(http, job_id)
    assert after["prompt"] == before["prompt"]
    assert after["events_count"] == before["events_count"]
    assert after["status"] == "pending_hitl"

    r = answer(http, job_id, prompt["prompt_id"], action="proceed")
    assert r.status_code == 200
    again = answer(http, job_id, prompt["prompt_id"], action="proceed")
    assert again.status_code == 409  # nothing pending with that id any more
    wait_status(http, job_id, ["completed"])
    done = answer(http, job_id, prompt["prompt_id"], action="proceed")
    assert done.status_code == 409
    assert "finished" in done.json()["error"]


def test_duplicate_response_id_is_applied_once(http: httpx.Client) -> None:
    job_id = create_job(http, TASK, user_id="answers", enable_hitl_confirm=True)
    prompt = wait_prompt(http, job_id, "confirm")
    first = answer(http, job_id, prompt["prompt_id"], action="revise", feedback="Shorter.",
                   response_id="r-1")
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    second = answer(http, job_id, prompt["prompt_id"], action="revise", feedback="Shorter.",
                    response_id="r-1")
    assert second.status_code == 200, second.text
    prompt2 = wait_prompt(http, job_id, "confirm")
    # a retry of the same answer after the job moved on gets the original outcome
    third = answer(http, job_id, prompt["prompt_id"], action="revise", feedback="Shorter.",
                   response_id="r-1")
    assert third.status_code == 200, third.text
    assert third.json() == {**first.json(), "prompt": third.json()["prompt"]}
    job = get_job(http, job_id)
    assert job["revisions"] == {"confirm": 1}
    assert prompt2["prompt_id"] == prompt["prompt_id"] + 1
    http.post(f"{API}/jobs/{job_id}/cancel")


def test_revision_cap_leaves_only_proceed_or_cancel(http: httpx.Client) -> None:
    job_id = create_job(http, TASK, user_id="answers", enable_hitl_confirm=True)
    for used in range(3):  # SKILL_FLEET_MAX_REVISIONS defaults to 3
        prompt = wait_job(http, job_id, lambda j, u=used: (j.get("prompt") or {}).get(
            "revisions_used") == u)["prompt"]
        r = answer(http, job_id, prompt["prompt_id"], action="revise", feedback=f"Round {used}")
        assert r.status_code == 200, r.text
    prompt = wait_job(http, job_id, lambda j: (j.get("prompt") or {}).get(
        "revisions_used") == 3)["prompt"]
    assert prompt["actions"] == ["proceed", "cancel"]
    assert prompt["revisions_left"] == 0
    r = answer(http, job_id, prompt["prompt_id"], action="revise", feedback="One more")
    assert r.status_code == 422
    assert "Revision limit reached" in r.json()["error"]
    assert "only proceed or cancel" in r.json()["error"]
    assert answer(http, job_id, prompt["prompt_id"], action="proceed").status_code == 200
    assert wait_status(http, job_id, ["completed"])["revisions"] == {"confirm": 3}


def test_concurrent_answers_to_one_prompt_exactly_one_wins(http: httpx.Client,
                                                            api_url: str) -> None:
    job_id = create_job(http, TASK, user_id="answers", enable_hitl_confirm=True)
    prompt = wait_prompt(http, job_id, "confirm")

    def send(i: int) -> int:
        with httpx.Client(base_url=api_url, timeout=30) as c:
            return answer(c, job_id, prompt["prompt_id"], action="revise",
                          feedback=f"answer {i}").status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(send, range(20)))
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 409}, codes
    wait_prompt(http, job_id, "confirm")
    assert get_job(http, job_id)["revisions"] == {"confirm": 1}
    http.post(f"{API}/jobs/{job_id}/cancel")


def test_operator_signal_from_the_temporal_cli(http: httpx.Client, stack: LocalStack) -> None:
    job_id = create_job(http, TASK, user_id="operator", enable_hitl_confirm=True)
    prompt = wait_prompt(http, job_id, "confirm")

    def signal(body: dict) -> None:
        subprocess.run(
            [temporal_binary(), "workflow", "signal", "--address", stack.address,
             "--workflow-id", job_id, "--name", "hitl_response", "--input", json.dumps(body)],
            check=True, capture_output=True, timeout=30,
        )

    # a bad signal is recorded as rejected and changes nothing
    signal({"prompt_id": prompt["prompt_id"] + 9, "action": "proceed"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rejected = [e for e in _events(job_id, stack) if e["kind"] == "answer_rejected"]
        if rejected:
            break
        time.sleep(0.1)
    assert rejected and rejected[0]["data"]["reason"] == "stale_prompt"
    assert get_job(http, job_id)["prompt"]["prompt_id"] == prompt["prompt_id"]

    # a good one advances the job exactly like the API would
    signal({"prompt_id": prompt["prompt_id"], "action": "revise", "feedback": "Via signal",
            "response_id": "sig-1"})
    prompt2 = wait_job(http, job_id, lambda j: (j.get("prompt") or {}).get("prompt_id")
                       == prompt["prompt_id"] + 1)["prompt"]
    assert prompt2["type"] == "confirm" and prompt2["revisions_used"] == 1
    # the same response_id again (at-least-once delivery) is applied once
    signal({"prompt_id": prompt["prompt_id"], "action": "revise", "feedback": "Via signal",
            "response_id": "sig-1"})
    signal({"prompt_id": prompt2["prompt_id"], "action": "proceed"})
    job = wait_status(http, job_id, ["completed"])
    assert job["revisions"] == {"confirm": 1}
    accepted = [e for e in _events(job_id, stack) if e["kind"] == "answer_accepted"]
    assert [e["data"]["source"] for e in accepted] == ["signal", "signal"]


def test_answer_with_wait_replies_with_the_next_prompt(http: httpx.Client) -> None:
    """`?wait=` holds the reply until the answer led to the next prompt, then to the end."""
    job_id = create_job(http, TASK, user_id="answers", enable_hitl_confirm=True,
                        enable_hitl_preview=True, enable_hitl_review=True)
    prompt = wait_prompt(http, job_id, "confirm")
    seen = []
    while True:
        r = http.post(f"{API}/hitl/{job_id}/response", params={"wait": 30},
                      json={"prompt_id": prompt["prompt_id"], "action": "proceed"})
        assert r.status_code == 200, r.text
        ack = r.json()
        assert ack["duplicate"] is False
        seen.append(prompt["type"])
        if ack["prompt"] is None:
            break
        # The reply carries the next prompt, and a read right after it shows the same one.
        assert ack["prompt"]["prompt_id"] > prompt["prompt_id"]
        assert ack["status"] in ("pending_hitl", "pending_review"), ack
        shown = http.get(f"{API}/hitl/{job_id}/prompt").json()["prompt"]
        assert shown["prompt_id"] == ack["prompt"]["prompt_id"]
        prompt = ack["prompt"]
    assert seen == ["confirm", "preview", "validate"]
    assert ack["status"] == "completed", ack  # the last reply waited for the end
    assert get_job(http, job_id)["status"] == "completed"

    # Without a wait the reply comes as soon as the answer is taken.
    job_id = create_job(http, TASK, user_id="answers", enable_hitl_confirm=True)
    prompt = wait_prompt(http, job_id, "confirm")
    for bad in (-1, 61, "soon"):
        r = http.post(f"{API}/hitl/{job_id}/response", params={"wait": bad},
                      json={"prompt_id": prompt["prompt_id"], "action": "proceed"})
        assert r.status_code == 422, (bad, r.text)
    r = answer(http, job_id, prompt["prompt_id"], action="proceed")
    assert r.status_code == 200 and r.json()["status"] == "running", r.text
    wait_status(http, job_id, ["completed"])
