"""Who is looking at the reviewer page: a signed session cookie, its CSRF token, its caller.

A browser cannot send `Authorization` on a link or an EventSource, so the page trades an
API key for a cookie once. The cookie is signed (itsdangerous) with
SKILL_FLEET_UI_SESSION_SECRET, or with a random secret made at start (a restart then signs
everyone out), is HttpOnly and SameSite=Strict, and holds a random nonce, the user id, the
role and the key's SHA-256 (what the keys file holds: no key). Each request looks the hash
up in the API's keys again, so a revoked key (removed from the keys file) ends its
sessions within the keys file's reload interval. In open local mode every visitor is the
open-mode admin and nobody signs in; the cookie then only carries the nonce.

Every form carries a CSRF token: an HMAC of the session's nonce, so a page elsewhere
cannot post one (SameSite=Strict and the API's cross-site check stop it too). Signing in
starts a new session (a new nonce), so a token or cookie planted before sign-in is useless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from api.auth import OPEN_CALLER, Caller
from common.settings import Settings

COOKIE = "skill_fleet_ui"
COOKIE_PATH = "/ui"
MAX_AGE_SECONDS = 12 * 3600
_SALT = "skill-fleet-ui-session"


@dataclass
class UiSession:
    nonce: str
    user_id: str | None = None
    role: str | None = None
    key_sha256: str | None = None
    changed: bool = False  # the cookie must be (re)sent


class UiSessions:
    """Signs and reads session cookies and CSRF tokens with one secret per app."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret or secrets.token_urlsafe(32)
        self._serializer = URLSafeTimedSerializer(self.secret, salt=_SALT)

    @classmethod
    def from_settings(cls, settings: Settings) -> UiSessions:
        return cls(settings.ui_session_secret)

    def new(self, *, user_id: str | None = None, role: str | None = None,
            key_sha256: str | None = None) -> UiSession:
        return UiSession(nonce=secrets.token_urlsafe(16), user_id=user_id, role=role,
                         key_sha256=key_sha256, changed=True)

    def load(self, raw: str | None) -> UiSession:
        """The session of a cookie; a new anonymous one if it is missing, forged or old."""
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=MAX_AGE_SECONDS)
            except BadSignature:  # includes SignatureExpired
                data = None
            if isinstance(data, dict) and isinstance(data.get("n"), str):
                return UiSession(nonce=data["n"], user_id=data.get("u"), role=data.get("r"),
                                 key_sha256=data.get("k"))
        return self.new()

    def dump(self, session: UiSession) -> str:
        data = {"n": session.nonce}
        if session.user_id:
            data.update(u=session.user_id, r=session.role or "user", k=session.key_sha256 or "")
        return self._serializer.dumps(data)

    def csrf_token(self, session: UiSession) -> str:
        return hmac.new(self.secret.encode(), b"csrf:" + session.nonce.encode(),
                        hashlib.sha256).hexdigest()

    def csrf_ok(self, session: UiSession, token: str) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), token)


def sessions(request: Request) -> UiSessions:
    return request.app.state.ui_sessions


def current_session(request: Request) -> UiSession:
    """The request's session, read once and kept on the request."""
    found = getattr(request.state, "ui_session", None)
    if found is None:
        found = sessions(request).load(request.cookies.get(COOKIE))
        request.state.ui_session = found
    return found


def replace_session(request: Request, session: UiSession) -> None:
    request.state.ui_session = session


def open_mode(request: Request) -> bool:
    return bool(getattr(request.app.state.api_keys, "open_mode", False))


def session_caller(request: Request) -> Caller | None:
    """The caller this request acts as, or None when it must sign in (again)."""
    if open_mode(request):
        return OPEN_CALLER
    session = current_session(request)
    if not session.user_id or not session.key_sha256:
        return None
    caller: Caller | None = request.app.state.api_keys.caller_by_hash(session.key_sha256)
    if caller is None or caller.user_id != session.user_id:
        return None  # revoked, or the key now belongs to someone else
    request.state.user_id = caller.user_id  # for the access log, as the API's key check does
    return caller


def write_cookie(request: Request, response: Response) -> None:
    """Send the session cookie if it changed on this request."""
    session = current_session(request)
    if not session.changed:
        return
    response.set_cookie(COOKIE, sessions(request).dump(session), max_age=MAX_AGE_SECONDS,
                        path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
