"""Who calls the requests endpoints: the owner of a staff API token given as `api_key`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fastapi import Request
from sqlmodel import Session

from bot.reports.open311.wire import Open311Error
from bot.web.auth import Principal
from store.staff import scope as scopes
from store.staff import sessions as staff_sessions


def api_key(request: Request, form: Mapping[str, str] | None = None) -> str:
    """The key from the form, the query string or an `Authorization: Bearer` header."""
    given = (form or {}).get("api_key") or request.query_params.get("api_key", "")
    if not given:
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    return given.strip()


def caller(session: Session, key: str, now: datetime) -> Principal:
    """The token's staff member and scope; a missing or dead key is refused with 403."""
    if not key:
        raise Open311Error(403, "api_key", "required")
    staff = staff_sessions.staff_for_token(session, key, now)
    if staff is None:
        raise Open311Error(403, "api_key", "unknown, revoked or of a disabled account")
    return Principal(staff, scopes.of(session, staff), None)
