"""`--answer KEY=VALUE` for `respond`: values typed by the pending prompt's questions.

The CLI parses what it can (booleans, comma lists) so scripts need not write JSON;
the server still checks the result against the prompt's answer schema.
"""

from __future__ import annotations

from typing import Any

TRUE = frozenset({"true", "yes", "y", "1", "on"})
FALSE = frozenset({"false", "no", "n", "0", "off"})


class AnswerError(ValueError):
    """A `--answer` that cannot be read; reported as a usage error."""


def parse_answers(pairs: list[str], questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`["examples=true", "topics=a,b"]` -> `{"examples": True, "topics": ["a", "b"]}`."""
    answers: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise AnswerError(f"{pair!r} is not KEY=VALUE")
        if questions and key not in questions:
            raise AnswerError(f"no question {key!r}; the prompt asks: "
                              + ", ".join(sorted(questions)))
        answers[key] = parse_value(raw.strip(), questions.get(key, {}))
    return answers


def parse_value(raw: str, question: dict[str, Any]) -> Any:
    qtype = question.get("question_type")
    if qtype == "boolean":
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise AnswerError(f"{question.get('id', 'answer')} is yes/no: use true or false")
    options = {str(o["id"]) for o in question.get("options") or []}
    if qtype == "multi":
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if not items:
            raise AnswerError(f"{question.get('id', 'answer')} needs at least one choice")
        return [_choice(item, options, question) for item in items]
    if qtype == "single":
        return _choice(raw, options, question)
    return raw


def _choice(raw: str, options: set[str], question: dict[str, Any]) -> str:
    if options and raw not in options and not question.get("allows_other"):
        raise AnswerError(f"{question.get('id', 'answer')} is one of: "
                          + ", ".join(sorted(options)))
    return raw
