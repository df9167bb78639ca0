"""Where the worker may send a job's own webhook: public addresses only, checked as it connects.

A job's `webhook_url` comes from a user, and the worker sits inside the network: without
these checks a job could make it POST to 127.0.0.1, 169.254.169.254 or a private service
and learn about them from the job's events. The name is resolved once, every address it
resolves to is checked, and the connection goes to a checked address, so a DNS server that
answers differently the second time (rebinding) gets no second question. The operator's own
receiver (SKILL_FLEET_WEBHOOK_URL) is trusted and not checked here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address, IPv6Address

# What the job records for any refusal: nothing about the network behind it.
REFUSED = "refused by policy"
REFUSED_TYPE = "WebhookRefused"

Address = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Special-purpose ranges that Python 3.11's `ipaddress` still calls global.
_ALSO_REFUSED = (
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("fec0::/10"),  # deprecated site-local
)
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class WebhookRefused(Exception):
    """A delivery the policy forbids.

    `reason` is for the worker's log only; the job records just `REFUSED`.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def address_refusal(ip: Address) -> str | None:
    """Why the worker must not connect to `ip`, or None for a public unicast address.

    An IPv6 address that embeds an IPv4 one (IPv4-mapped, 6to4, NAT64) is judged by the
    IPv4 address, which is where the packets end up.
    """
    if isinstance(ip, IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(embedded)
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"{name} address"
    if not ip.is_global or any(ip in net for net in _ALSO_REFUSED):
        return "special-purpose address"
    return None


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (an IP literal gives itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(host: str, port: int,
                            resolve: Resolver = system_resolve) -> list[str]:
    """The addresses to connect to, all public; WebhookRefused if any is not.

    One bad address refuses the whole name: a name that mixes public and internal
    addresses is not one a receiver needs. Resolution errors (OSError) pass through:
    they are transient, not a policy decision.
    """
    found = await resolve(host, port)
    if not found:
        raise OSError(f"no address for {host}")
    for text in found:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            raise WebhookRefused("resolves to something that is not an IP address") from None
        reason = address_refusal(ip)
        if reason:
            raise WebhookRefused(f"resolves to a {reason}")
    return found
