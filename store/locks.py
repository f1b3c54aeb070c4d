"""PostgreSQL advisory locks on one connection (the sole scheduler holds one while it runs)."""

from __future__ import annotations

from sqlalchemy import Connection, text

_TRY = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def try_advisory(connection: Connection, key: int) -> bool:
    """Take the session-level lock `key` if free; True when this connection now holds it."""
    acquired = bool(connection.execute(_TRY, {"key": key}).scalar_one())
    connection.commit()
    return acquired


def unlock_advisory(connection: Connection, key: int) -> None:
    """Give the lock back (the connection returns to the pool rather than closing)."""
    connection.execute(_UNLOCK, {"key": key})
    connection.commit()
