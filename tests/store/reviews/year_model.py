"""The year-long simulation's residents and what should happen to them, worked out by plain
Python rules that share no code with the planner: who is eligible when, which window a day is
in, which reminder stage is due, and what each record ends as.

The planner runs at 00:30 local every day (the hourly job's first run of the day), and again
at 22:00 on Sundays; residents and staff act at 15:00 (a completion, an opt-out, a move, a
certificate recorded); the worker delivers at 08:00. Both runs fall in the quiet hours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tests.store.reviews.conftest import FAMILY, LONGEVITY, PERMIT, TZ

FIRST, LAST = date(2026, 1, 1), date(2026, 12, 31)
RUNS, EVENTS = (time(0, 30), time(22, 0)), time(15, 0)
OPEN_STATES = ("due", "reminded", "overdue")


def at(day: date, clock: time) -> datetime:
    """A local time, aware."""
    return datetime.combine(day, clock, TZ)


def runs(day: date) -> tuple[time, ...]:
    """When the planner runs on a day."""
    return RUNS if day.weekday() == 6 else RUNS[:1]


def days() -> list[date]:
    """Every day simulated."""
    return [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]


def anniversary(day: date, year: int) -> date:
    """The day's anniversary in a year (29 February: the 28th in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass
class Person:
    """One generated resident, and what happens to them during the year."""

    name: str
    gender: str | None
    born: date | None
    status: str | None
    only_child: bool
    permit: date | None  # a residence permit's certificate date
    own: str | None  # their own WeChat
    proxy: str | None  # a family member acting for them
    following: bool  # whoever is written to follows the account
    building: int | None
    tag_added: date | None = None  # only_child recorded at 15:00 that day
    moves_out: date | None = None
    completes: dict[str, date] = field(default_factory=dict)  # programme → day done at the desk
    opts_out: tuple[date, str | None] | None = None  # (day, programme or None for all)
    resident_id: int = 0

    @property
    def recipient(self) -> str | None:
        return self.own or self.proxy

    def has_only_child(self, when: datetime) -> bool:
        added = self.tag_added is not None and at(self.tag_added, EVENTS) <= when
        return self.only_child or added

    def staying(self, when: datetime) -> bool:
        return self.moves_out is None or when < at(self.moves_out, EVENTS)

    def stopped(self, programme: str, when: datetime) -> bool:
        if self.opts_out is None or self.recipient is None:
            return False
        day, which = self.opts_out
        return at(day, EVENTS) <= when and which in (None, programme)


def people(count: int, seed: int = 2026) -> list[Person]:
    """A town of mixed ages, genders, tags, bindings, and the year's events."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        roll = rng.random()
        year = rng.randint(1940, 1966) if roll < 0.4 else (
            rng.randint(1955, 1957) if roll < 0.55 else rng.randint(1967, 2004))  # fmt: skip
        born: date | None = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        if rng.random() < 0.02:
            born = None
        status = rng.choices(["registered", "resident", "floating", None], [65, 10, 20, 5])[0]
        binding = rng.random()
        own = f"o_own_{n:04d}" if binding < 0.6 else None
        proxy = f"o_kin_{n:04d}" if 0.45 < binding < 0.85 else None
        permit = date(2022, 6, 1) + timedelta(days=rng.randrange(1300)) if rng.random() < 0.25 \
            else None  # fmt: skip
        person = Person(
            name=f"居民{n:03d}", gender=rng.choice(["male", "female", "male", "female", None]),
            born=born, status=status, only_child=rng.random() < 0.45, permit=permit, own=own,
            proxy=proxy, following=rng.random() < 0.92, building=rng.choice([0, 1, None]),
        )  # fmt: skip
        if not person.only_child and rng.random() < 0.1:  # recorded on a Sunday afternoon
            added = date(2026, 3, 5) + timedelta(days=rng.randrange(110))
            person.tag_added = added + timedelta(days=6 - added.weekday())
        if rng.random() < 0.04:
            person.moves_out = date(2026, 2, 1) + timedelta(days=rng.randrange(300))
        if rng.random() < 0.4:
            person.completes[FAMILY] = date(2026, 3, 2) + timedelta(days=rng.randrange(140))
        if rng.random() < 0.3:
            person.completes[PERMIT] = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        if rng.random() < 0.06:
            which = rng.choice([FAMILY, PERMIT, LONGEVITY, None])
            person.opts_out = (date(2026, 1, 15) + timedelta(days=rng.randrange(330)), which)
        found.append(person)
    # 29 February, whatever the draw: a 70th birthday and a permit's anniversary.
    found[0].born, found[0].status, found[0].own = date(1956, 2, 29), "registered", "o_own_0000"
    found[1].permit, found[1].status, found[1].proxy = date(2024, 2, 29), "floating", "o_kin_0001"
    return found


@dataclass
class Expected:
    """One record as it should come out: when created, each reminder queued, its end state."""

    programme: str
    cycle: int
    person: Person
    opens_on: date
    closes_on: date | None
    created: datetime
    state: str = "due"
    sent: list[tuple[str, datetime]] = field(default_factory=list)  # (stage key, queued at)


def windows(programme: str, person: Person, day: date) -> list[tuple[int, date, date | None]]:
    """The programme's windows open on a day for this person: (cycle, opens, closes)."""
    if programme == FAMILY:
        opens, closes = date(day.year, 3, 1), date(day.year, 6, 30)
        return [(day.year, opens, closes)] if opens <= day <= closes else []
    if programme == LONGEVITY:
        if person.born is None:
            return []
        cycle = person.born.year + 70
        opens = anniversary(person.born, cycle) - timedelta(days=90)
        last = anniversary(person.born, cycle + 1) - timedelta(days=91)
        return [(cycle, opens, None)] if opens <= day <= last else []
    found = []
    for cycle in (day.year, day.year + 1):
        if person.permit is None or cycle <= person.permit.year:
            continue
        closes = anniversary(person.permit, cycle)
        if closes - timedelta(days=30) <= day <= closes:
            found.append((cycle, closes - timedelta(days=30), closes))
    return found


