"""Page tokens carry a checksum: only a token the API handed out reaches Temporal.

A forged or edited token is a 400 from the API itself, not a puzzle (or a 503) for
Temporal's visibility store; a genuine one goes back to Temporal byte for byte.
"""

from __future__ import annotations

import pytest

from tests.fast.api.checks import error_body
from tests.fast.api.harness import Api
from tests.fast.api.samples import API
from tests.fast.api.temporal_stub import StubTemporal

INNER = b"\x00visibility-cursor\xff"


@pytest.mark.parametrize("path", [f"{API}/jobs", f"{API}/hitl/pending"])
async def test_a_token_handed_out_goes_back_to_temporal_unchanged(
    real_api: Api, temporal: StubTemporal, path: str
) -> None:
    temporal.next_page_token = INNER
    token = (await real_api.http.get(path, params={"page_size": 1})).json()["next_page_token"]
    assert token and INNER not in token.encode()
    r = await real_api.http.get(path, params={"page_size": 1, "page_token": token})
    assert r.status_code == 200, r.text
    lists = [c for c in temporal.calls if c[0] == "list"]
    assert [c[2] for c in lists] == [None, INNER]


async def test_the_last_page_has_no_token(real_api: Api, temporal: StubTemporal) -> None:
    assert (await real_api.http.get(f"{API}/jobs")).json()["next_page_token"] is None


@pytest.mark.parametrize("path", [f"{API}/jobs", f"{API}/hitl/pending"])
async def test_an_edited_token_is_400(real_api: Api, temporal: StubTemporal, path: str) -> None:
    temporal.next_page_token = INNER
    token = (await real_api.http.get(path)).json()["next_page_token"]
    edited = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for forged in (edited, token[:-4], token + "AAAA", token.replace("-", "+")):
        if forged == token:
            continue
        r = await real_api.http.get(path, params={"page_token": forged})
        assert "Invalid page token" in error_body(r, 400)["error"], forged
    assert len([c for c in temporal.calls if c[0] == "list"]) == 1


@pytest.mark.parametrize("target", [
    b"/api/v2/jobs?page_token=%00", b"/api/v2/hitl/pending?page_token=%00",
    b"/api/v2/jobs?page_token=%25%25%25", b"/api/v2/jobs?page_token=AAAA",
    b"/api/v2/hitl/pending?page_token=AAAA", b"/api/v2/jobs?page_token=" + b"A" * 4096,
    b"/api/v2/jobs?page_token=%E2%82%AC",
], ids=repr)
async def test_a_forged_token_is_400_without_asking_temporal(
    real_api: Api, temporal: StubTemporal, target: bytes
) -> None:
    assert "Invalid page token" in error_body(await real_api.raw("GET", target), 400)["error"]
    assert temporal.calls == []
