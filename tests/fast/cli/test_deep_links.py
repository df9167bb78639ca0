"""The reviewer page's deep link wherever the CLI shows a prompt: the page of the job at
`{api_url}/ui/jobs/{job_id}`, on the API the CLI talks to (SKILL_FLEET_API_URL)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from cli.client import ApiClient
from cli.interactive import answer_prompt
from cli.render import page_link, prompt_view
from tests.fast.cli.conftest import API_URL, AppTransport, Cli, ServeApi
from tests.fast.cli.fakes import (
    JOB_ID,
    FakeGateway,
    FakeJob,
    Step,
    finished_job,
    make_prompt,
    make_view,
)
from tests.fast.cli.test_interactive import Typist
from workflows.models import HitlType

LINK = f"{API_URL}/ui/jobs/{JOB_ID}"


def test_the_link_is_the_api_base_plus_the_page() -> None:
    assert page_link("http://127.0.0.1:8000", JOB_ID) == f"http://127.0.0.1:8000/ui/jobs/{JOB_ID}"
    assert page_link("https://fleet.example.org/skills/", "j1") == (
        "https://fleet.example.org/skills/ui/jobs/j1")  # behind a path: kept, no '//'


@pytest.mark.parametrize("kind", list(HitlType))
def test_every_checkpoint_view_carries_the_link(kind: HitlType) -> None:
    console = Console(file=io.StringIO(), width=200, highlight=False)
    console.print(prompt_view(make_prompt(kind), link=LINK))
    assert f"in the browser: {LINK}" in console.file.getvalue()  # type: ignore[attr-defined]
    console = Console(file=io.StringIO(), width=200, highlight=False)
    console.print(prompt_view(make_prompt(kind)))
    assert "in the browser" not in console.file.getvalue()  # type: ignore[attr-defined]


def test_answering_at_the_terminal_shows_the_link(serve_api: ServeApi,
                                                  fake: FakeGateway) -> None:
    """The CLI's own client, pointed at another address, links to that address."""
    other = "http://127.0.0.1:9911/"
    confirm = make_prompt(HitlType.CONFIRM)
    fake.add(FakeJob([Step(make_view(prompt=confirm)),
                      Step(make_view(prompt=make_prompt(HitlType.PREVIEW, 2)))]))
    typist = Typist("")
    with ApiClient(other, transport=AppTransport(serve_api())) as client:
        assert answer_prompt(client, JOB_ID, confirm, typist) is True
    assert f"in the browser: http://127.0.0.1:9911/ui/jobs/{JOB_ID}" in typist.text


def test_show_gives_the_link_of_a_waiting_job_only(cli: Cli, fake: FakeGateway) -> None:
    fake.add(FakeJob([Step(make_view(prompt=make_prompt(HitlType.CLARIFY)))]))
    out = cli("show", JOB_ID).stdout
    assert "in the browser" in out and LINK in out
    fake.add(finished_job())
    assert "in the browser" not in cli("show", JOB_ID).stdout
