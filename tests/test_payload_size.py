"""The largest skill, revised and rewound as often as allowed, still completes and promotes.

Temporal refuses a payload over 2 MB. The run's result and the `get_state` query once carried
every version's files, so a big skill with a few revisions outgrew the limit and the run
failed when its promotion window closed. Now versions' files stay in the workflow (one at a
time through `get_version`), and this job measures what the result and the query weigh.
Real stack: Temporal dev server, worker and API processes, over HTTP.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.workflowservice.v1 import QueryWorkflowRequest
from temporalio.client import Client, WorkflowExecutionStatus

from activities.authoring import MAX_SKILL_BYTES
from common.settings import Settings
from tests.support import API, LocalStack, answer, create_job, get_job, wait_job
from workflows import names
from workflows.reviewer_edits import MAX_EDIT_BYTES

# Room for what the offline author adds when it revises the reviewer's version (its
# feedback notes), so the revised version stays under the author's own cap.
AUTHOR_ROOM = 8 * 1024
REFERENCES = 4
# "Well under" Temporal's 2 MB payload limit: an eighth of it.
MAX_PAYLOAD_BYTES = 256 * 1024
TERMINAL = ("completed", "failed", "cancelled")
# The run closes this long after the job completes, and the test waits for that close.
# Room enough to promote first (seconds even on a loaded machine; a promote after the
# close is refused and fails the test), little more: the wait itself proves nothing.
PROMOTION_WINDOW_SECONDS = 6


def reviewer_skill(skill_md: str, round_no: int) -> dict[str, Any]:
    """The preview's SKILL.md with links to bundled references that fill the skill up to the
    cap; each round changes every file, so every version differs from the one before."""
    links = "".join(f"- [Ledger notes {i}](references/ledger-{i}.md)\n"
                    for i in range(REFERENCES))
    md = skill_md.rstrip("\n") + f"\n\n## References\n{links}"
    room = min(MAX_SKILL_BYTES, MAX_EDIT_BYTES) - AUTHOR_ROOM - len(md.encode())
    files = {}
    for i in range(REFERENCES):
        line = (f"Round {round_no}, note {i}: compare each ledger row with its source entry "
                "and write down any amount that differs.\n")
        files[f"references/ledger-{i}.md"] = f"# Ledger notes {i}\n\n" + line * (
            room // REFERENCES // len(line) - 1)
    return {"skill_md": md, "files": files}


async def query_bytes(address: str, job_id: str) -> int:
    """The `get_state` query's payload as Temporal carries it."""
    client = await Client.connect(address)
    response = await client.workflow_service.query_workflow(QueryWorkflowRequest(
        namespace="default", execution=WorkflowExecution(workflow_id=job_id),
        query=WorkflowQuery(query_type=names.QUERY_GET_STATE)))
    return response.query_result.ByteSize()


async def run_result_bytes(address: str, job_id: str) -> int:
    """Wait for the run to close (its promotion window ends); its result's size."""
    client = await Client.connect(address)
    handle = client.get_workflow_handle(job_id)
    deadline = time.monotonic() + PROMOTION_WINDOW_SECONDS + 60
    while (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
        assert time.monotonic() < deadline, "the run did not close after its window"
        await asyncio.sleep(0.5)
    history = await handle.fetch_history()
    last = history.events[-1]
    assert last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, last
    return last.workflow_execution_completed_event_attributes.result.ByteSize()


def next_prompt(http: httpx.Client, job_id: str, after: int) -> dict[str, Any]:
    return wait_job(http, job_id, lambda j: j["status"] in TERMINAL or (
        j.get("prompt") or {}).get("prompt_id", 0) > after, timeout=120, what="next prompt")


def test_most_revised_largest_skill_completes_and_promotes(own_stack: LocalStack) -> None:
    own_stack.start_server()
    [url] = own_stack.start_workers_and_apis(api_env={
        # Over HTTP the whole largest skill must fit in one answer (the default is 256 KiB).
        "SKILL_FLEET_MAX_BODY_BYTES": str(2 * MAX_EDIT_BYTES),
        "SKILL_FLEET_PROMOTION_WINDOW_SECONDS": str(PROMOTION_WINDOW_SECONDS)})
    caps = Settings()
    with httpx.Client(base_url=url, timeout=60) as http:
        job_id = create_job(http, "Reconcile monthly bank ledgers against exported csv "
                                  "statements", enable_hitl_preview=True, enable_hitl_review=True)
        rewinds = revises = rounds = 0
        state_sizes: list[int] = []
        after = 0
        while True:
            job = next_prompt(http, job_id, after)
            if job["status"] in TERMINAL:
                break
            prompt = job["prompt"]
            after = prompt["prompt_id"]
            state_sizes.append(asyncio.run(query_bytes(own_stack.address, job_id)))
            revise = prompt["revisions_left"] > 0
            if prompt["type"] == "preview":
                rounds += 1
                body = reviewer_skill(prompt["data"]["content"], rounds)
                if revise:
                    body["feedback"] = f"Round {rounds}: say which ledger columns matter."
            elif rewinds < caps.max_revisions:
                r = http.post(f"{API}/jobs/{job_id}/rewind", json={
                    "to": "generation", "edits": {"feedback": f"Rewind {rewinds + 1}."}})
                assert r.status_code == 200, r.text
                rewinds += 1
                continue
            else:
                body = {"feedback": "Name the statement formats."} if revise else {}
            revises += revise
            r = answer(http, job_id, after, action="revise" if revise else "proceed", **body)
            assert r.status_code == 200, r.text

        assert job["status"] == "completed", job.get("error")
        # Every revision at preview and at review, and every rewind, was used.
        assert rewinds == caps.max_revisions and revises == 2 * caps.max_revisions
        assert job["versions_count"] == len(job["versions"]) >= 2 * rounds
        assert job["validation_passed"] is True  # the reviewer's last version, as written
        r = http.post(f"{API}/drafts/{job_id}/promote", json={})
        assert r.status_code == 200, r.text
        assert wait_job(http, job_id, lambda j: j["promoted"], timeout=30)["final_path"]
        promoted = own_stack.on_disk(r.json()["final_path"])
        on_disk = sum(p.stat().st_size for p in promoted.rglob("*.md"))
        assert MAX_SKILL_BYTES - 2 * AUTHOR_ROOM < on_disk <= MAX_SKILL_BYTES
        state_sizes.append(asyncio.run(query_bytes(own_stack.address, job_id)))
        result = asyncio.run(run_result_bytes(own_stack.address, job_id))
        print(f"\nversions={job['versions_count']} skill={on_disk}B "
              f"get_state max={max(state_sizes)}B run result={result}B")
        assert max(state_sizes) < MAX_PAYLOAD_BYTES
        assert result < MAX_PAYLOAD_BYTES
        assert get_job(http, job_id)["promoted"] is True
