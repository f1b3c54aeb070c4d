"""The photo download job: copies report photos from WeChat, which keeps media only 3 days, to
the media directory (`<report id>/<position>.<ext>`), long after the webhook saved the report."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from anyio import to_thread
from fastapi.responses import FileResponse
from sqlalchemy.engine import Engine as Database

from bot.delivery.policy import backoff
from bot.delivery.runtime import wechat_api
from bot.wechat.api import WeChatAPI
from bot.wechat.errors import InvalidMedia, WeChatAPIError
from config.settings import Settings
from store.db import unit_of_work
from store.reports import photos as report_photos
from store.reports.models import ReportPhoto
from store.types import utcnow

log = logging.getLogger("linli.media")

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
}
# The first bytes of each image type Linli keeps: whatever WeChat says a file is, only these
# are stored as photos (an HTML page or SVG labelled image/jpeg is not).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
BATCH = 20
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
# Eight tries spread over a few hours, well inside the 3 days WeChat keeps the file.
RETRY_BASE_SECONDS = 60.0
RETRY_MAX_SECONDS = 3600.0


def photo_response(file: Path, content_type: str | None) -> FileResponse:
    """A stored photo for staff: only image types we know, never sniffed, never kept by proxies."""
    kind = (content_type or "").split(";")[0].strip().lower()
    # Whatever WeChat said, nothing but a known image type reaches a browser (no SVG, no HTML).
    media_type = kind if kind in EXTENSIONS else "application/octet-stream"
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return FileResponse(file, media_type=media_type, headers=headers)


def image_type(data: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG, GIF, WebP or BMP), else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def extension(content_type: str) -> str:
    """The file extension for a media content type ('bin' for one we do not know)."""
    return EXTENSIONS.get(content_type.split(";")[0].strip().lower(), "bin")


def write_photo(media_dir: Path, photo: ReportPhoto, data: bytes, content_type: str) -> str:
    """Write the photo atomically (a temporary file renamed into place); its relative path."""
    relative = f"{photo.report_id}/{photo.position}.{extension(content_type)}"
    target = media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return relative


class PhotoFetcher:
    """Downloads due report photos through the WeChat API and records each one's fate."""

    def __init__(
        self,
        *,
        database: Database,
        api: WeChatAPI,
        media_dir: Path,
        clock: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
        max_attempts: int = MAX_ATTEMPTS,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.api = api
        self.media_dir = media_dir
        self.clock = clock
        self.batch = batch
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()
        self.tally: Counter[str] = Counter()

    async def tick(self) -> int:
        """Claim one batch of due photos and fetch them; how many were claimed."""
        now = self.clock()
        claimed = await to_thread.run_sync(self._claim, now)
        for photo in claimed:
            await self._fetch(photo, now)
        return len(claimed)

    async def run_until_idle(self) -> Counter[str]:
        """Fetch until nothing is due (a one-off run); how many were stored, retried, failed."""
        while await self.tick():
            pass
        return self.tally

    async def _fetch(self, photo: ReportPhoto, now: datetime) -> None:
        if not photo.media_id:
            await self._settle(report_photos.mark_failed, photo, error="no media id")
            return
        try:
            data, declared = await self.api.download_media(photo.media_id)
            content_type = image_type(data)
            if content_type is None:
                why = f"not an image (said to be {declared[:40]!r})"
                await self._settle(report_photos.mark_failed, photo, error=why)
                return
            path = await to_thread.run_sync(write_photo, self.media_dir, photo, data, content_type)
        except InvalidMedia as error:
            # 40007: expired (after 3 days) or never existed; asking again will not help.
            await self._settle(report_photos.mark_failed, photo, error=str(error))
        except (WeChatAPIError, OSError) as error:
            await self._retry(photo, f"{type(error).__name__}: {error}", now)
        else:
            await self._settle(
                report_photos.mark_stored, photo, path=path, content_type=content_type,
                size=len(data), now=now,
            )  # fmt: skip

    async def _retry(self, photo: ReportPhoto, error: str, now: datetime) -> None:
        attempts = photo.attempts + 1
        if attempts >= self.max_attempts:
            await self._settle(report_photos.mark_failed, photo, error=error)
            return
        delay = backoff(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_MAX_SECONDS, rng=self.rng)
        await self._settle(report_photos.mark_retry, photo, error=error, retry_at=now + delay)

    async def _settle(
        self, mark: Callable[..., None], photo: ReportPhoto, **values: object
    ) -> None:
        def write() -> None:
            with unit_of_work(self.database) as session:
                mark(session, photo.id, **values)

        await to_thread.run_sync(write)
        outcome = mark.__name__.removeprefix("mark_")
        self.tally[outcome] += 1
        if outcome != "stored":
            log.warning("report photo %s %s: %s", photo.id, outcome, values.get("error"))

    def _claim(self, now: datetime) -> list[ReportPhoto]:
        with unit_of_work(self.database) as session:
            return report_photos.claim_due(session, now=now, limit=self.batch, lease=LEASE)


@asynccontextmanager
async def photo_fetcher(
    settings: Settings, database: Database, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[PhotoFetcher]:
    """A fetcher with its own WeChat API client (for `linli reports fetch-media`)."""
    async with httpx.AsyncClient(transport=transport) as http:
        api = wechat_api(http, settings, database)
        yield PhotoFetcher(database=database, api=api, media_dir=settings.media_dir)
