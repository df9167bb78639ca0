"""The CLI's API key without putting it on the command line: the environment or a file.

`--api-key KEY` shows the key to every local user (`ps`) and keeps it in shell history;
it still works for existing scripts, with a warning. `--api-key-file` (or
SKILL_FLEET_API_KEY_FILE) reads it from a file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fast.cli.conftest import ADMIN_KEY, KEY, Cli, exits_with
from tests.fast.cli.fakes import JOB_ID, FakeGateway, finished_job

WARNING = "warning: --api-key puts the key where other local users"


@pytest.fixture
def bobs_job(fake: FakeGateway) -> None:
    """Shown to an admin (ADMIN_KEY), 'no such job' to alice (KEY)."""
    fake.add(finished_job(user_id="bob"))


@pytest.fixture
def admin_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key"
    path.write_text(ADMIN_KEY + "\n")
    path.chmod(0o600)
    return path


def test_a_key_file_is_read(keyed_cli: Cli, bobs_job: None, admin_key_file: Path) -> None:
    result = keyed_cli("--api-key-file", str(admin_key_file), "show", JOB_ID)
    assert result.exit_code == 0 and WARNING not in result.stderr, result.stderr


def test_the_key_file_variable_is_read(keyed_cli: Cli, bobs_job: None,
                                       admin_key_file: Path) -> None:
    result = keyed_cli("show", JOB_ID, SKILL_FLEET_API_KEY_FILE=str(admin_key_file))
    assert result.exit_code == 0, result.stderr


def test_the_key_variable_needs_no_warning(keyed_cli: Cli, bobs_job: None) -> None:
    result = keyed_cli("show", JOB_ID, SKILL_FLEET_API_KEY=ADMIN_KEY)
    assert result.exit_code == 0 and result.stderr == "", result.stderr


def test_a_key_on_the_command_line_works_with_a_warning(keyed_cli: Cli, bobs_job: None) -> None:
    result = keyed_cli("--api-key", ADMIN_KEY, "show", JOB_ID)
    assert result.exit_code == 0 and WARNING in result.stderr, result.stderr


def test_the_command_line_beats_the_environment(keyed_cli: Cli, bobs_job: None,
                                                admin_key_file: Path) -> None:
    result = keyed_cli("--api-key-file", str(admin_key_file), "show", JOB_ID,
                       SKILL_FLEET_API_KEY=KEY)
    assert result.exit_code == 0, result.stderr
    exits_with(keyed_cli("--api-key", KEY, "show", JOB_ID,
                         SKILL_FLEET_API_KEY_FILE=str(admin_key_file)), 5, "no such job")


def test_two_keys_at_one_level_are_a_usage_error(keyed_cli: Cli, admin_key_file: Path) -> None:
    result = keyed_cli("--api-key-file", str(admin_key_file), "--api-key", KEY, "jobs")
    assert result.exit_code == 2 and "give the API key one way" in result.stderr
    result = keyed_cli("jobs", SKILL_FLEET_API_KEY=KEY,
                       SKILL_FLEET_API_KEY_FILE=str(admin_key_file))
    assert result.exit_code == 2 and "give the API key one way" in result.stderr


@pytest.mark.parametrize("content", [None, "", " \n"])
def test_a_missing_or_empty_key_file_is_a_usage_error(keyed_cli: Cli, tmp_path: Path,
                                                      content: str | None) -> None:
    path = tmp_path / "key"
    if content is not None:
        path.write_text(content)
    result = keyed_cli("--api-key-file", str(path), "jobs")
    assert result.exit_code == 2 and "--api-key-file" in result.stderr, result.stderr
