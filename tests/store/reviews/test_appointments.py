"""Booking a visit for an annual review: the days and times office hours offer, a place taken
and given back, a booking moved, and times the office does not offer refused.

东风's office (in these tests) opens weekdays 09:00–10:00 and 14:00–15:00 in 30-minute slots of
two places; Tuesday 1 December is closed, Saturday 5 December is worked instead (调休). The clock
stands at Monday 30 November 2026, 11:00 in Guangzhou: the morning has gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.review_content import Appointments, Hours
from store.db import unit_of_work
from store.errors import Refused
from store.registry.history import Source
from store.registry.residents import add_resident
from store.reviews import appointments, records
from store.reviews.models import (
    BOOKED,
    COMPLETED,
    REMINDED,
    Appointment,
    AppointmentSlot,
    ReviewRecord,
)
from store.staff.models import StaffUser
from tests.chat import SEALER, WORDS
from tests.staff_helpers import create_staff

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 11:00 in Guangzhou
TODAY = date(2026, 11, 30)
CLOSED = date(2026, 12, 1)  # a Tuesday the office is closed
WED, THU, FRI = date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)
WORKED = date(2026, 12, 5)  # a Saturday worked instead
SUNDAY = date(2026, 12, 6)
NEXT_MONDAY = date(2026, 12, 7)
EAST, WEST = "东风社区居委会", "西湖社区居委会"
PROGRAMME = "family_planning_review"
WEEKDAYS = (1, 2, 3, 4, 5)
CFG = WORDS.reviews.words.appointments.model_copy(
    update={
        "hours": (
            Hours(weekdays=WEEKDAYS, start="09:00", end="10:00"),
            Hours(weekdays=WEEKDAYS, start="14:00", end="15:00"),
        ),
        "slot_minutes": 30, "capacity": 2, "days_ahead": 14, "days_offered": 5,
        "closed_days": (CLOSED,), "open_days": (WORKED,),
    }
)  # fmt: skip


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time in Guangzhou."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@dataclass
class Desk:
    """东风's office and its clerk, 西湖's clerk, and the records made."""

    database: Engine
    clerk: StaffUser
    stranger: StaffUser

    @property
    def east(self) -> int:
        """东风's committee id."""
        return self.clerk.committee_id or 0

    def record(
        self, name: str, *, programme: str = PROGRAMME, state: str = REMINDED,
        committee_id: int | None = None,
    ) -> int:  # fmt: skip
        """A new resident of the committee (东风 unless named) with an open record; its id."""
        home = committee_id or self.east
        with unit_of_work(self.database) as session:
            person = add_resident(session, SEALER, committee_id=home, values={"name": name},
                                  source=Source.imported("名册.xlsx", 2), now=MONDAY)  # fmt: skip
            record = ReviewRecord(
                programme=programme, cycle=2026, resident_id=person.id or 0, committee_id=home,
                state=state, opens_on=date(2026, 11, 1), closes_on=date(2026, 12, 31),
                created_at=MONDAY, updated_at=MONDAY,
            )  # fmt: skip
            session.add(record)
            session.flush()
            return record.id or 0


def new_desk(database: Engine) -> Desk:
    """东风 and 西湖, each with a clerk; no records yet."""
    return Desk(database, create_staff(database, "clerk", committee=EAST),
                create_staff(database, "west", committee=WEST))  # fmt: skip


@pytest.fixture
def desk(database: Engine) -> Desk:
    """东风 and 西湖, each with a clerk; no records yet."""
    return new_desk(database)


