"""The webhook policy: which addresses and hosts a job's own receiver may have, how a delivery
is bounded (no redirects, small reads, short timeouts), and how it is signed.

Deliveries go to real receivers on 127.0.0.1; the activity runs in Temporal's
`ActivityEnvironment`. The operator's receiver may be on loopback, a job's may not.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

import activities.webhooks as webhooks
from activities.webhook_policy import REFUSED, WebhookRefused, address_refusal, checked_addresses
from activities.webhooks import WebhookActivities, post, sign, webhook_body
from common.settings import Settings
from common.webhook_hosts import host_allowed, parse_host_patterns
from tests.webhook_receivers import Answer, Receiver, endless, readme_verifier, self_signed
from workflows.models import JobEvent, JobStatus, Phase, WebhookInput

SECRETS = ["current-secret", "next-secret"]

# ------------------------------------------------------------------ address classes

REFUSED_ADDRESSES = [
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "0.1.2.3", "10.1.2.3", "172.16.0.1", "192.168.1.1",
    "169.254.169.254", "100.64.0.1", "192.0.0.8", "192.0.2.1", "198.18.0.1", "224.0.0.1",
    "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
    "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "::127.0.0.1", "2002:7f00:1::", "2002:a9fe:a9fe::", "64:ff9b::a9fe:a9fe",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
]
PUBLIC_ADDRESSES = ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                    "2002:808:808::1", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def answers(*addresses: str) -> Any:
    """A resolver that gives these addresses for any name."""
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)
    return resolve


async def test_one_internal_address_refuses_the_whole_name() -> None:
    assert await checked_addresses("hooks.example.com", 443, answers(
        "8.8.8.8", "2606:4700:4700::1111")) == ["8.8.8.8", "2606:4700:4700::1111"]
    with pytest.raises(WebhookRefused, match="private"):
        await checked_addresses("hooks.example.com", 443, answers("8.8.8.8", "10.0.0.7"))
    with pytest.raises(OSError):
        await checked_addresses("hooks.example.com", 443, answers())


async def test_a_dns_name_for_loopback_is_refused_by_the_system_resolver() -> None:
    with pytest.raises(WebhookRefused, match="loopback"):
        await checked_addresses("localhost", 80)


# ------------------------------------------------------------------ host allow-list


def test_host_patterns_match_names_wildcards_and_nothing_else() -> None:
    patterns = parse_host_patterns(["Hooks.Example.com.", "*.example.org", "203.0.113.9", " "])
    assert patterns == ("hooks.example.com", "*.example.org", "203.0.113.9")
    assert host_allowed("HOOKS.example.com", patterns)
    assert host_allowed("hooks.example.com.", patterns)
    assert host_allowed("a.b.example.org", patterns)
    assert host_allowed("203.0.113.9", patterns)
    for host in ("example.org", "evilexample.org", "example.org.evil.com", "other.example.com",
                 "hooks.example.com.evil.com", "", None, "203.0.113.10"):
        assert not host_allowed(host, patterns), host
    assert not host_allowed("hooks.example.com", ())
    assert host_allowed("anything.at.all", parse_host_patterns(["*"]))


@pytest.mark.parametrize("bad", ["http://x.com", "x.com/path", "x.com:443", "*.*.x.com",
                                 "exa mple.com", "*.10.0.0.1", "bücher.example"])
def test_a_bad_host_pattern_fails_at_start(bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid webhook host pattern"):
        parse_host_patterns([bad])


def test_settings_read_hosts_and_rotating_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS", "hooks.example.com, *.Example.org")
    monkeypatch.setenv("SKILL_FLEET_WEBHOOK_SECRET", "current-secret, next-secret")
    monkeypatch.setenv("SKILL_FLEET_WEBHOOK_URL", "https://ops.example.net/hook/T0KEN")
    settings = Settings()
    assert settings.webhook_allowed_hosts == ["hooks.example.com", "*.example.org"]
    assert settings.webhook_secrets == SECRETS
    assert "T0KEN" not in repr(settings) and "next-secret" not in repr(settings)
    monkeypatch.setenv("SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS", '["a.example.com"]')
    monkeypatch.delenv("SKILL_FLEET_WEBHOOK_SECRET")
    settings = Settings()
    assert settings.webhook_allowed_hosts == ["a.example.com"] and settings.webhook_secrets == []
    monkeypatch.delenv("SKILL_FLEET_WEBHOOK_ALLOWED_HOSTS")
    assert Settings().webhook_allowed_hosts == []


# ------------------------------------------------------------------ signatures


def test_a_signature_covers_timestamp_and_body_once_per_secret() -> None:
    body, ts = b'{"a":1}', 1_700_000_000
    one = hmac.new(b"current-secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    two = hmac.new(b"next-secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(body, SECRETS[:1], ts) == f"sha256={one}"
    assert sign(body, SECRETS, ts) == f"sha256={one},sha256={two}"


def test_the_readme_receiver_accepts_fresh_deliveries_across_a_rotation() -> None:
    verify = readme_verifier()
    body, now = b'{"event_id":"j:1"}', int(time.time())
    rotating = {"X-SkillFleet-Timestamp": str(now),
                "X-SkillFleet-Signature": sign(body, SECRETS, now)}
    assert verify("current-secret", rotating, body)  # receivers not yet moved
    assert verify("next-secret", rotating, body)  # receivers already moved
    assert not verify("another-secret", rotating, body)
    assert not verify("current-secret", rotating, body + b" ")  # tampered body
    for ts in (now - 301, now + 301):  # a replay, or a clock far off
        stale = {"X-SkillFleet-Timestamp": str(ts),
                 "X-SkillFleet-Signature": sign(body, SECRETS, ts)}
        assert not verify("current-secret", stale, body)
    moved = {"X-SkillFleet-Timestamp": str(now - 299),
             "X-SkillFleet-Signature": sign(body, SECRETS, now)}  # timestamp swapped
    assert not verify("current-secret", moved, body)
    assert not verify("current-secret", {"X-SkillFleet-Signature": rotating[
        "X-SkillFleet-Signature"]}, body)


# ------------------------------------------------------------------ deliveries


def event_input(target: str = "operator", url: str = "", seq: int = 1) -> WebhookInput:
    return WebhookInput(
        target=target, url=url, job_id="job-1", user_id="alice", status=JobStatus.RUNNING,
        phase=Phase.UNDERSTANDING,
        event=JobEvent(seq=seq, at=datetime(2026, 1, 1, tzinfo=UTC), kind="job_started"),
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def acts(operator_url: str | None, **kwargs: Any) -> WebhookActivities:
    return WebhookActivities(secrets=SECRETS, operator_url=operator_url, **kwargs)


async def deliver(activities: WebhookActivities, request: WebhookInput) -> None:
    await ActivityEnvironment().run(activities.deliver_webhook, request)


async def refusal(activities: WebhookActivities, request: WebhookInput) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await deliver(activities, request)
    return caught.value


async def test_the_operator_receiver_gets_a_signed_timestamped_delivery(
        receiver: Receiver) -> None:
    request = event_input("operator")
    await deliver(acts(receiver.url), request)
    [got] = receiver.received
    body = webhook_body(request)
    assert got.body == body and got.headers["X-SkillFleet-Event-Id"] == "job-1:1"
    assert abs(int(got.headers["X-SkillFleet-Timestamp"]) - time.time()) < 5
    verify = readme_verifier()
    assert verify("current-secret", got.headers, body) and verify("next-secret", got.headers, body)


async def test_a_job_from_before_the_change_still_reaches_the_operator(
        receiver: Receiver) -> None:
    """Its input carries the operator's URL as a job URL: recognised, trusted, delivered."""
    await deliver(acts(receiver.url), event_input("job", receiver.url))
    assert receiver.count() == 1


