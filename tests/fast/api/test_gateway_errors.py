"""Temporal's failures become the right HTTP answers, through the real JobGateway.

Unreachable or slow Temporal is a quick 503 with a message (never a 500 or a hang);
a workflow's refusal keeps its status and reason; a job that is gone is a 409 or 404.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCStatusCode

from api.refusal_status import PROMOTE_REFUSAL_STATUS, REFUSAL_STATUS, REWIND_REFUSAL_STATUS
from tests.fast.api.checks import error_body
from tests.fast.api.harness import Api
from tests.fast.api.samples import API, TASK, job_view
from tests.fast.api.temporal_stub import TIMED_OUT, UNREACHABLE, StubTemporal, rpc_error
from workflows import names
from workflows.models import JobStatus


def refused(kind: str, message: str = "refused by the workflow") -> WorkflowUpdateFailedError:
    return WorkflowUpdateFailedError(ApplicationError(message, type=kind, non_retryable=True))


@pytest.fixture
def job_id(temporal: StubTemporal) -> str:
    """A job of alice's, waiting at a confirm prompt."""
    return temporal.add(job_view()).view.job_id


# (method, path template, body, operation that fails)
CALLS: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/jobs/{}", None, "describe"),
    ("GET", "/hitl/{}/prompt", None, "describe"),
    ("GET", "/drafts/{}", None, "describe"),
    ("GET", "/jobs/{}/events?format=json", None, "query"),
    ("POST", "/hitl/{}/response", {"prompt_id": 1}, "update"),
    ("POST", "/jobs/{}/rewind", {"to": "generation"}, "update"),
    ("POST", "/jobs/{}/cancel", None, "cancel"),
    ("POST", "/skills/create", {"task_description": TASK}, "count"),
    ("POST", "/skills/create", {"task_description": TASK}, "start"),
    ("GET", "/jobs", None, "fetch_page"),
    ("GET", "/hitl/pending", None, "fetch_page"),
]


@pytest.mark.parametrize(("failure", "message"), [
    (UNREACHABLE, "Temporal is not reachable: connection refused"),
    (TIMED_OUT, "Temporal did not answer in time: deadline exceeded"),
], ids=["unreachable", "timeout"])
@pytest.mark.parametrize(("method", "path", "body", "op"), CALLS, ids=lambda v: str(v)[:24])
async def test_temporal_unavailable_is_503_with_a_message(
    real_api: Api, temporal: StubTemporal, job_id: str, failure: Exception, message: str,
    method: str, path: str, body: dict[str, Any] | None, op: str
) -> None:
    temporal.fail[op] = failure
    temporal.worker_seen_at = time.time()  # a worker polls: a timeout is Temporal's
    r = await real_api.http.request(method, API + path.format(job_id), json=body)
    if op == "query" and failure is TIMED_OUT:  # only a worker answers a query
        message = "The worker did not answer in time; retry: deadline exceeded"
    assert error_body(r, 503)["error"] == message
    assert op in temporal.ops()


@pytest.mark.parametrize(("failure", "status", "message"), [
    (rpc_error(RPCStatusCode.RESOURCE_EXHAUSTED, "busy"), 503,
     "Temporal failed the request (RESOURCE_EXHAUSTED); retry: busy"),
    (rpc_error(RPCStatusCode.INVALID_ARGUMENT, "invalid search attribute: SkillJobUser"), 503,
     "Temporal namespace misconfigured: invalid search attribute: SkillJobUser. An operator "
     "must fix the namespace (`skill-fleet setup`)."),
    (rpc_error(RPCStatusCode.PERMISSION_DENIED, "no"), 500,
     "Temporal refused the request (PERMISSION_DENIED): no. This is a configuration "
     "problem of the API's connection; see its log."),
], ids=["transient", "namespace", "refused"])
async def test_other_temporal_failures(real_api: Api, temporal: StubTemporal,
                                       failure: Exception, status: int, message: str) -> None:
    """A refusal of the API itself is a configuration error (500), never 'unreachable'."""
    temporal.fail["start"] = failure
    r = await real_api.http.post(f"{API}/skills/create", json={"task_description": TASK})
    assert error_body(r, status)["error"] == message


NAMESPACE_GONE = rpc_error(RPCStatusCode.NOT_FOUND, "Namespace nope is not found.")


@pytest.mark.parametrize(("method", "path", "body", "op"),
                         [c for c in CALLS if c[3] in {"describe", "query", "update", "cancel"}],
                         ids=lambda v: str(v)[:24])
async def test_a_missing_namespace_is_not_a_missing_job(
    real_api: Api, temporal: StubTemporal, job_id: str,
    method: str, path: str, body: dict[str, Any] | None, op: str
) -> None:
    """Temporal answers NOT_FOUND for a namespace deleted after the API's start check too
    (the message is the dev server's): every job must not read as 404 or 409 then."""
    temporal.fail[op] = NAMESPACE_GONE
    r = await real_api.http.request(method, API + path.format(job_id), json=body)
    assert error_body(r, 503)["error"].startswith(
        "Temporal namespace misconfigured: Namespace nope is not found.")


