"""Build a delivery worker from settings: one httpx client, the API client, the robot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.engine import Engine as Database

from bot.delivery.worker import DeliveryWorker
from bot.wechat.api import WeChatAPI
from bot.wechat.robot import WeComRobot
from bot.wechat.tokens import SharedTokens
from config.content import Content
from config.settings import Settings


def wechat_api(http: httpx.AsyncClient, settings: Settings, database: Database) -> WeChatAPI:
    """The WeChat API client for these settings, sharing the access token through the database."""
    return WeChatAPI(
        http,
        base_url=settings.wechat_api_base,
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret,
        tokens=SharedTokens(database, settings.wechat_app_id),
        timeout=settings.wechat_api_timeout_seconds,
    )


@asynccontextmanager
async def delivery_worker(
    settings: Settings,
    database: Database,
    content: Content,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[DeliveryWorker]:
    """A worker for these settings; `transport` lets demo mode talk to the in-process sandbox."""
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(transport=transport, limits=limits) as http:
        timeout = settings.wechat_api_timeout_seconds
        api = wechat_api(http, settings, database)
        robot = (
            WeComRobot(http, settings.wecom_webhook_url, timeout=timeout)
            if settings.wecom_webhook_url
            else None
        )
        yield DeliveryWorker(
            database=database,
            settings=settings,
            notifications=content.notifications,
            api=api,
            robot=robot,
        )
