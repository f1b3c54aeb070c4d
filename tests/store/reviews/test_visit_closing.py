"""Visits around a record that closes: a resident who moved away keeps no place and gets no
reminder; a missed visit cannot be marked a week early; a visit marked missed is not completed
over a newer booking."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.db import unit_of_work
from store.errors import Refused
from store.registry.models import Resident
from store.reviews import appointments, planner
from store.reviews.models import MOVED_AWAY, Appointment, AppointmentSlot, ReviewRecord
from tests.store.reviews.test_appointments import MONDAY, THU, TZ, WED, Desk, at, book, new_desk
from tests.store.reviews.test_appointments_visits import (
    REVIEWS,
    as_staff,
    bind,
    reminders,
    services_with_documents,
    taken,
)


@pytest.fixture
def desk(database: Engine) -> Desk:
    """东风 and 西湖, each with a clerk; no records yet."""
    return new_desk(database)


def test_a_booked_resident_who_moved_away_frees_the_place_and_gets_no_reminder(desk: Desk) -> None:
    record_id = desk.record("王建国")
    bind(desk, "o_wang", record_id)
    book(desk, record_id, at(THU, 9), openid="o_wang")
    assert taken(desk, at(THU, 9)) == 1
    with unit_of_work(desk.database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        person = session.get(Resident, record.resident_id)
        assert person is not None
        person.residence_status = "moved_out"
        session.add(person)
    eve = at(WED, 18)
    with unit_of_work(desk.database) as session:
        planner.plan(session, REVIEWS, now=eve, tz=TZ)
    with unit_of_work(desk.database) as session:
        appointments.release_closed(session, now=eve)
        sent = appointments.remind_visits(session, REVIEWS, services_with_documents(), now=eve,
                                          tz=TZ)  # fmt: skip
    with Session(desk.database) as session:
        record = session.get(ReviewRecord, record_id)
        visit = session.exec(select(Appointment).where(Appointment.record_id == record_id)).one()
        assert record is not None and record.state == MOVED_AWAY
        assert visit.state == "cancelled"
    assert taken(desk, at(THU, 9)) == 0
    assert sent == 0 and reminders(desk) == []


def test_a_visit_next_week_cannot_be_marked_missed(desk: Desk) -> None:
    visit = book(desk, desk.record("张秀英"), at(THU, 9))
    assert visit is not None
    with as_staff(desk, desk.clerk) as (session, scope, actor), pytest.raises(Refused) as refused:
        appointments.no_show(session, scope, visit.id or 0, actor=actor, now=MONDAY)
    assert refused.value.code == "visit_future"


def test_a_missed_visit_is_not_completed_over_a_newer_booking(desk: Desk) -> None:
    record_id = desk.record("李桂芳")
    first = book(desk, record_id, at(WED, 9))
    assert first is not None
    with unit_of_work(desk.database) as session:
        appointments.mark_no_shows(session, now=at(THU, 8), tz=TZ)
    again = book(desk, record_id, at(THU, 14), now=at(THU, 8))
    assert again is not None
    with as_staff(desk, desk.clerk) as (session, scope, actor), pytest.raises(Refused) as refused:
        appointments.attend(session, scope, first.id or 0, complete=True, actor=actor,
                            now=at(THU, 9))  # fmt: skip
    assert refused.value.code == "visit_rebooked"
    with Session(desk.database) as session:
        states = session.exec(
            select(Appointment.state).where(Appointment.record_id == record_id)
            .order_by(col(Appointment.id))
        ).all()  # fmt: skip
        assert list(states) == ["no_show", "booked"]
        assert session.exec(select(AppointmentSlot.taken).where(
            AppointmentSlot.starts_at == at(THU, 14))).one() == 1  # fmt: skip
