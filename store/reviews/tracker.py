"""What staff see of a programme's cycle: records counted per state (and how many nobody can be
reminded about, or who stopped the reminders), per building, a filtered page of records, the
call list, and the cycles there are. Scoped in the query, a constant number of queries a page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal
from sqlmodel import Session, col, select

from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.places.models import Place
from store.registry.models import Dwelling, Residence, Resident
from store.reviews import opt_outs
from store.reviews.models import (
    BOOKED_VISIT,
    OPEN,
    STATES,
    Appointment,
    AppointmentSlot,
    ReviewRecord,
)
from store.reviews.planner import recipients
from store.staff.scope import Scope

NOT_BOUND = "not_bound"  # the call list's reason when nobody in WeChat acts for the resident
UNREACHABLE, OPTED_OUT, TOTAL = "unreachable", "opted_out", "total"
# A reminder that ended so did not reach its resident.
NOT_DELIVERED = (outbox.FAILED, outbox.UNREACHABLE)


@dataclass(frozen=True)
class BuildingCount:
    """One building's records of the cycle per state (place None: no home known)."""

    place_id: int | None
    name: str | None
    counts: dict[str, int]
    total: int


@dataclass(frozen=True)
class RecordRow:
    """One record as the tracker lists it: the resident, their building, a booked visit."""

    record: ReviewRecord
    resident: Resident
    building: str | None
    visit: tuple[Appointment, AppointmentSlot] | None


@dataclass(frozen=True)
class CallRow:
    """An open record nobody in WeChat can be reminded about, and why."""

    record: ReviewRecord
    resident: Resident
    building: str | None
    reason: str  # not_bound, or the last reminder's outbox status (failed, unreachable)
    error: str | None  # the outbox's reason key (notifications.yaml) or WeChat's error text
    error_code: int | None


def _home() -> Any:
    """SQL: each resident's current building (the first home, if several)."""
    first = func.row_number().over(partition_by=Residence.resident_id,
                                   order_by=col(Residence.id))  # fmt: skip
    return (
        select(Residence.resident_id, Dwelling.place_id, first.label("first"))
        .join(Dwelling, col(Dwelling.id) == Residence.dwelling_id)
        .where(col(Residence.moved_out).is_(None))
        .subquery("home")
    )


def _of_cycle(query: Any, scope: Scope, programme: str, cycle: int) -> Any:
    query = scope.filter(query, col(ReviewRecord.committee_id))
    return query.where(ReviewRecord.programme == programme, ReviewRecord.cycle == cycle)


def _reach(query: Any) -> tuple[Any, Any]:
    """The query joined to whom each record's resident is written to, and its last reminder;
    with the SQL reason nobody can be reminded (NULL while someone can)."""
    reach = recipients()
    query = query.outerjoin(
        reach, and_(reach.c.resident_id == ReviewRecord.resident_id, reach.c.first == 1)
    ).outerjoin(OutboxMessage, OutboxMessage.id == ReviewRecord.reminder_id)
    reason = case(
        (reach.c.openid.is_(None), literal(NOT_BOUND)),
        (col(OutboxMessage.status).in_(NOT_DELIVERED), OutboxMessage.status),
        else_=None,
    )
    return query, (reach, reason)


def counts(session: Session, scope: Scope, *, programme: str, cycle: int) -> dict[str, int]:
    """The cycle's records per state, with "unreachable" (open, and nobody to write to or the
    last reminder not delivered), "opted_out" (open, and whoever would be written to stopped
    the reminders) and "total"."""
    found = dict.fromkeys((*STATES, UNREACHABLE, OPTED_OUT, TOTAL), 0)
    per_state = _of_cycle(
        select(ReviewRecord.state, func.count()).select_from(ReviewRecord), scope, programme,
        cycle,
    ).group_by(ReviewRecord.state)  # fmt: skip
    for state, number in session.execute(per_state):
        found[state] = number
        found[TOTAL] += number
    query, (reach, reason) = _reach(select(ReviewRecord.id).select_from(ReviewRecord))
    stopped = and_(reach.c.openid.is_not(None), opt_outs.holds(reach.c.openid, programme))
    open_ones = _of_cycle(query, scope, programme, cycle).where(col(ReviewRecord.state).in_(OPEN))
    flags = open_ones.add_columns(
        case((reason.is_not(None), 1), else_=0).label("unreachable"),
        case((stopped, 1), else_=0).label("opted_out"),
    ).subquery()
    unreachable, opted_out = session.execute(
        select(func.coalesce(func.sum(flags.c.unreachable), 0),
               func.coalesce(func.sum(flags.c.opted_out), 0))
    ).one()  # fmt: skip
    found[UNREACHABLE], found[OPTED_OUT] = int(unreachable), int(opted_out)
    return found


