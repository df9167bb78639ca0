"""Who is calling: API keys (stored as SHA-256 hashes) mapped to a user id and a role.

With no keys configured the API refuses to start unless SKILL_FLEET_OPEN_MODE=1 asks for
open local mode: every caller is an admin and `user_id` in a body is taken as given, and
api/local_guard.py admits only loopback clients and localhost Host headers.
Keys that are configured but unusable (an empty file, `[]`, a file that cannot be read
or parsed) stop the API from starting: falling back to open mode there would make every
caller an admin on a server its operator meant to protect. A keys file is re-read while
the API runs (api/keys_reload.py), so a key is revoked by removing its entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Protocol

from fastapi import Depends, Request
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from api.errors import ApiError
from common.job_terms import USER_ID_PATTERN
from common.settings import Settings

log = logging.getLogger("skill_fleet.api")

Role = Literal["user", "admin"]


class ApiKeyEntry(BaseModel):
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    user_id: str = Field(pattern=USER_ID_PATTERN)
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


NO_KEYS = (
    "No API keys configured. Refusing to start: without keys every caller would be an "
    "admin. Set SKILL_FLEET_API_KEYS_FILE (or SKILL_FLEET_API_KEYS) to a JSON list of "
    "entries (python -m api.keys_cli generate USER [ROLE] prints one), or set "
    "SKILL_FLEET_OPEN_MODE=1 to run in open local mode (loopback clients only)."
)


def keys_requested(settings: Settings) -> bool:
    """Whether either keys setting is given (usable or not: that is checked at start)."""
    return bool(settings.api_keys_file) or settings.api_keys is not None


def runs_open(settings: Settings) -> bool:
    """Open local mode: asked for, and no keys setting given (keys always win)."""
    return settings.open_mode and not keys_requested(settings)


class ApiKeys:
    def __init__(self, entries: list[ApiKeyEntry], *, open_mode: bool = False) -> None:
        self._by_hash = {e.key_sha256: e for e in entries}
        self.open_mode = open_mode

    @property
    def configured(self) -> bool:
        """Keys guard the API (possibly none left after a reload: then nobody gets in)."""
        return not self.open_mode

    def __len__(self) -> int:
        return len(self._by_hash)

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiKeys:
        """The keys of the file (which wins) or the variable; with neither, open local mode
        if SKILL_FLEET_OPEN_MODE asks for it, else a KeysConfigError."""
        if not keys_requested(settings):
            if settings.open_mode:
                return cls([], open_mode=True)
            raise KeysConfigError(NO_KEYS)
        if settings.api_keys_file:
            source = f"SKILL_FLEET_API_KEYS_FILE ({settings.api_keys_file})"
            raw = read_keys_file(Path(settings.api_keys_file), source)
        else:
            source, raw = "SKILL_FLEET_API_KEYS", settings.api_keys or ""
        keys = cls(parse_entries(raw, source))
        if not keys:
            raise KeysConfigError(
                f"{source} holds no keys. Refusing to start: without keys every caller "
                "would be an admin. Add an entry (python -m api.keys_cli generate USER [ROLE] "
                "prints one), or unset it and set SKILL_FLEET_OPEN_MODE=1 for open local "
                "mode on loopback."
            )
        return keys

    def caller(self, authorization: str | None) -> Caller:
        if self.open_mode:
            return OPEN_CALLER
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Missing API key: send 'Authorization: Bearer <key>'.")
        entry = self._by_hash.get(hash_key(token.strip()))
        if entry is None:
            raise ApiError(401, "Invalid API key.")
        return Caller(user_id=entry.user_id, role=entry.role)

    def caller_by_hash(self, key_sha256: str) -> Caller | None:
        """The caller of a key known by its hash (a reviewer page session) while the key is
        still configured, else None: revoking a key ends its sessions too."""
        entry = self._by_hash.get(key_sha256)
        return None if entry is None else Caller(user_id=entry.user_id, role=entry.role)


def read_keys_file(path: Path, source: str) -> str:
    try:
        return path.read_text()
    except OSError as err:
        raise KeysConfigError(f"{source} cannot be read: {err.strerror or err}") from None


def parse_entries(raw: str, source: str) -> list[ApiKeyEntry]:
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


class CallerSource(Protocol):
    """ApiKeys, or api.keys_reload.ReloadingApiKeys over a keys file."""

    def caller(self, authorization: str | None) -> Caller: ...


async def get_caller(request: Request) -> Caller:
    """Async so FastAPI calls it on the event loop; it never blocks (a dict lookup, and
    at most once a second a stat of the keys file)."""
    keys: CallerSource = request.app.state.api_keys
    caller = keys.caller(request.headers.get("authorization"))
    request.state.user_id = caller.user_id
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


if __name__ == "__main__":
    # The key tool was `python -m api.auth`; it imports this module, so it is its own entry.
    raise SystemExit("The key tool is `python -m api.keys_cli generate USER [ROLE]` "
                     "(or `hash USER [ROLE]`).")
