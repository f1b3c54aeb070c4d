"""The campaign-reminders job: settle the undelivered, and remind once those who have not
answered after their campaign's days — in its own unit of work, off the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from anyio import to_thread
from sqlalchemy.engine import Engine as Database

from bot.campaigns.letters import reminder
from config.content import Content
from store.campaigns import reminders
from store.db import unit_of_work
from store.sealing import Sealer
from store.types import utcnow


def remind_now(
    database: Database, sealer: Sealer, content: Content, tz: ZoneInfo, now: datetime
) -> int:
    """Queue the reminders due at `now`; how many."""
    with unit_of_work(database) as session:
        return reminders.remind_due(session, sealer, now=now, tz=tz,
                                    reminder=reminder(content, tz))  # fmt: skip


def campaign_reminders(
    database: Database,
    sealer: Sealer,
    content: Content,
    tz: ZoneInfo,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[], Awaitable[int]]:
    """The job: remind_now at the clock's now, off the event loop."""

    async def remind() -> int:
        return await to_thread.run_sync(remind_now, database, sealer, content, tz, clock())

    return remind
