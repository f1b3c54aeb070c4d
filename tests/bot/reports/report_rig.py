"""The report loop as one scene: residents chat through the webhook, staff call the API, and the
delivery worker, the photo fetcher and the planner run against the WeChat sandbox — all on one
clock the test moves (Linli's and the sandbox's together)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.delivery.worker import DeliveryWorker
from bot.processes.scheduler import plan_reports
from bot.reports.photos import PhotoFetcher
from bot.sandbox.app import create_sandbox
from bot.web.context import AppContext
from bot.wechat.api import WeChatAPI
from bot.wechat.robot import WeComRobot
from bot.wechat.tokens import SharedTokens
from config.content import NotificationKind, TemplateRoute
from store.outbox.models import OutboxMessage
from store.reports import service as reports
from store.reports.models import Report
from tests.bot.delivery.delivery_rig import CONTENT, notifications
from tests.chat import APP_ID, Chat, Clock, Sends, Step, open_chat, run

T = TypeVar("T")
SECRET = "report-rig-secret"
SANDBOX = "http://sandbox.local"
ROBOT_KEY = "report-robot"
STATUS_TEMPLATE = "tpl-report-status"
POLICY = CONTENT.reports.policy
# 11:00 in Guangzhou: outside the quiet period (21:00-08:00).
DAY = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
# Outside the 48-hour window a report's news goes out as a template message.
STATUS_KIND = NotificationKind(
    template=TemplateRoute(
        template_id=STATUS_TEMPLATE,
        fields={"character_string1": "reference", "thing2": "category",
                "phrase3": "status", "thing4": "note"},
    )
)  # fmt: skip


@dataclass
class Desk:
    """The app (webhook and API), the sandbox, and the jobs the scheduler would run."""

    database: Engine
    chat: Chat
    sandbox: FastAPI
    media_dir: Path

    @property
    def clock(self) -> Clock:
        """The clock Linli runs on."""
        return self.chat.clock

    @property
    def services(self) -> AppContext:
        """The app's settings, content and database."""
        return self.chat.client.app.state.services  # type: ignore[attr-defined]

    # -- residents ---------------------------------------------------------------------------

    def says(self, openid: str, text: str) -> str:
        """A resident writes (which, as in WeChat, opens their 48-hour window)."""
        self.chat.openid = openid
        reply = self.chat.says(text) or ""
        self.control("interactions", {"openid": openid})
        return reply

    def script(self, openid: str, steps: list[Step]) -> None:
        """A conversation script for one resident."""
        self.chat.openid = openid
        self.control("interactions", {"openid": openid})
        run(self.chat, steps)

    def report(
        self,
        openid: str,
        *,
        category: str = "1",
        description: str = "楼道口停满了共享单车",
        place: str = "3栋",
        answers: tuple[str, ...] = (),
        photos: tuple[str, ...] = (),
    ) -> str:
        """我要报事 from start to 确认提交; the new report's reference."""
        steps: list[Step] = [Sends("我要报事"), Sends(category), Sends(description), Sends(place)]
        steps += [Sends(answer) for answer in answers]
        steps += [_Photo(media_id) for media_id in photos]
        if len(photos) < POLICY.max_photos:  # at the limit the summary follows by itself
            steps.append(Sends("好了" if photos else "没有"))
        steps.append(Sends("确认提交"))
        self.script(openid, steps)
        reply = self.chat.last_reply or ""
        assert "已提交，编号" in reply, reply
        return reply.split("编号 ")[1].split("。")[0]

    # -- staff -------------------------------------------------------------------------------

    def api(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> httpx.Response:
        """Call the staff API as someone."""
        return self.chat.client.request(method, path, headers=headers, json=body)

    def act(self, reference: str, action: str, headers: dict[str, str], note: str = "") -> None:
        """A lifecycle step through the API, which must succeed."""
        body = {"action": action, "note": note}
        answer = self.api("POST", f"/api/v1/reports/{reference}/actions", headers, body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == reports.TRANSITIONS[action][1]

    def stored(self, reference: str) -> Report:
        """The report as stored now."""
        with Session(self.database) as session:
            return session.exec(select(Report).where(Report.reference == reference)).one()

    def outbox_size(self) -> int:
        """How many messages were ever queued."""
        with Session(self.database) as session:
            return session.exec(select(func.count()).select_from(OutboxMessage)).one()

    # -- time and the jobs -------------------------------------------------------------------

    def later(self, **delta: float) -> None:
        """Time passes, for Linli and for the sandbox alike."""
        before = self.clock.now
        self.clock.advance(**delta)
        seconds = (self.clock.now - before).total_seconds()
        self.control("clock", {"advance_seconds": seconds})

    def plan(self) -> int:
        """One run of the report-planner job."""
        return plan_reports(self.database, self.services.content, self.clock.now)

    def deliver(self) -> int:
        """Run the delivery worker until nothing is due; how many messages it claimed."""

        async def go(http: httpx.AsyncClient) -> int:
            robot = WeComRobot(http, f"{SANDBOX}/cgi-bin/webhook/send?key={ROBOT_KEY}",
                               timeout=2)  # fmt: skip
            worker = DeliveryWorker(
                database=self.database, settings=self.services.settings, api=self._api(http),
                notifications=notifications(status_update=STATUS_KIND), robot=robot,
                clock=self.clock,
            )  # fmt: skip
            total = 0
            while claimed := await worker.tick():
                total += claimed
            return total

        return self._with_sandbox(go)

    def fetch_photos(self, *, max_attempts: int = 8) -> int:
        """One run of the report-media job; how many photos it claimed."""

        async def go(http: httpx.AsyncClient) -> int:
            fetcher = PhotoFetcher(
                database=self.database, api=self._api(http), media_dir=self.media_dir,
                clock=self.clock, max_attempts=max_attempts,
            )  # fmt: skip
            return await fetcher.tick()

        return self._with_sandbox(go)

    # -- the sandbox -------------------------------------------------------------------------

    def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Set the sandbox's scene through its control API."""

        async def go(http: httpx.AsyncClient) -> dict[str, Any]:
            answer = await http.post(f"/_sandbox/{path}", json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()

        return self._with_sandbox(go)

    def upload(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """A resident's photo as WeChat holds it (for 3 days)."""
        encoded = base64.b64encode(data).decode()
        self.control("media", {"media_id": media_id, "content_type": content_type,
                               "data_base64": encoded})  # fmt: skip

    def received(self, **query: str) -> list[dict[str, Any]]:
        """What the sandbox accepted, oldest first."""

        async def go(http: httpx.AsyncClient) -> list[dict[str, Any]]:
            return (await http.get("/_sandbox/messages", params=query)).json()

        return self._with_sandbox(go)

    def robot_texts(self) -> list[str]:
        """What the WeCom group read."""
        return [m["payload"]["markdown"]["content"] for m in self.received(channel="robot")]

    def texts_to(self, openid: str) -> list[tuple[str, str]]:
        """(channel, text) of what reached a resident; a template shows its data values."""
        found = []
        for message in self.received(touser=openid):
            payload = message["payload"]
            if message["channel"] == "custom":
                found.append(("custom", payload["text"]["content"]))
            else:
                values = [field["value"] for field in payload["data"].values()]
                found.append((message["channel"], " ".join(values)))
        return found

    def _api(self, http: httpx.AsyncClient) -> WeChatAPI:
        return WeChatAPI(http, base_url=SANDBOX, app_id=APP_ID, app_secret=SECRET,
                         tokens=SharedTokens(self.database, APP_ID), timeout=2)  # fmt: skip

    def _with_sandbox(self, use: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
        async def main() -> T:
            transport = httpx.ASGITransport(app=self.sandbox)
            async with httpx.AsyncClient(transport=transport, base_url=SANDBOX) as http:
                return await use(http)

        return asyncio.run(main())


@dataclass(frozen=True)
class _Photo:
    """The resident sends a photo WeChat keeps under this media id."""

    media_id: str

    def __call__(self, chat: Chat) -> None:
        chat.push(chat.pusher.image(chat.openid, media_id=self.media_id))


def open_desk(database: Engine, tmp_path: Path, *, at: datetime = DAY, **settings: Any) -> Desk:
    """The scene on a fresh app and sandbox, with the clock at `at`."""
    clock = Clock()
    clock.now = at
    media_dir = tmp_path / "media"
    chat = open_chat(
        database, clock=clock, media_dir=media_dir, wechat_app_secret=SECRET,
        send_rate_per_second=1000.0, **settings,
    )  # fmt: skip
    desk = Desk(database, chat, create_sandbox(app_id=APP_ID, app_secret=SECRET), media_dir)
    desk.control("robots", {"key": ROBOT_KEY})
    desk.control("templates", {"template_id": STATUS_TEMPLATE})
    return desk