def by_building(
    session: Session, scope: Scope, *, programme: str, cycle: int
) -> list[BuildingCount]:
    """The cycle's records per state in each building (by name; no home known last)."""
    home = _home()
    query = (
        select(home.c.place_id, Place.name, ReviewRecord.state, func.count())
        .select_from(ReviewRecord)
        .outerjoin(home, and_(home.c.resident_id == ReviewRecord.resident_id, home.c.first == 1))
        .outerjoin(Place, col(Place.id) == home.c.place_id)
    )
    query = _of_cycle(query, scope, programme, cycle)
    query = query.group_by(home.c.place_id, Place.name, ReviewRecord.state)
    grouped: dict[tuple[int | None, str | None], dict[str, int]] = defaultdict(dict)
    for place_id, name, state, number in session.execute(query):
        grouped[(place_id, name)][state] = number
    rows = [
        BuildingCount(place_id, name, {s: per.get(s, 0) for s in STATES}, sum(per.values()))
        for (place_id, name), per in grouped.items()
    ]
    return sorted(rows, key=lambda r: (r.name is None, r.name or "", r.place_id or 0))


def _visits(
    session: Session, record_ids: list[int]
) -> dict[int, tuple[Appointment, AppointmentSlot]]:
    """The booked visit of each record (one query)."""
    if not record_ids:
        return {}
    query = (
        select(Appointment, AppointmentSlot)
        .join(AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id)
        .where(col(Appointment.record_id).in_(record_ids), Appointment.state == BOOKED_VISIT)
        .order_by(col(Appointment.id))
    )
    return {appointment.record_id: (appointment, slot)
            for appointment, slot in session.exec(query)}  # fmt: skip


def _page(query: Any, page: int, per_page: int) -> Any:
    return query.order_by(col(ReviewRecord.id)).offset((page - 1) * per_page).limit(per_page)


def _count(session: Session, query: Any) -> int:
    return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def listed(
    session: Session, scope: Scope, *, programme: str, cycle: int, state: str | None = None,
    place_id: int | None = None, page: int = 1, per_page: int = 50,
) -> tuple[list[RecordRow], int]:  # fmt: skip
    """One page of the cycle's records (of one state, of one building), oldest first, and how
    many there are: three queries whatever the page's size."""
    home = _home()
    query = (
        select(ReviewRecord, Resident, Place.name)
        .join(Resident, col(Resident.id) == ReviewRecord.resident_id)
        .outerjoin(home, and_(home.c.resident_id == ReviewRecord.resident_id, home.c.first == 1))
        .outerjoin(Place, col(Place.id) == home.c.place_id)
    )
    query = _of_cycle(query, scope, programme, cycle)
    if state is not None:
        query = query.where(ReviewRecord.state == state)
    if place_id is not None:
        query = query.where(home.c.place_id == place_id)
    total = _count(session, query)
    found = list(session.execute(_page(query, page, per_page)))
    visits = _visits(session, [record.id for record, _, _ in found])
    rows = [RecordRow(record, person, building, visits.get(record.id or 0))
            for record, person, building in found]  # fmt: skip
    return rows, total


def call_list(
    session: Session, scope: Scope, *, programme: str, cycle: int, page: int = 1,
    per_page: int = 50,
) -> tuple[list[CallRow], int]:  # fmt: skip
    """One page of the cycle's open records nobody in WeChat can be reminded about — no one
    bound ("not_bound"), or the last reminder not delivered — oldest first, and how many."""
    home = _home()
    query = select(ReviewRecord, Resident, Place.name).join(
        Resident, col(Resident.id) == ReviewRecord.resident_id
    )
    query, (_, reason) = _reach(query)
    query = query.outerjoin(
        home, and_(home.c.resident_id == ReviewRecord.resident_id, home.c.first == 1)
    ).outerjoin(Place, col(Place.id) == home.c.place_id)
    query = _of_cycle(query, scope, programme, cycle)
    query = query.where(col(ReviewRecord.state).in_(OPEN), reason.is_not(None))
    total = _count(session, query)
    paged = _page(query.add_columns(reason, OutboxMessage.last_error,
                                    OutboxMessage.last_error_code), page, per_page)  # fmt: skip
    rows = [
        CallRow(record, person, building, why, error, code)
        for record, person, building, why, error, code in session.execute(paged)
    ]
    return rows, total


def cycles(session: Session, scope: Scope, programme: str) -> list[int]:
    """The cycles of a programme the scope has records of, newest first."""
    query = scope.filter(select(ReviewRecord.cycle).distinct(), col(ReviewRecord.committee_id))
    query = query.where(ReviewRecord.programme == programme)
    return sorted(session.exec(query), reverse=True)
