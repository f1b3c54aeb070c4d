"""Demo mode: the WeChat sandbox mounted in-process, with the worker and scheduler beside the app,
so one command shows messages going out."""

from __future__ import annotations

import asyncio
from base64 import b64encode
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI

from bot.processes.jobs import scheduled_jobs
from bot.sandbox import create_sandbox
from bot.web.context import AppContext

SANDBOX_BASE = "http://wechat-sandbox.local"
ROBOT_KEY = "demo-robot"
MOUNT = "/sandbox"


def attach_sandbox(app: FastAPI, services: AppContext) -> FastAPI:
    """Mount the sandbox at /sandbox and remember it for the simulator and the worker."""
    settings = services.settings
    sandbox = create_sandbox(app_id=settings.wechat_app_id, app_secret=settings.wechat_app_secret)
    app.mount(MOUNT, sandbox)
    app.state.demo_sandbox = sandbox
    return sandbox


@asynccontextmanager
async def sandbox_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client that talks to the mounted sandbox without any network."""
    transport = httpx.ASGITransport(app=app.state.demo_sandbox)
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE) as client:
        yield client


async def tell_sandbox(app: FastAPI, kind: str, openid: str) -> None:
    """Let the sandbox know what the resident did, as WeChat itself would."""
    if getattr(app.state, "demo_sandbox", None) is None:
        return
    async with sandbox_client(app) as client:
        if kind in ("subscribe", "unsubscribe"):
            body: dict[str, Any] = {"openid": openid, "subscribed": kind == "subscribe"}
            await client.post("/_sandbox/followers", json=body)
            return
        await client.post("/_sandbox/followers", json={"openid": openid, "subscribed": True})
        await client.post("/_sandbox/interactions", json={"openid": openid})


async def hold_media(app: FastAPI, media_id: str, data: bytes) -> None:
    """Put a photo in the sandbox's temporary media, as WeChat holds what a resident sent."""
    if getattr(app.state, "demo_sandbox", None) is None:
        return
    encoded = b64encode(data).decode()
    body = {"media_id": media_id, "content_type": "image/png", "data_base64": encoded}
    async with sandbox_client(app) as client:
        await client.post("/_sandbox/media", json=body)


async def sent_to(app: FastAPI, openid: str) -> list[dict[str, Any]]:
    """What the sandbox received for a resident (empty outside demo mode)."""
    if getattr(app.state, "demo_sandbox", None) is None:
        return []
    async with sandbox_client(app) as client:
        response = await client.get("/_sandbox/messages", params={"touser": openid})
        return response.json()


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """Run the delivery worker and the scheduler in-process while the app serves."""
    services: AppContext = app.state.services
    settings = services.settings.model_copy(
        update={
            "wechat_api_base": SANDBOX_BASE,
            "wecom_webhook_url": f"{SANDBOX_BASE}/cgi-bin/webhook/send?key={ROBOT_KEY}",
        }
    )
    async with sandbox_client(app) as client:
        await client.post("/_sandbox/robots", json={"key": ROBOT_KEY})
    transport = httpx.ASGITransport(app=app.state.demo_sandbox)

    def clock() -> datetime:
        # Read at each run, so a clock a test puts in later is the one used.
        return services.clock()

    async with scheduled_jobs(settings, services.database, services.content, clock=clock,
                              transport=transport) as jobs:  # fmt: skip
        app.state.demo_worker = jobs.worker
        app.state.demo_photos = jobs.photos
        stop = asyncio.Event()
        loop = asyncio.create_task(jobs.worker.run(stop, idle_seconds=1.0))
        try:
            yield
        finally:
            stop.set()
            await loop
