"""A key removed from SKILL_FLEET_API_KEYS_FILE stops working without a restart; a file
that turns bad keeps the keys loaded before (never open, never everyone locked out).

The real app with a real keys file, polled until the change shows (about a second: the
file is checked at most once per second); then the reloader alone, on a fake clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from api.auth import hash_key
from api.errors import ApiError
from api.keys_reload import ReloadingApiKeys
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ALICE, BOB, Api, bearer, make_settings, running_api
from tests.fast.api.samples import API


def entries(*users: tuple[str, str]) -> str:
    return json.dumps([{"key_sha256": hash_key(key), "user_id": user, "role": "user"}
                       for key, user in users])


def rewrite(path: Path, text: str) -> None:
    """Write in place, as an editor or `cat > file` does."""
    with path.open("w") as f:
        f.write(text)


async def eventually(check: Callable[[], Awaitable[bool]], what: str,
                     within: float = 10.0) -> None:
    """Poll; `within` only bounds a failing test, it asserts nothing about speed."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"{what} not seen within {within}s"
        await asyncio.sleep(0.05)


async def status(api: Api, key: str) -> int:
    return (await api.http.get(f"{API}/jobs", headers=bearer(key))).status_code


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(entries((ALICE, "alice"), (BOB, "bob")))
    return path


async def test_a_removed_key_stops_working_without_a_restart(
    tmp_path: Path, keys_file: Path
) -> None:
    settings = make_settings(tmp_path, api_keys_file=keys_file)
    async with running_api(settings, gateway=FakeGateway()) as api:
        assert await status(api, ALICE) == 200 and await status(api, BOB) == 200
        rewrite(keys_file, entries((BOB, "bob")))

        async def alice_refused() -> bool:
            return await status(api, ALICE) == 401

        await eventually(alice_refused, "alice's key revoked")
        assert await status(api, BOB) == 200


async def test_a_malformed_rewrite_keeps_the_last_good_keys(
    tmp_path: Path, keys_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, api_keys_file=keys_file)
    async with running_api(settings, gateway=FakeGateway()) as api:
        assert await status(api, ALICE) == 200
        rewrite(keys_file, '[{"key_sha256": "' + hash_key(BOB))  # half written
        caplog.set_level(logging.ERROR, logger="skill_fleet.api")

        async def error_logged() -> bool:
            await status(api, ALICE)  # a request triggers the check
            return any("keeping the 2 key(s) loaded before" in r.getMessage()
                       for r in caplog.records)

        await eventually(error_logged, "the malformed file's error")
        assert "is not valid" in caplog.text
        assert await status(api, ALICE) == 200 and await status(api, BOB) == 200
        assert await status(api, "no-such-key") == 401  # still closed, not open

        rewrite(keys_file, entries((ALICE, "alice")))  # fixed: reloading goes on

        async def bob_refused() -> bool:
            return await status(api, BOB) == 401

        await eventually(bob_refused, "bob's key revoked after the fix")
        assert await status(api, ALICE) == 200


# ------------------------------------------------------------------ the reloader alone


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def user(keys: ReloadingApiKeys, key: str) -> str | None:
    try:
        return keys.caller(f"Bearer {key}").user_id
    except ApiError as err:
        assert err.status_code == 401
        return None


def test_the_file_is_checked_at_most_once_per_interval(tmp_path: Path, keys_file: Path,
                                                       ) -> None:
    clock = Clock()
    keys = ReloadingApiKeys(make_settings(tmp_path, api_keys_file=keys_file), clock=clock)
    rewrite(keys_file, entries((BOB, "bob")))
    clock.now += 0.5
    assert user(keys, ALICE) == "alice"  # not checked yet
    clock.now += 0.6
    assert user(keys, ALICE) is None and user(keys, BOB) == "bob"


@pytest.mark.parametrize("bad", ["", "  \n", "{not json", '[{"user_id": "x"}]', None])
def test_unusable_files_keep_the_keys(tmp_path: Path, keys_file: Path, bad: str | None,
                                      caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    keys = ReloadingApiKeys(make_settings(tmp_path, api_keys_file=keys_file), clock=clock)
    if bad is None:
        os.unlink(keys_file)
    else:
        rewrite(keys_file, bad)
    with caplog.at_level(logging.ERROR, logger="skill_fleet.api"):
        for _ in range(3):
            clock.now += 1.5
            assert user(keys, ALICE) == "alice" and user(keys, BOB) == "bob"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, "one error per problem, not one per second"
    assert "SKILL_FLEET_API_KEYS_FILE" in errors[0].getMessage()


def test_an_empty_list_revokes_every_key(tmp_path: Path, keys_file: Path) -> None:
    clock = Clock()
    keys = ReloadingApiKeys(make_settings(tmp_path, api_keys_file=keys_file), clock=clock)
    rewrite(keys_file, "[]")
    clock.now += 1.5
    assert user(keys, ALICE) is None and user(keys, BOB) is None
    assert keys.configured and not keys.open_mode


def test_an_atomic_rename_is_seen(tmp_path: Path, keys_file: Path) -> None:
    clock = Clock()
    keys = ReloadingApiKeys(make_settings(tmp_path, api_keys_file=keys_file), clock=clock)
    new = tmp_path / "keys.json.new"
    new.write_text(entries((ALICE, "alice")))
    os.replace(new, keys_file)
    clock.now += 1.5
    assert user(keys, ALICE) == "alice" and user(keys, BOB) is None


def test_a_same_size_rewrite_in_the_same_tick_is_seen(tmp_path: Path, keys_file: Path) -> None:
    clock = Clock()
    keys = ReloadingApiKeys(make_settings(tmp_path, api_keys_file=keys_file), clock=clock)
    stamp = os.stat(keys_file)
    # Same length, same mtime: only the content tells (a coarse timestamp tick).
    rewrite(keys_file, entries((ALICE, "alicf"), (BOB, "bob")))
    os.utime(keys_file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert os.stat(keys_file).st_size == stamp.st_size
    clock.now += 1.5
    assert user(keys, ALICE) == "alicf"
