"""`python -m api.keys_cli`: make API keys and their keys-file entries, keys never on argv.

    python -m api.keys_cli generate USER [ROLE]             a new random key, printed once
    python -m api.keys_cli hash USER [ROLE] [--key-file F]  an entry for a key read from F or stdin

A key given as an argument is readable by every local user (`ps`, /proc) and stays in
shell history, so the old form `python -m api.keys_cli KEY USER [ROLE]` still works but warns.
`generate` prints two lines on stdout: the key (give it to USER; it is stored nowhere) and
the JSON entry for SKILL_FLEET_API_KEYS_FILE, which holds only the key's SHA-256.
"""

from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from api.auth import ApiKeyEntry, hash_key

KEY_BYTES = 32  # 256 bits of entropy, 43 URL-safe characters
COMMANDS = ("generate", "hash")
LEGACY_WARNING = ("warning: a key on the command line is visible to other local users and "
                  "kept in shell history; use `python -m api.keys_cli generate USER [ROLE]`, or "
                  "`hash USER [ROLE]` with the key on stdin or in --key-file.")


class UsageError(Exception):
    """Bad arguments or input: the message is printed and the exit code is 2."""


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def entry_for(key: str, user: str, role: str) -> str:
    """The keys-file entry as one JSON line; user and role are checked as the API will."""
    if not key:
        raise UsageError("the key is empty")
    try:
        entry = ApiKeyEntry(key_sha256=hash_key(key), user_id=user, role=role)  # type: ignore[arg-type]
    except ValidationError as err:
        fields = ", ".join(str(e["loc"][0]) for e in err.errors())
        raise UsageError(f"invalid {fields}: the user id is 1-128 of A-Z a-z 0-9 _ . @ -, "
                         "the role user or admin") from None
    return json.dumps(entry.model_dump())


def read_key(key_file: Path | None, stdin: TextIO) -> str:
    """From the file, else stdin (asked for without echo on a terminal); surrounding
    whitespace, such as the newline of `echo`, is not part of the key."""
    if key_file is not None:
        try:
            return key_file.read_text().strip()
        except OSError as err:
            raise UsageError(f"cannot read {key_file}: {err.strerror or err}") from None
    if stdin.isatty():
        return getpass.getpass("API key (not echoed): ").strip()
    return stdin.read().strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m api.keys_cli", description="Make API keys and keys-file entries.")
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="a new random key for USER, printed once")
    hashing = commands.add_parser("hash", help="the entry of a key read from stdin or a file")
    for command in (generate, hashing):
        command.add_argument("user")
        command.add_argument("role", nargs="?", default="user", choices=("user", "admin"))
    hashing.add_argument("--key-file", type=Path, help="read the key from this file")
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        if argv and argv[0] not in COMMANDS and not argv[0].startswith("-") \
                and 2 <= len(argv) <= 3:
            print(LEGACY_WARNING, file=stderr)
            key, user, *role = argv
            print(entry_for(key, user, role[0] if role else "user"), file=stdout)
            return 0
        args = _parser().parse_args(argv)
        if args.command == "generate":
            key = new_key()
            entry = entry_for(key, args.user, args.role)
            print(key, file=stdout)
            print(entry, file=stdout)
            print(f"Line 1 is {args.user}'s key: hand it over now, it is shown only this once "
                  "and stored nowhere. Line 2 goes into the keys file "
                  "(SKILL_FLEET_API_KEYS_FILE).", file=stderr)
        else:
            print(entry_for(read_key(args.key_file, stdin), args.user, args.role), file=stdout)
    except UsageError as err:
        print(f"error: {err}", file=stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
