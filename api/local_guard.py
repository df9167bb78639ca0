"""The fence around open local mode, and the cross-site check of every write.

Open local mode (no keys, SKILL_FLEET_OPEN_MODE=1) makes every caller an admin, so it
must only be reachable from this machine's own processes:
- the client address must be loopback (a connection over a Unix socket has none: local);
- the `Host` header must name localhost, 127.0.0.1 or [::1] (any port): a web page that
  re-points its own DNS name at 127.0.0.1 (DNS rebinding) still sends its own name;
- a state-changing request (not GET/HEAD/OPTIONS) whose `Origin` is not a loopback origin
  is refused: a page elsewhere cannot forge the body-less `POST /jobs/{id}/cancel`.
With keys or without, a state-changing request a browser marks `Sec-Fetch-Site:
cross-site` is refused. Other clients (the CLI, httpx, curl) send neither header.
The bind address is checked before the server starts (`open_mode_bind_error`).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import runs_open
from api.http_middleware import send_error
from api.refusal_status import published_reason
from common.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback(host: str) -> bool:
    """`localhost`, an address in 127.0.0.0/8, `::1` (brackets allowed), or mapped ones."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def host_of(header: str) -> str | None:
    """The host of a `Host` header (`name`, `name:port`, `[v6]:port`); None if malformed."""
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None
        host, rest = header[:end + 1], header[end + 1:]
    else:
        host, colon, port = header.partition(":")
        rest = colon + port
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return None
    return host or None


def is_loopback_origin(origin: str) -> bool:
    """`http(s)://localhost[:port]` and the like; `null` (sandboxed, file:) is not."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and is_loopback(parts.hostname or "")


def open_mode_bind_error(settings: Settings, host: str | None = None) -> str | None:
    """Why open local mode may not listen on `host` (default SKILL_FLEET_API_HOST)."""
    host = settings.api_host if host is None else host
    if not runs_open(settings) or is_loopback(host):
        return None
    return (f"Refusing to start: open local mode (SKILL_FLEET_OPEN_MODE=1, no API keys) "
            f"would serve every caller as an admin on {host}. Bind to 127.0.0.1 "
            "(SKILL_FLEET_API_HOST / --host), or configure keys: SKILL_FLEET_API_KEYS_FILE "
            "(python -m api.keys_cli generate USER admin).")


class LocalGuardMiddleware:
    """Refuses what open mode must not serve, and cross-site writes in either mode."""

    def __init__(self, app: ASGIApp, *, open_mode: bool) -> None:
        self.app = app
        self.open_mode = open_mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refusal(scope) if scope["type"] == "http" else None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        reason, message = refusal
        await send_error(scope, send, 403, message, published_reason(reason))

    def refusal(self, scope: Scope) -> tuple[str, str] | None:
        """(refusal name, message) when the request is refused, else None."""
        headers: dict[bytes, list[str]] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.lower(), []).append(value.decode("latin-1"))
        if self.open_mode:
            client = scope.get("client")
            if client is not None and not is_loopback(str(client[0])):
                return ("non_loopback_client", "This API runs in open local mode "
                        "(no API keys) and serves only clients on this machine.")
            hosts = headers.get(b"host", [])
            host = host_of(hosts[0]) if len(hosts) == 1 else None
            if host is None or not is_loopback(host):
                return ("foreign_host", "This API runs in open local mode (no API keys) and "
                        "answers only to Host: localhost, 127.0.0.1 or [::1].")
        if scope.get("method", "GET") in SAFE_METHODS:
            return None
        if any(v.strip().lower() == "cross-site" for v in headers.get(b"sec-fetch-site", [])):
            return ("cross_site", "Cross-site requests may not change anything here.")
        if self.open_mode and any(not is_loopback_origin(v) for v in headers.get(b"origin", [])):
            return ("cross_site", "In open local mode only pages served from this machine "
                    "(a loopback Origin) may change anything.")
        return None
