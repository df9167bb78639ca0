"""A small typed HTTP client for the skill-fleet API.

Every failure becomes a `CliError` with the exit code scripts expect, so commands
never deal with HTTP status codes themselves. Bodies are parsed with the API's own
models, so the CLI and the server cannot drift apart silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError, connect_sse
from pydantic import BaseModel, TypeAdapter

from api.schemas import (
    AnswerResponse,
    CancelResponse,
    CreateJobWaitResponse,
    JobDetail,
    JobList,
    PromptResponse,
)
from cli.exits import CliError, ExitCode
from workflows.promotion_models import PromoteResult

DEFAULT_API_URL = "http://127.0.0.1:8000"
API = "/api/v2"
# Starlette's body for a path no route matches (as opposed to "job not found").
NO_ROUTE = "Not Found"


class SkillEntry(BaseModel):
    taxonomy_path: str
    name: str
    description: str = ""
    path: str = ""


class ApiError(CliError):
    """An HTTP error answer, kept with its status and the server's reason."""

    def __init__(self, message: str, code: ExitCode, *, status: int, reason: str | None = None,
                 request_id: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, code, hint=hint)
        self.status = status
        self.reason = reason
        self.request_id = request_id


def api_url_from_env() -> str:
    return os.environ.get("SKILL_FLEET_API_URL") or DEFAULT_API_URL


