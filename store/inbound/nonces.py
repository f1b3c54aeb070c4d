"""Replay guard for plaintext pushes: a nonce may only come back carrying the same body."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, delete, select

from store.inbound.models import WebhookNonce
from store.upsert import insert_for

PRUNE_EVERY = 500


def remember(
    session: Session,
    *,
    nonce: str,
    timestamp: str,
    body_sha256: str,
    now: datetime,
    window: timedelta,
) -> bool:
    """Remember a nonce; False when it was seen inside the window with a different body."""
    inserted = session.execute(
        insert_for(session, WebhookNonce)
        .values(nonce=nonce, timestamp=timestamp, body_sha256=body_sha256, seen_at=now)
        .on_conflict_do_nothing(index_elements=["nonce", "timestamp"])
        .returning(WebhookNonce.id)
    ).scalar_one_or_none()
    if inserted is not None:
        # Prune now and then on the write path itself, so the table stays small without a job.
        if inserted % PRUNE_EVERY == 0:
            forget_older_than(session, now - window)
        return True
    seen = session.exec(
        select(WebhookNonce).where(WebhookNonce.nonce == nonce, WebhookNonce.timestamp == timestamp)
    ).one()
    return seen.body_sha256 == body_sha256 or now - seen.seen_at > window


def forget_older_than(session: Session, cutoff: datetime) -> int:
    """Drop nonces too old to matter; returns how many were dropped."""
    result = session.execute(delete(WebhookNonce).where(WebhookNonce.seen_at < cutoff))
    return result.rowcount or 0
