"""Whole journeys through every checkpoint, over real HTTP, against a real Temporal server."""

from __future__ import annotations

import httpx
import skills_ref

from tests.support import API, LocalStack, answer, create_job, get_job, wait_prompt, wait_status

VAGUE_TASK = "Help me with stuff please"


def test_full_journey_through_every_checkpoint(http: httpx.Client, stack: LocalStack) -> None:
    job_id = create_job(http, VAGUE_TASK, user_id="journey", enable_hitl_confirm=True,
                        enable_hitl_preview=True, enable_hitl_review=True)

    # clarify: the task is too vague to plan from
    prompt = wait_prompt(http, job_id, "clarify")
    job = get_job(http, job_id)
    assert job["status"] == "pending_user_input"
    assert job["current_phase"] == "understanding"
    assert job["hitl_type"] == "clarify"
    assert prompt["prompt_id"] == 1
    assert prompt["actions"] == ["proceed", "cancel"]
    question_ids = {q["id"] for q in prompt["data"]["questions"]}
    assert question_ids == {"subject", "output", "examples"}
    assert set(prompt["answer_schema"]["properties"]["answers"]["required"]) == question_ids
    assert prompt["deadline"] > prompt["created_at"]
    r = answer(http, job_id, 1, action="proceed", answers={
        "subject": "reviewing python pull requests", "output": "checklist", "examples": True})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "running"

    # confirm: revise once with edits (a name and a category), then proceed
    prompt = wait_prompt(http, job_id, "confirm")
    assert prompt["prompt_id"] == 2
    job = get_job(http, job_id)
    assert job["status"] == "pending_hitl"
    assert job["clarifications"]["output"] == "checklist"
    summary = prompt["data"]["summary"]
    assert "python" in summary["skill_name"]
    assert summary["taxonomy_path"].endswith("/" + summary["skill_name"])
    assert prompt["actions"] == ["proceed", "revise", "cancel"]
    assert {"skill_name", "category", "outline"} <= set(prompt["answer_schema"]["properties"])
    r = answer(http, job_id, 2, action="revise", skill_name="python-pr-security-review",
               category="security")
    assert r.status_code == 200, r.text
    prompt = wait_prompt(http, job_id, "confirm")
    assert prompt["prompt_id"] == 3
    assert prompt["revisions_used"] == 1
    assert prompt["data"]["summary"]["taxonomy_path"] == "security/python-pr-security-review"
    assert "+skill_name: python-pr-security-review\n" in prompt["data"]["diff"]
    assert get_job(http, job_id)["revisions"] == {"confirm": 1}
    assert answer(http, job_id, 3, action="proceed").status_code == 200

    # preview: free text the offline author cannot apply is said plainly ("refine" is the
    # same as "revise"); then the reviewer's own SKILL.md, as a version they wrote
    prompt = wait_prompt(http, job_id, "preview")
    job = get_job(http, job_id)
    assert job["current_phase"] == "generation" and job["status"] == "pending_hitl"
    first = prompt["data"]["content"]
    assert first.startswith("---\n")
    r = answer(http, job_id, prompt["prompt_id"], action="refine",
               feedback="Add an example about SQL injection.")
    assert r.status_code == 200, r.text
    assert r.json()["action"] == "revise"
    prompt = wait_prompt(http, job_id, "preview")
    assert prompt["data"]["version"] == 2 and prompt["data"]["content"] == first
    [note] = prompt["data"]["author_notes"]
    assert "cannot rewrite the skill from free text" in note and "SQL injection" in note
    edited = first.rstrip("\n") + ("\n\n## SQL Injection\n\n- Flag queries built by string "
                                   "formatting; ask for parameters instead.\n")
    r = answer(http, job_id, prompt["prompt_id"], action="proceed", skill_md=edited)
    assert r.status_code == 200, r.text

    # validate (opted in): the report is shown; proceed
    prompt = wait_prompt(http, job_id, "validate")
    job = get_job(http, job_id)
    assert job["current_phase"] == "validation" and job["status"] == "pending_hitl"
    report = prompt["data"]["report"]
    assert report["passed"] is True, report
    assert answer(http, job_id, prompt["prompt_id"], action="proceed").status_code == 200

    job = wait_status(http, job_id, ["completed", "failed", "cancelled"])
    assert job["status"] == "completed", job.get("error")
    assert job["current_phase"] == "done"
    assert job["progress_percent"] == 100
    assert job["validation_passed"] is True
    assert job["validation_status"] == "passed"
    assert job["prompt"] is None and job["hitl_type"] is None
    assert job["versions_count"] == 3
    # who wrote each version (open mode: the job's user), and what the last one changed
    assert [v["author"] for v in job["versions"]] == ["offline", "offline", "journey"]
    assert "+## SQL Injection\n" in job["last_diff"]
    assert job["intended_taxonomy_path"] == "security/python-pr-security-review"
    draft = stack.on_disk(job["draft_path"])
    expected = stack.skills_root / "_drafts" / job_id / job["intended_taxonomy_path"]
    assert draft == expected.resolve()
    assert (draft / "SKILL.md").read_bytes() == edited.encode()
    assert "name: \"python-pr-security-review\"" in edited
    assert job["result"]["draft_path"] == job["draft_path"]
    assert job["events_count"] > 10
    assert skills_ref.validate(draft) == []


