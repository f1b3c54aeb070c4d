"""What the 年审 conversations share: a copy of the content as a committee fills it in (the
family-planning window, office hours for visits, a closed day), review records and full slots put
in the store as the planner and other residents would leave them, and checks of what was stored.

The clock stands at the registry's NOW: Monday 30 November 2026, 11:00 in Guangzhou. The office
(in these tests) opens weekdays 09:00–11:00 in one-hour slots of two places; Thursday 3 December
is closed. The morning has gone, so the days offered are Tue 1, Wed 2, Fri 4, Mon 7, Tue 8.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.content import Content, load_content
from store.db import unit_of_work
from store.reviews.models import (
    PLANNER,
    AppointmentSlot,
    ReviewRecord,
    ReviewTransition,
)
from tests.chat import SHIPPED_CONTENT, WORDS, Chat
from tests.resident_helpers import NOW

TZ = ZoneInfo("Asia/Shanghai")
FAMILY, LONGEVITY, PERMIT = (
    "family_planning_review", "longevity_confirmation", "residence_permit_endorsement",
)  # fmt: skip
REVIEWS = WORDS.reviews
SAID = REVIEWS.words.texts
LABELS = REVIEWS.words.labels
TUE, WED, CLOSED, FRI, SAT = (date(2026, 12, d) for d in (1, 2, 3, 4, 5))
MON, NEXT_TUE = date(2026, 12, 7), date(2026, 12, 8)
OFFERED = (TUE, WED, FRI, MON, NEXT_TUE)
HOURS = (
    '  hours:\n    - {weekdays: [1, 2, 3, 4, 5], start: "09:00", end: "11:00"}\n'
    "  slot_minutes: 60\n  capacity: 2\n"
)
CLOSING = date(2026, 12, 31)


def say(key: str, **values: object) -> str:
    """One of the 年审 flow's sentences as the content words it."""
    return SAID[key].format(**values)


def filled_content(folder: Path, *, hours: bool = True) -> Path:
    """The shipped content copied, the family-planning window (11-01 … 12-31) filled in and,
    with `hours`, the office hours for visits and a closed day."""
    target = folder / ("filled" if hours else "no_hours")
    if target.exists():
        return target
    shutil.copytree(SHIPPED_CONTENT, target)
    reviews = target / "reviews"
    family = reviews / f"{FAMILY}.yaml"
    text = family.read_text(encoding="utf-8")
    window = 'opens: "11-01"\n  closes: "12-31"'
    family.write_text(text.replace('opens: ""    # 居委会填写，例如 "03-01"\n  closes: ""', window),
                      encoding="utf-8")  # fmt: skip
    if hours:
        words = reviews / "_reviews.yaml"
        text = words.read_text(encoding="utf-8")
        text = text.replace("  hours: []            # 居委会填写\n", HOURS)
        text = text.replace("  slot_minutes: 30     # 每个时段多长（分钟）\n", "")
        text = text.replace("  capacity: 4          # 每个时段最多几人\n", "")
        text = text.replace("  closed_days: []", f"  closed_days: [{CLOSED.isoformat()}]")
        words.write_text(text, encoding="utf-8")
    content = load_content(target)
    assert content.reviews.by_key[FAMILY].ready
    visits = content.reviews.words.appointments
    assert visits.open == hours
    if hours:
        assert (visits.slot_minutes, visits.capacity, visits.closed_days) == (60, 2, (CLOSED,))
    return target


def content_of(path: Path) -> Content:
    """The content a copy holds."""
    return load_content(path)


def add_record(
    database: Engine, resident_id: int, committee_id: int, programme: str, *,
    state: str = "reminded", closes_on: date | None = CLOSING,
) -> int:  # fmt: skip
    """A record as the planner leaves it (created, then reminded), with its transition rows."""
    with unit_of_work(database) as session:
        record = ReviewRecord(
            programme=programme, cycle=2026, resident_id=resident_id,
            committee_id=committee_id, state=state, opens_on=date(2026, 11, 1),
            closes_on=closes_on, created_at=NOW, updated_at=NOW, reminded_at=NOW,
        )  # fmt: skip
        session.add(record)
        session.flush()
        session.add(ReviewTransition(record_id=record.id or 0, from_state=None, to_state=state,
                                     at=NOW, actor_kind=PLANNER))  # fmt: skip
        return record.id or 0


def local(day: date, hour: int) -> datetime:
    """A local hour of a day, aware."""
    return datetime.combine(day, time(hour), TZ)


def fill(database: Engine, committee_id: int, day: date, *hours: int) -> None:
    """Other residents took every place of these hours (all of the day's when none given)."""
    with unit_of_work(database) as session:
        for hour in hours or (9, 10):
            slot = AppointmentSlot(committee_id=committee_id, starts_at=local(day, hour),
                                   ends_at=local(day, hour + 1), capacity=2, taken=2)  # fmt: skip
            session.add(slot)


def visit_day(day: date) -> str:
    """A day as the list offers it, with its places."""
    return say("day_item", label=LABELS.of_day(day), left=4)


def visit_time(day: date, hour: int, left: int = 2) -> str:
    """A time as the list offers it."""
    return say("time_item", label=LABELS.of_time(local(day, hour)), left=left)


def when(day: date, hour: int) -> str:
    """A visit's day and time as replies name it."""
    return LABELS.of_visit(local(day, hour))


def record_of(database: Engine, record_id: int) -> ReviewRecord:
    """The record as it is now."""
    with Session(database) as session:
        record = session.get(ReviewRecord, record_id)
        assert record is not None
        return record


def states_of(database: Engine, record_id: int) -> list[tuple[str | None, str, str]]:
    """The record's transitions: (from, to, who)."""
    with Session(database) as session:
        query = select(ReviewTransition).where(ReviewTransition.record_id == record_id)
        rows = session.exec(query.order_by(col(ReviewTransition.id)))
        return [(t.from_state, t.to_state, t.actor_kind) for t in rows]


def taken(database: Engine, committee_id: int, day: date, hour: int) -> int:
    """Places taken at one slot (0 when nobody booked it yet)."""
    with Session(database) as session:
        query = select(AppointmentSlot.taken).where(
            AppointmentSlot.committee_id == committee_id,
            AppointmentSlot.starts_at == local(day, hour),
        )
        return session.exec(query).first() or 0


@dataclass(frozen=True)
class InState:
    """The record is in this state now."""

    record_id: int
    state: str

    def __call__(self, chat: Chat) -> None:
        found = record_of(chat.database, self.record_id).state
        assert found == self.state, f"record {self.record_id} is {found}, not {self.state}"


@dataclass(frozen=True)
class Taken:
    """This many places of the slot are taken."""

    committee_id: int
    day: date
    hour: int
    count: int

    def __call__(self, chat: Chat) -> None:
        found = taken(chat.database, self.committee_id, self.day, self.hour)
        assert found == self.count, f"{found} places taken at {self.day} {self.hour}:00"


def replies(chat: Chat) -> str:
    """Linli's last reply (asserting there was one)."""
    assert chat.last_reply is not None
    return chat.last_reply


def rows(database: Engine, model: type, **where: Any) -> list[Any]:
    """Rows of a table matching."""
    with Session(database) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.exec(query))
