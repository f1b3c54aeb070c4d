"""Where the WeChat client gets its access token: the shared row, refreshed by one process at once.

Tencent's rule (中控): one refresher, everyone else reads. Every process reads the row; a refresh
locks it, re-checks whether another process already refreshed, and only then asks WeChat, so
several processes make one refresh and never invalidate each other's fresh token (no ping-pong).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import anyio
from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import unit_of_work
from store.outbox import access_token as stored_tokens
from store.outbox.access_token import StoredToken, is_due
from store.types import utcnow


@dataclass(frozen=True)
class FetchedToken:
    """A token as WeChat handed it out."""

    token: str
    expires_in: int


# Asks WeChat for a token; the argument is force_refresh.
Fetch = Callable[[bool], Awaitable[FetchedToken]]


class TokenSource(Protocol):
    """Hands out access tokens; `fetch` is how to ask WeChat when a refresh is needed."""

    async def current(self, fetch: Fetch) -> str:
        """A token to use now, refreshing first if there is none or it is due."""
        ...

    async def refresh(self, failed: str, fetch: Fetch) -> str:
        """A token after WeChat refused `failed`; refreshes only if no one did already."""
        ...


class SharedTokens:
    """A TokenSource on the access_token table, shared by every process of every role."""

    def __init__(
        self, database: Engine, app_id: str, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.database = database
        self.app_id = app_id
        self.clock = clock
        self._known: StoredToken | None = None
        # One refresh at a time per process (and event loop): the others wait here and reuse
        # its result instead of each holding a database connection while queueing on the row.
        self._flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    async def current(self, fetch: Fetch) -> str:
        """A token to use now, refreshing first if there is none or it is due."""
        if not is_due(self._known, self.clock()):
            assert self._known is not None
            return self._known.token
        stored = await to_thread.run_sync(self._read)
        if not is_due(stored, self.clock()):
            assert stored is not None
            self._known = stored
            return stored.token
        return await self._refresh(None, fetch)

    async def refresh(self, failed: str, fetch: Fetch) -> str:
        """A token after WeChat refused `failed`; refreshes only if no one did already."""
        return await self._refresh(failed, fetch)

    def _read(self) -> StoredToken | None:
        with unit_of_work(self.database) as session:
            return stored_tokens.read(session, self.app_id)

    async def _refresh(self, failed: str | None, fetch: Fetch) -> str:
        loop = asyncio.get_running_loop()
        flight = self._flights.get(loop) or self._flights.setdefault(loop, asyncio.Lock())
        async with flight:
            known = self._known
            if known is not None and known.token != failed and not is_due(known, self.clock()):
                return known.token
            return await self._refresh_row(failed, fetch)

    async def _refresh_row(self, failed: str | None, fetch: Fetch) -> str:
        session = Session(self.database, expire_on_commit=False)
        try:
            stored = await to_thread.run_sync(stored_tokens.lock, session, self.app_id)
            started = self.clock()
            # Under the lock: another process may have refreshed while we waited for it.
            if stored.token != failed and not is_due(stored, started):
                await to_thread.run_sync(session.commit)
            else:
                # Force only when WeChat refused the very token in the row; a token that is
                # merely due is renewed by stable_token's normal mode.
                fetched = await fetch(stored.token == failed)
                expires_at = started + timedelta(seconds=fetched.expires_in)
                save = partial(
                    stored_tokens.save, session, self.app_id, fetched.token, expires_at, started
                )
                stored = await to_thread.run_sync(save)
                await to_thread.run_sync(session.commit)
        finally:
            # Closing rolls back anything uncommitted, which releases the lock; shielded so a
            # cancelled caller (a timeout) still lets go of it.
            with anyio.CancelScope(shield=True):
                await to_thread.run_sync(session.close)
        self._known = stored
        return stored.token
