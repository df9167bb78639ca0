"""Idempotent job creation: the same key from the same user names the same workflow id.

Temporal's workflow-id conflict policy then does the deduplication, across API
instances and restarts, with no table of our own.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from api.errors import ApiError
from api.schemas import CreateJobRequest

MAX_KEY_LENGTH = 200


def job_id_for(owner: str, key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(422, f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters.")
    digest = hashlib.sha256(f"{owner}\n{key}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def fingerprint(owner: str, body: CreateJobRequest) -> str:
    canonical = json.dumps({"owner": owner, **body.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
