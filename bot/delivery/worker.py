"""The delivery worker: claims due outbox rows, sends them, and records what happened."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from anyio import to_thread
from sqlalchemy.engine import Engine as Database

from bot.delivery import policy, recipients
from bot.delivery.wecom import RobotBudget, plan_posts
from bot.wechat.api import WeChatAPI
from bot.wechat.errors import WeChatAPIError
from bot.wechat.robot import WeComRobot
from config.content import NotificationKind, Notifications
from config.settings import Settings
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.types import utcnow

log = logging.getLogger("linli.delivery")


class SendRate:
    """Spaces sends to the account's rate (per process)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self.next_at = 0.0

    async def wait(self) -> None:
        """Wait for the next send slot."""
        now = time.monotonic()
        if self.next_at > now:
            await asyncio.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


class DeliveryWorker:
    """Delivers outbox messages to residents (WeChat) and staff (WeCom robot)."""

    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        notifications: Notifications,
        api: WeChatAPI,
        robot: WeComRobot | None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.notifications = notifications
        self.api = api
        self.robot = robot
        self.clock = clock
        self.rng = rng or random.Random()
        self.quiet = policy.parse_quiet_hours(settings.quiet_hours)
        self.tz = ZoneInfo(settings.timezone)
        self.rate = SendRate(settings.send_rate_per_second)
        self.budget = RobotBudget()

    async def run(self, stop: asyncio.Event, *, idle_seconds: float = 1.0) -> None:
        """Deliver until `stop` is set, resting while nothing is due."""
        while not stop.is_set():
            if await self.tick() == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)

    async def tick(self) -> int:
        """Claim one batch of due messages and deliver it; how many were claimed."""
        now = self.clock()
        claimed = await to_thread.run_sync(self._claim, now)
        residents = [m for m in claimed if m.audience == outbox.RESIDENT]
        staff = [m for m in claimed if m.audience == outbox.STAFF]
        if residents:
            await self._deliver_residents(residents, now)
        if staff:
            await self._deliver_staff(staff, now)
        return len(claimed)

    # -- residents -----------------------------------------------------------------------------

    async def _deliver_residents(self, messages: list[OutboxMessage], now: datetime) -> None:
        openids = {m.recipient for m in messages}
        known = await to_thread.run_sync(self._recipients, openids, now)
        for message in messages:
            recipient = known.get(message.recipient)
            outcome = await self._deliver_one(message, recipient, now)
            if outcome.channel == policy.CUSTOM and outcome.status == outbox.SENT and recipient:
                known[message.recipient] = dataclasses.replace(
                    recipient, custom_sent_in_window=recipient.custom_sent_in_window + 1
                )
            # Settle each message as soon as it is sent, so a crash can repeat at most one.
            await to_thread.run_sync(self._settle, message.id, outcome)

    async def _deliver_one(
        self, message: OutboxMessage, recipient: policy.Recipient | None, now: datetime
    ) -> outbox.Outcome:
        kind = self.notifications.kinds.get(message.kind)
        held = self._held(message, kind, now)
        if held is not None:
            return held
        choice = policy.choose(kind, recipient, now)
        if choice.channel is None:
            return outbox.Outcome(outbox.UNREACHABLE, error=choice.reason)
        await self.rate.wait()
        try:
            msg_id = await self._send(choice.channel, message, kind)
        except WeChatAPIError as error:
            return self._after_error(message, choice.channel, error, now)
        return outbox.Outcome(outbox.SENT, channel=choice.channel, wechat_msg_id=msg_id)

    async def _send(
        self, channel: str, message: OutboxMessage, kind: NotificationKind | None
    ) -> int | None:
        payload = message.payload
        if channel == policy.CUSTOM:
            await self.api.send_text(message.recipient, payload["text"])
            return None
        route = kind.template if channel == policy.TEMPLATE else kind.subscription  # type: ignore[union-attr]
        assert route is not None
        data = _template_data(route.fields, payload.get("data", {}))
        if channel == policy.TEMPLATE:
            # Named after the outbox row, so a send repeated after a crash or a lost answer
            # reaches the resident once (WeChat keeps the id 10 minutes).
            return await self.api.send_template(
                message.recipient,
                route.template_id,
                data,
                url=payload.get("url"),
                client_msg_id=f"linli-{message.id}",
            )
        await self.api.send_subscription(message.recipient, route.template_id, data)
        return None

    # -- staff ---------------------------------------------------------------------------------

    async def _deliver_staff(self, messages: list[OutboxMessage], now: datetime) -> None:
        if self.robot is None:
            outcome = outbox.Outcome(outbox.FAILED, error="no WeCom robot configured")
            await to_thread.run_sync(self._settle_many, [m.id for m in messages], outcome)
            return
        due = []
        for message in messages:
            held = self._held(message, self.notifications.kinds.get(message.kind), now)
            if held is None:
                due.append(message)
            else:
                await to_thread.run_sync(self._settle, message.id, held)
        notices = [(m.id, self._staff_text(m)) for m in due]
        posts = plan_posts(notices, self.notifications.robot_heading)
        failed: dict[int, outbox.Outcome] = {}
        waiting: set[int] = set()
        for post in posts:
            if any(i in failed or i in waiting for i in post.message_ids):
                continue
            if self.budget.available(now) <= 0:
                waiting.update(post.message_ids)
                continue
            self.budget.spend(now)
            try:
                await self.robot.send_markdown(post.content)
            except WeChatAPIError as error:
                for message in (m for m in due if m.id in post.message_ids):
                    failed[message.id] = self._after_error(message, policy.ROBOT, error, now)
        later = outbox.Outcome(
            outbox.PENDING, retry_at=self.budget.next_free(now), count_attempt=False
        )
        for message in due:
            if message.id in failed:
                outcome = failed[message.id]
            elif message.id in waiting:
                outcome = later
            else:
                outcome = outbox.Outcome(outbox.SENT, channel=policy.ROBOT)
            await to_thread.run_sync(self._settle, message.id, outcome)

    def _staff_text(self, message: OutboxMessage) -> str:
        """A staff notice, with a link to the report in the console when Linli knows its URL."""
        text = str(message.payload["text"])
        reference, base = message.payload.get("report"), self.settings.public_url.rstrip("/")
        if not (reference and base):
            return text
        url = f"{base}/console/reports/{reference}"
        return f"{text}\n{self.notifications.staff_texts.report_link.format(url=url)}"

    # -- shared --------------------------------------------------------------------------------

    def _held(
        self, message: OutboxMessage, kind: NotificationKind | None, now: datetime
    ) -> outbox.Outcome | None:
        """Hold a non-urgent message through the quiet period, without counting an attempt."""
        if message.urgent or (kind is not None and kind.urgent):
            return None
        until = policy.quiet_until(now, self.quiet, self.tz)
        if until is None:
            return None
        return outbox.Outcome(outbox.PENDING, retry_at=until, count_attempt=False)

    def _after_error(
        self, message: OutboxMessage, channel: str, error: WeChatAPIError, now: datetime
    ) -> outbox.Outcome:
        verdict = policy.verdict(error)
        code, text = error.errcode, str(error)
        if verdict == "retry" and message.attempts + 1 < self.settings.delivery_max_attempts:
            delay = policy.backoff(
                message.attempts + 1,
                base=self.settings.delivery_retry_base_seconds,
                cap=self.settings.delivery_retry_max_seconds,
                rng=self.rng,
            )
            return outbox.Outcome(
                outbox.PENDING, channel=channel, error_code=code, error=text, retry_at=now + delay
            )
        status = outbox.UNREACHABLE if verdict == "park" else outbox.FAILED
        log.warning("outbox %s %s after %s: %s", message.id, status, channel, code)
        return outbox.Outcome(status, channel=channel, error_code=code, error=text)

    def _claim(self, now: datetime) -> list[OutboxMessage]:
        with unit_of_work(self.database) as session:
            return outbox.claim_due(
                session,
                now=now,
                limit=self.settings.delivery_batch,
                lease=timedelta(seconds=self.settings.delivery_lease_seconds),
            )

    def _recipients(self, openids: set[str], now: datetime) -> dict[str, policy.Recipient]:
        with unit_of_work(self.database) as session:
            return recipients.load(session, openids, now)

    def _settle(self, message_id: int, outcome: outbox.Outcome) -> None:
        with unit_of_work(self.database) as session:
            outbox.settle(session, message_id, outcome, self.clock())

    def _settle_many(self, message_ids: list[int], outcome: outbox.Outcome) -> None:
        with unit_of_work(self.database) as session:
            for message_id in message_ids:
                outbox.settle(session, message_id, outcome, self.clock())


def _template_data(fields: dict[str, str], values: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {key: {"value": str(values.get(source, ""))} for key, source in fields.items()}
