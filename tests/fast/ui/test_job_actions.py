"""Promote and rewind from the job page: forms from the API's models, the routes' own
rules (force for admins), their refusals shown in words, CSRF and ownership."""

from __future__ import annotations

import re
from html import unescape

import httpx

from api.errors import ApiError
from tests.fast.api.harness import ADMIN, ALICE, Api
from tests.fast.api.samples import job_view
from tests.fast.ui.fakes import UiFakeGateway
from tests.fast.ui.pages import hidden, sign_in
from workflows.models import JobStatus, Phase, RewindEdits, RewindRequest
from workflows.promotion_models import PromoteRequest


def completed(gateway: UiFakeGateway, **fields: object) -> str:
    values: dict[str, object] = {"validation_passed": True, **fields}
    gateway.view_result = job_view(status=JobStatus.COMPLETED, skill_name="triage-tests",
                                   draft_path="_drafts/x/development/triage-tests", **values)
    return gateway.view_result.job_id


def waiting(gateway: UiFakeGateway) -> str:
    gateway.view_result = job_view()  # waiting at a confirm prompt
    return gateway.view_result.job_id


async def post(client: httpx.AsyncClient, job_id: str, what: str,
               fields: dict[str, str]) -> httpx.Response:
    html = (await client.get(f"/ui/jobs/{job_id}")).text
    return await client.post(f"/ui/jobs/{job_id}/{what}",
                             data={"csrf": hidden(html, "csrf"), **fields})


def field_error(html: str, name: str) -> str:
    found = re.search(rf'id="{re.escape(name)}-error" role="alert">([^<]*)<', html)
    assert found, f"no error on {name!r}"
    return unescape(found.group(1))


async def test_a_completed_job_offers_promote_and_a_waiting_one_rewind(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    await sign_in(browser, ALICE)
    page = (await browser.get(f"/ui/jobs/{completed(gateway)}")).text
    assert 'id="promote-form"' in page and 'id="rewind-form"' not in page
    assert 'name="overwrite"' in page and 'name="delete_draft"' in page
    assert 'name="force"' not in page  # force is for admins
    page = (await browser.get(f"/ui/jobs/{waiting(gateway)}")).text
    assert 'id="rewind-form"' in page and 'id="promote-form"' not in page
    for name in ("to", "edits.skill_name", "edits.description", "edits.outline",
                 "edits.feedback"):
        assert f'name="{name}"' in page, name
    page = (await browser.get(f"/ui/jobs/{completed(gateway, promoted=True)}")).text
    assert 'id="promote-form"' not in page


async def test_promote_goes_through_the_promote_route(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = completed(gateway)
    await sign_in(browser, ALICE)
    r = await post(browser, job_id, "promote", {"overwrite": "true", "force": "true"})
    assert (r.status_code, r.headers["location"]) == (303, f"/ui/jobs/{job_id}?promoted=1")
    [call] = gateway.called("promote")
    assert call["owner"] == "alice"
    assert call["request"] == PromoteRequest(overwrite=True, delete_draft=False, force=False,
                                             admin=False, requested_by="alice")
    gateway.view_result = gateway.view_result.model_copy(
        update={"promoted": True, "final_path": "development/triage-tests"})
    page = await browser.get(r.headers["location"])
    assert "Promoted to development/triage-tests." in page.text


async def test_an_admin_may_force(ui: Api, browser: httpx.AsyncClient,
                                  gateway: UiFakeGateway) -> None:
    job_id = completed(gateway, validation_passed=False)
    await sign_in(browser, ADMIN)
    page = (await browser.get(f"/ui/jobs/{job_id}")).text
    assert 'name="force"' in page and "This skill failed validation." in page
    r = await post(browser, job_id, "promote", {"force": "true"})
    assert r.status_code == 303
    [call] = gateway.called("promote")
    assert (call["request"].force, call["request"].admin, call["owner"]) == (True, True, None)


async def test_promote_refusals_are_shown_in_words(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = completed(gateway)
    gateway.fail["promote"] = ApiError(
        409, "A skill is already at development/triage-tests; promote with overwrite=true "
             "to replace it.", reason="TargetExists")
    await sign_in(browser, ALICE)
    r = await post(browser, job_id, "promote", {"delete_draft": "true"})
    assert r.status_code == 409
    assert ('id="promote-error" role="alert">Not promoted: A skill is already at '
            "development/triage-tests; promote with overwrite=true") in unescape(r.text)
    assert re.search(r'name="delete_draft" value="true"[^>]*\s+checked', r.text)  # kept
    gateway.fail["promote"] = ApiError(400, "The job is cancelled; only a completed job "
                                            "with an open promotion window can be promoted.")
    r = await post(browser, job_id, "promote", {})
    assert r.status_code == 400 and "Not promoted: The job is cancelled" in r.text


async def test_rewind_goes_through_the_rewind_route_with_edits(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = waiting(gateway)
    await sign_in(browser, ALICE)
    r = await post(browser, job_id, "rewind", {
        "to": "generation", "edits.skill_name": "triage-flaky-tests",
        "edits.outline": "When to Use\r\n\r\nInstructions\r\n", "edits.description": "",
        "edits.feedback": ""})
    assert (r.status_code, r.headers["location"]) == (
        303, f"/ui/jobs/{job_id}?rewound=generation")
    [call] = gateway.called("rewind")
    assert call["owner"] == "alice"
    assert call["request"] == RewindRequest(to="generation", edits=RewindEdits(
        skill_name="triage-flaky-tests", outline=["When to Use", "Instructions"]))
    page = await browser.get(r.headers["location"])
    assert "Rewound to generation." in page.text


async def test_a_bad_rewind_is_refused_on_its_fields(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = waiting(gateway)
    await sign_in(browser, ALICE)
    r = await post(browser, job_id, "rewind", {"edits.skill_name": "Bad Name"})
    assert r.status_code == 422 and "Not rewound; see the marked fields." in r.text
    assert field_error(r.text, "to") == "Go back to: Field required"
    assert "pattern" in field_error(r.text, "edits.skill_name")
    assert gateway.called("rewind") == []
    gateway.fail["rewind"] = ApiError(422, "The revision limit (3) is reached.",
                                      reason="revision_limit")
    r = await post(browser, job_id, "rewind", {"to": "understanding"})
    assert r.status_code == 422
    assert "Not rewound: The revision limit (3) is reached." in r.text
    assert gateway.called("rewind")[-1]["request"].to == Phase.UNDERSTANDING


async def test_forms_need_the_sessions_token_and_the_users_own_job(
        ui: Api, browser: httpx.AsyncClient, gateway: UiFakeGateway) -> None:
    job_id = completed(gateway)
    await sign_in(browser, ALICE)
    for what in ("promote", "rewind"):
        r = await browser.post(f"/ui/jobs/{job_id}/{what}",
                               data={"csrf": "forged", "to": "generation"})
        assert r.status_code == 403, what
    html = (await browser.get(f"/ui/jobs/{job_id}")).text
    gateway.fail["view"] = ApiError(404, f"Job {job_id} not found.")
    for what in ("promote", "rewind"):
        r = await browser.post(f"/ui/jobs/{job_id}/{what}",
                               data={"csrf": hidden(html, "csrf"), "to": "generation"})
        assert r.status_code == 404, what
    assert gateway.called("promote") == [] and gateway.called("rewind") == []
