"""/api/v1/reports: issue reports (报事) for staff — list, read, move along, note, assign, and
the photos residents sent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse
from sqlmodel import Session

from bot.api import report_schemas as schemas
from bot.api.paging import MAX_ID, PageRequest, declared_only, one_of, page_request
from bot.api.problems import problems
from bot.reports import service as reporting
from bot.reports.photos import photo_response
from bot.web.auth import Principal, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.reports import facts as report_facts
from store.reports import inbox as report_inbox
from store.reports import photos as report_photos
from store.reports import service as reports
from store.reports.models import STATUSES, Report
from store.staff import audit

router = APIRouter(
    prefix=schemas.PREFIX, tags=["reports"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401, 422),
)  # fmt: skip
Caller = Annotated[Principal, Depends(require_staff)]
REFERENCE = r"^[A-Z]{1,6}-[0-9]{8}-[0-9]{4,9}$"  # BS-20261128-0042
Reference = Annotated[str, Path(max_length=32, pattern=REFERENCE)]
MAX_HOURS = 24 * 365 * 10
NOBODY = 0  # no staff member has id 0: an assignee filter that matches nothing
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


def _visible(session: Session, caller: Principal, reference: str, *, lock: bool = False) -> Report:
    # A change locks the row, so two staff acting at once take turns (PostgreSQL).
    find = report_inbox.to_change if lock else reports.get_visible
    report = find(session, caller.scope, reference)
    if report is None:
        raise HTTPException(404, detail=[{"field": "reference", "reason": "not found"}])
    return report


def _ago(now: datetime, hours: int) -> datetime:
    return now - timedelta(hours=hours)


# -- routes ----------------------------------------------------------------------------------


@router.get("", response_model=schemas.ReportPage)
def list_reports(
    request: Request,
    caller: Caller,
    session: WriteSession,
    paging: Annotated[PageRequest, Depends(page_request(*report_inbox.SORTABLE))],
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
    services = context_of(request)
    if mine:  # the caller's own, and someone else's too if asked: nobody's
        assignee_id = caller.staff.id if assignee_id in (None, caller.staff.id) else NOBODY
    wanted = report_inbox.ReportFilter(
        statuses=(status,) if status else None,
        categories=(category,) if category else (),
        place_id=place_id,
        assignee_id=assignee_id,
        made_before=None if older_than_hours is None else _ago(services.clock(), older_than_hours),
    )
    rows, total = report_inbox.one_page(
        session, caller.scope, wanted, page=paging.page, per_page=paging.per_page,
        sort=paging.sort,
    )  # fmt: skip
    items = [schemas.summary(services.content, item) for item in report_facts.facts(session, rows)]
    return schemas.ReportPage(items=items, page=paging.page, per_page=paging.per_page, total=total)


@router.get("/{reference}", response_model=schemas.ReportDetail, responses=problems(404))
def get_report(
    request: Request, caller: Caller, session: WriteSession, reference: Reference
) -> schemas.ReportDetail:
    """One report with its timeline and photos."""
    report = _visible(session, caller, reference)
    return schemas.detail(session, context_of(request).content, report)


def _act(
    request: Request,
    caller: Principal,
    session: Session,
    reference: str,
    step: reporting.StaffStep,
) -> schemas.ReportDetail:
    """One staff action on the report, its row locked; the report after (a refusal is a 409 or
    a 422, answered by bot.web.errors)."""
    services = context_of(request)
    report = _visible(session, caller, reference, lock=True)
    reporting.act(
        session, services.content, caller.scope, report, step,
        actor=audit.Actor.of(caller.staff), now=services.clock(),
    )  # fmt: skip
    return schemas.detail(session, services.content, report)


@router.post(
    "/{reference}/actions", response_model=schemas.ReportDetail, responses=problems(400, 404, 409)
)
def act_on_report(
    request: Request,
    caller: Caller,
    session: WriteSession,
    reference: Reference,
    body: schemas.ActionIn,
) -> schemas.ReportDetail:
    """Accept, start, resolve, close, reject, refer or reopen (the residents are told)."""
    step = reporting.StaffStep(body.action, note=body.note, referred_to=body.referred_to)
    return _act(request, caller, session, reference, step)


@router.post(
    "/{reference}/notes", response_model=schemas.ReportDetail, responses=problems(400, 404)
)
def note_report(
    request: Request, caller: Caller, session: WriteSession, reference: Reference,
    body: schemas.NoteIn,
) -> schemas.ReportDetail:  # fmt: skip
    """Add a note to the timeline (a public one is told to the reporter and followers)."""
    step = reporting.StaffStep("note", note=body.text, public=body.public)
    return _act(request, caller, session, reference, step)


@router.post(
    "/{reference}/assign", response_model=schemas.ReportDetail, responses=problems(400, 404, 409)
)
def assign_report(
    request: Request, caller: Caller, session: WriteSession, reference: Reference,
    body: schemas.AssignIn,
) -> schemas.ReportDetail:  # fmt: skip
    """Give an open report to a member of its committee's staff."""
    step = reporting.StaffStep("assign", staff_id=body.staff_id)
    return _act(request, caller, session, reference, step)


@router.get(
    "/{reference}/photos/{position}",
    response_class=FileResponse,
    responses={**PHOTO_RESPONSE, **problems(404)},
)
def report_photo(
    request: Request,
    caller: Caller,
    session: WriteSession,
    reference: Reference,
    position: Annotated[int, Path(ge=1, le=9)],
) -> FileResponse:
    """A photo of the report, once it is stored (staff only, never cached by proxies)."""
    photo = report_photos.visible_photo(session, caller.scope, reference, position)
    file = report_photos.file_of(context_of(request).settings.media_dir, photo)
    if photo is None or file is None:
        raise HTTPException(404, detail=[{"field": "position", "reason": "no stored photo"}])
    return photo_response(file, photo.content_type)