async def test_the_operator_target_without_an_operator_url_sends_nothing(
        receiver: Receiver) -> None:
    await deliver(acts(None), event_input("operator"))
    assert receiver.count() == 0


@pytest.mark.parametrize("url", [
    "http://localhost:{port}/hook",  # a DNS name that resolves to loopback
    "http://127.0.0.1:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://2130706433:{port}/hook",  # 127.0.0.1 as one number
])
async def test_a_job_receiver_on_loopback_is_refused_without_details(
        receiver: Receiver, url: str) -> None:
    request = event_input("job", url.format(port=receiver.port))
    err = await refusal(acts(None, allowed_hosts=["*"]), request)
    assert (err.message, err.type, err.non_retryable) == (REFUSED, "WebhookRefused", True)
    assert err.__cause__ is None and err.details == ()
    assert receiver.count() == 0


async def test_a_job_receiver_outside_the_allow_list_is_refused_before_any_lookup() -> None:
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["93.184.216.34"]

    for allowed in ((), ("hooks.example.com",)):
        err = await refusal(acts(None, allowed_hosts=allowed, resolve=resolve),
                            event_input("job", "https://elsewhere.example.com/hook"))
        assert err.message == REFUSED
    assert looked_up == []


async def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
        receiver: Receiver) -> None:
    """`hooks.example.test` resolves nowhere: only the checked IP can have been dialled."""
    url = f"http://hooks.example.test:{receiver.port}/hook"
    status = await post(url, b"{}", {"Content-Type": "application/json"},
                        addresses=["127.0.0.1"])
    assert status == 204
    assert receiver.received[0].headers["Host"] == f"hooks.example.test:{receiver.port}"