class ApiClient:
    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        """`transport` replaces the network (httpx's own seam): tests pass an in-process API."""
        self.base_url = (base_url or api_url_from_env()).rstrip("/")
        headers = {"Accept": "application/json", "User-Agent": "skill-fleet-cli"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._has_key = bool(api_key)
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout,
                                  transport=transport)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ jobs

    def create_job(self, task: str, *, user_id: str | None = None, confirm: bool = False,
                   preview: bool = False, review: bool = False,
                   hitl_timeout_seconds: float | None = None,
                   on_hitl_timeout: str | None = None,
                   wait: float = 0, idempotency_key: str | None = None) -> CreateJobWaitResponse:
        """Create the job. With `wait` (seconds, at most 60) the server holds the reply until
        the job's first prompt exists (in `prompt`) or the job ended: no polling for it.
        The same `idempotency_key` with the same fields names the same job."""
        body: dict[str, Any] = {
            "task_description": task,
            "enable_hitl_confirm": confirm,
            "enable_hitl_preview": preview,
            "enable_hitl_review": review,
        }
        if user_id:
            body["user_id"] = user_id
        if hitl_timeout_seconds is not None:
            body["hitl_timeout_seconds"] = hitl_timeout_seconds
        if on_hitl_timeout:
            body["on_hitl_timeout"] = on_hitl_timeout
        extra: dict[str, Any] = {}
        if idempotency_key:
            extra["headers"] = {"Idempotency-Key": idempotency_key}
        if wait:  # the reply comes up to `wait` s later; the read timeout comes on top
            t = self._http.timeout
            extra["params"] = {"wait": wait}
            extra["timeout"] = httpx.Timeout(connect=t.connect, read=(t.read or 30.0) + wait,
                                             write=t.write, pool=t.pool)
        r = self._request("POST", "/skills/create", json=body, **extra)
        return CreateJobWaitResponse.model_validate(r.json())

    def list_jobs(self, *, status: str | None = None, user_id: str | None = None,
                  phase: str | None = None, page_size: int = 50,
                  page_token: str | None = None) -> JobList:
        params = {"status": status, "user_id": user_id, "phase": phase,
                  "page_size": page_size, "page_token": page_token}
        r = self._request("GET", "/jobs", params={k: v for k, v in params.items() if v})
        return JobList.model_validate(r.json())

    def job(self, job_id: str) -> JobDetail:
        r = self._request("GET", f"/jobs/{job_id}", job_id=job_id)
        return JobDetail.model_validate(r.json())

    def cancel(self, job_id: str) -> CancelResponse:
        r = self._request("POST", f"/jobs/{job_id}/cancel", job_id=job_id)
        return CancelResponse.model_validate(r.json())

    # ------------------------------------------------------------------ checkpoints

    def prompt(self, job_id: str) -> PromptResponse:
        r = self._request("GET", f"/hitl/{job_id}/prompt", job_id=job_id)
        return PromptResponse.model_validate(r.json())

    def respond(self, job_id: str, body: dict[str, Any]) -> AnswerResponse:
        r = self._request("POST", f"/hitl/{job_id}/response", json=body, job_id=job_id)
        return AnswerResponse.model_validate(r.json())

    # ------------------------------------------------------------------ drafts and skills

    def promote(self, job_id: str, *, overwrite: bool = True, delete_draft: bool = False,
                force: bool = False) -> PromoteResult:
        try:
            r = self._request("POST", f"/drafts/{job_id}/promote", job_id=job_id,
                              json={"overwrite": overwrite, "delete_draft": delete_draft,
                                    "force": force})
        except ApiError as err:
            if err.status == 400 and err.code is ExitCode.USAGE:
                err.code = ExitCode.CONFLICT  # the job is not (or no longer) promotable
            raise
        return PromoteResult.model_validate(r.json())

    def skills(self) -> list[SkillEntry]:
        r = self._request("GET", "/skills")
        body = r.json()
        items = body.get("skills", body) if isinstance(body, dict) else body
        return TypeAdapter(list[SkillEntry]).validate_python(items)

    # ------------------------------------------------------------------ events

    @contextmanager
    def event_stream(self, job_id: str, last_event_id: int,
                     *, read_timeout: float = 60.0) -> Iterator[EventSource]:
        """The open SSE stream; heartbeats keep `read_timeout` from firing on a quiet job."""
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id else {}
        timeout = httpx.Timeout(10.0, read=read_timeout)
        try:
            with connect_sse(self._http, "GET", f"{API}/jobs/{job_id}/events",
                             headers=headers, timeout=timeout) as source:
                if source.response.status_code >= 400:
                    source.response.read()
                    raise self._error(source.response, job_id)
                yield source
        except SSEError as err:  # a 200 that is not an event stream (a proxy's page?)
            raise CliError(f"the API at {self.base_url} did not answer with an event stream: "
                           f"{err}", ExitCode.UNREACHABLE) from err
        except httpx.TransportError as err:
            raise self._transport_error(err) from err

    # ------------------------------------------------------------------ plumbing

    def _request(self, method: str, path: str, *, job_id: str | None = None,
                 **kwargs: Any) -> httpx.Response:
        try:
            r = self._http.request(method, f"{API}{path}", **kwargs)
        except httpx.TransportError as err:
            raise self._transport_error(err) from err
        if r.status_code >= 400:
            raise self._error(r, job_id)
        return r

    def _transport_error(self, err: httpx.TransportError) -> CliError:
        if isinstance(err, httpx.TimeoutException) and not isinstance(err, httpx.ConnectTimeout):
            return CliError(f"the skill-fleet API at {self.base_url} did not answer in time",
                            ExitCode.UNREACHABLE)
        return CliError(
            f"cannot reach the skill-fleet API at {self.base_url} — is it running? "
            "start it with `make run`",
            ExitCode.UNREACHABLE,
            hint="set SKILL_FLEET_API_URL if it runs elsewhere",
        )

    def _error(self, r: httpx.Response, job_id: str | None) -> ApiError:
        try:
            body = r.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        server = str(body.get("error") or r.reason_phrase or "error")
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        reason = details.get("reason") if details else None
        extra: dict[str, Any] = {"status": r.status_code, "reason": reason,
                                 "request_id": body.get("request_id")}
        status = r.status_code
        if status == 401:
            hint = ("set SKILL_FLEET_API_KEY" if not self._has_key
                    else "check SKILL_FLEET_API_KEY")
            return ApiError(f"the API key was refused: {server}", ExitCode.AUTH, hint=hint,
                            **extra)
        if status == 403:
            return ApiError(f"not allowed: {server}", ExitCode.AUTH, **extra)
        if status in (404, 405):
            if server in (NO_ROUTE, "Method Not Allowed"):
                message = (f"this API server has no {r.request.method} {r.request.url.path} "
                           "endpoint (is it older than the CLI?)")
            else:
                message = f"no such job: {job_id}" if job_id else server
            return ApiError(message, ExitCode.NOT_FOUND, **extra)
        if status == 409:
            return ApiError(server, ExitCode.CONFLICT, **extra)
        if status >= 500:
            return ApiError(f"the API at {self.base_url} is unavailable: {server}",
                            ExitCode.UNREACHABLE, **extra)
        if reason == "validation_failed":
            return ApiError(server, ExitCode.FAILED, **extra)
        if reason in ("not_completed", "no_draft"):
            return ApiError(server, ExitCode.CONFLICT, **extra)
        return ApiError(server, ExitCode.USAGE, **extra)
