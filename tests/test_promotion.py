"""Promoting drafts into the skill library, over real HTTP against a real Temporal stack.

The activity alone, for the cases a live job cannot produce (a retry of one attempt, a
symlinked category, a corrupt index), is in tests/fast/test_promotion_activity.py.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from api.auth import hash_key
from skill_store.library import JOB_MARKER
from tests.support import (
    API,
    LocalStack,
    answer,
    create_job,
    files_of,
    get_job,
    index_of,
    wait_job,
    wait_prompt,
    wait_status,
)

VAGUE_TASK = "Help me with stuff please"


def task(tag: str) -> str:
    """A task whose taxonomy path is unique to `tag`, so tests sharing a stack never collide."""
    return f"Convert {tag} ledgers into csv files for spreadsheet import"


def new_tag() -> str:
    return "zq" + uuid.uuid4().hex[:8]


def completed_job(http: httpx.Client, tag: str, user: str = "promoter") -> dict[str, Any]:
    job_id = create_job(http, task(tag), user_id=user)
    job = wait_status(http, job_id, ["completed", "failed", "cancelled"])
    assert job["status"] == "completed", job.get("error")
    assert job["validation_passed"] is True
    return job


def promote(http: httpx.Client, job_id: str, **body: Any) -> httpx.Response:
    return http.post(f"{API}/drafts/{job_id}/promote", json=body)


# --------------------------------------------------------------------------- over HTTP


def test_promote_copies_the_draft_and_records_it(http: httpx.Client, stack: LocalStack) -> None:
    job = completed_job(http, new_tag())
    job_id, taxonomy_path = job["job_id"], job["intended_taxonomy_path"]
    # Paths are relative to the skills root: the server's layout is not exposed.
    assert job["draft_path"] == f"_drafts/{job_id}/{taxonomy_path}"
    draft = stack.skills_root / job["draft_path"]

    r = http.get(f"{API}/drafts/{job_id}")
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["skill_md"] == (draft / "SKILL.md").read_text()
    assert "SKILL.md" in shown["files"] and shown["taxonomy_path"] == taxonomy_path
    assert shown["draft_path"] == job["draft_path"]

    r = promote(http, job_id, overwrite=False)
    assert r.status_code == 200, r.text
    final = (stack.skills_root / taxonomy_path).resolve()
    assert r.json() == {
        "job_id": job_id,
        "status": "promoted",
        "final_path": taxonomy_path,
        "taxonomy_path": taxonomy_path,
    }
    assert (final / "SKILL.md").read_text() == (draft / "SKILL.md").read_text()
    assert files_of(final) == files_of(draft)
    entry = index_of(stack.skills_root)[taxonomy_path]
    assert entry["job_id"] == job_id and entry["path"] == taxonomy_path
    assert entry["name"] == job["skill_name"] and entry["promoted_at"]
    assert entry["owner"] == "promoter"
    assert json.loads((final / JOB_MARKER).read_text())["owner"] == "promoter"

    job = wait_job(http, job_id, lambda j: j["promoted"], timeout=10, what="promoted")
    assert job["final_path"] == taxonomy_path and job["status"] == "completed"
    assert stack.skills_root / job["draft_path"] == draft  # kept: delete_draft was false

    # the same target again without overwrite (the default): refused, nothing touched
    before = files_of(final)
    for body in ({}, {"overwrite": False}):
        r = promote(http, job_id, **body)
        assert r.status_code == 409, r.text
        assert "overwrite" in r.json()["error"]
    assert files_of(final) == before
    assert not (stack.skills_root / "_versions" / taxonomy_path).exists()

    # with overwrite it is replaced, the index entry refreshed, the old version kept
    r = promote(http, job_id, overwrite=True)
    assert r.status_code == 200, r.text
    assert files_of(final) == files_of(draft)
    assert index_of(stack.skills_root)[taxonomy_path]["promoted_at"] >= entry["promoted_at"]
    assert not list(final.parent.glob(".tmp-*"))
    [kept] = (stack.skills_root / "_versions" / taxonomy_path).iterdir()
    assert files_of(kept) == before and kept.name.endswith(job_id[:8])
    assert http.get(f"{API}/skills/{taxonomy_path}").json()["versions"] == [kept.name]

    # an unknown field is a request error, not a silent default
    assert promote(http, job_id, overwrite=True, dry_run=True).status_code == 422

    # delete_draft removes the job's whole draft folder
    r = promote(http, job_id, overwrite=True, delete_draft=True)
    assert r.status_code == 200, r.text
    assert not (stack.skills_root / "_drafts" / job_id).exists()
    assert files_of(final) == before
    job = wait_job(http, job_id, lambda j: j["draft_path"] is None, timeout=10, what="no draft")
    assert job["promoted"] is True
    assert http.get(f"{API}/drafts/{job_id}").status_code == 404
    r = promote(http, job_id)
    assert r.status_code == 400 and "no draft" in r.json()["error"]


def test_promote_refusals(http: httpx.Client) -> None:
    assert promote(http, str(uuid.uuid4())).status_code == 404
    assert promote(http, "not-a-job").status_code == 404
    assert http.get(f"{API}/drafts/{uuid.uuid4()}").status_code == 404

    parked = create_job(http, VAGUE_TASK, user_id="promoter")
    wait_prompt(http, parked, "clarify")
    r = promote(http, parked)
    assert r.status_code == 400, r.text
    assert "not completed" in r.json()["error"]
    assert http.get(f"{API}/drafts/{parked}").status_code == 404  # no draft yet

    assert http.post(f"{API}/jobs/{parked}/cancel").status_code == 202
    wait_status(http, parked, ["cancelled"])
    r = promote(http, parked, force=True)
    assert r.status_code == 400, r.text
    assert "cancelled" in r.json()["error"]


def test_concurrent_promotes_of_one_job(http: httpx.Client, stack: LocalStack) -> None:
    job = completed_job(http, new_tag())
    job_id, draft = job["job_id"], stack.skills_root / job["draft_path"]

    def attempt(_: int) -> int:
        with httpx.Client(base_url=str(http.base_url), timeout=30) as client:
            return promote(client, job_id).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(attempt, range(4)))
    assert set(codes) <= {200, 409}, codes
    assert 200 in codes
    final = stack.skills_root / job["intended_taxonomy_path"]
    assert files_of(final) == files_of(draft)
    assert index_of(stack.skills_root)[job["intended_taxonomy_path"]]["job_id"] == job_id
    assert not list(final.parent.glob(".tmp-*"))


def test_two_jobs_racing_for_one_path(http: httpx.Client, stack: LocalStack) -> None:
    """The library lock makes 'exists?' and 'swap in' one step: exactly one job wins."""
    tag = new_tag()
    jobs = [completed_job(http, tag) for _ in range(2)]
    assert jobs[0]["intended_taxonomy_path"] == jobs[1]["intended_taxonomy_path"]

    def attempt(job: dict[str, Any]) -> int:
        with httpx.Client(base_url=str(http.base_url), timeout=30) as client:
            return promote(client, job["job_id"], overwrite=False).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(attempt, jobs))
    assert sorted(codes) == [200, 409], codes
    winner = jobs[codes.index(200)]
    taxonomy_path = winner["intended_taxonomy_path"]
    assert index_of(stack.skills_root)[taxonomy_path]["job_id"] == winner["job_id"]
    marker = json.loads((stack.skills_root / taxonomy_path / JOB_MARKER).read_text())
    assert marker["job_id"] == winner["job_id"]


KEYS = {"alice-key": ("alice", "user"), "bob-key": ("bob", "user"), "root-key": ("root", "admin")}


def _keyed_api(stack: LocalStack, **api_env: str) -> str:
    """One more API on the session's stack that knows alice, bob (users) and root (admin).

    Keys and the pass threshold are the API's settings (resolved into the job's input), so
    the stack's server and worker serve it as they are; its URL.
    """
    return stack.start_api(**api_env, SKILL_FLEET_API_KEYS=json.dumps(
        [{"key_sha256": hash_key(k), "user_id": u, "role": role}
         for k, (u, role) in KEYS.items()]))


def test_failed_validation_needs_force_and_keys_guard_promotion(stack: LocalStack) -> None:
    """A threshold above what the offline author reaches gives an honest failed validation;
    accepting it anyway (`force`) is for admins."""
    url = _keyed_api(stack, SKILL_FLEET_PASS_THRESHOLD="0.995")

    def client(key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=url, timeout=30, headers=headers)

    alice, bob, admin, anonymous = client("alice-key"), client("bob-key"), client("root-key"), \
        client(None)
    with alice, bob, admin, anonymous:
        job_id = create_job(alice, task(new_tag()))
        prompt = wait_prompt(alice, job_id, "validate")
        assert prompt["data"]["report"]["passed"] is False
        assert promote(admin, job_id, force=True).status_code == 400  # still waiting
        assert answer(alice, job_id, prompt["prompt_id"], action="proceed").status_code == 200
        job = wait_status(alice, job_id, ["completed", "failed", "cancelled"])
        assert job["status"] == "completed" and job["validation_passed"] is False

        assert anonymous.post(f"{API}/drafts/{job_id}/promote", json={}).status_code == 401
        assert anonymous.get(f"{API}/drafts/{job_id}").status_code == 401
        assert promote(bob, job_id).status_code == 404  # not bob's job
        assert bob.get(f"{API}/drafts/{job_id}").status_code == 404
        assert alice.get(f"{API}/drafts/{job_id}").status_code == 200

        r = promote(alice, job_id)
        assert r.status_code == 400, r.text
        assert "force" in r.json()["error"]
        r = promote(alice, job_id, force=True)  # the job's owner, but not an admin
        assert r.status_code == 403, r.text
        assert "admins" in r.json()["error"]
        final = stack.skills_root / job["intended_taxonomy_path"]
        assert not final.exists()
        r = promote(admin, job_id, force=True)
        assert r.status_code == 200, r.text
        assert files_of(final) == files_of(stack.skills_root / job["draft_path"])
        assert get_job(alice, job_id)["promoted"] is True
        # the skill is alice's (the job's user), not the admin's who promoted it
        assert json.loads((final / JOB_MARKER).read_text())["owner"] == "alice"


def test_an_unpromoted_draft_is_deleted_when_the_promotion_window_closes(
    stack: LocalStack,
) -> None:
    # The window is the API's setting (resolved into the job's input): one more API will do.
    url = stack.start_api(SKILL_FLEET_PROMOTION_WINDOW_SECONDS="2")
    with httpx.Client(base_url=url, timeout=30) as http:
        job_id = create_job(http, user_id="expiry")
        job = wait_status(http, job_id, ["completed"])
        draft = stack.on_disk(job["draft_path"])
        assert (draft / "SKILL.md").is_file()
        job = wait_job(http, job_id, lambda j: j["draft_path"] is None, timeout=60)
        assert job["status"] == "completed"
        assert not (stack.skills_root / "_drafts" / job_id).exists()
        events = http.get(f"{API}/jobs/{job_id}/events", params={"format": "json"}).json()
        assert "draft_expired" in [e["kind"] for e in events["events"]]
        r = http.post(f"{API}/drafts/{job_id}/promote", json={})
        assert r.status_code == 400 and "promotion window" in r.json()["error"], r.text


def test_another_user_cannot_replace_a_promoted_skill_over_http(stack: LocalStack) -> None:
    """The issue's attack: bob names his skill like alice's and promotes it over hers."""
    url = _keyed_api(stack)

    def client(key: str) -> httpx.Client:
        return httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {key}"})

    def finished(http: httpx.Client, description: str) -> dict[str, Any]:
        job_id = create_job(http, description)
        return wait_status(http, job_id, ["completed"])

    alice, bob, admin = client("alice-key"), client("bob-key"), client("root-key")
    with alice, bob, admin:
        hers = finished(alice, "Create a skill named victim-skill that refactors Python code "
                               "into smaller functions with pytest coverage")
        assert promote(alice, hers["job_id"]).status_code == 200
        path = hers["intended_taxonomy_path"]
        original = files_of(stack.skills_root / path)

        his = finished(bob, "Create a skill named victim-skill that refactors Python code "
                            "by renaming variables in a git repository")
        assert his["intended_taxonomy_path"] == path
        r = promote(bob, his["job_id"], overwrite=True)
        assert r.status_code == 403, r.text
        assert "another user" in r.json()["error"]
        assert r.json()["details"] == {"reason": "NotOwner"}  # as published, whatever the type
        assert files_of(stack.skills_root / path) == original
        shown = alice.get(f"{API}/skills/{path}").json()
        assert shown["owner"] == "alice"

        # the same name in another category is refused too: agents load skills by name
        other = finished(bob, "Create a skill named victim-skill that writes Terraform modules "
                              "for AWS S3 buckets")
        assert other["intended_taxonomy_path"] != path
        r = promote(bob, other["job_id"])
        assert r.status_code == 409, r.text
        assert "victim-skill" in r.json()["error"]
        assert r.json()["details"] == {"reason": "NameTaken"}

        # alice may replace her own skill, only with overwrite; the old one is kept
        again = finished(alice, "Create a skill named victim-skill that refactors Python code "
                                "into smaller functions and adds type hints")
        assert promote(alice, again["job_id"]).status_code == 409
        assert promote(alice, again["job_id"], overwrite=True).status_code == 200
        assert len(alice.get(f"{API}/skills/{path}").json()["versions"]) == 1
        # an admin may replace anyone's
        assert promote(admin, his["job_id"], overwrite=True).status_code == 200
        assert alice.get(f"{API}/skills/{path}").json()["owner"] == "bob"
