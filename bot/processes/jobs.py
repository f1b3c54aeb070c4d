"""The scheduler's work, set up once for `linli scheduler` and for demo mode alike: the delivery
worker, the photo job, the report planner and the retention job on Linli's fixed schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine as Database

from bot.delivery.runtime import delivery_worker
from bot.delivery.worker import DeliveryWorker
from bot.processes.scheduler import build_scheduler, inbound_retention, report_planner
from bot.reports.photos import PhotoFetcher
from config.content import Content
from config.settings import Settings
from store.types import utcnow


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
        scheduler.start()
        try:
            yield Jobs(scheduler, worker, photos)
        finally:
            scheduler.shutdown(wait=False)
