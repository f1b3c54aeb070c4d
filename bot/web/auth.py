"""Who is calling: a console session cookie or a personal API token. Required by default."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from store.staff import scope as scopes
from store.staff import sessions as staff_sessions
from store.staff.models import StaffUser
from store.staff.scope import Scope

SESSION_COOKIE = "linli_session"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Principal:
    """The signed-in staff member, what they may see, and how they came in."""

    staff: StaffUser
    scope: Scope
    session_secret: str | None  # None for API tokens, which need no CSRF token


class NotSignedIn(Exception):
    """No valid session or token; the console redirects to sign-in, the API answers 401."""


def resolve(request: Request, session: Session) -> Principal | None:
    """The caller, or None: the one place credentials are checked (their use noted in `session`)."""
    now = context_of(request).clock()
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    secret = request.cookies.get(SESSION_COOKIE, "")
    if not token and not secret:
        return None
    if token:
        staff = staff_sessions.staff_for_token(session, token, now)
    else:
        staff = staff_sessions.staff_for_session(session, secret, now)
    if staff is None:
        return None
    return Principal(staff, scopes.of(session, staff), None if token else secret)


# Declared so the OpenAPI schema (and /docs' Authorize button) shows how to call the API; the
# header itself is read in resolve(), which also accepts the console's session cookie.
_bearer = HTTPBearer(auto_error=False, description="a personal API token (lnl_…) from 我的账号")


def require_staff(
    request: Request,
    session: WriteSession,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Principal:
    """A dependency for every protected route: the caller, or NotSignedIn."""
    # The request's WriteSession records the sign-in's use; a route taking WriteSession gets
    # the same session (FastAPI resolves a dependency once per request).
    principal = resolve(request, session)
    if principal is None:
        raise NotSignedIn()
    request.state.principal = principal
    return principal


def require_admin(principal: Annotated[Principal, Depends(require_staff)]) -> Principal:
    """Like require_staff, for sub-district admins only (others get 403)."""
    if not principal.scope.admin:
        raise HTTPException(403, detail=[{"field": "role", "reason": "admins only"}])
    return principal


def csrf_token(services: AppContext, session_secret: str) -> str:
    """The form token for a session: derived from it, so nothing extra is stored."""
    key = services.settings.secret_key.encode("utf-8")
    digest = hashlib.sha256(session_secret.encode("utf-8")).digest()
    return hmac.new(key, digest, hashlib.sha256).hexdigest()


def check_csrf(request: Request, principal: Principal, submitted: str | None) -> None:
    """Refuse a cookie-authenticated form post without the session's token."""
    if principal.session_secret is None:
        return
    expected = csrf_token(context_of(request), principal.session_secret)
    if not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, detail=[{"field": CSRF_FIELD, "reason": "missing or wrong"}])
