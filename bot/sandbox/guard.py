"""The lock around the sandbox's memory, valid in whichever event loop is running."""

from __future__ import annotations

import asyncio
import weakref


class LoopLock:
    """One asyncio.Lock per event loop: tests drive one sandbox from several asyncio.run calls,
    and an asyncio.Lock may only be used inside the loop it first waited in."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self) -> asyncio.Lock:
        """The lock for the running loop."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock
