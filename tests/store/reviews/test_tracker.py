"""The tracker staff read: a cycle's records per state and per building, a filtered page with
the booked visit, the call list with why, the cycles — only ever their own committee's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.review_content import ReviewCatalogue
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.reviews import opt_outs, records, tracker
from store.reviews.models import Appointment, AppointmentSlot, ReviewRecord
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import StaffUser
from store.staff.scope import Scope
from tests.staff_helpers import create_staff
from tests.store.reviews.conftest import FAMILY, Town, bind, local, plan_at
from tests.store.reviews.conftest import records as records_of

OPENS = local(date(2026, 3, 1))
ONLY = {"only_child": None}


@dataclass
class Desk:
    """东风's residents in every situation the tracker tells apart, and 西湖's one."""

    town: Town
    west: StaffUser
    failed: int  # 1栋, reminded; the reminder did not arrive
    unbound: int  # 1栋, nobody in WeChat
    stopped: int  # 2栋, asked for no more reminders
    booked: int  # 2栋, a visit booked
    done: int  # no home known, completed
    record_of: dict[int, int]

    @property
    def database(self) -> Engine:
        return self.town.database


@contextmanager
def scope_of(database: Engine, staff: StaffUser) -> Iterator[tuple[Session, Scope]]:
    with unit_of_work(database) as session:
        person = session.get(StaffUser, staff.id)
        assert person is not None
        yield session, scopes.of(session, person)


@pytest.fixture
def desk(town: Town, reviews: ReviewCatalogue) -> Desk:
    west = create_staff(town.database, "west", committee="西湖社区居委会")
    with unit_of_work(town.database) as session:
        man = {"gender": "male", "born": date(1950, 1, 1), "tags": ONLY}
        failed = town.add(session, "甲", building=0, **man)  # type: ignore[arg-type]
        unbound = town.add(session, "乙", building=0, **man)  # type: ignore[arg-type]
        stopped = town.add(session, "丙", building=1, **man)  # type: ignore[arg-type]
        booked = town.add(session, "丁", building=1, **man)  # type: ignore[arg-type]
        done = town.add(session, "戊", building=None, **man)  # type: ignore[arg-type]
        town.committee_id, home = west.committee_id or 0, town.committee_id
        town.add(session, "西湖的", building=None, **man)  # type: ignore[arg-type]
        town.committee_id = home
        for openid, resident in (("o_failed", failed), ("o_stopped", stopped),
                                 ("o_booked", booked), ("o_done", done)):  # fmt: skip
            bind(session, openid, resident)
        opt_outs.stop(session, openid="o_stopped", programme=None, now=OPENS)
    plan_at(town.database, reviews, OPENS)
    record_of = {r.resident_id: r.id or 0 for r in records_of(town.database, FAMILY)}
    later = OPENS + timedelta(days=2)
    with unit_of_work(town.database) as session:
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.recipient == "o_failed")
        ).one()
        outbox.settle(session, message.id or 0,
                      outbox.Outcome(outbox.UNREACHABLE, error="not_following"), later)  # fmt: skip
        clerk = audit.Actor.of(town.clerk)
        finished = session.get(ReviewRecord, record_of[done])
        assert finished is not None
        records.move(session, finished, records.COMPLETE, now=later, actor=clerk)
        visit = session.get(ReviewRecord, record_of[booked])
        assert visit is not None
        records.move(session, visit, records.BOOK, now=later, openid="o_booked")
        starts = local(date(2026, 3, 10), 9)
        slot = AppointmentSlot(
            committee_id=town.committee_id, starts_at=starts,
            ends_at=starts + timedelta(minutes=30), capacity=4, taken=1,
        )  # fmt: skip
        session.add(slot)
        session.flush()
        session.add(Appointment(record_id=visit.id or 0, slot_id=slot.id or 0,
                                resident_id=booked, openid="o_booked", state="booked",
                                created_at=later, updated_at=later))  # fmt: skip
    return Desk(town, west, failed, unbound, stopped, booked, done, record_of)


def test_counts_tell_states_the_unreachable_and_the_opted_out_apart(desk: Desk) -> None:
    with scope_of(desk.database, desk.town.clerk) as (session, scope):
        counts = tracker.counts(session, scope, programme=FAMILY, cycle=2026)
    assert {k: v for k, v in counts.items() if v} == {
        "due": 2, "reminded": 1, "booked": 1, "completed": 1, "total": 5, "unreachable": 2,
        "opted_out": 1,
    }  # fmt: skip
    with scope_of(desk.database, desk.west) as (session, scope):
        west = tracker.counts(session, scope, programme=FAMILY, cycle=2026)
    assert (west["total"], west["due"], west["unreachable"]) == (1, 1, 1)


def test_per_building_the_records_of_each_and_those_with_no_home_last(desk: Desk) -> None:
    with scope_of(desk.database, desk.town.clerk) as (session, scope):
        rows = tracker.by_building(session, scope, programme=FAMILY, cycle=2026)
    assert [(r.name, r.total, {k: v for k, v in r.counts.items() if v}) for r in rows] == [
        ("1栋", 2, {"due": 1, "reminded": 1}),
        ("2栋", 2, {"due": 1, "booked": 1}),
        (None, 1, {"completed": 1}),
    ]
    assert rows[0].place_id == desk.town.buildings[0]


def test_the_list_filters_by_state_and_building_pages_and_shows_the_booked_visit(
    desk: Desk,
) -> None:
    with scope_of(desk.database, desk.town.clerk) as (session, scope):
        due, total = tracker.listed(session, scope, programme=FAMILY, cycle=2026, state="due",
                                    page=1, per_page=50)  # fmt: skip
        assert total == 2
        assert [r.resident.id for r in due] == [desk.unbound, desk.stopped]
        assert [r.building for r in due] == ["1栋", "2栋"]
        second, total = tracker.listed(
            session, scope, programme=FAMILY, cycle=2026, place_id=desk.town.buildings[1],
            page=2, per_page=1,
        )  # fmt: skip
        assert total == 2
        (row,) = second
        assert row.resident.id == desk.booked and row.record.state == "booked"
        assert row.visit is not None
        appointment, slot = row.visit
        assert (appointment.state, slot.starts_at) == ("booked", local(date(2026, 3, 10), 9))
        everyone, total = tracker.listed(session, scope, programme=FAMILY, cycle=2026, page=1,
                                         per_page=50)  # fmt: skip
        assert total == 5 and "西湖的" not in [r.resident.name for r in everyone]


def test_the_call_list_names_who_nobody_can_remind_and_why(desk: Desk) -> None:
    with scope_of(desk.database, desk.town.clerk) as (session, scope):
        rows, total = tracker.call_list(session, scope, programme=FAMILY, cycle=2026, page=1,
                                        per_page=50)  # fmt: skip
    assert total == 2
    assert [(r.resident.id, r.reason, r.error, r.building) for r in rows] == [
        (desk.failed, "unreachable", "not_following", "1栋"),
        (desk.unbound, "not_bound", None, "1栋"),
    ]
    assert rows[0].record.id == desk.record_of[desk.failed]


def test_the_cycles_are_those_the_scope_has_records_of(
    desk: Desk, reviews: ReviewCatalogue
) -> None:
    plan_at(desk.database, reviews, local(date(2027, 3, 1)))
    with scope_of(desk.database, desk.town.clerk) as (session, scope):
        assert tracker.cycles(session, scope, FAMILY) == [2027, 2026]
        assert tracker.cycles(session, scope, "longevity_confirmation") == []