def book(
    desk: Desk, record_id: int, starts: datetime, *, now: datetime = MONDAY,
    openid: str | None = None, cfg: Appointments = CFG,
) -> Appointment | None:  # fmt: skip
    """Book in a transaction of its own, as the webhook would."""
    with unit_of_work(desk.database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        return appointments.book(session, record, starts, cfg, now=now, tz=TZ, openid=openid)


def cancel(desk: Desk, record_id: int, *, now: datetime = MONDAY) -> bool:
    """Cancel in a transaction of its own."""
    with unit_of_work(desk.database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        return appointments.cancel(session, record, now=now, openid="o_resident")


def days(desk: Desk, *, now: datetime = MONDAY, cfg: Appointments = CFG,
         ) -> list[tuple[date, int]]:  # fmt: skip
    """The days offered, with places left."""
    with Session(desk.database) as session:
        offers = appointments.offered_days(session, desk.east, cfg, now=now, tz=TZ)
    return [(o.day, o.left) for o in offers]


def times(desk: Desk, day: date, *, now: datetime = MONDAY) -> dict[str, int]:
    """A day's times offered ("09:00") with places left."""
    with Session(desk.database) as session:
        offers = appointments.offered_times(session, desk.east, CFG, day, now=now, tz=TZ)
    return {o.starts_at.strftime("%H:%M"): o.left for o in offers}


def state_of(desk: Desk, record_id: int) -> str:
    """The record's state now."""
    with Session(desk.database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        return record.state


def visits_of(desk: Desk, record_id: int) -> list[tuple[str, datetime]]:
    """The record's appointments, oldest first: state and local start."""
    with Session(desk.database) as session:
        query = (
            select(Appointment.state, AppointmentSlot.starts_at)
            .join(AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id)
            .where(Appointment.record_id == record_id)
            .order_by(col(Appointment.id))
        )
        return [(state, starts.astimezone(TZ)) for state, starts in session.exec(query)]


def test_offered_days_skip_weekends_closed_days_and_full_days(desk: Desk) -> None:
    # Monday keeps its afternoon (2 times × 2 places); Tuesday is closed; Sunday is not worked.
    assert days(desk) == [(TODAY, 4), (WED, 8), (THU, 8), (FRI, 8), (WORKED, 8)]
    assert times(desk, TODAY) == {"14:00": 2, "14:30": 2}
    assert times(desk, WORKED) == {"09:00": 2, "09:30": 2, "14:00": 2, "14:30": 2}
    assert times(desk, CLOSED) == {} and times(desk, SUNDAY) == {}
    # Four residents take Monday afternoon: Monday is full and the list reaches next week.
    for name, hour, minute in (("张秀英", 14, 0), ("王建国", 14, 0), ("李桂芳", 14, 30),
                               ("陈志强", 14, 30)):  # fmt: skip
        assert book(desk, desk.record(name), at(TODAY, hour, minute)) is not None
    assert days(desk) == [(WED, 8), (THU, 8), (FRI, 8), (WORKED, 8), (NEXT_MONDAY, 8)]
    assert times(desk, TODAY) == {}
    # One booking on Wednesday: one place fewer that day.
    book(desk, desk.record("赵丽华"), at(WED, 9, 30))
    assert days(desk)[0] == (WED, 7) and times(desk, WED)["09:30"] == 1


def test_days_stop_at_days_ahead_and_nothing_is_offered_before_the_hours_are_filled_in(
    desk: Desk,
) -> None:
    near = CFG.model_copy(update={"days_ahead": 3})
    assert days(desk, cfg=near) == [(TODAY, 4), (WED, 8), (THU, 8)]
    shipped = WORDS.reviews.words.appointments
    assert not shipped.open and days(desk, cfg=shipped) == []
    with pytest.raises(Refused):
        book(desk, desk.record("张秀英"), at(WED, 9), cfg=shipped)


def test_a_booking_takes_a_place_and_a_cancel_gives_it_back(desk: Desk) -> None:
    record = desk.record("张秀英")
    # The flow hands over the local time it offered, without a zone.
    visit = book(desk, record, at(WED, 9).replace(tzinfo=None), openid="o_zhang_xiuying")
    assert visit is not None and visit.openid == "o_zhang_xiuying"
    assert times(desk, WED)["09:00"] == 1 and state_of(desk, record) == BOOKED
    with Session(desk.database) as session:
        [(kept, slot)] = appointments.current(session, [record]).values()
        changes = [(c.from_state, c.to_state) for c in records.history(session, record)]
    assert kept.id == visit.id and slot.starts_at == at(WED, 9)
    assert changes == [(REMINDED, BOOKED)]
    assert cancel(desk, record)
    assert times(desk, WED)["09:00"] == 2 and state_of(desk, record) == REMINDED
    assert visits_of(desk, record) == [("cancelled", at(WED, 9))]
    assert not cancel(desk, record)  # nothing booked any more
    # Still to be done: the resident books again.
    assert book(desk, record, at(THU, 14)) is not None and state_of(desk, record) == BOOKED


def test_a_full_time_is_not_booked(desk: Desk) -> None:
    first, second, third = (desk.record(n) for n in ("张秀英", "王建国", "李桂芳"))
    assert book(desk, first, at(WED, 9)) and book(desk, second, at(WED, 9))
    assert book(desk, third, at(WED, 9)) is None
    assert state_of(desk, third) == REMINDED and visits_of(desk, third) == []
    assert "09:00" not in times(desk, WED)


def test_moving_a_booking_keeps_exactly_one_place(desk: Desk) -> None:
    record = desk.record("张秀英")
    first = book(desk, record, at(WED, 9))
    second = book(desk, record, at(THU, 14, 30))
    assert first is not None and second is not None and second.id != first.id
    assert times(desk, WED)["09:00"] == 2 and times(desk, THU)["14:30"] == 1
    assert visits_of(desk, record) == [("cancelled", at(WED, 9)), ("booked", at(THU, 14, 30))]
    with Session(desk.database) as session:
        assert len(records.history(session, record)) == 1  # booked once, moved since
    # The same time again changes nothing.
    same = book(desk, record, at(THU, 14, 30))
    assert same is not None and same.id == second.id and times(desk, THU)["14:30"] == 1
    # A full time: the booking stays where it was, its place kept.
    book(desk, desk.record("王建国"), at(FRI, 9))
    book(desk, desk.record("李桂芳"), at(FRI, 9))
    assert book(desk, record, at(FRI, 9)) is None
    assert visits_of(desk, record)[-1] == ("booked", at(THU, 14, 30))
    assert times(desk, THU)["14:30"] == 1 and state_of(desk, record) == BOOKED


@pytest.mark.parametrize(
    "starts",
    [
        at(CLOSED, 9),  # a closed day
        at(SUNDAY, 9),  # a day not worked
        at(WED, 9, 15),  # not a slot's start
        at(WED, 10),  # the end of the hours
        at(WED, 12),  # between the morning and the afternoon
        at(TODAY, 9, 30),  # gone already
        at(date(2026, 12, 15), 9),  # beyond days_ahead
    ],
)
def test_a_time_the_office_does_not_offer_is_refused(desk: Desk, starts: datetime) -> None:
    record = desk.record("张秀英")
    with pytest.raises(Refused) as refused:
        book(desk, record, starts)
    assert (refused.value.field, refused.value.code) == ("starts_at", "visit_time")
    assert state_of(desk, record) == REMINDED
    with Session(desk.database) as session:
        assert session.exec(select(AppointmentSlot)).all() == []


def test_a_record_done_already_is_not_booked(desk: Desk) -> None:
    record = desk.record("张秀英", state=COMPLETED)
    with pytest.raises(Refused) as refused:
        book(desk, record, at(WED, 9))
    assert refused.value.code == "review_state"
    assert times(desk, WED)["09:00"] == 2
