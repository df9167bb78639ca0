"""Who is calling: API keys (stored as SHA-256 hashes) mapped to a user id and a role.

With no keys configured the API runs in open local mode: every caller is an
admin and `user_id` in a body is taken as given. The server says so at start.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, Field, TypeAdapter

from api.errors import ApiError
from common.settings import Settings

log = logging.getLogger("skill_fleet.api")

Role = Literal["user", "admin"]


class ApiKeyEntry(BaseModel):
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    user_id: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,128}$")
    role: Role = "user"


@dataclass(frozen=True)
class Caller:
    user_id: str | None  # None only in open mode
    role: Role
    open_mode: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def owner_scope(self) -> str | None:
        """The user whose jobs this caller may touch; None means all jobs."""
        return None if self.is_admin else self.user_id


OPEN_CALLER = Caller(user_id=None, role="admin", open_mode=True)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, entries: list[ApiKeyEntry]) -> None:
        self._by_hash = {e.key_sha256: e for e in entries}

    @property
    def configured(self) -> bool:
        return bool(self._by_hash)

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiKeys:
        raw: str | None = settings.api_keys
        if settings.api_keys_file:
            raw = Path(settings.api_keys_file).read_text()
        if not raw:
            return cls([])
        data = json.loads(raw)
        entries = data["keys"] if isinstance(data, dict) else data
        return cls(TypeAdapter(list[ApiKeyEntry]).validate_python(entries))

    def caller(self, authorization: str | None) -> Caller:
        if not self.configured:
            return OPEN_CALLER
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Missing API key: send 'Authorization: Bearer <key>'.")
        entry = self._by_hash.get(hash_key(token.strip()))
        if entry is None:
            raise ApiError(401, "Invalid API key.")
        return Caller(user_id=entry.user_id, role=entry.role)


async def get_caller(request: Request) -> Caller:
    """Async so FastAPI calls it on the event loop; it never blocks (a dict lookup)."""
    keys: ApiKeys = request.app.state.api_keys
    caller = keys.caller(request.headers.get("authorization"))
    request.state.user_id = caller.user_id
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def main() -> None:
    """`python -m api.auth KEY USER [ROLE]` prints a keys-file entry for a new key."""
    import sys

    key, user, *role = sys.argv[1:]
    print(json.dumps({"key_sha256": hash_key(key), "user_id": user,
                      "role": role[0] if role else "user"}))


if __name__ == "__main__":
    main()
