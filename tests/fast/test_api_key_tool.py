"""`python -m api.keys_cli`: keys never on argv, and a generator with enough entropy.

The old form took the key as an argument (`python -m api.keys_cli KEY USER`), where every
local user can read it (`ps`, /proc) and the shell keeps it in its history.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api.auth import ApiKeys, hash_key
from api.keys_cli import main
from common.settings import Settings

ROOT = Path(__file__).parents[2]


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_generate_prints_a_strong_key_once_and_its_entry() -> None:
    code, out, err = run("generate", "alice", "admin")
    assert code == 0
    key, entry_line = out.splitlines()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)  # token_urlsafe(32): 256 bits
    entry = json.loads(entry_line)
    assert entry == {"key_sha256": hash_key(key), "user_id": "alice", "role": "admin"}
    keys = ApiKeys.from_settings(Settings(api_keys=json.dumps([entry]), api_keys_file=None))
    assert keys.caller(f"Bearer {key}").user_id == "alice"
    assert "shown only this once" in err and key not in err
    assert run("generate", "alice")[1].splitlines()[0] != key


def test_hash_reads_the_key_from_stdin() -> None:
    code, out, _ = run("hash", "bob", stdin="s3cret-key-from-a-vault\n")
    assert code == 0
    assert json.loads(out) == {"key_sha256": hash_key("s3cret-key-from-a-vault"),
                               "user_id": "bob", "role": "user"}


def test_hash_reads_the_key_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("file-key\n")
    code, out, _ = run("hash", "bob", "admin", "--key-file", str(path))
    assert code == 0 and json.loads(out)["key_sha256"] == hash_key("file-key")


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (("hash", "bob"), "", "the key is empty"),
    (("hash", "bob"), " \n", "the key is empty"),
    (("hash", "bad user"), "k", "invalid user_id"),
    (("generate", "alice\n"), "", "invalid user_id"),
    (("hash", "bob", "--key-file", "/nonexistent/key"), "", "cannot read"),
])
def test_bad_input_exits_2(argv: tuple[str, ...], stdin: str, message: str) -> None:
    code, out, err = run(*argv, stdin=stdin)
    assert code == 2 and out == "" and message in err


def test_the_old_form_still_works_with_a_warning() -> None:
    code, out, err = run("legacy-key", "carol", "admin")
    assert code == 0
    assert json.loads(out) == {"key_sha256": hash_key("legacy-key"), "user_id": "carol",
                               "role": "admin"}
    assert "visible to other local users" in err


def test_python_m_api_keys_cli_generates_a_working_entry() -> None:
    """The documented command, end to end; the key is never an argument."""
    done = subprocess.run([sys.executable, "-m", "api.keys_cli", "generate", "dana"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    key, entry = done.stdout.splitlines()
    again = subprocess.run([sys.executable, "-m", "api.keys_cli", "hash", "dana"], cwd=ROOT,
                           input=key + "\n", capture_output=True, text=True, timeout=60,
                           check=True)
    assert json.loads(again.stdout) == json.loads(entry)


def test_the_old_entry_points_to_the_new_one() -> None:
    """`python -m api.auth` was the tool's entry: it now refuses, naming `api.keys_cli`,
    rather than importing the tool (which imports `api.auth`: a cycle)."""
    done = subprocess.run([sys.executable, "-m", "api.auth", "generate", "dana"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and done.stdout == ""
    assert "python -m api.keys_cli generate" in done.stderr