async def test_over_tls_the_name_is_the_sni_and_the_certificate_checked(
        tmp_path: Path) -> None:
    """A certificate for the name, not the IP, verifies: SNI and the check used the name."""
    cert, key = self_signed(tmp_path, "hooks.example.test")
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    tls = Receiver(tls=server_side)
    try:
        url = f"https://hooks.example.test:{tls.port}/hook"
        trusting = ssl.create_default_context(cafile=str(cert))
        assert await post(url, b"{}", {}, addresses=["127.0.0.1"], verify=trusting) == 204
        assert tls.server_names == ["hooks.example.test"]
        assert tls.received[0].headers["Host"] == f"hooks.example.test:{tls.port}"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await post(f"https://other.example.test:{tls.port}/hook", b"{}", {},
                       addresses=["127.0.0.1"], verify=trusting)
    finally:
        tls.close()


async def test_the_name_is_resolved_once_and_the_first_answer_is_used(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebinding DNS server's second answer (loopback) is never asked for."""
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    dialled: list[Any] = []

    async def resolve(host: str, port: int) -> list[str]:
        return answers.pop(0)

    async def fake_post(url: str, body: bytes, headers: dict[str, str], **kw: Any) -> int:
        dialled.append(kw["addresses"])
        return 204

    monkeypatch.setattr(webhooks, "post", fake_post)
    await deliver(acts(None, allowed_hosts=["hooks.example.com"], resolve=resolve),
                  event_input("job", "https://hooks.example.com/hook"))
    assert dialled == [["93.184.216.34"]] and answers == [["127.0.0.1"]]


async def test_an_international_name_is_checked_and_resolved_in_punycode(
        monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["93.184.216.34"]

    async def fake_post(url: str, body: bytes, headers: dict[str, str], **kw: Any) -> int:
        return 204

    monkeypatch.setattr(webhooks, "post", fake_post)
    await deliver(acts(None, allowed_hosts=["xn--bcher-kva.example"], resolve=resolve),
                  event_input("job", "https://Bücher.example/hook"))
    assert looked_up == ["xn--bcher-kva.example"]


async def test_a_job_receiver_that_does_not_resolve_is_retried_without_details() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known: hooks.example.com")

    err = await refusal(acts(None, allowed_hosts=["hooks.example.com"], resolve=resolve),
                        event_input("job", "https://hooks.example.com/hook"))
    assert (err.message, err.non_retryable, err.__cause__) == ("Webhook not reachable", False, None)


async def test_redirects_are_not_followed() -> None:
    elsewhere = Receiver()
    redirecting = Receiver(lambda _: Answer(302, {"Location": elsewhere.url}))
    try:
        err = await refusal(acts(redirecting.url), event_input("operator"))
        assert err.message == "Webhook answered 302 (redirects are not followed)"
        assert err.non_retryable
        assert redirecting.count() == 1 and elsewhere.count() == 0
    finally:
        redirecting.close()
        elsewhere.close()


async def test_an_endless_answer_is_read_only_up_to_the_limit() -> None:
    flooding = Receiver(lambda _: Answer(200, chunks=endless()))
    try:
        await deliver(acts(flooding.url), event_input("operator"))  # returns: the read stopped
    finally:
        flooding.close()


async def test_a_receiver_that_never_answers_times_out() -> None:
    stalling = Receiver(lambda _: Answer(204, delay=5))
    try:
        err = await refusal(acts(stalling.url, timeout_seconds=1), event_input("operator"))
        assert err.message in {"Webhook not reachable: TimeoutError",
                               "Webhook not reachable: ReadTimeout"} and not err.non_retryable
    finally:
        stalling.close()


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (429, True), (404, False)])
async def test_status_codes_decide_retries(status: int, retryable: bool) -> None:
    answering = Receiver(lambda _: Answer(status))
    try:
        err = await refusal(acts(answering.url), event_input("operator"))
        assert err.message == f"Webhook answered {status}" and err.non_retryable is not retryable
    finally:
        answering.close()
