"""Webhook delivery: a signed POST per job event, retried by Temporal, deduplicated by event id."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from workflows.models import WebhookInput
from workflows.names import ACTIVITY_DELIVER_WEBHOOK

SIGNATURE_HEADER = "X-SkillFleet-Signature"
EVENT_ID_HEADER = "X-SkillFleet-Event-Id"
# Client errors other than these mean the receiver will never take this body.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


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


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookActivities:
    def __init__(self, secret: str | None, timeout_seconds: float = 10.0) -> None:
        self._secret = secret
        self._timeout = timeout_seconds

    @activity.defn(name=ACTIVITY_DELIVER_WEBHOOK)
    async def deliver_webhook(self, request: WebhookInput) -> None:
        body = webhook_body(request)
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: f"{request.job_id}:{request.event.seq}",
            "User-Agent": "skill-fleet-webhooks",
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(body, self._secret)
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(request.url, content=body, headers=headers)
        except httpx.HTTPError as err:
            raise ApplicationError(f"Webhook not reachable: {type(err).__name__}",
                                   type="WebhookUnreachable") from err
        if response.is_success:
            return
        retryable = response.status_code >= 500 or response.status_code in RETRYABLE_4XX
        raise ApplicationError(
            f"Webhook answered {response.status_code}",
            type="WebhookRejected", non_retryable=not retryable,
        )
