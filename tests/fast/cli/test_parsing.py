"""Pure parsing: `--answer KEY=VALUE` (cli/answers.py) and what a stream message carries
(cli/events.py; the SSE wire format itself is httpx-sse's).

Moved here from tests/test_cli.py, where they ran beside a real stack they never used.
"""

from __future__ import annotations

from typing import Any

import pytest
from httpx_sse import ServerSentEvent

from cli.answers import AnswerError, parse_answers
from cli.events import _job_event, _stream_error
from cli.exits import ExitCode

QUESTIONS: dict[str, dict[str, Any]] = {
    "examples": {"id": "examples", "question_type": "boolean"},
    "topics": {"id": "topics", "question_type": "multi", "options": [{"id": "a"}, {"id": "b"}]},
    "output": {"id": "output", "question_type": "single", "allows_other": True,
               "options": [{"id": "guide"}]},
    "kind": {"id": "kind", "question_type": "single", "options": [{"id": "x"}]},
    "subject": {"id": "subject", "question_type": "text"},
}


def test_answers_are_typed_by_their_question() -> None:
    assert parse_answers(["examples=no", "topics=a, b", "output=poster", "subject=x=y",
                          "kind=x"], QUESTIONS) == {
        "examples": False, "topics": ["a", "b"], "output": "poster", "subject": "x=y",
        "kind": "x"}


@pytest.mark.parametrize("raw", ["true", "YES", "y", "1", "on"])
def test_yes_spellings(raw: str) -> None:
    assert parse_answers([f"examples={raw}"], QUESTIONS) == {"examples": True}


@pytest.mark.parametrize(("pairs", "message"), [
    (["examples=maybe"], "examples is yes/no"),
    (["topics=c"], "topics is one of: a, b"),
    (["topics= , "], "topics needs at least one choice"),
    (["kind=y"], "kind is one of: x"),
    (["nope=1"], "no question 'nope'"),
    (["novalue"], "is not KEY=VALUE"),
    ([" =1"], "is not KEY=VALUE"),
])
def test_unreadable_answers(pairs: list[str], message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        parse_answers(pairs, QUESTIONS)


def test_without_questions_values_stay_text() -> None:
    """An explicit --prompt-id that is not pending: no questions to type by; the server judges."""
    assert parse_answers(["a=true", "b=x,y"], {}) == {"a": "true", "b": "x,y"}


def test_job_event_takes_seq_and_kind_from_the_envelope() -> None:
    event = _job_event(ServerSentEvent("validated", '{"at": "2030-01-01T00:00:00Z", '
                                                    '"data": {"x": 1}}', "7"))
    assert event is not None and (event.seq, event.kind, event.data) == (7, "validated",
                                                                        {"x": 1})
    for junk in ("not json", "[1]", '{"seq": "x"}'):
        assert _job_event(ServerSentEvent("k", junk)) is None


@pytest.mark.parametrize(("data", "code"), [
    ('{"error": "gone", "status": 404}', ExitCode.NOT_FOUND),
    ('{"error": "no", "status": 403}', ExitCode.AUTH),
    ('{"error": "down", "status": 503}', ExitCode.UNREACHABLE),
    ('{"error": "odd", "status": 409}', ExitCode.CONFLICT),
    ("garbage", ExitCode.UNREACHABLE),
])
def test_stream_error_codes(data: str, code: ExitCode) -> None:
    err = _stream_error(data)
    assert err.code is code and err.message.startswith("the event stream stopped: ")
