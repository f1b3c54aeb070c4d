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
    scheduler, again = build(), build()
    assert [job.id for job in scheduler.get_jobs()] == fixed
    assert [job.id for job in again.get_jobs()] == fixed
    # A slow run is never overlapped by the next one, and missed runs collapse into one.
    assert all(job.max_instances == 1 and job.coalesce for job in scheduler.get_jobs())
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

        refusals = 0
        refused_thrice = asyncio.Event()

        def refused() -> None:
            nonlocal refusals
            refusals += 1
            if refusals == 3:
                refused_thrice.set()

        async def second() -> None:
            await first_holds.wait()
            async with sole_scheduler(database, poll_seconds=0.01, on_busy=refused):
                order.append("second in")

        tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
        await asyncio.wait_for(refused_thrice.wait(), timeout=10)
        assert order == ["first in"]
        first_may_stop.set()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["first in", "first out", "second in"]
