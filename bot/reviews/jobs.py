"""The review-planner job (hourly; idempotent, so a run that finds nothing new does nothing):
the day's review records and reminders, the reminders of tomorrow's visits, and the visits
missed — each in its own unit of work, off the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from anyio import to_thread
from sqlalchemy.engine import Engine as Database

from config.content import Content
from store.db import unit_of_work
from store.reviews import appointments, planner
from store.types import utcnow


@dataclass(frozen=True)
class ReviewRun:
    """What one run did."""

    planned: planner.Planned
    visit_reminders: int
    no_shows: int

    @property
    def total(self) -> int:
        """Rows the run wrote that someone will notice: reminders queued, records moved."""
        p = self.planned
        moved = p.created + p.moved_away + p.overdue + p.reminded
        return moved + p.reminders + self.visit_reminders + self.no_shows


def run_once(database: Database, content: Content, tz: ZoneInfo, now: datetime) -> ReviewRun:
    """Plan the reviews, remind tomorrow's visits and mark the missed ones, at `now`."""
    # One unit of work each: a step that fails leaves the others' work committed.
    with unit_of_work(database) as session:
        planned = planner.plan(session, content.reviews, now=now, tz=tz)
    with unit_of_work(database) as session:
        eve = appointments.remind_visits(session, content.reviews, content.services, now=now,
                                         tz=tz)  # fmt: skip
    with unit_of_work(database) as session:
        # Visits of records closed meanwhile (moved away, exempt, done): places freed.
        appointments.release_closed(session, now=now)
        missed = appointments.mark_no_shows(session, now=now, tz=tz)
    return ReviewRun(planned, eve, missed)


def review_planner(
    database: Database, content: Content, tz: ZoneInfo, clock: Callable[[], datetime] = utcnow
) -> Callable[[], Awaitable[int]]:
    """The job: run_once at the clock's now, off the event loop."""

    async def plan() -> int:
        run = await to_thread.run_sync(run_once, database, content, tz, clock())
        return run.total

    return plan
