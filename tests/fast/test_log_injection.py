"""A caller cannot write lines into the server's text log.

uvicorn decodes `%0A`/`%0D` in the request path, and the access line printed the path
as is: `GET /x%0A<time> INFO skill_fleet.access GET /admin 200` gave two lines, the second
one forged. Paths are logged re-encoded, and the text formatter escapes control
characters in any string it interpolates.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from common.logging import ContextFilter, JsonLineFormatter, TextFormatter, printable
from tests.fast.api.fake_gateway import FakeGateway
from tests.fast.api.harness import Api, make_settings, running_api
from tests.fast.api.samples import API

FORGED = "2026-01-01T00:00:00.000+00:00 INFO skill_fleet.access GET /api/v2/admin 200 1.0ms"
BREAKS = ["%0A", "%0D", "%0D%0A", "%1B[2K%0D", "%E2%80%A8", "%C2%85"]


@pytest.fixture(scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    settings = make_settings(Path(tmp_path_factory.mktemp("skills")))
    async with running_api(settings, gateway=FakeGateway()) as running:
        yield running


@pytest.fixture
def text_log() -> Iterator[io.StringIO]:
    """The access logger's lines as the text format writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("skill_fleet.access")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.DEBUG
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("line_break", BREAKS)
async def test_a_path_cannot_forge_an_access_line(app: Api, text_log: io.StringIO,
                                                  line_break: str) -> None:
    forged = FORGED.replace(" ", "%20")
    await app.raw("GET", f"{API}/skills/x{line_break}{forged}".encode())
    lines = text_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "skill_fleet.access GET /api/v2/skills/x" in lines[0]


async def test_the_logged_path_shows_what_was_sent(app: Api, text_log: io.StringIO) -> None:
    await app.raw("GET", f"{API}/skills/x%0Ay%09z".encode())
    assert f"GET {API}/skills/x%0Ay%09z 400" in text_log.getvalue()


def _format(formatter: logging.Formatter, msg: str, *args: object) -> str:
    record = logging.LogRecord("skill_fleet.test", logging.WARNING, __file__, 1, msg, args,
                               None)
    return formatter.format(record)


@pytest.mark.parametrize("text", ["a\nb", "a\rb", "a\r\nb", "a\x1b[2Kb", "a\u2028b",
                                  "a\x85b", "a\x00b", "a\x0bb"])
def test_text_lines_escape_interpolated_strings(text: str) -> None:
    line = _format(TextFormatter(), "promoted %s to %s", "job-1", text + " " + FORGED)
    assert len(line.splitlines()) == 1 and line.isprintable(), line
    assert printable(text) in line


def test_the_record_other_handlers_see_is_unchanged() -> None:
    record = logging.LogRecord("skill_fleet.test", logging.INFO, __file__, 1, "%s", ("a\nb",),
                               None)
    TextFormatter().format(record)
    assert record.args == ("a\nb",) and record.getMessage() == "a\nb"


def test_json_lines_stay_one_line_each() -> None:
    """JSON escapes control characters itself; the message keeps the text as it was."""
    line = _format(JsonLineFormatter(), "path %s", "a\nb\rc")
    assert "\n" not in line and "\r" not in line
    assert json.loads(line)["message"] == "path a\nb\rc"


def test_printable_leaves_plain_text_alone() -> None:
    assert printable("dev/x-y z é") == "dev/x-y z é"
    assert printable("a\nb\tc") == "a\\nb\\tc"
