"""Report photos on their way from WeChat to local storage: claimed, stored, retried or failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlmodel import Session

from store.reports import service as reports
from store.reports.models import ReportPhoto
from store.staff.scope import Scope

PENDING, STORED, FAILED = "pending", "stored", "failed"


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta
) -> list[ReportPhoto]:
    """Take up to `limit` pending photos that are due; other fetchers skip them.

    The lease moves the next attempt past the fetch, so a fetcher that died leaves the photo to
    be claimed again once the lease has passed, and nobody fetches it twice meanwhile.
    """
    query = (
        select(ReportPhoto)
        .where(ReportPhoto.status == PENDING, ReportPhoto.next_attempt_at <= now)
        .order_by(ReportPhoto.next_attempt_at, ReportPhoto.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    photos = list(session.scalars(query))
    for photo in photos:
        photo.next_attempt_at = now + lease
    session.flush()
    return photos


def mark_stored(
    session: Session, photo_id: int, *, path: str, content_type: str, size: int, now: datetime
) -> None:
    """The photo is on disk at `path` (relative to the media directory)."""
    _settle(
        session, photo_id, status=STORED, path=path, content_type=content_type, size=size,
        stored_at=now, error=None,
    )  # fmt: skip


def mark_retry(session: Session, photo_id: int, *, error: str, retry_at: datetime) -> None:
    """The download failed for now; try again at `retry_at`."""
    _settle(session, photo_id, status=PENDING, error=error[:1000], next_attempt_at=retry_at)


def mark_failed(session: Session, photo_id: int, *, error: str) -> None:
    """WeChat no longer has the photo, or it was tried too often: give up on it."""
    _settle(session, photo_id, status=FAILED, error=error[:1000])


def _settle(session: Session, photo_id: int, **values: object) -> None:
    # Only a pending photo: a fetcher whose lease ran out never undoes another one's success.
    statement = (
        update(ReportPhoto)
        .where(ReportPhoto.id == photo_id, ReportPhoto.status == PENDING)
        .values(attempts=ReportPhoto.attempts + 1, **values)
    )
    session.execute(statement)


def visible_photo(
    session: Session, scope: Scope, reference: str, position: int
) -> ReportPhoto | None:
    """A report's photo by position, if the scope may see the report."""
    report = reports.get_visible(session, scope, reference)
    if report is None:
        return None
    query = select(ReportPhoto).where(
        ReportPhoto.report_id == report.id, ReportPhoto.position == position
    )
    return session.scalars(query).first()


def file_of(media_dir: Path, photo: ReportPhoto | None) -> Path | None:
    """A stored photo's file inside the media directory, if it is still there."""
    if photo is None or photo.status != STORED or not photo.path:
        return None
    root = media_dir.resolve()
    file = (root / photo.path).resolve()
    # The path comes from the database; it is still never allowed out of the media directory.
    return file if file.is_relative_to(root) and file.is_file() else None
