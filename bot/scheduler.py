"""The scheduler: fixed jobs with explicit ids. It plans and ticks; it never runs twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

DELIVERY_TICK = "delivery-tick"


def build_scheduler(
    *, timezone: ZoneInfo, delivery_tick: Callable[[], Awaitable[int]], tick_seconds: float = 5.0
) -> AsyncIOScheduler:
    """The scheduler with Linli's fixed jobs (planners of later issues are added here)."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        delivery_tick,
        "interval",
        seconds=tick_seconds,
        id=DELIVERY_TICK,
        name="deliver due outbox messages",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    return scheduler
