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

from bot.delivery.runtime import delivery_worker
from bot.media import PhotoFetcher
from bot.sandbox import create_sandbox
from bot.scheduler import build_scheduler, inbound_retention, report_planner
from bot.services import Services

SANDBOX_BASE = "http://wechat-sandbox.local"
ROBOT_KEY = "demo-robot"
MOUNT = "/sandbox"


def attach_sandbox(app: FastAPI, services: Services) -> FastAPI:
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
    services: Services = app.state.services
    settings = services.settings.model_copy(
        update={
            "wechat_api_base": SANDBOX_BASE,
            "wecom_webhook_url": f"{SANDBOX_BASE}/cgi-bin/webhook/send?key={ROBOT_KEY}",
        }
    )
    async with sandbox_client(app) as client:
        await client.post("/_sandbox/robots", json={"key": ROBOT_KEY})
    transport = httpx.ASGITransport(app=app.state.demo_sandbox)
    async with delivery_worker(settings, services.database, services.content,
                               transport=transport) as worker:  # fmt: skip
        app.state.demo_worker = worker
        stop = asyncio.Event()
        loop = asyncio.create_task(worker.run(stop, idle_seconds=1.0))

        def clock() -> datetime:
            # Read at each run, so a clock a test puts in later is the one used.
            return services.clock()

        photos = PhotoFetcher(database=services.database, api=worker.api,
                              media_dir=settings.media_dir, clock=clock)  # fmt: skip
        app.state.demo_photos = photos
        scheduler = build_scheduler(
            timezone=settings.tz,
            delivery_tick=worker.tick,
            fetch_media=photos.tick,
            report_planning=report_planner(services.database, services.content, clock),
            retention=inbound_retention(services.database, settings.raw_retention_days, clock),
        )
        scheduler.start()
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)
            stop.set()
            await loop