def eligible(programme: str, person: Person, when: datetime) -> bool:
    """Whether the planner should find the person at this time (window aside)."""
    if not person.staying(when) or person.status in ("moved_out", "deceased"):
        return False
    if programme == PERMIT:
        return person.permit is not None
    if person.status != "registered" or person.born is None:
        return False
    if programme == LONGEVITY:
        return True
    old = age_on(person.born, date(when.year, 6, 30))
    old_enough = (person.gender == "male" and old >= 60) or (
        person.gender == "female" and old >= 55
    )
    return person.has_only_child(when) and old_enough


def stage_days(record: Expected) -> list[tuple[str, date]]:
    """Each reminder stage of the record and the day it is due from."""
    if record.programme == FAMILY:
        return [("opens", date(2026, 3, 1)), ("closing-14", date(2026, 6, 16)),
                ("closing-3", date(2026, 6, 27)), ("overdue", date(2026, 7, 3))]  # fmt: skip
    if record.programme == LONGEVITY:
        return [("opens", record.opens_on)]
    assert record.closes_on is not None
    return [("opens", record.opens_on), ("closing-7", record.closes_on - timedelta(days=7)),
            ("overdue", record.closes_on + timedelta(days=1))]  # fmt: skip


def planner_run(record: Expected, when: datetime) -> None:
    """What one planner run does to an existing record."""
    person, day = record.person, when.date()
    if record.state in OPEN_STATES and not person.staying(when):
        record.state = "moved_away"
    if record.state in ("due", "reminded") and record.closes_on and record.closes_on < day:
        record.state = "overdue"
    if record.state not in OPEN_STATES or person.recipient is None:
        return
    if person.stopped(record.programme, when):
        return
    stages = stage_days(record)
    reached = [n for n, (_, since) in enumerate(stages) if since <= day]
    if not reached:
        return
    latest = reached[-1]
    key = stages[latest][0]
    if key != "overdue" and record.closes_on is not None and record.closes_on < day:
        return
    done = [n for n, (k, _) in enumerate(stages) if any(k == s for s, _ in record.sent)]
    if done and max(done) >= latest:
        return
    record.sent.append((key, when))
    if record.state == "due":
        record.state = "reminded"


def simulate(town: list[Person]) -> list[Expected]:
    """Every record the year should create, run by run, with the day's events between runs."""
    found: dict[tuple[str, int, int], Expected] = {}
    for day in days():
        for clock in runs(day):
            when = at(day, clock)
            for n, person in enumerate(town):
                for programme in (FAMILY, LONGEVITY, PERMIT):
                    for cycle, opens, closes in windows(programme, person, day):
                        if (programme, cycle, n) not in found and eligible(programme, person, when):
                            found[(programme, cycle, n)] = Expected(
                                programme, cycle, person, opens, closes, when
                            )
            for record in found.values():
                planner_run(record, when)
            if clock == RUNS[0]:
                for record in found.values():  # 15:00: done at the desk
                    if (record.person.completes.get(record.programme) == day
                            and record.state in OPEN_STATES):  # fmt: skip
                        record.state = "completed"
    return list(found.values())


def counts(records: list[Expected], programme: str, cycle: int) -> dict[str, int]:
    """The tracker's counts at the year's end, as they should be."""
    found: dict[str, int] = {}
    for record in records:
        if (record.programme, record.cycle) != (programme, cycle):
            continue
        person = record.person
        found[record.state] = found.get(record.state, 0) + 1
        found["total"] = found.get("total", 0) + 1
        if record.state not in OPEN_STATES:
            continue
        if person.recipient is None or (record.sent and not person.following):
            found["unreachable"] = found.get("unreachable", 0) + 1
        if person.stopped(programme, at(LAST + timedelta(days=1), time(8))):
            found["opted_out"] = found.get("opted_out", 0) + 1
    return found
