"""The scheduler: fixed jobs with explicit ids, and only one scheduler at a time."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from bot.processes.leader import sole_scheduler
from bot.processes.scheduler import (
    DELIVERY_TICK,
    INBOUND_RETENTION,
    REPORT_MEDIA,
    REPORT_PLANNER,
    build_scheduler,
)


def test_the_scheduler_has_its_fixed_jobs_and_replaces_them_on_restart() -> None:
    async def tick() -> int:
        return 0

    def build() -> AsyncIOScheduler:
        return build_scheduler(
            timezone=ZoneInfo("Asia/Shanghai"), delivery_tick=tick, fetch_media=tick,
            report_planning=tick, retention=tick,
        )  # fmt: skip

    fixed = [DELIVERY_TICK, REPORT_MEDIA, REPORT_PLANNER, INBOUND_RETENTION]
    assert fixed == ["delivery-tick", "report-media", "report-planner", "inbound-retention"]
    scheduler, again = build(), build()
    assert [job.id for job in scheduler.get_jobs()] == fixed
    assert [job.id for job in again.get_jobs()] == fixed
    every = {job.id: job.trigger.interval.total_seconds() for job in scheduler.get_jobs()}
    assert every == {
        DELIVERY_TICK: 5,
        REPORT_MEDIA: 30,
        REPORT_PLANNER: 60,
        INBOUND_RETENTION: 3600,
    }


def test_a_second_scheduler_waits_until_the_first_stops(database: Engine) -> None:
    async def scenario() -> list[str]:
        order: list[str] = []
        first_holds = asyncio.Event()
        first_may_stop = asyncio.Event()

        async def first() -> None:
            async with sole_scheduler(database, poll_seconds=0.01):
                order.append("first in")
                first_holds.set()
                await first_may_stop.wait()
                order.append("first out")

        async def second() -> None:
            await first_holds.wait()
            async with sole_scheduler(database, poll_seconds=0.01):
                order.append("second in")

        tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
        await first_holds.wait()
        # Let the second scheduler try (and fail) to take the lock a number of times.
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert order == ["first in"]
        first_may_stop.set()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["first in", "first out", "second in"]
