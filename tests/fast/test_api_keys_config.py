"""Configured keys that cannot be used stop the API instead of opening it to everyone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.auth import ApiKeys, KeysConfigError, hash_key
from api.errors import ApiError
from common.settings import Settings

ENTRY = {"key_sha256": hash_key("alice-key"), "user_id": "alice", "role": "user"}


def keys_from(**settings: object) -> ApiKeys:
    return ApiKeys.from_settings(Settings(**settings))  # type: ignore[arg-type]


def test_no_keys_setting_refuses_to_start_and_names_the_settings() -> None:
    with pytest.raises(KeysConfigError) as err:
        keys_from(api_keys=None, api_keys_file=None, open_mode=False)
    for setting in ("SKILL_FLEET_API_KEYS_FILE", "SKILL_FLEET_API_KEYS",
                    "SKILL_FLEET_OPEN_MODE=1"):
        assert setting in str(err.value)


def test_open_mode_is_asked_for_explicitly() -> None:
    keys = keys_from(api_keys=None, api_keys_file=None, open_mode=True)
    assert not keys.configured
    assert keys.caller(None).open_mode


def test_keys_win_over_open_mode() -> None:
    keys = keys_from(api_keys=json.dumps([ENTRY]), api_keys_file=None, open_mode=True)
    assert keys.configured
    with pytest.raises(ApiError) as err:
        keys.caller(None)
    assert err.value.status_code == 401


@pytest.mark.parametrize("text", ["", "  \n", "[]", '{"keys": []}'])
def test_an_empty_keys_file_refuses_to_start(tmp_path: Path, text: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(text)
    with pytest.raises(KeysConfigError, match=r"holds no keys\. Refusing to start") as err:
        keys_from(api_keys_file=path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("text", ["", "[]", '{"keys": []}'])
def test_an_empty_keys_variable_refuses_to_start(text: str) -> None:
    with pytest.raises(KeysConfigError, match="SKILL_FLEET_API_KEYS holds no keys"):
        keys_from(api_keys=text)


def test_a_missing_keys_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(KeysConfigError, match=r"SKILL_FLEET_API_KEYS_FILE .* cannot be read"):
        keys_from(api_keys_file=tmp_path / "absent.json")


@pytest.mark.parametrize("text, says", [
    ("{not json", "is not valid"),
    ('{"users": []}', "is not valid"),
    ('"a string"', "is not valid"),
    (json.dumps([{"key_sha256": "short", "user_id": "alice"}]), "invalid entries (0.key_sha256)"),
    (json.dumps([{**ENTRY, "role": "root"}]), "invalid entries (0.role)"),
])
def test_malformed_keys_are_configuration_errors(text: str, says: str) -> None:
    with pytest.raises(KeysConfigError) as err:
        keys_from(api_keys=text)
    assert says in str(err.value)


def test_valid_keys_in_either_shape() -> None:
    for text in (json.dumps([ENTRY]), json.dumps({"keys": [ENTRY]})):
        keys = keys_from(api_keys=text)
        assert keys.configured
        caller = keys.caller("Bearer alice-key")
        assert caller.user_id == "alice" and not caller.open_mode
