"""Who is calling: API keys (stored as SHA-256 hashes) mapped to a user id and a role.

With no keys configured the API runs in open local mode: every caller is an
admin and `user_id` in a body is taken as given. The server says so at start.
Keys that are configured but unusable (an empty file, `[]`, a file that cannot be read
or parsed) stop the API from starting: falling back to open mode there would make every
caller an admin on a server its operator meant to protect.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

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


class KeysConfigError(ValueError):
    """The configured keys cannot be used; the message says which setting and why."""


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
        """The keys of the file (which wins) or the variable; neither set means open mode."""
        if settings.api_keys_file:
            source = f"SKILL_FLEET_API_KEYS_FILE ({settings.api_keys_file})"
            try:
                raw = Path(settings.api_keys_file).read_text()
            except OSError as err:
                raise KeysConfigError(f"{source} cannot be read: {err.strerror or err}") from None
        elif settings.api_keys is not None:
            source, raw = "SKILL_FLEET_API_KEYS", settings.api_keys
        else:
            return cls([])
        keys = cls(_parse_entries(raw, source))
        if not keys.configured:
            raise KeysConfigError(
                f"{source} holds no keys. Refusing to start: without keys every caller "
                "would be an admin. Add an entry (python -m api.auth generate USER [ROLE] "
                "prints one) or unset the setting to run in open local mode on loopback."
            )
        return keys

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


def _parse_entries(raw: str, source: str) -> list[ApiKeyEntry]:
    """A JSON list of entries, or `{"keys": [...]}`; anything else is a configuration error."""
    try:
        data = json.loads(raw) if raw.strip() else []
        entries = data.get("keys", None) if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise ValueError('expected a JSON list of entries or {"keys": [...]}')
        return TypeAdapter(list[ApiKeyEntry]).validate_python(entries)
    except ValidationError as err:
        where = ", ".join(".".join(map(str, e["loc"])) for e in err.errors()[:3])
        raise KeysConfigError(f"{source} has invalid entries ({where}): each needs "
                              "key_sha256 (64 hex), user_id and role user|admin") from None
    except ValueError as err:
        raise KeysConfigError(f"{source} is not valid: {err}") from None


async def get_caller(request: Request) -> Caller:
    """Async so FastAPI calls it on the event loop; it never blocks (a dict lookup)."""
    keys: ApiKeys = request.app.state.api_keys
    caller = keys.caller(request.headers.get("authorization"))
    request.state.user_id = caller.user_id
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


if __name__ == "__main__":
    from api.keys_cli import main

    raise SystemExit(main())
