"""The WeChat sandbox: an ASGI app that answers like WeChat's API, with a control API beside it.

It is the only fake in the system: mounted in-process in demo mode, run standalone
(`linli sandbox-api`) for benchmarks and fault tests. State lives in this process's memory.
"""

from __future__ import annotations

from fastapi import FastAPI

from bot.sandbox.control import control_router
from bot.sandbox.guard import LoopLock
from bot.sandbox.state import Sandbox
from bot.sandbox.wechat import wechat_router


def create_sandbox(*, app_id: str, app_secret: str, token_ttl: int = 7200) -> FastAPI:
    """Build a sandbox for one Official Account (its appid and secret)."""
    sandbox = Sandbox(app_id, app_secret, token_ttl)
    lock = LoopLock()
    app = FastAPI(title="Linli WeChat sandbox", docs_url="/_sandbox/docs", redoc_url=None)
    # Tests may reach into the memory directly; the control API is the supported way.
    app.state.sandbox = sandbox
    app.include_router(wechat_router(sandbox, lock))
    app.include_router(control_router(sandbox, lock))
    return app
