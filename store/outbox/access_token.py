"""The shared access token: one row per app, read by every process, refreshed under its lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session

from store.outbox.models import AccessToken
from store.upsert import insert_for

# A token this close to its expiry is renewed before use (stable_token's normal mode renews
# then too), so no call goes out with a token about to die.
DUE_BEFORE = timedelta(minutes=5)
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_TABLE = AccessToken.__table__
_COLUMNS = (_TABLE.c.token, _TABLE.c.expires_at, _TABLE.c.refreshed_at, _TABLE.c.refreshes)


@dataclass(frozen=True)
class StoredToken:
    """The token row as read: empty token until the first refresh."""

    token: str
    expires_at: datetime
    refreshed_at: datetime
    refreshes: int


def is_due(stored: StoredToken | None, now: datetime) -> bool:
    """True when there is no usable token: none yet, expired, or within 5 minutes of expiry."""
    return stored is None or not stored.token or now >= stored.expires_at - DUE_BEFORE


def read(session: Session, app_id: str) -> StoredToken | None:
    """The app's token row without locking it, or None before the first refresh."""
    row = session.execute(select(*_COLUMNS).where(_TABLE.c.app_id == app_id)).one_or_none()
    return StoredToken(*row) if row is not None else None


def lock(session: Session, app_id: str) -> StoredToken:
    """Lock the app's row for this transaction (creating it empty if missing) and read it.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite: the engine begins every transaction with
    BEGIN IMMEDIATE, so the first statement already holds the database's write lock.
    """
    session.execute(
        insert_for(session, AccessToken)
        .values(app_id=app_id, token="", expires_at=_NEVER, refreshed_at=_NEVER, refreshes=0)
        .on_conflict_do_nothing(index_elements=["app_id"])
    )
    row = session.execute(
        select(*_COLUMNS).where(_TABLE.c.app_id == app_id).with_for_update()
    ).one()
    return StoredToken(*row)


def save(
    session: Session, app_id: str, token: str, expires_at: datetime, now: datetime
) -> StoredToken:
    """Store a freshly fetched token in the (locked) row; the caller commits."""
    row = session.execute(
        update(_TABLE)
        .where(_TABLE.c.app_id == app_id)
        .values(
            token=token,
            expires_at=expires_at,
            refreshed_at=now,
            refreshes=_TABLE.c.refreshes + 1,
        )
        .returning(*_COLUMNS)
    ).one()
    return StoredToken(*row)
