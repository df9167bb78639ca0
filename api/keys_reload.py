"""API keys that follow their file: a removed entry stops working within about a second.

The API stats SKILL_FLEET_API_KEYS_FILE at most once per `interval` (on a request, on the
event loop: a stat is microseconds) and re-reads it when its modification time, size or
inode change, so an edit in place and an atomic rename are both seen (while the mtime is
under 2 s old the file is read anyway: two writes of one size within a filesystem timestamp
tick share a stamp). A file that becomes
unreadable, empty or malformed (half-written, a typo) keeps the keys loaded before and logs
an error: a broken file never opens the API and never locks everyone out by accident. A
file holding `[]` is a valid choice: every key is revoked and every request gets 401.
Keys given in SKILL_FLEET_API_KEYS (a variable) are fixed for the life of the process.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from api.auth import ApiKeys, Caller, KeysConfigError, parse_entries, read_keys_file
from common.settings import Settings

log = logging.getLogger("skill_fleet.api")

RELOAD_INTERVAL_SECONDS = 1.0
RECENT_NS = 2_000_000_000  # an mtime this fresh may hide a second write in the same tick

Stamp = tuple[int, int, int]  # mtime_ns, size, inode


def _stamp(path: Path) -> Stamp:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size, st.st_ino


class ReloadingApiKeys:
    """ApiKeys.from_settings at start (errors stop the API), then reloads of the file."""

    def __init__(self, settings: Settings, *, interval: float = RELOAD_INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        path = Path(settings.api_keys_file) if settings.api_keys_file else None
        # Stamped before the read: a change during the read is seen at the next check.
        stamp: Stamp | None = None
        raw: str | None = None
        if path is not None:
            try:
                stamp, raw = _stamp(path), path.read_text()
            except OSError:
                pass  # from_settings says why, naming the setting
        self._keys = ApiKeys.from_settings(settings)
        self._path = path if self._keys.configured else None
        self._source = f"SKILL_FLEET_API_KEYS_FILE ({path})"
        self._stamp = stamp
        self._interval = interval
        self._clock = clock
        self._next_check = clock() + interval
        self._last_error: str | None = None
        self._raw = raw  # the text the current keys came from

    @property
    def configured(self) -> bool:
        return self._keys.configured

    @property
    def open_mode(self) -> bool:
        return self._keys.open_mode

    def caller(self, authorization: str | None) -> Caller:
        self.refresh()
        return self._keys.caller(authorization)

    def caller_by_hash(self, key_sha256: str) -> Caller | None:
        self.refresh()
        return self._keys.caller_by_hash(key_sha256)

    def refresh(self) -> None:
        """Re-read the file if it changed and the last check is `interval` old."""
        if self._path is None:
            return
        now = self._clock()
        if now < self._next_check:
            return
        self._next_check = now + self._interval
        try:
            stamp = _stamp(self._path)
        except OSError as err:
            self._failed(f"{self._source} cannot be read: {err.strerror or err}")
            return
        if stamp == self._stamp and abs(time.time_ns() - stamp[0]) > RECENT_NS:
            return
        self._stamp = stamp
        try:
            raw = read_keys_file(self._path, self._source)
            if raw == self._raw:
                return
            if not raw.strip():
                raise KeysConfigError(f"{self._source} is empty")
            keys = ApiKeys(parse_entries(raw, self._source))
        except KeysConfigError as err:
            self._failed(str(err))
            return
        self._keys, self._last_error, self._raw = keys, None, raw
        if keys:
            log.info("API keys reloaded from %s: %d key(s)", self._source, len(keys))
        else:
            log.warning("API keys reloaded from %s: it holds no keys; every request is "
                        "refused until one is added", self._source)

    def _failed(self, reason: str) -> None:
        """Keep the last good keys; log each distinct problem once, not once a second."""
        if reason != self._last_error:
            log.error("%s; keeping the %d key(s) loaded before", reason, len(self._keys))
        self._last_error = reason
