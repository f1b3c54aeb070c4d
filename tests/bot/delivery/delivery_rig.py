"""A delivery worker wired to the sandbox WeChat API, for tests that read like scenarios."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery.worker import DeliveryWorker
from bot.sandbox.app import create_sandbox
from bot.wechat.api import WeChatAPI
from bot.wechat.robot import WeComRobot
from bot.wechat.tokens import SharedTokens
from config.content import NotificationKind, Notifications, TemplateRoute, load_content
from config.settings import Settings
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.residents import users

APP_ID, SECRET, ROBOT_KEY = "wx_rig_app_0001", "rig-secret-0001", "robot-key-1"
SANDBOX = "http://sandbox.local"
CONTENT = load_content(Path(__file__).resolve().parents[3] / "config" / "content" / "zh-CN")
# 11:00 in Guangzhou: outside the quiet period.
DAY = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def notifications(**kinds: NotificationKind) -> Notifications:
    """The shipped notification settings with some kinds replaced."""
    shipped = CONTENT.notifications
    return shipped.model_copy(update={"kinds": {**shipped.kinds, **kinds}})


def with_template(template_id: str = "tpl-status") -> NotificationKind:
    """A kind that falls back to a template message."""
    return NotificationKind(
        template=TemplateRoute(template_id=template_id, fields={"thing1": "title"})
    )


@dataclass
class Rig:
    """The worker, the sandbox and a clock the test moves."""

    database: Engine
    sandbox: httpx.AsyncClient
    worker: DeliveryWorker
    now: datetime = DAY
    ids: list[int] = field(default_factory=list)

    async def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Set up the sandbox (followers, windows, faults …)."""
        response = await self.sandbox.post(f"/_sandbox/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def received(self, **query: str) -> list[dict[str, Any]]:
        """What the sandbox accepted."""
        response = await self.sandbox.get("/_sandbox/messages", params=query)
        return response.json()

    async def resident(self, openid: str, *, wrote_hours_ago: float | None = 1) -> None:
        """A follower; `wrote_hours_ago` is when they last sent a message (None: never)."""
        await self.control("followers", {"openid": openid, "subscribed": True})
        with unit_of_work(self.database) as session:
            users.seen(session, openid, self.now, event="subscribe", own_message=False)
        if wrote_hours_ago is None:
            return
        await self.control("interactions", {"openid": openid})
        with unit_of_work(self.database) as session:
            users.seen(
                session, openid, self.now - timedelta(hours=wrote_hours_ago), own_message=True
            )

    def enqueue(self, openid: str, text: str = "您的报事已受理", *, kind: str = "status_update",
                audience: str = outbox.RESIDENT, urgent: bool = False) -> int:  # fmt: skip
        """Put a message in the outbox."""
        with unit_of_work(self.database) as session:
            message_id = outbox.enqueue(
                session, key=f"test:{len(self.ids)}:{openid}", audience=audience, recipient=openid,
                kind=kind, payload={"text": text, "data": {"title": text}}, now=self.now,
                urgent=urgent,
            )  # fmt: skip
        assert message_id is not None
        self.ids.append(message_id)
        return message_id

    def message(self, message_id: int) -> OutboxMessage:
        """One outbox row as stored now."""
        with Session(self.database) as session:
            found = session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id)).one()
        return found


@asynccontextmanager
async def rig(
    database: Engine, *, kinds: dict[str, NotificationKind] | None = None, **settings: Any
) -> AsyncIterator[Rig]:
    """A worker and an in-process sandbox sharing one httpx client."""
    sandbox_app = create_sandbox(app_id=APP_ID, app_secret=SECRET)
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX) as http:
        values = {"wechat_app_id": APP_ID, "wechat_app_secret": SECRET,
                  "delivery_retry_base_seconds": 10.0, **settings}  # fmt: skip
        config = Settings(**values)
        api = WeChatAPI(http, base_url=SANDBOX, app_id=APP_ID, app_secret=SECRET,
                        tokens=SharedTokens(database, APP_ID), timeout=0.5)  # fmt: skip
        robot = WeComRobot(http, f"{SANDBOX}/cgi-bin/webhook/send?key={ROBOT_KEY}", timeout=0.5)
        the_rig: Rig
        worker = DeliveryWorker(
            database=database, settings=config, notifications=notifications(**(kinds or {})),
            api=api, robot=robot, clock=lambda: the_rig.now,
        )  # fmt: skip
        the_rig = Rig(database, http, worker)
        await the_rig.control("robots", {"key": ROBOT_KEY})
        yield the_rig
