"""My account's API tokens: issue one (shown once), see them, revoke them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.console.inputs import ConsoleRoute, PathId, clean_input
from bot.console.routes import Csrf, account_page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.staff import audit
from store.staff import sessions as staff_sessions

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """My account: change password, API tokens."""
    return account_page(request, who, session)


@router.post("/account/tokens", response_class=HTMLResponse)
def issue(
    request: Request,
    who: Staff,
    session: WriteSession,
    name: Annotated[str, Form(max_length=100)],
    token: Csrf = None,
) -> HTMLResponse:
    """Issue a personal API token; its secret is shown this once."""
    check_csrf(request, who, token)
    secret = staff_sessions.issue_token(session, who.staff, name, context_of(request).clock())
    return account_page(request, who, session, new_token=secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(
    request: Request, who: Staff, session: WriteSession, token_id: PathId, token: Csrf = None
) -> RedirectResponse:
    """Revoke one of my API tokens (404 for anyone else's)."""
    check_csrf(request, who, token)
    mine = staff_sessions.token_of(session, who.staff, token_id)
    if mine is None:
        raise HTTPException(404, detail=[{"field": "token_id", "reason": "not found"}])
    staff_sessions.revoke_token(session, mine, actor=audit.Actor.of(who.staff),
                                now=context_of(request).clock())  # fmt: skip
    return RedirectResponse("/console/account", status_code=303)
