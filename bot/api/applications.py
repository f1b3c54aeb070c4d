"""/api/v1/applications: applications residents made in chat (办事申请) for staff — list, read,
and move along (accepted, ready, collected, or rejected with a reason); the same service as the
console, so every step is audited and the resident is told."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from bot.api.paging import TEXT, PageRequest, declared_only, one_of, page_request
from bot.api.problems import problems
from bot.services import actions
from bot.services.catalogue import field_label, service_name
from bot.web.auth import Principal, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from config.content import Content
from store.services import applications
from store.services.models import OPEN, STATUSES, ServiceApplication
from store.staff import audit

router = APIRouter(
    prefix="/api/v1/applications", tags=["applications"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401, 422),
)  # fmt: skip
Caller = Annotated[Principal, Depends(require_staff)]
REFERENCE = r"^[A-Z]{1,6}-[0-9]{8}-[0-9]{4,9}$"  # SQ-20261129-0007; another kind names none (404)
Reference = Annotated[str, Path(max_length=32, pattern=REFERENCE)]


class FieldShown(BaseModel):
    """One thing the resident filled in, masked (a name, an address, a mobile)."""

    key: str
    label: str
    value: str


class ApplicationSummary(BaseModel):
    """An application as lists show it."""

    reference: str
    service: str
    service_name: str
    status: str
    status_name: str
    committee_id: int | None
    assignee_id: int | None
    fields: list[FieldShown]
    note: str | None
    created_at: datetime
    updated_at: datetime


class EventPublic(BaseModel):
    """One line of the timeline."""

    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    note: str


class ApplicationDetail(ApplicationSummary):
    """One application with its timeline and the statuses it may move to now."""

    timeline: list[EventPublic]
    allowed: list[str]


class ApplicationPage(BaseModel):
    """A page of applications (unanswered first, then oldest first, unless sorted)."""

    items: list[ApplicationSummary]
    page: int
    per_page: int
    total: int


class StatusIn(BaseModel):
    """The status to move an application to; a rejection needs its reason (told to the
    resident)."""

    status: Literal["accepted", "ready", "collected", "rejected"]
    note: str = Field(default="", max_length=applications.MAX_NOTE, pattern=TEXT,
                      description="told to the resident; required to reject")  # fmt: skip


def _summary(content: Content, item: ServiceApplication) -> ApplicationSummary:
    words = content.applications
    return ApplicationSummary(
        reference=item.reference, service=item.service,
        service_name=service_name(content, item.service), status=item.status,
        status_name=words.status(item.status), committee_id=item.committee_id,
        assignee_id=item.assignee_id,
        fields=[FieldShown(key=str(k), label=field_label(content, item.service, str(k)),
                           value=str(v)) for k, v in item.fields_shown],
        note=item.note, created_at=item.created_at, updated_at=item.updated_at,
    )  # fmt: skip


def _detail(session: Session, content: Content, item: ServiceApplication) -> ApplicationDetail:
    timeline = [
        EventPublic(
            at=e.at, from_status=e.from_status, to_status=e.to_status, actor=e.actor, note=e.note
        )
        for e in applications.timeline(session, item.id or 0)
    ]
    summary = _summary(content, item).model_dump()
    return ApplicationDetail(**summary, timeline=timeline, allowed=list(applications.allowed(item)))


def _visible(session: Session, caller: Principal, reference: str, *, lock: bool = False
             ) -> ServiceApplication:  # fmt: skip
    found = applications.get_visible(session, caller.scope, reference, lock=lock)
    if found is None:
        raise HTTPException(404, detail=[{"field": "reference", "reason": "not found"}])
    return found


@router.get("", response_model=ApplicationPage)
def list_applications(
    request: Request,
    caller: Caller,
    session: WriteSession,
    paging: Annotated[PageRequest, Depends(page_request(*applications.SORTABLE))],
    status: Annotated[
        str | None, Query(pattern=one_of((*STATUSES, "open")), description="open: not finished")
    ] = None,
    service: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")] = None,
) -> ApplicationPage:
    """Applications of the committees the caller may see, unanswered first unless sorted."""
    content = context_of(request).content
    statuses = None if status is None else OPEN if status == "open" else (status,)
    rows, total = applications.queue(
        session, caller.scope, statuses=statuses, service=service, page=paging.page,
        per_page=paging.per_page, sort=paging.sort,
    )  # fmt: skip
    items = [_summary(content, item) for item in rows]
    return ApplicationPage(items=items, page=paging.page, per_page=paging.per_page, total=total)


@router.get("/{reference}", response_model=ApplicationDetail, responses=problems(404))
def get_application(
    request: Request, caller: Caller, session: WriteSession, reference: Reference
) -> ApplicationDetail:
    """One application with its timeline (what the resident filled in, masked)."""
    item = _visible(session, caller, reference)
    return _detail(session, context_of(request).content, item)


@router.post(
    "/{reference}/status", response_model=ApplicationDetail, responses=problems(400, 404, 409)
)
def change_status(
    request: Request, caller: Caller, session: WriteSession, reference: Reference, body: StatusIn
) -> ApplicationDetail:
    """Move the application on (row locked, audited); the resident is told of accepted, ready
    and rejected. A step its status does not allow is a 409; a rejection without reason a 422."""
    services = context_of(request)
    item = _visible(session, caller, reference, lock=True)
    actions.move(session, services.content, item, body.status, note=body.note,
                 actor=audit.Actor.of(caller.staff), now=services.clock())  # fmt: skip
    return _detail(session, services.content, item)