async def test_a_query_with_no_worker_polling_says_so(real_api: Api, temporal: StubTemporal,
                                                      job_id: str) -> None:
    temporal.fail["query"] = TIMED_OUT
    r = await real_api.http.get(f"{API}/jobs/{job_id}/events", params={"format": "json"})
    assert error_body(r, 503)["error"].startswith(
        "No worker is polling task queue 'skill-fleet-fast': start one")
    assert ("describe_task_queue", real_api.settings.task_queue) in temporal.calls


async def test_health_follows_temporal_and_config_does_not(real_api: Api,
                                                          temporal: StubTemporal) -> None:
    for path in ("/health", f"{API}/health"):
        r = await real_api.http.get(path)
        assert (r.status_code, r.json()) == (200, {"status": "ok", "temporal": "reachable"})
    temporal.fail["system_info"] = UNREACHABLE
    for path in ("/health", f"{API}/health"):
        r = await real_api.http.get(path)
        assert (r.status_code, r.json()) == (503, {"status": "degraded",
                                                   "temporal": "unreachable"})
    assert (await real_api.http.get(f"{API}/hitl/config")).status_code == 200


@pytest.mark.parametrize(("kind", "status"), [*REFUSAL_STATUS.items(), ("other", 409)])
async def test_answer_refusals_keep_status_and_reason(
    real_api: Api, temporal: StubTemporal, job_id: str, kind: str, status: int
) -> None:
    temporal.fail["update"] = refused(kind, "Prompt 9 is not the pending prompt.")
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response", json={"prompt_id": 9})
    body = error_body(r, status)
    if kind == "other":
        assert body["error"].startswith("The answer was not applied: ")
        assert "details" not in body
    else:
        assert body["error"] == "Prompt 9 is not the pending prompt."
        assert body["details"] == {"reason": kind}


async def test_an_answer_no_worker_took_is_503_naming_its_response_id(
    real_api: Api, temporal: StubTemporal, job_id: str
) -> None:
    temporal.fail["update"] = WorkflowUpdateRPCTimeoutOrCancelledError()
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response",
                                 json={"prompt_id": 1, "response_id": "r-7"})
    body = error_body(r, 503)
    assert "retry with the same response_id" in body["error"]
    assert body["details"] == {"response_id": "r-7"}


async def test_an_answer_to_a_job_that_just_ended_is_409(
    real_api: Api, temporal: StubTemporal, job_id: str
) -> None:
    temporal.fail["update"] = rpc_error(RPCStatusCode.NOT_FOUND)
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response", json={"prompt_id": 1})
    assert error_body(r, 409)["error"] == "The job has already finished."


@pytest.mark.parametrize(("status", "view_status"), [
    (WorkflowExecutionStatus.CANCELED, JobStatus.CANCELLED),
    (WorkflowExecutionStatus.TERMINATED, JobStatus.PENDING_HITL),
    (WorkflowExecutionStatus.COMPLETED, JobStatus.FAILED),
])
async def test_writes_to_a_finished_job_are_409_and_send_nothing(
    real_api: Api, temporal: StubTemporal, status: WorkflowExecutionStatus,
    view_status: JobStatus
) -> None:
    job_id = temporal.add(job_view(status=view_status), status=status).view.job_id
    for path, body in (("/hitl/{}/response", {"prompt_id": 1}),
                       ("/jobs/{}/rewind", {"to": "generation"}), ("/jobs/{}/cancel", None)):
        r = await real_api.http.post(API + path.format(job_id), json=body)
        assert error_body(r, 409)["error"].startswith("The job has already finished (")
    # The answer goes straight to the update, which a closed run refuses (NOT_FOUND); the
    # describe after it says why. Rewind and cancel read the job first.
    updates = [c for c in temporal.calls if c[0] == "update"]
    assert [c[2] for c in updates] == [names.UPDATE_SUBMIT_HITL_RESPONSE]
    assert set(temporal.ops()) == {"describe", "update"}


async def test_an_answer_to_a_completed_job_still_open_is_sent(
    real_api: Api, temporal: StubTemporal
) -> None:
    """A retry of the answer that finished the job must get its original outcome."""
    job_id = temporal.add(job_view(status=JobStatus.COMPLETED)).view.job_id
    r = await real_api.http.post(f"{API}/hitl/{job_id}/response", json={"prompt_id": 1})
    assert r.status_code == 200 and "update" in temporal.ops()


@pytest.mark.parametrize(("kind", "status"), [*REWIND_REFUSAL_STATUS.items(), ("other", 409)])
async def test_rewind_refusals(real_api: Api, temporal: StubTemporal, job_id: str, kind: str,
                               status: int) -> None:
    temporal.fail["update"] = refused(kind)
    body = error_body(await real_api.http.post(f"{API}/jobs/{job_id}/rewind",
                                               json={"to": "generation"}), status)
    assert body.get("details") == (None if kind == "other" else {"reason": kind})


