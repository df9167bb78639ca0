"""The Temporal Web UI as the operator console, checked through the UI server's own HTTP API.

No browser: the UI is a single-page app whose every view is a call to its server's
`/api/v1/...` routes, so this test makes those calls. The saved queries of
docs/operate.md must find the right jobs, the waiting job's current details must
carry the prompt Markdown, and the UI's Signal action must answer a prompt.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.processes import free_port, http_ok, wait_until
from devstack.temporal_server import TemporalDevServer, wait_for_namespace
from tests.loopback_server import LoopbackServer, QuietHandler
from tests.support import API, LocalStack, create_job, wait_job, wait_prompt, wait_status

NS = "default"
WAITING = "SkillJobHitlType IS NOT NULL"
WAITING_BY_STATUS = "SkillJobStatus IN ('pending_user_input','pending_hitl','pending_review')"
FAILED = "SkillJobStatus = 'failed'"
ESCALATED = "SkillJobAssignee = 'group:admins'"


def by_user(user: str) -> str:
    return f"SkillJobUser = '{user}'"


class RefusingLlm(LoopbackServer):
    """An OpenAI-compatible endpoint that rejects every key: the job fails, not retries."""

    def __init__(self) -> None:
        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.dumps({"error": {"message": "bad key", "type": "auth"}}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler, "/v1")


@pytest.fixture
def ui_stack(own_stack: LocalStack) -> Iterator[tuple[LocalStack, str]]:
    """A stack whose Temporal dev server also serves the Web UI."""
    ui_port = free_port()
    own_stack.server = TemporalDevServer(own_stack.db_file, own_stack.temporal_port, ui_port,
                                         log_path=own_stack.logs / "temporal.log")
    own_stack.server.start_and_wait()
    asyncio.run(wait_for_namespace(own_stack.address))
    ui = f"http://127.0.0.1:{ui_port}"
    wait_until(lambda: http_ok(ui), timeout=30, what="Temporal Web UI")
    yield own_stack, ui


class UiApi:
    """The calls the Web UI's pages make (reads are GETs; writes need its CSRF cookie)."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=f"{base}/api/v1/namespaces/{NS}", timeout=10)
        page = httpx.get(base, timeout=10)
        self.csrf = page.cookies.get("_csrf", "")
        self.http.cookies.set("_csrf", self.csrf)

    def list_ids(self, query: str) -> set[str]:
        r = self.http.get("/workflows", params={"query": query})
        assert r.status_code == 200, r.text
        return {e["execution"]["workflowId"] for e in r.json().get("executions", [])}

    def describe(self, job_id: str) -> dict[str, Any]:
        r = self.http.get(f"/workflows/{job_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def current_details(self, job_id: str) -> str:
        """What the 'User Metadata' tab shows: the `__temporal_workflow_metadata` query."""
        query = "__temporal_workflow_metadata"
        r = self.http.post(f"/workflows/{job_id}/query/{query}",
                           headers={"X-CSRF-TOKEN": self.csrf},
                           json={"execution": {"workflowId": job_id},
                                 "query": {"queryType": query}})
        assert r.status_code == 200, r.text
        payload = r.json()["queryResult"]["payloads"][0]
        return json.loads(base64.b64decode(payload["data"]))["currentDetails"]

    def signal(self, job_id: str, name: str, body: dict[str, Any]) -> httpx.Response:
        """The 'Send a Signal' dialog: one JSON payload, encoding json/plain."""
        payload = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                   "data": base64.b64encode(json.dumps(body).encode()).decode()}
        return self.http.post(f"/workflows/{job_id}/signal/{name}",
                              headers={"X-CSRF-TOKEN": self.csrf},
                              json={"workflowExecution": {"workflowId": job_id},
                                    "signalName": name, "input": {"payloads": [payload]}})


