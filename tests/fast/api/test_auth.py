"""API keys: required everywhere but /health and /metrics; the key decides who you are.

With the fake gateway these tests see the owner scope each route hands on (a user's
key: that user; an admin's: None, meaning every job); `test_ownership.py` checks what
the real gateway does with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.auth import hash_key
from tests.fast.api.checks import error_body
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ADMIN, ALICE, Api, bearer, make_settings, running_api
from tests.fast.api.samples import API, TASK, new_job_id

JOB = "3f2c1f7e-1111-4222-8333-444455556666"
EVERY_ROUTE = [
    ("POST", f"{API}/skills/create"), ("GET", f"{API}/jobs"), ("GET", f"{API}/jobs/{JOB}"),
    ("POST", f"{API}/jobs/{JOB}/cancel"), ("POST", f"{API}/jobs/{JOB}/rewind"),
    ("GET", f"{API}/jobs/{JOB}/events"), ("GET", f"{API}/jobs/{JOB}/events?format=json"),
    ("GET", f"{API}/hitl/config"), ("GET", f"{API}/hitl/pending"),
    ("GET", f"{API}/hitl/{JOB}/prompt"), ("POST", f"{API}/hitl/{JOB}/response"),
    ("GET", f"{API}/drafts/{JOB}"), ("POST", f"{API}/drafts/{JOB}/promote"),
    ("GET", f"{API}/skills"), ("GET", f"{API}/skills/dev/x"), ("POST", f"{API}/skills/validate"),
]
BAD_AUTH = [
    ({}, "Missing API key: send 'Authorization: Bearer <key>'."),
    ({"Authorization": ""}, "Missing API key: send 'Authorization: Bearer <key>'."),
    ({"Authorization": "Bearer"}, "Missing API key: send 'Authorization: Bearer <key>'."),
    ({"Authorization": "Bearer    "}, "Missing API key: send 'Authorization: Bearer <key>'."),
    ({"Authorization": f"Basic {ALICE}"}, "Missing API key: send 'Authorization: Bearer <key>'."),
    ({"Authorization": ALICE}, "Missing API key: send 'Authorization: Bearer <key>'."),
    ({"Authorization": "Bearer wrong-key"}, "Invalid API key."),
    ({"Authorization": f"Bearer {hash_key(ALICE)}"}, "Invalid API key."),  # the hash is no key
    ({"Authorization": f"Bearer {ALICE}x"}, "Invalid API key."),
]


@pytest.mark.parametrize(("method", "path"), EVERY_ROUTE, ids=lambda v: str(v))
async def test_every_api_route_needs_a_valid_key(secured: Api, gateway: FakeGateway,
                                                 method: str, path: str) -> None:
    for headers, message in BAD_AUTH:
        r = await secured.http.request(method, path, json={"task_description": TASK},
                                       headers=headers)
        assert error_body(r, 401)["error"] == message, headers
    assert gateway.calls == []


@pytest.mark.parametrize("path", ["/health", f"{API}/health", "/metrics"])
async def test_health_and_metrics_need_no_key(secured: Api, path: str) -> None:
    assert (await secured.http.get(path)).status_code == 200


async def test_the_scheme_is_case_insensitive_and_spaces_are_trimmed(
    secured: Api, gateway: FakeGateway
) -> None:
    for value in (f"bearer {ALICE}", f"BEARER {ALICE}", f"Bearer  {ALICE} "):
        r = await secured.http.get(f"{API}/jobs/{JOB}", headers={"Authorization": value})
        assert r.status_code == 200, (value, r.text)
    assert [c.args["owner"] for c in gateway.calls] == ["alice"] * 3


@pytest.mark.parametrize(("method", "path", "call"), [
    ("GET", f"{API}/jobs/{JOB}", "view"), ("GET", f"{API}/hitl/{JOB}/prompt", "view"),
    ("GET", f"{API}/drafts/{JOB}", "view"), ("POST", f"{API}/jobs/{JOB}/cancel", "cancel"),
    ("GET", f"{API}/jobs/{JOB}/events?format=json", "events"),
    ("POST", f"{API}/drafts/{JOB}/promote", "promote"),
])
async def test_a_users_key_scopes_every_job_route_to_that_user(
    secured: Api, gateway: FakeGateway, method: str, path: str, call: str
) -> None:
    await secured.http.request(method, path, headers=bearer(ALICE))
    await secured.http.request(method, path, headers=bearer(ADMIN))
    assert [c["owner"] for c in gateway.called(call)] == ["alice", None]


async def test_answers_and_rewinds_are_scoped_too(secured: Api, gateway: FakeGateway) -> None:
    for key in (ALICE, ADMIN):
        await secured.http.post(f"{API}/hitl/{JOB}/response", json={"prompt_id": 1},
                                headers=bearer(key))
        await secured.http.post(f"{API}/jobs/{JOB}/rewind", json={"to": "generation"},
                                headers=bearer(key))
    assert [c["owner"] for c in gateway.called("answer")] == ["alice", None]
    assert [c["owner"] for c in gateway.called("rewind")] == ["alice", None]


async def test_a_user_cannot_create_as_someone_else(secured: Api, gateway: FakeGateway) -> None:
    r = await secured.http.post(f"{API}/skills/create", headers=bearer(ALICE),
                                json={"task_description": TASK, "user_id": "bob"})
    assert "cannot create jobs as 'bob'" in error_body(r, 403)["error"]
    assert gateway.calls == []
    for body in ({"task_description": TASK}, {"task_description": TASK, "user_id": "alice"}):
        r = await secured.http.post(f"{API}/skills/create", headers=bearer(ALICE), json=body)
        assert r.status_code == 202, r.text
    assert [c["job"].user_id for c in gateway.called("start")] == ["alice", "alice"]


async def test_an_admin_creates_for_anyone(secured: Api, gateway: FakeGateway) -> None:
    for body in ({"task_description": TASK, "user_id": "bob"}, {"task_description": TASK}):
        r = await secured.http.post(f"{API}/skills/create", headers=bearer(ADMIN), json=body)
        assert r.status_code == 202, r.text
    assert [c["job"].user_id for c in gateway.called("start")] == ["bob", "root"]
    assert [c["user_id"] for c in gateway.called("active_jobs")] == ["bob", "root"]


@pytest.mark.parametrize(("path", "call", "empty"), [
    (f"{API}/jobs", "list", {"jobs": [], "next_page_token": None}),
    (f"{API}/hitl/pending", "pending_prompts", {"prompts": [], "next_page_token": None}),
])
async def test_lists_show_a_user_only_their_own(secured: Api, gateway: FakeGateway, path: str,
                                                call: str, empty: dict[str, object]) -> None:
    r = await secured.http.get(path, params={"user_id": "bob"}, headers=bearer(ALICE))
    assert r.json() == empty
    assert gateway.calls == []  # not even asked
    await secured.http.get(path, headers=bearer(ALICE))
    await secured.http.get(path, params={"user_id": "alice"}, headers=bearer(ALICE))
    await secured.http.get(path, params={"user_id": "bob"}, headers=bearer(ADMIN))
    await secured.http.get(path, headers=bearer(ADMIN))
    assert [c["user_id"] for c in gateway.called(call)] == ["alice", "alice", "bob", None]


async def test_force_is_for_admins(secured: Api, gateway: FakeGateway) -> None:
    r = await secured.http.post(f"{API}/drafts/{JOB}/promote", json={"force": True},
                                headers=bearer(ALICE))
    assert "for admins" in error_body(r, 403)["error"]
    assert gateway.calls == []
    r = await secured.http.post(f"{API}/drafts/{JOB}/promote", json={"overwrite": True},
                                headers=bearer(ALICE))
    assert r.status_code == 200
    r = await secured.http.post(f"{API}/drafts/{JOB}/promote", json={"force": True},
                                headers=bearer(ADMIN))
    assert r.status_code == 200
    alice, admin = (c["request"] for c in gateway.called("promote"))
    assert (alice.admin, alice.requested_by, alice.overwrite) == (False, "alice", True)
    assert (admin.admin, admin.requested_by, admin.force) == (True, "root", True)


async def test_open_mode_takes_the_user_from_the_body(api: Api, gateway: FakeGateway) -> None:
    """No keys configured: every caller is an admin, and no header is needed."""
    for body in ({"task_description": TASK, "user_id": "carol"}, {"task_description": TASK}):
        assert (await api.http.post(f"{API}/skills/create", json=body)).status_code == 202
    assert [c["job"].user_id for c in gateway.called("start")] == ["carol", "default"]
    await api.http.get(f"{API}/jobs/{new_job_id()}", headers={"Authorization": "Bearer junk"})
    assert gateway.called("view")[0]["owner"] is None
    r = await api.http.post(f"{API}/drafts/{JOB}/promote", json={"force": True})
    assert r.status_code == 200 and gateway.called("promote")[0]["request"].admin is True


async def test_the_keys_file_wins_over_the_variable(skills_root: Path, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(f'{{"keys": [{{"key_sha256": "{hash_key("file-key")}", '
                         f'"user_id": "dana"}}]}}')
    settings = make_settings(skills_root, api_keys=f'[{{"key_sha256": "{hash_key(ALICE)}", '
                                                  f'"user_id": "alice"}}]',
                             api_keys_file=keys_file)
    gateway = FakeGateway()
    async with running_api(settings, gateway=gateway) as api:
        error_body(await api.http.get(f"{API}/jobs/{JOB}", headers=bearer(ALICE)), 401)
        assert (await api.http.get(f"{API}/jobs/{JOB}", headers=bearer("file-key"))).is_success
    assert gateway.called("view") == [{"job_id": JOB, "owner": "dana"}]
