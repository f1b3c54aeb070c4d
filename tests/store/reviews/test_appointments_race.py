"""The last place, booked by several residents at the same moment: exactly one gets it, and a
slot never holds more than its capacity.

Each booker runs in its own thread with its own session and connection, released together by a
barrier. On PostgreSQL the conditional UPDATEs meet on the slot's row: the later one waits for
the first to commit, reads the place as gone and changes nothing (and two inserting a new slot
meet on its unique key). On SQLite the writers queue behind BEGIN IMMEDIATE. CI runs this on
both (LINLI_TEST_DATABASE_URL).
"""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.db import unit_of_work
from store.reviews import appointments
from store.reviews.models import BOOKED, REMINDED, Appointment, AppointmentSlot, ReviewRecord
from tests.store.reviews.test_appointments import (
    CFG,
    FRI,
    MONDAY,
    THU,
    TZ,
    WED,
    Desk,
    at,
    book,
    new_desk,
    state_of,
)

BOOKERS = 4
NAMES = ("张秀英", "王建国", "李桂芳", "陈志强")


@pytest.fixture
def desk(database: Engine) -> Desk:
    """东风 and 西湖, each with a clerk; no records yet."""
    return new_desk(database)


def race(desk: Desk, record_ids: list[int], starts: datetime, capacity: int) -> list[object]:
    """Every record books the same time at once; what each got (an exception if it raised)."""
    cfg = CFG.model_copy(update={"capacity": capacity})
    # Nothing may touch the database before the barrier: on SQLite the first statement takes
    # the write lock, and the others would wait for it while it waits for them.
    barrier = threading.Barrier(len(record_ids), timeout=60)
    got: list[object] = [None] * len(record_ids)

    def run(index: int) -> None:
        try:
            barrier.wait()
            with unit_of_work(desk.database) as session:
                record = session.get(ReviewRecord, record_ids[index])
                assert record is not None
                got[index] = appointments.book(session, record, starts, cfg, now=MONDAY, tz=TZ)
        except BaseException as error:  # reported by the test, not lost in the thread
            got[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(record_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return got


def slot_at(desk: Desk, starts: datetime) -> tuple[int, int, int]:
    """A slot's capacity, places taken, and visits booked there."""
    with Session(desk.database) as session:
        slot = session.exec(
            select(AppointmentSlot).where(AppointmentSlot.starts_at == starts)
        ).one()
        booked = session.exec(
            select(Appointment.id).where(
                Appointment.slot_id == slot.id, Appointment.state == "booked"
            )
        ).all()
        return slot.capacity, slot.taken, len(booked)


@pytest.mark.parametrize(
    ("capacity", "booked_before"),
    [(1, 0), (2, 1)],
    ids=["the only place of a new slot", "the last of two places"],
)
def test_only_one_of_several_residents_gets_the_last_place(
    desk: Desk, capacity: int, booked_before: int
) -> None:
    for round_, starts in enumerate((at(WED, 9), at(THU, 14, 30), at(FRI, 9, 30))):
        for n in range(booked_before):
            assert book(desk, desk.record(f"黄{round_}{n}"),
                        starts, cfg=CFG.model_copy(update={"capacity": capacity}))  # fmt: skip
        racers = [desk.record(f"{name}{round_}") for name in NAMES[:BOOKERS]]
        got = race(desk, racers, starts, capacity)
        errors = [g for g in got if isinstance(g, BaseException)]
        assert errors == []
        winners = [r for r, g in zip(racers, got, strict=True) if isinstance(g, Appointment)]
        assert len(winners) == 1, got
        assert [g for g in got if g is not None and not isinstance(g, Appointment)] == []
        assert slot_at(desk, starts) == (capacity, capacity, capacity)
        assert [state_of(desk, r) for r in racers] == [
            BOOKED if r in winners else REMINDED for r in racers
        ]
    with Session(desk.database) as session:
        slots = session.exec(select(AppointmentSlot).order_by(col(AppointmentSlot.id))).all()
    assert all(s.taken <= s.capacity for s in slots) and len(slots) == 3
