"""/api/v1/reviews: 年审 records for staff — one programme's records of a cycle, filtered and
paged, and one change of a record (confirm, reject, complete, exempt, move_away, reopen); the
same changes as the console (bot/reviews/actions.py), each audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from bot.api.paging import MAX_ID, MAX_PER_PAGE, TEXT, declared_only, one_of
from bot.api.problems import problems
from bot.reviews import actions
from bot.web.auth import Principal, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from config.content import Content
from flows.masking import mask_name
from store.registry import search
from store.reviews import appointments, records, tracker
from store.reviews.models import STATES, AppointmentSlot, ReviewRecord
from store.staff import audit

router = APIRouter(
    prefix="/api/v1/reviews", tags=["reviews"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401, 422),
)  # fmt: skip
Caller = Annotated[Principal, Depends(require_staff)]
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
KEY = r"^[a-z][a-z0-9_]{0,39}$"


class ReviewItem(BaseModel):
    """One resident's record of a programme and cycle; the name is masked (张*英)."""

    id: int
    programme: str
    programme_name: str
    cycle: int
    resident_id: int
    name: str
    building: str | None
    state: str
    state_name: str
    opens_on: date
    closes_on: date | None = Field(description="null: no closing day is known")
    visit_starts_at: datetime | None = Field(description="the booked visit, if any")
    completed_at: datetime | None
    completed_via: str | None


class ReviewPage(BaseModel):
    """A page of records."""

    items: list[ReviewItem]
    page: int
    per_page: int
    total: int


class ActionIn(BaseModel):
    """A change of the record; exempt, move_away and reopen need their reason."""

    action: Literal["confirm", "reject", "complete", "exempt", "move_away", "reopen"]
    note: str = Field(
        default="", max_length=records.MAX_NOTE, pattern=TEXT,
        description="kept with the change; required for exempt, move_away and reopen",
    )  # fmt: skip


def _item(content: Content, record: ReviewRecord, name: str, building: str | None,
          slot: AppointmentSlot | None) -> ReviewItem:  # fmt: skip
    programme = content.reviews.by_key.get(record.programme)
    return ReviewItem(
        id=record.id or 0, programme=record.programme,
        programme_name=programme.name if programme else record.programme, cycle=record.cycle,
        resident_id=record.resident_id, name=mask_name(name), building=building,
        state=record.state,
        state_name=content.reviews.words.states.get(record.state, record.state),
        opens_on=record.opens_on, closes_on=record.closes_on,
        visit_starts_at=slot.starts_at if slot else None, completed_at=record.completed_at,
        completed_via=record.completed_via,
    )  # fmt: skip


@router.get("", response_model=ReviewPage)
def list_reviews(
    request: Request,
    caller: Caller,
    session: WriteSession,
    programme: Annotated[str, Query(pattern=KEY, description="a programme's key")],
    cycle: Annotated[int, Query(ge=2000, le=2100, description="the year")],
    state: Annotated[str | None, Query(pattern=one_of(STATES))] = None,
    place_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="a building")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_ID // MAX_PER_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> ReviewPage:
    """The records of a programme and cycle in the caller's committees, filtered (a key no
    programme has lists nothing)."""
    content = context_of(request).content
    rows, total = tracker.listed(session, caller.scope, programme=programme, cycle=cycle,
                                 state=state, place_id=place_id, page=page,
                                 per_page=per_page)  # fmt: skip
    items = [
        _item(content, r.record, r.resident.name, r.building, r.visit[1] if r.visit else None)
        for r in rows
    ]
    return ReviewPage(items=items, page=page, per_page=per_page, total=total)


def _visible(session: Session, caller: Principal, record_id: int) -> ReviewRecord:
    found = records.visible(session, caller.scope, record_id, lock=True)
    if found is None:
        raise HTTPException(404, detail=[{"field": "record_id", "reason": "not found"}])
    return found


@router.post("/{record_id}/actions", response_model=ReviewItem, responses=problems(404, 409))
def act(
    request: Request,
    caller: Caller,
    session: WriteSession,
    record_id: RecordId,
    body: ActionIn,
) -> ReviewItem:
    """One change of the record (row locked, audited). A change its state does not allow is a
    409; a missing reason a 422."""
    services = context_of(request)
    record = _visible(session, caller, record_id)
    programme = services.content.reviews.by_key.get(record.programme)
    if programme is None or not actions.may_act(caller.scope, programme):
        raise HTTPException(404, detail=[{"field": "record_id", "reason": "not found"}])
    actions.change(session, caller.scope, record, body.action, note=body.note,
                   actor=audit.Actor.of(caller.staff), now=services.clock())  # fmt: skip
    visit = appointments.current(session, [record.id or 0]).get(record.id or 0)
    resident = search.visible_resident(session, caller.scope, record.resident_id)
    today = services.clock().astimezone(services.settings.tz).date()
    homes = search.homes_of(session, [record.resident_id], today=today).get(record.resident_id)
    return _item(services.content, record, resident.name if resident else "",
                 homes[0].building if homes else None, visit[1] if visit else None)  # fmt: skip