async def test_a_rewind_no_worker_took_is_503(real_api: Api, temporal: StubTemporal,
                                              job_id: str) -> None:
    temporal.fail["update"] = WorkflowUpdateRPCTimeoutOrCancelledError()
    r = await real_api.http.post(f"{API}/jobs/{job_id}/rewind", json={"to": "generation"})
    assert "No worker took the rewind" in error_body(r, 503)["error"]


# (refusal type the worker sends, status, `details.reason` clients have always read)
PROMOTE_REFUSALS = [
    ("not_completed", 400, "not_completed"),
    ("no_draft", 400, "no_draft"),
    ("validation_failed", 400, "validation_failed"),
    ("promotion_in_progress", 409, "promotion_in_progress"),
    ("target_exists", 409, "TargetExists"),
    ("name_taken", 409, "NameTaken"),
    ("not_owner", 403, "NotOwner"),
    ("unsafe_path", 422, "UnsafePath"),
]
# A worker of the previous version (rolling deploy) sends the published CamelCase name itself.
PROMOTE_REFUSALS += [(reason, status, reason) for kind, status, reason in PROMOTE_REFUSALS
                     if kind != reason]


def test_every_promote_refusal_is_covered() -> None:
    assert set(PROMOTE_REFUSAL_STATUS) == {kind for kind, _, _ in PROMOTE_REFUSALS}


@pytest.mark.parametrize(("kind", "status", "reason"), [*PROMOTE_REFUSALS, ("other", 409, None)])
async def test_promote_refusals(real_api: Api, temporal: StubTemporal, kind: str,
                                status: int, reason: str | None) -> None:
    job_id = temporal.add(job_view(status=JobStatus.COMPLETED)).view.job_id
    temporal.fail["update"] = refused(kind)
    body = error_body(await real_api.http.post(f"{API}/drafts/{job_id}/promote"), status)
    assert body.get("details") == (None if reason is None else {"reason": reason})


async def test_promote_a_job_whose_window_closed_or_never_opened(
    real_api: Api, temporal: StubTemporal
) -> None:
    done = job_view(status=JobStatus.COMPLETED, promoted=True, final_path="dev/x")
    closed = temporal.add(done, status=WorkflowExecutionStatus.COMPLETED).view.job_id
    r = await real_api.http.post(f"{API}/drafts/{closed}/promote")
    assert "promotion window of this job has closed" in error_body(r, 409)["error"]
    failed = temporal.add(job_view(status=JobStatus.FAILED),
                          status=WorkflowExecutionStatus.COMPLETED).view.job_id
    r = await real_api.http.post(f"{API}/drafts/{failed}/promote")
    assert error_body(r, 400)["error"].startswith("The job is failed;")
    assert "update" not in temporal.ops()


async def test_a_promotion_no_worker_took_is_503(real_api: Api, temporal: StubTemporal) -> None:
    job_id = temporal.add(job_view(status=JobStatus.COMPLETED)).view.job_id
    temporal.fail["update"] = WorkflowUpdateRPCTimeoutOrCancelledError()
    r = await real_api.http.post(f"{API}/drafts/{job_id}/promote")
    assert error_body(r, 503)["error"] == "No worker took the promotion in time; retry."


async def test_cancel_of_a_job_that_just_ended_is_409(real_api: Api, temporal: StubTemporal,
                                                      job_id: str) -> None:
    temporal.fail["cancel"] = rpc_error(RPCStatusCode.NOT_FOUND)
    r = await real_api.http.post(f"{API}/jobs/{job_id}/cancel")
    assert error_body(r, 409)["error"] == "The job has already finished."


@pytest.mark.parametrize("where", ["/jobs", "/hitl/pending"])
async def test_visibility_refusing_a_query_is_400(real_api: Api, temporal: StubTemporal,
                                                  where: str) -> None:
    temporal.fail["fetch_page"] = rpc_error(RPCStatusCode.INVALID_ARGUMENT)
    r = await real_api.http.get(API + where)
    assert error_body(r, 400)["error"] == "Invalid page token or filter."


async def test_a_job_ended_outside_the_workflow_reads_truthfully(
    real_api: Api, temporal: StubTemporal
) -> None:
    job_id = temporal.add(job_view(), status=WorkflowExecutionStatus.TERMINATED).view.job_id
    job = (await real_api.http.get(f"{API}/jobs/{job_id}")).json()
    assert (job["status"], job["prompt"]) == ("cancelled", None)
    assert job["error"] == "Workflow ended as terminated outside the job."


async def test_a_workflow_of_another_type_is_not_a_job(real_api: Api,
                                                       temporal: StubTemporal) -> None:
    job_id = temporal.add(job_view(), workflow_type="SomethingElse").view.job_id
    error_body(await real_api.http.get(f"{API}/jobs/{job_id}"), 404)
