"""The scheduler: fixed jobs with explicit ids. It plans and ticks; it never runs twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from anyio import to_thread
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine as Database

from bot.reports import service as reporting
from config.content import Content
from store.db import unit_of_work
from store.inbound import messages as inbound
from store.types import utcnow

DELIVERY_TICK = "delivery-tick"
REPORT_MEDIA = "report-media"
REPORT_PLANNER = "report-planner"
INBOUND_RETENTION = "inbound-retention"
Job = Callable[[], Awaitable[int]]
PLANNERS = (
    reporting.remind_and_escalate,
    reporting.ask_follow_ups,
    reporting.close_unanswered,
)


def plan_reports(database: Database, content: Content, now: datetime) -> int:
    """Remind and escalate, ask 回访 questions, close the unanswered; how many reports moved."""
    moved = 0
    for planner in PLANNERS:
        # One unit of work each: a planner that fails leaves the others' work committed.
        with unit_of_work(database) as session:
            moved += planner(session, content, now)
    return moved


def report_planner(
    database: Database, content: Content, clock: Callable[[], datetime] = utcnow
) -> Job:
    """The report-planner job: plan_reports at the clock's now, off the event loop."""

    async def plan() -> int:
        return await to_thread.run_sync(plan_reports, database, content, clock())

    return plan


def forget_raw_payloads(database: Database, now: datetime, days: int) -> int:
    """Clear the sealed raw payloads older than `days`; how many were cleared."""
    with unit_of_work(database) as session:
        return inbound.forget_raw(session, now - timedelta(days=days))


def inbound_retention(database: Database, days: int, clock: Callable[[], datetime] = utcnow) -> Job:
    """The inbound-retention job: forget_raw_payloads at the clock's now, off the event loop."""

    async def forget() -> int:
        return await to_thread.run_sync(forget_raw_payloads, database, clock(), days)

    return forget


def build_scheduler(
    *,
    timezone: ZoneInfo,
    delivery_tick: Job,
    fetch_media: Job,
    report_planning: Job,
    retention: Job,
    tick_seconds: float = 5.0,
    media_seconds: float = 30.0,
    planner_seconds: float = 60.0,
    retention_seconds: float = 3600.0,
) -> AsyncIOScheduler:
    """The scheduler with Linli's fixed jobs: delivery, report photos, the report planner and
    the retention of raw payloads."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    jobs = (
        (delivery_tick, DELIVERY_TICK, tick_seconds, "deliver due outbox messages"),
        (fetch_media, REPORT_MEDIA, media_seconds, "copy report photos from WeChat"),
        (
            report_planning,
            REPORT_PLANNER,
            planner_seconds,
            "remind, escalate, follow up reports",
        ),
        (retention, INBOUND_RETENTION, retention_seconds, "forget old raw payloads"),
    )
    for job, job_id, seconds, name in jobs:
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            id=job_id,
            name=name,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )
    return scheduler
