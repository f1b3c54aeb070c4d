"""Visits booked for an annual review (预约到居委会办理): the times office hours offer, and
booking, moving and cancelling a place.

A slot's row is created when it is first booked, with the capacity configured then. A place is
taken in ONE conditional UPDATE (taken + 1 while taken < capacity), so two residents never both
get the last one, on SQLite (writers queue behind BEGIN IMMEDIATE) or PostgreSQL (the second
UPDATE waits for the first and re-reads the row). The day list, staff marks, the day-before
reminder and no-shows are in store/reviews/visits.py, re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from config.review_content import Appointments, Hours
from store.errors import Refused
from store.reviews import records
from store.reviews.models import (
    BOOKED,
    BOOKED_VISIT,
    CANCELLED,
    Appointment,
    AppointmentSlot,
    ReviewRecord,
)
from store.reviews.visits import (
    VisitRow,
    attend,
    day_list,
    mark_no_shows,
    no_show,
    release_closed,
    remind_visits,
    visible,
)
from store.staff import audit
from store.upsert import insert_for

__all__ = [
    "DayOffer", "TimeOffer", "VisitRow", "attend", "book", "cancel", "current", "day_list",
    "mark_no_shows", "no_show", "offered_days", "offered_times", "release_closed",
    "remind_visits", "times_of", "visible",
]  # fmt: skip


@dataclass(frozen=True)
class DayOffer:
    """A day with places left, and how many."""

    day: date
    left: int


@dataclass(frozen=True)
class TimeOffer:
    """A visit time (local, aware) with places left."""

    starts_at: datetime
    ends_at: datetime
    left: int


def _clock(day: date, text: str, tz: ZoneInfo) -> datetime:
    hour, minute = text.split(":")
    return datetime(day.year, day.month, day.day, int(hour), int(minute), tzinfo=tz)


def _hours_of(cfg: Appointments, day: date) -> tuple[Hours, ...]:
    """The office hours of a day: none on a closed day; a weekend day worked (调休) keeps
    Monday's hours."""
    if day in cfg.closed_days:
        return ()
    weekday = 1 if day in cfg.open_days else day.isoweekday()
    return tuple(h for h in cfg.hours if weekday in h.weekdays)


