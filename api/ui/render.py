"""HTML responses of the reviewer page: Jinja2 templates, security headers, time in words.

Every UI response carries a strict Content-Security-Policy: scripts, styles, images and
form targets only from this origin, no inline script, no framing. Together with the
templates (no external URL anywhere) the page makes no request to any other host.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from api.ui.session import current_session, sessions, write_cookie

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SOON_SECONDS = 3600  # a deadline closer than this reads "soon"


def secure(response: Response, *, cache: bool = False) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if not cache:
        response.headers["Cache-Control"] = "no-store"
    return response


def span(seconds: float) -> str:
    """A duration in words: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(s // 3600, 24)
    return f"{d} d {h} h" if h else f"{d} d"


def age(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "-"
    return span(((now or datetime.now(UTC)) - moment).total_seconds()) + " ago"


def deadline_state(deadline: datetime | None, now: datetime | None = None) -> tuple[str, str]:
    """(state, words): ('ok', 'in 23 h'), ('soon', 'in 12 min') or ('overdue', '5 min ago')."""
    if deadline is None:
        return "ok", "none"
    left = (deadline - (now or datetime.now(UTC))).total_seconds()
    if left < 0:
        return "overdue", f"overdue by {span(left)}"
    return ("soon" if left < SOON_SECONDS else "ok"), f"in {span(left)}"


def stamp(moment: datetime | str | None) -> str:
    if moment is None:
        return "-"
    if isinstance(moment, str):
        return moment
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(age=age, stamp=stamp)
    env.globals.update(deadline_state=deadline_state)
    return env


def page(request: Request, template: str, context: dict[str, Any], *,
         status_code: int = 200) -> HTMLResponse:
    """Render a page with the session's CSRF token and who is signed in, headers set."""
    session = current_session(request)
    base = {
        "csrf": sessions(request).csrf_token(session),
        "signed_in_as": getattr(request.state, "ui_caller", None),
        "open_mode": bool(getattr(request.app.state.api_keys, "open_mode", False)),
    }
    html = environment().get_template(template).render(**base, **context)
    response = HTMLResponse(html, status_code=status_code)
    write_cookie(request, response)
    return secure(response)  # type: ignore[return-value]
