"""/api/v1/reports: issue reports (报事) for staff — list, read, move along, note, assign, and
the photos residents sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse
from sqlmodel import Session, col

from bot.api import report_schemas as schemas
from bot.api.paging import MAX_ID, PageRequest, one_of, page_request, paginate
from bot.api.problems import problems
from bot.reports import service as reporting
from bot.reports.photos import photo_response
from bot.web.auth import Principal, require_staff
from bot.web.context import AppContext
from store.db import unit_of_work
from store.reports import inbox as report_inbox
from store.reports import photos as report_photos
from store.reports import service as reports
from store.reports.models import STATUSES, Report
from store.staff import accounts as staff_service
from store.staff import audit

router = APIRouter(
    prefix=schemas.PREFIX, tags=["reports"], dependencies=[Depends(require_staff)],
    responses=problems(401, 422),
)  # fmt: skip
SORTABLE = {
    "created_at": Report.created_at,
    "updated_at": Report.updated_at,
    "status": Report.status,
    "category": Report.category,
    "reference": Report.reference,
}
Caller = Annotated[Principal, Depends(require_staff)]
REFERENCE = r"^[A-Z]{1,6}-[0-9]{8}-[0-9]{4,9}$"  # BS-20261128-0042
Reference = Annotated[str, Path(max_length=32, pattern=REFERENCE)]
MAX_HOURS = 24 * 365 * 10
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp")
PHOTO_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The photo as stored",
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}}
            for kind in (*PHOTO_TYPES, "application/octet-stream")
        },
    }
}


def _services(request: Request) -> AppContext:
    return request.app.state.services


def _visible(session: Session, caller: Principal, reference: str, *, lock: bool = False) -> Report:
    # A change locks the row, so two staff acting at once take turns (PostgreSQL).
    find = report_inbox.to_change if lock else reports.get_visible
    report = find(session, caller.scope, reference)
    if report is None:
        raise HTTPException(404, detail=[{"field": "reference", "reason": "not found"}])
    return report


def _refused(refused: reports.ReportError, field: str | None = None) -> HTTPException:
    # An action that does not fit the report's status is a conflict; a missing note is input.
    status = 409 if refused.field == "action" else 422
    return HTTPException(
        status, detail=[{"field": field or refused.field, "reason": refused.reason}]
    )


# -- routes ----------------------------------------------------------------------------------


@router.get("", response_model=schemas.ReportPage)
def list_reports(
    request: Request,
    caller: Caller,
    paging: Annotated[PageRequest, Depends(page_request(*SORTABLE))],
    status: Annotated[str | None, Query(pattern=one_of(STATUSES))] = None,
    category: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")] = None,
    place_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    older_than_hours: Annotated[
        int | None, Query(ge=0, le=MAX_HOURS, description="made at least this long ago")
    ] = None,
    mine: Annotated[bool, Query(description="only reports assigned to the caller")] = False,
) -> schemas.ReportPage:
    """Reports of the committees the caller may see, newest first unless sorted."""
    services = _services(request)
    query = reports.visible(caller.scope)
    if status:
        query = query.where(Report.status == status)
    if category:
        query = query.where(Report.category == category)
    if place_id is not None:
        query = query.where(Report.place_id == place_id)
    if assignee_id is not None:
        query = query.where(Report.assignee_id == assignee_id)
    if older_than_hours is not None:
        cutoff = services.clock() - timedelta(hours=older_than_hours)
        query = query.where(col(Report.created_at) <= cutoff)
    if mine:
        query = query.where(Report.assignee_id == caller.staff.id)
    with Session(services.database) as session:
        rows, total = paginate(
            session, query, paging, sortable=SORTABLE, default=col(Report.id).desc()
        )
        items = [
            schemas.ReportSummary(**schemas.summary(session, services.content, r)) for r in rows
        ]
    return schemas.ReportPage(items=items, page=paging.page, per_page=paging.per_page, total=total)


@router.get("/{reference}", response_model=schemas.ReportDetail, responses=problems(404))
def get_report(request: Request, caller: Caller, reference: Reference) -> schemas.ReportDetail:
    """One report with its timeline and photos."""
    services = _services(request)
    with Session(services.database) as session:
        return schemas.detail(session, services.content, _visible(session, caller, reference))


def _write(
    request: Request,
    caller: Principal,
    reference: str,
    change: Callable[[Session, Report, AppContext], None],
    field: str | None = None,
) -> schemas.ReportDetail:
    """One staff change to a report, its row locked, in one unit of work; the report after."""
    services = _services(request)
    try:
        with unit_of_work(services.database) as session:
            report = _visible(session, caller, reference, lock=True)
            change(session, report, services)
            return schemas.detail(session, services.content, report)
    except reports.ReportError as refused:
        raise _refused(refused, field) from refused


@router.post(
    "/{reference}/actions", response_model=schemas.ReportDetail, responses=problems(400, 404, 409)
)
def act_on_report(
    request: Request, caller: Caller, reference: Reference, body: schemas.ActionIn
) -> schemas.ReportDetail:
    """Accept, start, resolve, close, reject, refer or reopen (the residents are told)."""

    def change(session: Session, report: Report, services: AppContext) -> None:
        reporting.change(
            session, services.content, report, body.action,
            actor=audit.Actor.of(caller.staff), now=services.clock(), note=body.note,
            referred_to=body.referred_to,
        )  # fmt: skip

    return _write(request, caller, reference, change)


@router.post(
    "/{reference}/notes", response_model=schemas.ReportDetail, responses=problems(400, 404)
)
def note_report(
    request: Request, caller: Caller, reference: Reference, body: schemas.NoteIn
) -> schemas.ReportDetail:
    """Add a note to the timeline (a public one is told to the reporter and followers)."""

    def change(session: Session, report: Report, services: AppContext) -> None:
        reporting.note(
            session, services.content, report, actor=audit.Actor.of(caller.staff),
            text=body.text, public=body.public, now=services.clock(),
        )  # fmt: skip

    return _write(request, caller, reference, change, "text")


@router.post(
    "/{reference}/assign", response_model=schemas.ReportDetail, responses=problems(400, 404)
)
def assign_report(
    request: Request, caller: Caller, reference: Reference, body: schemas.AssignIn
) -> schemas.ReportDetail:
    """Give the report to a member of its committee's staff."""

    def change(session: Session, report: Report, services: AppContext) -> None:
        staff = staff_service.get_visible(session, caller.scope, body.staff_id)
        if staff is None:
            raise reports.ReportError("staff_id", "not found")
        reports.assign(
            session, report, actor=audit.Actor.of(caller.staff), staff=staff,
            now=services.clock(),
        )  # fmt: skip

    return _write(request, caller, reference, change, "staff_id")


@router.get(
    "/{reference}/photos/{position}",
    response_class=FileResponse,
    responses={**PHOTO_RESPONSE, **problems(404)},
)
def report_photo(
    request: Request,
    caller: Caller,
    reference: Reference,
    position: Annotated[int, Path(ge=1, le=9)],
) -> FileResponse:
    """A photo of the report, once it is stored (staff only, never cached by proxies)."""
    services = _services(request)
    with Session(services.database) as session:
        photo = report_photos.visible_photo(session, caller.scope, reference, position)
    file = report_photos.file_of(services.settings.media_dir, photo)
    if photo is None or file is None:
        raise HTTPException(404, detail=[{"field": "position", "reason": "no stored photo"}])
    return photo_response(file, photo.content_type)
