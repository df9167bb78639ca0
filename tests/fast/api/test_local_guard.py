"""Open local mode serves only this machine: loopback clients, localhost Host headers,
no cross-site writes. With keys the Host is free, but a browser's cross-site write is not.

The real app in-process; the ASGI scope's client address is set through the transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from api.local_guard import host_of, is_loopback, is_loopback_origin, open_mode_bind_error
from tests.fast.api.checks import error_body
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import ALICE, Api, bearer
from tests.fast.api.samples import API

JOB = "3f2c1f7e-1111-4222-8333-444455556666"
CANCEL = f"{API}/jobs/{JOB}/cancel"


@asynccontextmanager
async def from_client(api: Api, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connections come from `address` (the ASGI scope's client)."""
    transport = httpx.ASGITransport(app=api.app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        yield http


# ------------------------------------------------------------------ open mode: Host


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io",
                                  "localhost.evil.example", "10.0.0.5:8000", "localhost:x",
                                  "[::1", "localhost:"])
async def test_open_mode_refuses_a_foreign_host_header(api: Api, gateway: FakeGateway,
                                                       host: str) -> None:
    r = await api.http.get(f"{API}/jobs", headers={"Host": host})
    body = error_body(r, 403)
    assert body["details"]["reason"] == "ForeignHost"
    assert "localhost" in body["error"]
    assert gateway.calls == []


@pytest.mark.parametrize("host", ["localhost", "localhost:1234", "LOCALHOST:8000",
                                  "127.0.0.1", "127.0.0.1:8000", "[::1]", "[::1]:8000"])
async def test_open_mode_answers_localhost_host_headers(api: Api, host: str) -> None:
    r = await api.http.get(f"{API}/jobs", headers={"Host": host})
    assert r.status_code == 200, r.text


async def test_health_is_fenced_too(api: Api) -> None:
    r = await api.http.get("/health", headers={"Host": "evil.example"})
    assert error_body(r, 403)["details"]["reason"] == "ForeignHost"


# ------------------------------------------------------------------ open mode: client


@pytest.mark.parametrize("address", ["203.0.113.7", "10.1.2.3", "172.17.0.1", "::2",
                                     "testclient"])
async def test_open_mode_refuses_clients_off_this_machine(api: Api, gateway: FakeGateway,
                                                          address: str) -> None:
    async with from_client(api, address) as http:
        r = await http.post(CANCEL)
    body = error_body(r, 403)
    assert body["details"]["reason"] == "NonLoopbackClient"
    assert "clients on this machine" in body["error"]
    assert gateway.calls == []


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
async def test_open_mode_serves_loopback_clients(api: Api, address: str) -> None:
    async with from_client(api, address) as http:
        assert (await http.get(f"{API}/jobs")).status_code == 200


# ------------------------------------------------------------------ open mode: cross-site writes


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "http://localhost.evil.example:8000"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://localhost:8000", "Sec-Fetch-Site": "cross-site"},
])
async def test_open_mode_refuses_a_cross_site_cancel(api: Api, gateway: FakeGateway,
                                                     headers: dict[str, str]) -> None:
    r = await api.http.post(CANCEL, headers=headers)
    assert error_body(r, 403)["details"]["reason"] == "CrossSite"
    assert gateway.calls == []


@pytest.mark.parametrize("headers", [
    {},  # the CLI, httpx, curl: no Origin
    {"Origin": "http://localhost:8000", "Sec-Fetch-Site": "same-origin"},
    {"Origin": "http://127.0.0.1:8000"},
    {"Origin": "http://[::1]:8000", "Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "none"},  # typed in the address bar
])
async def test_open_mode_accepts_same_origin_and_originless_writes(
    api: Api, gateway: FakeGateway, headers: dict[str, str]
) -> None:
    r = await api.http.post(CANCEL, headers=headers)
    assert r.status_code == 202, r.text
    assert gateway.called("cancel") == [{"job_id": JOB, "owner": None}]


async def test_a_cross_site_read_is_not_a_write(api: Api) -> None:
    """Reads change nothing; the Host check already keeps other sites' pages out."""
    r = await api.http.get(f"{API}/jobs", headers={"Sec-Fetch-Site": "cross-site",
                                                   "Origin": "https://evil.example"})
    assert r.status_code == 200


# ------------------------------------------------------------------ with keys


async def test_with_keys_any_host_and_client_is_served(secured: Api) -> None:
    async with from_client(secured, "203.0.113.7") as http:
        r = await http.get(f"{API}/jobs", headers={"Host": "skills.example.com",
                                                   **bearer(ALICE)})
    assert r.status_code == 200, r.text


async def test_with_keys_a_browsers_cross_site_write_is_refused(
    secured: Api, gateway: FakeGateway
) -> None:
    r = await secured.http.post(CANCEL, headers={"Sec-Fetch-Site": "cross-site",
                                                 **bearer(ALICE)})
    assert error_body(r, 403)["details"]["reason"] == "CrossSite"
    # An Origin alone (a proxy may rewrite Host) is left to the key.
    r = await secured.http.post(CANCEL, headers={"Origin": "https://app.example",
                                                 **bearer(ALICE)})
    assert r.status_code == 202, r.text
    assert [c["job_id"] for c in gateway.called("cancel")] == [JOB]


# ------------------------------------------------------------------ the helpers


def test_loopback_names() -> None:
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.9.9.9", "::1", "[::1]",
                                 "::ffff:127.0.0.1"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "", "10.0.0.1", "localhost.",
                                     "evil.example", "[::1]:80"]))
    assert host_of("[::1]:8000") == "[::1]" and host_of("localhost:80") == "localhost"
    assert host_of("a:b") is None and host_of(":80") is None
    assert is_loopback_origin("http://localhost:3000")
    assert not is_loopback_origin("http://localhost:99999")
    assert not is_loopback_origin("file://localhost")


def test_open_mode_may_not_bind_beyond_loopback(api: Api) -> None:
    settings = api.settings
    assert open_mode_bind_error(settings) is None
    for host in ("0.0.0.0", "::", "192.168.1.10"):
        message = open_mode_bind_error(settings, host)
        assert message and "Refusing to start" in message and host in message
    keyed = settings.model_copy(update={"api_keys": "[]"})
    assert open_mode_bind_error(keyed, "0.0.0.0") is None  # keys guard it