def search_attribute(description: dict[str, Any], name: str) -> Any:
    field = description["workflowExecutionInfo"]["searchAttributes"]["indexedFields"][name]
    return json.loads(base64.b64decode(field["data"]))


def eventually(check: Any, what: str) -> None:
    """Visibility is eventually consistent: poll a little."""
    wait_until(check, timeout=15, what=what)


def test_saved_queries_details_and_signal_through_the_ui(
        ui_stack: tuple[LocalStack, str]) -> None:
    stack, ui = ui_stack
    page = httpx.get(ui, timeout=10)
    assert page.status_code == 200 and "svelte" in page.text  # the UI's single-page app
    ui_api = UiApi(ui)

    [url] = stack.start_workers_and_apis(api_env={"SKILL_FLEET_HITL_ESCALATE_BEFORE": "59s"})
    [offline] = stack.workers
    with httpx.Client(base_url=url, timeout=30) as http:
        waiting = create_job(http, user_id="ui-alice", enable_hitl_confirm=True)
        prompt = wait_prompt(http, waiting, "confirm")
        # Its deadline is a minute away, so it is escalated to the admins within a second.
        escalated = create_job(http, user_id="ui-carol", enable_hitl_confirm=True,
                               hitl_timeout_seconds=60)
        wait_job(http, escalated, lambda j: (j.get("prompt") or {}).get("assignee")
                 == "group:admins", what="escalation")

        # The failing job needs an author that fails: swap the worker for one whose
        # model provider refuses its key (the waiting jobs need no activity meanwhile).
        offline.stop()
        refusing = RefusingLlm()
        try:
            stack.start_worker(SKILL_FLEET_MODEL="openai:ui-test",
                               SKILL_FLEET_LLM_BASE_URL=refusing.url,
                               SKILL_FLEET_LLM_API_KEY="not-a-real-key")
            failed = create_job(http, user_id="ui-bob")
            assert wait_status(http, failed, ["failed", "completed"])["status"] == "failed"
        finally:
            refusing.close()

        # The saved queries of docs/operate.md, as the Workflows page runs them.
        eventually(lambda: ui_api.list_ids(WAITING) == {waiting, escalated}, "waiting")
        eventually(lambda: ui_api.list_ids(WAITING_BY_STATUS) == {waiting, escalated},
                   "waiting by status")
        eventually(lambda: ui_api.list_ids(FAILED) == {failed}, "failed")
        eventually(lambda: ui_api.list_ids(by_user("ui-alice")) == {waiting}, "by user")
        eventually(lambda: ui_api.list_ids(ESCALATED) == {escalated}, "escalated")

        description = ui_api.describe(waiting)
        assert description["workflowExecutionInfo"]["status"] == \
            "WORKFLOW_EXECUTION_STATUS_RUNNING"
        assert search_attribute(description, "SkillJobStatus") == "pending_hitl"
        assert search_attribute(description, "SkillJobHitlType") == "confirm"

        details = ui_api.current_details(waiting)
        assert f"Waiting for a human: `confirm` (prompt {prompt['prompt_id']})" in details
        assert prompt["summary"] in details
        assert (f"temporal workflow signal --workflow-id {waiting} --name hitl_response "
                f"--input '{{\"prompt_id\": {prompt['prompt_id']}, \"action\": \"proceed\"}}'"
                ) in details

        # Answer from the UI: the Signal action with the JSON the details show.
        sent = ui_api.signal(waiting, "hitl_response",
                             {"prompt_id": prompt["prompt_id"], "action": "proceed"})
        assert sent.status_code == 200, sent.text
        job = wait_job(http, waiting, lambda j: j["prompt"] is None or
                       j["status"] in ("failed", "completed"), what="answer applied")
        events = http.get(f"{API}/jobs/{waiting}/events", params={"format": "json"})
        assert events.status_code == 200, events.text
        assert any(e["kind"] == "answer_accepted" and e["data"]["source"] == "signal"
                   for e in events.json()["events"]), job
    ui_api.http.close()
