"""The scheduler's work, set up once for `linli scheduler` and for demo mode alike: the delivery
worker, the photo job, the report planner, the retention job, the sweep of abandoned residents
sheets, the confirmation campaigns' reminders and the annual reviews' planner on Linli's fixed
schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
from anyio import to_thread
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine as Database

from bot.campaigns.reminders import campaign_reminders
from bot.delivery.runtime import delivery_worker
from bot.delivery.worker import DeliveryWorker
from bot.processes.scheduler import build_scheduler, inbound_retention, report_planner
from bot.reports.photos import PhotoFetcher
from bot.reviews.jobs import review_planner
from config.content import Content
from config.settings import Settings
from store.registry import import_jobs
from store.sealing import Sealer
from store.types import utcnow

IMPORT_SWEEP = "registry-import-sweep"
CAMPAIGN_REMINDERS = "campaign-reminders"
REVIEW_PLANNER = "review-planner"


@dataclass(frozen=True)
class Jobs:
    """The running scheduler and the parts its jobs drive."""

    scheduler: AsyncIOScheduler
    worker: DeliveryWorker
    photos: PhotoFetcher


@asynccontextmanager
async def scheduled_jobs(
    settings: Settings,
    database: Database,
    content: Content,
    *,
    clock: Callable[[], datetime] = utcnow,
    transport: httpx.AsyncBaseTransport | None = None,
    tick_seconds: float = 5.0,
) -> AsyncIterator[Jobs]:
    """Start the fixed jobs; they stop when the block ends (`transport`: the demo's sandbox)."""
    async with delivery_worker(settings, database, content, transport=transport) as worker:
        photos = PhotoFetcher(
            database=database, api=worker.api, media_dir=settings.media_dir, clock=clock
        )
        scheduler = build_scheduler(
            timezone=settings.tz,
            delivery_tick=worker.tick,
            fetch_media=photos.tick,
            report_planning=report_planner(database, content, clock),
            retention=inbound_retention(database, settings.raw_retention_days, clock),
            tick_seconds=tick_seconds,
        )
        # Uploaded residents sheets hold personal numbers in clear: abandoned ones are deleted.
        scheduler.add_job(
            import_sweep(database, settings, clock), "interval", seconds=3600.0, id=IMPORT_SWEEP,
            name="delete residents sheets left unapplied", replace_existing=True,
            max_instances=1, coalesce=True,
        )  # fmt: skip
        # Campaigns: the undelivered become unreachable, and the one reminder goes when due.
        sealer = Sealer(settings.data_key, settings.previous_data_key_list)
        scheduler.add_job(
            campaign_reminders(database, sealer, content, settings.tz, clock), "interval",
            seconds=3600.0, id=CAMPAIGN_REMINDERS, name="remind residents to confirm details",
            replace_existing=True, max_instances=1, coalesce=True,
        )  # fmt: skip
        # Annual reviews: the day's records and reminders, visit reminders, missed visits.
        scheduler.add_job(
            review_planner(database, content, settings.tz, clock), "interval", seconds=3600.0,
            id=REVIEW_PLANNER, name="plan annual reviews and their reminders",
            replace_existing=True, max_instances=1, coalesce=True,
        )  # fmt: skip
        scheduler.start()
        try:
            yield Jobs(scheduler, worker, photos)
        finally:
            scheduler.shutdown(wait=False)


def import_sweep(
    database: Database, settings: Settings, clock: Callable[[], datetime] = utcnow
) -> Callable[[], Awaitable[int]]:
    """The import-sweep job: import_jobs.sweep_now at the clock's now, off the event loop."""

    async def sweep() -> int:
        return await to_thread.run_sync(
            import_jobs.sweep_now, database, settings.media_dir, clock()
        )

    return sweep
