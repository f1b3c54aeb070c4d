"""/console: the staff pages. Sign-in is public; everything else needs a staff session."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from bot.console import report_views
from bot.console.inputs import ConsoleRoute, PathId, clean_input, form_id
from bot.web.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    Principal,
    check_csrf,
    csrf_token,
    require_admin,
    require_staff,
)
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from bot.web.sheet_cells import csv_row
from config.settings import Env
from store.errors import Refused
from store.staff import accounts as staff
from store.staff import audit, login_throttle
from store.staff import scope as scopes
from store.staff import sessions as staff_sessions
from store.staff.models import COMMITTEE_STAFF, GRID_WORKER, ROLES, SUBDISTRICT_ADMIN

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
LOGIN_COOKIE = "linli_login"
_ROLE_ORDER = [COMMITTEE_STAFF, GRID_WORKER, SUBDISTRICT_ADMIN]

# Every console router refuses unstorable text and shows refusals as pages (bot/console/inputs).
public = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
                   dependencies=[Depends(clean_input)])  # fmt: skip
router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
Admin = Annotated[Principal, Depends(require_admin)]
Csrf = Annotated[str | None, Form(alias=CSRF_FIELD)]


def account_page(
    request: Request, who: Principal, session: Session, **context: Any
) -> HTMLResponse:
    """My account, with my API tokens."""
    services = context_of(request)
    tokens = staff_sessions.tokens_of(session, who.staff)
    return page(request, "account.html", who, tokens=tokens, local=_local(services), **context)


def page(request: Request, name: str, who: Principal | None, **context: Any) -> HTMLResponse:
    """Render a console page with the wording, the caller and their form token."""
    services = context_of(request)
    values = {
        "t": services.content.console,
        "me": who.staff if who else None,
        "admin": bool(who and who.scope.admin),
        "csrf": csrf_token(services, who.session_secret) if who and who.session_secret else "",
        **context,
    }
    response = templates.TemplateResponse(request, name, values)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    secure = context_of(request).settings.env is Env.production
    response.set_cookie(name, value, httponly=True, secure=secure, samesite="lax", path="/")


def _login_token(request: Request, nonce: str) -> str:
    key = context_of(request).settings.secret_key.encode("utf-8")
    return hmac.new(key, nonce.encode("utf-8"), hashlib.sha256).hexdigest()


# -- public ------------------------------------------------------------------------------------


@public.get("/static/console.css")
def stylesheet() -> FileResponse:
    """The console's only style sheet, served by the app (no CDN)."""
    return FileResponse(HERE / "static" / "console.css", media_type="text/css")


@public.get("/login", response_class=HTMLResponse)
def login_page(request: Request, failed: bool = False) -> HTMLResponse:
    """The sign-in form; a pre-session cookie backs its CSRF token."""
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    t = context_of(request).content.console
    response = page(request, "login.html", None, csrf=_login_token(request, nonce),
                     problem=t.sign_in_failed if failed else None)  # fmt: skip
    _cookie(response, request, LOGIN_COOKIE, nonce)
    return response


@public.post("/login")
def login(
    request: Request,
    session: WriteSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    token: Csrf = None,
) -> RedirectResponse:
    """Check the credentials; on success start a session and go home."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not token or not hmac.compare_digest(_login_token(request, nonce), token):
        raise HTTPException(403, detail=[{"field": CSRF_FIELD, "reason": "missing or wrong"}])
    services = context_of(request)
    now = services.clock()
    # The peer, or behind a trusted proxy the client it names (see `linli serve`).
    address = request.client.host if request.client else "unknown"
    found = login_throttle.sign_in(session, username, password, address=address, now=now)
    secret = staff_sessions.open_session(session, found, now) if found else None
    previous = request.cookies.get(SESSION_COOKIE)
    if secret and previous:  # a fresh session only: whatever this browser held ends
        staff_sessions.close_session(session, previous, now)
    if secret is None:
        # One answer for every refusal (wrong, unknown, locked, disabled, throttled).
        return RedirectResponse("/console/login?failed=1", status_code=303)
    response = RedirectResponse("/console", status_code=303)
    _cookie(response, request, SESSION_COOKIE, secret)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


# -- signed in ---------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def home(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """The home page."""
    services = context_of(request)
    t = services.content.console
    return page(request, "home.html", who, welcome=t.welcome.format(name=who.staff.display_name),
                 role_name=t[f"role_{who.staff.role}"],
                 summary=report_views.summary(session, services, who.scope))  # fmt: skip


@router.post("/logout")
def logout(
    request: Request, who: Staff, session: WriteSession, token: Csrf = None
) -> RedirectResponse:
    """End the session."""
    check_csrf(request, who, token)
    staff_sessions.close_session(session, who.session_secret or "", context_of(request).clock())
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account", response_class=HTMLResponse)
def change_password(
    request: Request,
    who: Staff,
    session: WriteSession,
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    token: Csrf = None,
) -> HTMLResponse:
    """Change the signed-in staff member's password."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    try:
        with session.begin_nested():  # a refusal keeps nothing of the change
            sessions, tokens = staff.change_password(
                session, who.staff, current=current_password, new=new_password,
                now=services.clock(), keep_session=who.session_secret,
            )  # fmt: skip
    except Refused as refused:
        problem = t.refused.format(field=refused.field, reason=refused.reason)
        return account_page(request, who, session, problem=problem)
    ended = t.signed_out_elsewhere.format(sessions=sessions, tokens=tokens)
    return account_page(request, who, session, notice=f"{t.password_changed}{ended}")


