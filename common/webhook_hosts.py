"""Which hosts a per-job webhook URL may name: the operator's allow-list.

The API refuses other hosts at create; the worker checks again at delivery, so a job
started before the list changed cannot reach a host that is no longer allowed.
Patterns are host names (`hooks.example.com`), subdomain wildcards (`*.example.com`:
any name under it, not the apex), IP literals, or `*` for any host. Whatever the list
says, the worker still refuses non-public addresses (activities/webhook_policy.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

_LABEL = r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, no IPv6 brackets: the form patterns are compared in."""
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


def parse_host_patterns(items: Iterable[str]) -> tuple[str, ...]:
    """Normalize and check patterns; a typo must fail at start, not silently allow nothing."""
    patterns: list[str] = []
    for raw in items:
        pattern = normalize_host(raw)
        if not pattern:
            continue
        name = pattern.removeprefix("*.")
        valid = pattern == "*" or _is_ip(pattern) or (
            bool(_NAME.fullmatch(name)) and not _is_ip(name))
        if not valid:
            raise ValueError(
                f"Invalid webhook host pattern {raw!r}: use a host name (ASCII, punycode for "
                "international names), '*.example.com', an IP address, or '*'")
        patterns.append(pattern)
    return tuple(dict.fromkeys(patterns))


def host_allowed(host: str | None, patterns: Iterable[str]) -> bool:
    """True if `host` matches a pattern: exactly, or under a `*.` wildcard, or `*`."""
    if not host:
        return False
    name = normalize_host(host)
    for pattern in patterns:
        if pattern == "*" or pattern == name:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]) and not _is_ip(name):
            return True
    return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