def test_structure_fix_when_the_requested_name_breaks_the_rules(
    http: httpx.Client, stack: LocalStack
) -> None:
    job_id = create_job(http, "Create a skill named Claude-Helper that formats SQL queries "
                              "for readability in code reviews", user_id="structure")
    prompt = wait_prompt(http, job_id, "structure_fix")
    assert get_job(http, job_id)["status"] == "pending_user_input"
    fixes = prompt["data"]["suggested_fixes"]
    assert fixes and fixes[0]["field"] == "skill_name"
    assert fixes[0]["current"] == "Claude-Helper"
    suggested = fixes[0]["suggested"]
    assert "claude" not in suggested and suggested == suggested.lower()

    # a name that still breaks the pattern does not fit the prompt's schema
    r = answer(http, job_id, prompt["prompt_id"], action="proceed", skill_name="Bad Name")
    assert r.status_code == 422, r.text
    assert "skill_name" in r.json()["error"]

    r = answer(http, job_id, prompt["prompt_id"], action="proceed", accept_suggestions=True)
    assert r.status_code == 200, r.text
    job = wait_status(http, job_id, ["completed", "failed", "cancelled"])
    assert job["status"] == "completed", job.get("error")
    assert job["skill_name"] == suggested
    assert skills_ref.validate(stack.on_disk(job["draft_path"])) == []


def test_default_job_needs_no_human(http: httpx.Client, stack: LocalStack) -> None:
    job_id = create_job(http, user_id="nohuman")
    job = wait_status(http, job_id, ["completed", "failed", "cancelled"])
    assert job["status"] == "completed", job.get("error")
    assert job["validation_passed"] is True
    assert job["prompt"] is None and job["revisions"] == {}
    assert skills_ref.validate(stack.on_disk(job["draft_path"])) == []


def test_job_reads_and_lists_with_filters(http: httpx.Client) -> None:
    parked = [create_job(http, VAGUE_TASK, user_id="lister-a") for _ in range(2)]
    done = create_job(http, user_id="lister-a")
    other = create_job(http, user_id="lister-b")
    for job_id in parked:
        wait_prompt(http, job_id, "clarify")
    wait_status(http, done, ["completed"])
    wait_status(http, other, ["completed"])

    def listed(**params: str) -> set[str]:
        r = http.get(f"{API}/jobs", params=params)
        assert r.status_code == 200, r.text
        return {j["job_id"] for j in r.json()["jobs"]}

    # visibility is eventually consistent: poll briefly until it has caught up
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and listed(user_id="lister-a") != {*parked, done}:
        time.sleep(0.2)
    assert listed(user_id="lister-a") == {*parked, done}
    assert listed(user_id="lister-a", status="pending_user_input") == set(parked)
    assert listed(user_id="lister-a", status="completed") == {done}
    assert listed(user_id="lister-b") == {other}
    assert listed(user_id="lister-a", phase="understanding") == set(parked)

    r = http.get(f"{API}/jobs", params={"user_id": "lister-a", "page_size": 2})
    page = r.json()
    assert len(page["jobs"]) == 2 and page["next_page_token"]
    r = http.get(f"{API}/jobs", params={"user_id": "lister-a", "page_size": 2,
                                        "page_token": page["next_page_token"]})
    rest = {j["job_id"] for j in r.json()["jobs"]}
    assert rest | {j["job_id"] for j in page["jobs"]} == {*parked, done}
    # newest first
    times = [j["created_at"] for j in page["jobs"]]
    assert times == sorted(times, reverse=True)
    for job_id in parked:
        http.post(f"{API}/jobs/{job_id}/cancel")