@router.get("/staff", response_class=HTMLResponse)
def staff_page(
    request: Request, who: Admin, session: WriteSession, added: bool = False
) -> HTMLResponse:
    """Staff of the admin's sub-district, and a form to add one."""
    notice = context_of(request).content.console.staff_added if added else None
    return _staff_page(request, who, session, notice=notice)


def _staff_page(request: Request, who: Principal, session: Session, **context: Any) -> HTMLResponse:
    t = context_of(request).content.console
    people = staff.listed(session, who.scope)
    committees = scopes.committees(session, who.scope)
    # Most accounts are committee staff: offer that first, the admin role last.
    roles = {role: t[f"role_{role}"] for role in sorted(ROLES, key=_ROLE_ORDER.index)}
    return page(request, "staff.html", who, people=people, committees=committees, roles=roles,
                 **context)  # fmt: skip


@router.post("/staff", response_class=HTMLResponse, response_model=None)
def add_staff(
    request: Request,
    who: Admin,
    session: WriteSession,
    username: Annotated[str, Form(max_length=64)],  # the columns' sizes
    display_name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=1024)],
    committee_id: Annotated[str, Form(max_length=32)] = "",
    token: Csrf = None,
) -> HTMLResponse | RedirectResponse:
    """Add a staff member to one of the admin's committees."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    try:
        # A committee id past the column's range names no committee, like an unknown one.
        if committee_id and form_id(committee_id) is None:
            raise Refused("committee", "not found")
        with session.begin_nested():  # a refusal keeps nothing of the account
            staff.create_in_scope(
                session, who.scope, actor=audit.Actor.of(who.staff), username=username,
                display_name=display_name, password=password, role=role,
                committee_id=form_id(committee_id), now=services.clock(),
            )  # fmt: skip
    except Refused as refused:
        problem = t.refused.format(field=refused.field, reason=refused.reason)
        return _staff_page(request, who, session, problem=problem)
    return RedirectResponse("/console/staff?added=1", status_code=303)


@router.post("/staff/{staff_id}/{change}")
def set_disabled(
    request: Request,
    who: Admin,
    session: WriteSession,
    staff_id: PathId,
    change: str,
    token: Csrf = None,
) -> RedirectResponse:
    """Disable or re-enable a staff member the admin may see (404 otherwise)."""
    check_csrf(request, who, token)
    if change not in ("disable", "enable"):
        raise HTTPException(404, detail=[{"field": "change", "reason": "disable or enable"}])
    person = staff.get_visible(session, who.scope, staff_id)
    if person is None or person.id == who.staff.id:
        raise HTTPException(404, detail=[{"field": "staff_id", "reason": "not found"}])
    staff.set_disabled(
        session, person, disabled=change == "disable", actor=audit.Actor.of(who.staff),
        now=context_of(request).clock(),
    )  # fmt: skip
    return RedirectResponse("/console/staff", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    who: Admin,
    session: WriteSession,
    actor: str | None = None,
    action: str | None = None,
) -> HTMLResponse:
    """Search the audit log."""
    services = context_of(request)
    entries = audit.search(session, scope=who.scope, actor=actor or None,
                           action=action or None, limit=500)  # fmt: skip
    return page(request, "audit.html", who, entries=entries, local=_local(services),
                 filters={"actor": actor, "action": action})  # fmt: skip


@router.get("/audit.csv")
def audit_export(
    request: Request,
    who: Admin,
    session: WriteSession,
    actor: str | None = None,
    action: str | None = None,
) -> Response:
    """The audit log (filtered) as a CSV file for spreadsheets."""
    services = context_of(request)
    t = services.content.console
    entries = audit.search(session, scope=who.scope, actor=actor or None,
                           action=action or None, limit=100_000)  # fmt: skip
    local = _local(services)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t.when, t.who, t.action, t.object, "before", "after"])
    for e in entries:
        # A username like "=1+1" must reach the spreadsheet as text, never as a formula.
        writer.writerow(csv_row([local(e.at), e.actor, e.action,
                                 f"{e.object_type} {e.object_id or ''}",
                                 e.before or "", e.after or ""]))  # fmt: skip
    body = "\ufeff" + out.getvalue()  # a BOM so Excel reads the Chinese correctly
    headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _local(services: AppContext) -> Any:
    tz = services.settings.tz
    return lambda when: when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else "—"