def times_of(cfg: Appointments, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Every slot of a day (local start and end), whole slots of slot_minutes cut from each
    stretch of office hours, in order; past ones included."""
    step = timedelta(minutes=cfg.slot_minutes)
    found = set()
    for hours in _hours_of(cfg, day):
        at, end = _clock(day, hours.start, tz), _clock(day, hours.end, tz)
        while at + step <= end:
            found.add((at, at + step))
            at += step
    return sorted(found)


def _days(cfg: Appointments, now: datetime, tz: ZoneInfo) -> list[date]:
    """The days booking reaches: today to days_ahead days on."""
    today = now.astimezone(tz).date()
    return [today + timedelta(days=n) for n in range(cfg.days_ahead + 1)]


def _left(
    session: Session, committee_id: int, since: datetime, until: datetime
) -> dict[datetime, int]:
    """Places left in the committee's slot rows that exist, by UTC start (one query)."""
    query = select(AppointmentSlot.starts_at, AppointmentSlot.capacity, AppointmentSlot.taken)
    query = query.where(
        AppointmentSlot.committee_id == committee_id,
        AppointmentSlot.starts_at >= since, AppointmentSlot.starts_at <= until,
    )  # fmt: skip
    return {s.astimezone(UTC): max(c - t, 0) for s, c, t in session.exec(query)}


def _offers(
    session: Session, committee_id: int, cfg: Appointments, days: Iterable[date], *,
    now: datetime, tz: ZoneInfo,
) -> dict[date, list[TimeOffer]]:  # fmt: skip
    """The future times of these days with their places left (full ones too), by day."""
    if not cfg.open:
        return {}
    times = {day: [(s, e) for s, e in times_of(cfg, day, tz) if s > now] for day in days}
    starts = [s for found in times.values() for s, _ in found]
    if not starts:
        return {}
    left = _left(session, committee_id, min(starts), max(starts))
    return {
        day: [TimeOffer(s, e, left.get(s.astimezone(UTC), cfg.capacity)) for s, e in found]
        for day, found in times.items()
        if found
    }


def offered_days(
    session: Session, committee_id: int, cfg: Appointments, *, now: datetime, tz: ZoneInfo
) -> list[DayOffer]:
    """The next days a visit can be booked, with places left: at most days_offered of them,
    none when the committee has not filled in its office hours."""
    found = []
    for day, offers in _offers(session, committee_id, cfg, _days(cfg, now, tz), now=now,
                               tz=tz).items():  # fmt: skip
        left = sum(o.left for o in offers)
        if left:
            found.append(DayOffer(day, left))
        if len(found) == cfg.days_offered:
            break
    return found


def offered_times(
    session: Session, committee_id: int, cfg: Appointments, day: date, *, now: datetime,
    tz: ZoneInfo,
) -> list[TimeOffer]:  # fmt: skip
    """A bookable day's future times with places left, in order (none for another day)."""
    if day not in _days(cfg, now, tz):
        return []
    offers = _offers(session, committee_id, cfg, [day], now=now, tz=tz).get(day, [])
    return [o for o in offers if o.left > 0]


def _slot_time(
    cfg: Appointments, starts_at: datetime, *, now: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """The slot starting then (a naive time is local), or Refused: not a time the office hours
    give, on a closed day, past, or beyond days_ahead."""
    local = (starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=tz)).astimezone(tz)
    if cfg.open and local > now and local.date() in _days(cfg, now, tz):
        for slot in times_of(cfg, local.date(), tz):
            if slot[0] == local:
                return slot
    raise Refused("starts_at", "not a time offered for visits", code="visit_time")


def current(
    session: Session, record_ids: Sequence[int]
) -> dict[int, tuple[Appointment, AppointmentSlot]]:
    """The records' booked visits (one each at most) with their slots, by record id."""
    if not record_ids:
        return {}
    query = (
        select(Appointment, AppointmentSlot)
        .join(AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id)
        .where(col(Appointment.record_id).in_(record_ids), Appointment.state == BOOKED_VISIT)
        .order_by(col(Appointment.id))
        .execution_options(populate_existing=True)
    )
    return {a.record_id: (a, s) for a, s in session.exec(query)}


def _locked(session: Session, record: ReviewRecord) -> ReviewRecord:
    """The record, locked and read again, so one record's bookings queue."""
    held = records.locked(session, record.id or 0)
    if held is None:
        raise Refused("record_id", "not found", code="review_unknown")
    return held


def _take(
    session: Session, committee_id: int, starts: datetime, ends: datetime, capacity: int
) -> int | None:
    """Take one place of the slot (its row created if new): its id, or None when full."""
    insert = insert_for(session, AppointmentSlot).values(
        committee_id=committee_id, starts_at=starts, ends_at=ends, capacity=capacity, taken=0
    )
    session.execute(insert.on_conflict_do_nothing(index_elements=["committee_id", "starts_at"]))
    slot_id = session.exec(
        select(AppointmentSlot.id).where(
            AppointmentSlot.committee_id == committee_id, AppointmentSlot.starts_at == starts
        )
    ).one()
    taken = session.execute(
        update(AppointmentSlot)
        .where(col(AppointmentSlot.id) == slot_id, AppointmentSlot.taken < AppointmentSlot.capacity)
        .values(taken=AppointmentSlot.taken + 1)
    )
    return slot_id if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def _free(session: Session, appointment: Appointment, now: datetime) -> None:
    """Cancel a booked visit and give its place back."""
    session.execute(
        update(AppointmentSlot)
        .where(col(AppointmentSlot.id) == appointment.slot_id, AppointmentSlot.taken > 0)
        .values(taken=AppointmentSlot.taken - 1)
    )
    appointment.state, appointment.updated_at = CANCELLED, now
    session.add(appointment)


def book(
    session: Session, record: ReviewRecord, starts_at: datetime, cfg: Appointments, *,
    now: datetime, tz: ZoneInfo, openid: str | None = None, actor: audit.Actor | None = None,
) -> Appointment | None:  # fmt: skip
    """Book a visit for the record at a slot's start: the appointment, or None when the slot is
    full (nothing changed). The record moves to booked; one booked already is moved: the new
    place is taken first, then the old one given back, in this transaction. Refused for a time
    not offered, or a record that cannot be booked (self-reported, closed)."""
    starts, ends = _slot_time(cfg, starts_at, now=now, tz=tz)
    record = _locked(session, record)
    if record.state != BOOKED and record.state not in records.CHANGES[records.BOOK][0]:
        raise Refused("state", f"cannot book a record that is {record.state}", conflict=True,
                      code="review_state")  # fmt: skip
    was = current(session, [record.id or 0]).get(record.id or 0)
    if was is not None and was[1].starts_at == starts:
        return was[0]
    slot_id = _take(session, record.committee_id, starts, ends, cfg.capacity)
    if slot_id is None:
        return None
    appointment = Appointment(
        record_id=record.id or 0, slot_id=slot_id, resident_id=record.resident_id, openid=openid,
        state=BOOKED_VISIT, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(appointment)
    if was is not None:
        _free(session, was[0], now)
    session.flush()
    if record.state != BOOKED:
        records.move(session, record, records.BOOK, now=now, actor=actor, openid=openid)
    elif was is not None and actor is not None:
        audit.record(
            session, actor=actor, action="visit.move", object_type="appointment",
            object_id=appointment.id, committee_id=record.committee_id, now=now,
            before={"appointment": was[0].id, "starts_at": was[1].starts_at.isoformat()},
            after={"appointment": appointment.id, "starts_at": starts.isoformat()},
        )  # fmt: skip
    return appointment


def cancel(
    session: Session, record: ReviewRecord, *, now: datetime, openid: str | None = None,
    actor: audit.Actor | None = None,
) -> bool:  # fmt: skip
    """Cancel the record's booked visit and give the place back; the record is still to be
    done (unbooked). False when nothing was booked."""
    record = _locked(session, record)
    was = current(session, [record.id or 0]).get(record.id or 0)
    if was is None:
        return False
    _free(session, was[0], now)
    session.flush()
    if record.state == BOOKED:
        records.move(session, record, records.UNBOOK, now=now, actor=actor, openid=openid,
                     note=CANCELLED)  # fmt: skip
    return True
