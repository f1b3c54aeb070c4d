"""One scheduler at a time: a PostgreSQL advisory lock (or a file lock beside SQLite)."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import Engine as Database

from store import locks

# An arbitrary constant naming "the Linli scheduler" among advisory locks.
SCHEDULER_LOCK = 0x4C494E4C49


@asynccontextmanager
async def sole_scheduler(
    database: Database, *, poll_seconds: float = 5.0, on_busy: Callable[[], None] = lambda: None
) -> AsyncIterator[None]:
    """Hold the scheduler lock for the block, waiting while another scheduler holds it.

    `on_busy` is called each time the lock is found held by another scheduler.
    """
    if database.dialect.name == "postgresql":
        async with _advisory(database, poll_seconds, on_busy):
            yield
    else:
        path = Path(database.url.database or "linli.db")
        async with _file_lock(path, poll_seconds, on_busy):
            yield


@asynccontextmanager
async def _advisory(
    database: Database, poll_seconds: float, on_busy: Callable[[], None]
) -> AsyncIterator[None]:
    # Session-level advisory locks belong to one connection: keep it open while scheduling.
    connection = await asyncio.to_thread(database.connect)
    held = False
    try:
        while not held:
            held = await asyncio.to_thread(_try_advisory, connection)
            if not held:
                on_busy()
                await asyncio.sleep(poll_seconds)
        yield
    finally:
        # The connection goes back to the pool rather than closing, so unlock explicitly.
        if held:
            await asyncio.to_thread(_unlock_advisory, connection)
        await asyncio.to_thread(connection.close)


def _try_advisory(connection: Connection) -> bool:
    return locks.try_advisory(connection, SCHEDULER_LOCK)


def _unlock_advisory(connection: Connection) -> None:
    locks.unlock_advisory(connection, SCHEDULER_LOCK)


@asynccontextmanager
async def _file_lock(
    database_file: Path, poll_seconds: float, on_busy: Callable[[], None]
) -> AsyncIterator[None]:
    path = database_file.with_name(database_file.name + ".scheduler.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                on_busy()
                await asyncio.sleep(poll_seconds)
        yield
    finally:
        os.close(handle)
