"""/console/reports: the 报事 inbox, one report with its actions, its photos, and the export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.console import report_actions, report_sheet, report_views
from bot.console.inputs import ConsoleRoute, clean_input
from bot.console.report_actions import ActionForm
from bot.console.routes import Csrf, page
from bot.reports import service as reporting
from bot.reports.photos import photo_response
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.errors import Refused
from store.reports import inbox as report_inbox
from store.reports import photos as report_photos
from store.reports import service as reports
from store.reports.models import Report
from store.staff import audit

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=1_000_000)]
Position = Annotated[int, Path(ge=1, le=99)]  # never past what a 32-bit column holds
TEXT = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refused with a 422
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _not_found(field: str) -> HTTPException:
    return HTTPException(404, detail=[{"field": field, "reason": "not found"}])


def _report(session: Session, who: Principal, reference: str, *, lock: bool = False) -> Report:
    # PostgreSQL text cannot hold NUL: such a reference names no report.
    find = report_inbox.to_change if lock else reports.get_visible
    report = None if "\x00" in reference else find(session, who.scope, reference)
    if report is None:
        raise _not_found("reference")
    return report


@router.get("/reports", response_class=HTMLResponse)
def inbox_page(
    request: Request, who: Staff, session: WriteSession, page_number: PageNumber = 1
) -> HTMLResponse:
    """The inbox: the staff member's reports, filtered, newest first."""
    services = context_of(request)
    now = services.clock()
    asked = report_views.read_filters(services.content, who.staff, request.query_params, now)
    inbox = report_views.inbox(session, services, who.scope, asked, page_number)
    summary = report_views.summary(session, services, who.scope)
    return page(request, "reports.html", who, inbox=inbox, asked=asked, summary=summary)


@router.get("/reports/export.xlsx")
def export(request: Request, who: Staff, session: WriteSession, layout: str = "linli") -> Response:
    """The filtered reports (every page) as an Excel sheet in a layout of report_exports.yaml."""
    services = context_of(request)
    chosen = services.content.report_exports.layouts.get(layout)
    if chosen is None:
        raise HTTPException(422, detail=[{"field": "layout", "reason": "not a known layout"}])
    now = services.clock()
    asked = report_views.read_filters(services.content, who.staff, request.query_params, now)
    table = report_sheet.rows(
        session, services.content, services.settings.tz, who.scope, asked.wanted, chosen
    )
    day = now.astimezone(services.settings.tz).strftime("%Y%m%d")
    headers = {"Content-Disposition": f'attachment; filename="reports-{layout}-{day}.xlsx"'}
    return Response(report_sheet.workbook(chosen, table), media_type=XLSX, headers=headers)


def _detail_page(
    request: Request, who: Principal, session: Session, report: Report, **context: Any
) -> HTMLResponse:
    shown = report_views.detail(session, context_of(request), who.scope, report)
    return page(request, "report.html", who, r=shown, **context)


@router.get("/reports/{reference}", response_class=HTMLResponse)
def report_page(
    request: Request, who: Staff, session: WriteSession, reference: str, done: str = ""
) -> HTMLResponse:
    """One report: what, where, photos, its timeline and what staff can do next."""
    t = context_of(request).content.console
    known = done in report_actions.STEPS
    notice = t.report_done.format(action=t[f"action_{done}"]) if known else None
    return _detail_page(request, who, session, _report(session, who, reference), notice=notice)


@router.get("/reports/{reference}/photos/{position}")
def photo(
    request: Request, who: Staff, session: WriteSession, reference: str, position: Position
) -> FileResponse:
    """A stored photo of a report the staff member may see (404 otherwise, or not yet stored)."""
    report = _report(session, who, reference)
    found = report_photos.visible_photo(session, who.scope, report.reference, position)
    file = report_photos.file_of(context_of(request).settings.media_dir, found)
    if found is None or file is None:
        raise _not_found("position")
    return photo_response(file, found.content_type)


@router.post("/reports/{reference}/{action}", response_class=HTMLResponse, response_model=None)
def act(
    request: Request,
    who: Staff,
    session: WriteSession,
    reference: str,
    action: str,
    note: Annotated[str, Form(max_length=2000, pattern=TEXT)] = "",
    public: Annotated[str, Form()] = "",
    referred_to: Annotated[str, Form(max_length=200, pattern=TEXT)] = "",
    assignee_id: Annotated[str, Form()] = "",
    token: Csrf = None,
) -> HTMLResponse | RedirectResponse:
    """Do one action on a report; a refused one is explained on the report's page."""
    check_csrf(request, who, token)
    if action not in report_actions.STEPS:
        raise _not_found("action")
    services = context_of(request)
    form = ActionForm(note=note, public=bool(public), referred_to=referred_to,
                      assignee_id=assignee_id)  # fmt: skip
    report = _report(session, who, reference, lock=True)
    status = report.status
    try:
        reporting.act(
            session, services.content, who.scope, report, form.step(action),
            actor=audit.Actor.of(who.staff), now=services.clock(),
        )  # fmt: skip
    except Refused as refused:
        # The store refuses before it changes anything: the page shows the report as it is.
        problem = report_actions.refusal(services.content, status, action, refused)
        return _detail_page(request, who, session, report, problem=problem, form=form,
                            tried=action)  # fmt: skip
    return RedirectResponse(f"/console/reports/{report.reference}?done={action}", status_code=303)
