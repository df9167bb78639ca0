"""Webhook delivery: a signed POST per job event and receiver, retried by Temporal.

Two kinds of receiver. The operator's (SKILL_FLEET_WEBHOOK_URL) is known only to the
worker: jobs name it, never carry it. A job's own `webhook_url` is a user's choice, so its
host must be allow-listed and its addresses public (`webhook_policy`). Every exchange is
bounded the same way: no redirects, short timeouts, at most RESPONSE_READ_LIMIT bytes of
the answer read. Receivers deduplicate by event id: delivery is at least once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
import time
from collections.abc import Sequence

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.webhook_policy import (
    REFUSED,
    REFUSED_TYPE,
    Resolver,
    WebhookRefused,
    checked_addresses,
    system_resolve,
)
from common.webhook_hosts import host_allowed
from workflows.models import WebhookInput
from workflows.names import ACTIVITY_DELIVER_WEBHOOK

SIGNATURE_HEADER = "X-SkillFleet-Signature"
TIMESTAMP_HEADER = "X-SkillFleet-Timestamp"
EVENT_ID_HEADER = "X-SkillFleet-Event-Id"
# Client errors other than these mean the receiver will never take this body.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})
# A receiver's answer matters only by its status: read little, so none can hold the worker.
RESPONSE_READ_LIMIT = 1024
CONNECT_TIMEOUT_SECONDS = 3.0
# The whole exchange, a slow trickle of bytes included (the activity allows 15 s).
TOTAL_TIMEOUT_SECONDS = 10.0


def webhook_body(request: WebhookInput) -> bytes:
    """The exact bytes that are signed and sent: the same on every attempt."""
    payload = {
        "event_id": f"{request.job_id}:{request.event.seq}",
        "job_id": request.job_id,
        "user_id": request.user_id,
        "status": request.status.value,
        "phase": request.phase.value,
        "event": request.event.model_dump(mode="json"),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def sign(body: bytes, secrets: Sequence[str], timestamp: int) -> str:
    """`sha256=<hex>` per secret, comma-separated, over `<timestamp>.<body>`.

    The timestamp lets a receiver refuse old deliveries (replays); one signature per
    secret lets it keep verifying while the operator rotates to the next secret.
    """
    signed = f"{timestamp}.".encode() + body
    return ",".join("sha256=" + hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()
                    for s in secrets)


def signed_headers(request: WebhookInput, body: bytes, secrets: Sequence[str],
                   timestamp: int) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: f"{request.job_id}:{request.event.seq}",
        TIMESTAMP_HEADER: str(timestamp),
        "User-Agent": "skill-fleet-webhooks",
    }
    if secrets:
        headers[SIGNATURE_HEADER] = sign(body, secrets, timestamp)
    return headers


async def post(url: str, body: bytes, headers: dict[str, str], *,
               addresses: Sequence[str] | None = None,
               total_seconds: float = TOTAL_TIMEOUT_SECONDS,
               verify: ssl.SSLContext | bool = True) -> int:
    """POST once, read at most RESPONSE_READ_LIMIT bytes back, and return the status.

    With `addresses` the connection goes only to those (already checked) IPs, in order,
    while the Host header, TLS SNI and the certificate check keep the URL's name; no
    proxy from the environment is used then, since it would connect somewhere else.
    `verify` is httpx's (tests pass a context that trusts their own CA).
    """
    target = httpx.URL(url)
    tries: list[str | None] = [None] if addresses is None else list(addresses)
    limits = httpx.Timeout(total_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, total_seconds))
    async with asyncio.timeout(total_seconds), httpx.AsyncClient(
        timeout=limits, follow_redirects=False, trust_env=addresses is None, verify=verify,
    ) as client:
        for n, address in enumerate(tries, start=1):
            try:
                return await _exchange(client, target, body, headers, address)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if n == len(tries):
                    raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _exchange(client: httpx.AsyncClient, target: httpx.URL, body: bytes,
                    headers: dict[str, str], address: str | None) -> int:
    url, extensions, headers = target, {}, dict(headers)
    if address is not None:
        url = target.copy_with(host=address)
        headers["Host"] = target.netloc.decode("ascii")
        if target.scheme == "https":
            extensions["sni_hostname"] = target.raw_host.decode("ascii")
    async with client.stream("POST", url, content=body, headers=headers,
                             extensions=extensions) as response:
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= RESPONSE_READ_LIMIT:
                break
        return response.status_code


class WebhookActivities:
    def __init__(self, *, secrets: Sequence[str] = (), operator_url: str | None = None,
                 allowed_hosts: Sequence[str] = (),
                 timeout_seconds: float = TOTAL_TIMEOUT_SECONDS,
                 resolve: Resolver = system_resolve) -> None:
        self._secrets = list(secrets)
        self._operator_url = operator_url or None
        self._allowed_hosts = tuple(allowed_hosts)
        self._timeout = timeout_seconds
        self._resolve = resolve

    @activity.defn(name=ACTIVITY_DELIVER_WEBHOOK)
    async def deliver_webhook(self, request: WebhookInput) -> None:
        url, trusted = self._receiver(request)
        if url is None:
            activity.logger.warning("Event not delivered: the job names the operator's webhook "
                                    "receiver, but this worker has no SKILL_FLEET_WEBHOOK_URL")
            return
        addresses = None if trusted else await self._checked(url)
        body = webhook_body(request)
        headers = signed_headers(request, body, self._secrets, int(time.time()))
        try:
            status = await post(url, body, headers, addresses=addresses,
                                total_seconds=self._timeout)
        except (httpx.HTTPError, OSError) as err:
            # TimeoutError is an OSError. A job's own receiver gets no detail (port scans).
            detail = f": {type(err).__name__}" if trusted else ""
            raise ApplicationError(f"Webhook not reachable{detail}",
                                   type="WebhookUnreachable") from (err if trusted else None)
        if 200 <= status < 300:
            return
        retryable = status >= 500 or status in RETRYABLE_4XX
        note = " (redirects are not followed)" if 300 <= status < 400 else ""
        raise ApplicationError(f"Webhook answered {status}{note}", type="WebhookRejected",
                               non_retryable=not retryable)

    def _receiver(self, request: WebhookInput) -> tuple[str | None, bool]:
        """The URL to POST to, and whether it is the operator's own (trusted)."""
        if request.target == "operator":
            return self._operator_url, True
        if self._operator_url and request.url == self._operator_url:
            # Jobs started before the operator's URL stopped being copied into each job.
            return request.url, True
        return request.url, False

    async def _checked(self, url: str) -> list[str]:
        """The checked addresses of a job's own receiver, or a refusal without details."""
        try:
            parsed = httpx.URL(url)
            host = parsed.raw_host.decode("ascii")  # punycode, as the allow-list has it
            if parsed.scheme not in ("http", "https") or not host_allowed(
                    host, self._allowed_hosts):
                raise WebhookRefused("host not in SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS")
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            return await checked_addresses(host, port, self._resolve)
        except (WebhookRefused, httpx.InvalidURL) as refused:
            reason = getattr(refused, "reason", "invalid URL")
            activity.logger.warning("A job's own webhook receiver was refused by policy: %s",
                                    reason)
            raise ApplicationError(REFUSED, type=REFUSED_TYPE, non_retryable=True) from None
        except OSError:
            raise ApplicationError("Webhook not reachable",
                                   type="WebhookUnreachable") from None
