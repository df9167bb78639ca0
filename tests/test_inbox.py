"""The inbox (GET /hitl/pending) over real HTTP, in open mode and with API keys."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from api.auth import hash_key
from tests.support import API, LocalStack, answer, create_job, wait_prompt, wait_status


def inbox(http: httpx.Client, **params: Any) -> dict[str, Any]:
    r = http.get(f"{API}/hitl/pending", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def wait_inbox(http: httpx.Client, until: Callable[[list[dict[str, Any]]], bool],
               timeout: float = 15.0, **params: Any) -> list[dict[str, Any]]:
    """Visibility is eventually consistent: poll briefly."""
    deadline = time.monotonic() + timeout
    while True:
        prompts = inbox(http, **params)["prompts"]
        if until(prompts):
            return prompts
        if time.monotonic() > deadline:
            raise AssertionError(f"inbox {params} never matched; last: {prompts}")
        time.sleep(0.2)


def ids(prompts: list[dict[str, Any]]) -> list[str]:
    return [p["job_id"] for p in prompts]


def created(prompts: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(p["created_at"]) for p in prompts]


def park(http: httpx.Client, user: str) -> tuple[str, dict[str, Any]]:
    job_id = create_job(http, user_id=user, enable_hitl_confirm=True)
    return job_id, wait_prompt(http, job_id, "confirm")


def test_inbox_lists_waiting_prompts_oldest_first(http: httpx.Client) -> None:
    ann, ben = f"ann-{uuid.uuid4().hex[:8]}", f"ben-{uuid.uuid4().hex[:8]}"
    a1, p1 = park(http, ann)
    b1, _ = park(http, ben)
    a2, _ = park(http, ann)

    mine = wait_inbox(http, lambda ps: set(ids(ps)) == {a1, a2}, user_id=ann)
    assert ids(mine) == [a1, a2]  # oldest first
    item = mine[0]
    assert item["user_id"] == ann and item["type"] == "confirm"
    assert item["prompt_id"] == p1["prompt_id"] and item["summary"] == p1["summary"]
    assert datetime.fromisoformat(item["created_at"]) == datetime.fromisoformat(p1["created_at"])
    assert datetime.fromisoformat(item["deadline"]) == datetime.fromisoformat(p1["deadline"])
    assert set(item) >= {"job_id", "user_id", "type", "prompt_id", "created_at", "deadline",
                         "summary"}

    everyone = inbox(http, page_size=500)["prompts"]
    assert {a1, a2, b1} <= set(ids(everyone))
    assert created(everyone) == sorted(created(everyone))
    assert ids(inbox(http, user_id=ben)["prompts"]) == [b1]

    # paginated: one per page, nothing lost or repeated
    seen: list[str] = []
    token: str | None = None
    for _ in range(5):
        page = inbox(http, user_id=ann, page_size=1, **({"page_token": token} if token else {}))
        assert len(page["prompts"]) <= 1
        seen += ids(page["prompts"])
        token = page["next_page_token"]
        if not token:
            break
    assert sorted(seen) == sorted([a1, a2])
    assert http.get(f"{API}/hitl/pending", params={"page_token": "!!"}).status_code == 400
    assert http.get(f"{API}/hitl/pending", params={"page_size": 501}).status_code == 422

    # an answered prompt leaves the inbox
    assert answer(http, a1, p1["prompt_id"], action="proceed").status_code == 200
    assert ids(wait_inbox(http, lambda ps: ids(ps) == [a2], user_id=ann)) == [a2]
    for job_id in (a2, b1):
        assert http.post(f"{API}/jobs/{job_id}/cancel").status_code == 202
    wait_inbox(http, lambda ps: not ps, user_id=ann)
    wait_inbox(http, lambda ps: not ps, user_id=ben)
    wait_status(http, a1, ["completed"])


KEYS = {"alice": f"alice-key-{uuid.uuid4().hex}", "bob": f"bob-key-{uuid.uuid4().hex}",
        "root": f"root-key-{uuid.uuid4().hex}"}


@pytest.fixture(scope="module")
def keyed_api(stack: LocalStack) -> str:
    entries = [{"key_sha256": hash_key(KEYS["alice"]), "user_id": "alice", "role": "user"},
               {"key_sha256": hash_key(KEYS["bob"]), "user_id": "bob", "role": "user"},
               {"key_sha256": hash_key(KEYS["root"]), "user_id": "root", "role": "admin"}]
    return stack.start_api(SKILL_FLEET_API_KEYS=json.dumps(entries))


@pytest.fixture
def as_user(keyed_api: str) -> Iterator[Callable[[str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def client(who: str) -> httpx.Client:
        c = httpx.Client(base_url=keyed_api, timeout=30,
                         headers={"Authorization": f"Bearer {KEYS[who]}"})
        clients.append(c)
        return c

    yield client
    for c in clients:
        c.close()


def test_with_api_keys_each_user_sees_only_their_prompts(
        as_user: Callable[[str], httpx.Client], keyed_api: str) -> None:
    alice, bob, root = as_user("alice"), as_user("bob"), as_user("root")
    alice_job, _ = park(alice, "alice")
    bob_job, _ = park(bob, "bob")

    assert ids(wait_inbox(alice, lambda ps: alice_job in ids(ps))) == [alice_job]
    assert ids(wait_inbox(bob, lambda ps: bob_job in ids(ps))) == [bob_job]
    assert inbox(alice, user_id="bob")["prompts"] == []
    assert ids(inbox(root, user_id="alice")["prompts"]) == [alice_job]
    assert {alice_job, bob_job} <= set(ids(inbox(root)["prompts"]))
    with httpx.Client(base_url=keyed_api) as anonymous:
        assert anonymous.get(f"{API}/hitl/pending").status_code == 401

    # another user's job does not exist for alice, streamed or paged
    for params in ({}, {"format": "json"}):
        r = alice.get(f"{API}/jobs/{bob_job}/events", params=params)
        assert r.status_code == 404, r.text
    page = alice.get(f"{API}/jobs/{alice_job}/events", params={"format": "json"}).json()
    assert page["events"][-1]["kind"] == "prompt_raised"

    for client, job_id in ((alice, alice_job), (bob, bob_job)):
        assert client.post(f"{API}/jobs/{job_id}/cancel").status_code == 202
        wait_status(client, job_id, ["cancelled"])
