"""/console/applications: 办事申请 — applications residents made in chat, unanswered first, each
with what they filled in (masked; an audited reveal shows it whole), its timeline and only the
next steps its status allows; every step is audited and the resident is told."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.console.inputs import ConsoleRoute, clean_input
from bot.console.resident_views import when_local
from bot.console.routes import Csrf, page
from bot.services import actions
from bot.services.catalogue import field_label, service_name
from bot.services.notices import TOLD
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from store.errors import Refused
from store.services import applications
from store.services.models import OPEN, STATUSES, ServiceApplication
from store.staff import accounts as staff_accounts
from store.staff import audit
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
Reference = Annotated[str, Query(max_length=32)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000)]
PER_PAGE = 30
Note = Annotated[str, Form(max_length=4000)]  # longer than allowed: the page says how long


def _not_found() -> HTTPException:
    return HTTPException(404, detail=[{"field": "reference", "reason": "not found"}])


def _find(session: Session, who: Principal, reference: str, *, lock: bool = False
          ) -> ServiceApplication:  # fmt: skip
    found = applications.get_visible(session, who.scope, reference, lock=lock)
    if found is None:
        raise _not_found()
    return found


def _fields(services: AppContext, service: str, pairs: list[Any]) -> list[tuple[str, str]]:
    content = services.content
    return [(field_label(content, service, str(key)), str(value)) for key, value in pairs]


def _row(services: AppContext, item: ServiceApplication, committees: dict[int, str]
         ) -> dict[str, Any]:  # fmt: skip
    t, when = services.content.console, when_local(services.settings.tz)
    committee = committees.get(item.committee_id or 0, "") if item.committee_id else ""
    return {
        "reference": item.reference, "application": item,
        "service": service_name(services.content, item.service),
        "status": services.content.applications.status(item.status),
        "waiting": item.status == "submitted",
        "fields": _fields(services, item.service, item.fields_shown),
        "committee": committee if item.committee_id else t.ap_no_committee,
        "created": when(item.created_at), "updated": when(item.updated_at),
    }  # fmt: skip


@router.get("/applications", response_class=HTMLResponse)
def queue_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    show: Annotated[Literal["open", "all"], Query()] = "open",
    page_number: PageNumber = 1,
) -> HTMLResponse:
    """The queue: unanswered first, then those in hand, oldest first; every one with `all`."""
    services = context_of(request)
    rows, total = applications.queue(
        session, who.scope, statuses=OPEN if show == "open" else None, page=page_number,
        per_page=PER_PAGE,
    )  # fmt: skip
    committees = scopes.committees(session, who.scope)
    shown = [_row(services, item, committees) for item in rows]
    pages = max(1, -(-total // PER_PAGE))
    return page(request, "applications.html", who, rows=shown, total=total, show=show,
                page_number=page_number, pages=pages, several=len(committees) > 1)  # fmt: skip


def _detail(request: Request, who: Principal, session: Session, item: ServiceApplication,
            **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    t, words = services.content.console, services.content.applications
    when = when_local(services.settings.tz)
    committees = scopes.committees(session, who.scope)
    timeline = [
        {"when": when(e.at), "who": e.actor, "what": words.status(e.to_status), "note": e.note}
        for e in applications.timeline(session, item.id or 0)
    ]
    found = staff_accounts.get_visible(session, who.scope, item.assignee_id or 0)
    handler = found.display_name if found is not None else t.ap_no_handler
    steps = [{"to": to, "label": t[f"ap_to_{to}"]} for to in applications.allowed(item)]
    return page(request, "applications_detail.html", who, r=_row(services, item, committees),
                timeline=timeline, steps=steps, handler=handler,
                can_reveal=applications.can_reveal(who.scope, item), **context)  # fmt: skip


@router.get("/applications/{reference}", response_class=HTMLResponse)
def detail_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    reference: str,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    """One application: what was asked, its timeline, and the steps its status allows."""
    t, words = context_of(request).content.console, context_of(request).content.applications
    notice = None
    if done in STATUSES:
        said = t.ap_done_told if done in TOLD else t.ap_done
        notice = said.format(status=words.status(done))
    return _detail(request, who, session, _find(session, who, reference), notice=notice)


@router.post("/applications/{reference}/status", response_class=HTMLResponse,
             response_model=None)  # fmt: skip
def change_status(
    request: Request,
    who: Staff,
    session: WriteSession,
    reference: str,
    to: Annotated[str, Form(max_length=16)],
    note: Note = "",
    token: Csrf = None,
) -> Response:
    """Move the application on (row locked, audited); the resident is told. A refused step is
    explained on the application's page, and nothing changes."""
    check_csrf(request, who, token)
    services = context_of(request)
    t, words = services.content.console, services.content.applications
    item = _find(session, who, reference, lock=True)
    status = item.status
    try:
        with session.begin_nested():
            actions.move(session, services.content, item, to, note=note,
                         actor=audit.Actor.of(who.staff), now=services.clock())  # fmt: skip
    except Refused as refused:
        session.refresh(item)
        problem = {
            "note": t.ap_need_reason,
            "note_long": t.ap_note_too_long.format(count=applications.MAX_NOTE),
        }.get(refused.code or "") or t.ap_refused_status.format(
            status=words.status(status), to=words.status(to) if to in STATUSES else to
        )
        return _detail(request, who, session, item, problem=problem, typed_note=note, tried=to)
    return RedirectResponse(f"/console/applications/{item.reference}?done={to}", status_code=303)


@router.post("/applications/{reference}/reveal", response_class=HTMLResponse)
def reveal(
    request: Request, who: Staff, session: WriteSession, reference: str, token: Csrf = None
) -> HTMLResponse:
    """What the resident filled in, whole; the reveal goes in the audit log."""
    check_csrf(request, who, token)
    services = context_of(request)
    item = _find(session, who, reference)
    if not applications.can_reveal(who.scope, item):
        refused = page(request, "applications_reveal.html", who, item=item, fields=None)
        refused.status_code = 403
        return refused
    pairs = applications.reveal(session, item, scope=who.scope, sealer=services.sealer,
                                actor=audit.Actor.of(who.staff), now=services.clock())  # fmt: skip
    return page(request, "applications_reveal.html", who, item=item,
                fields=_fields(services, item.service, [list(p) for p in pairs]))  # fmt: skip
