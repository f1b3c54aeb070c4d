"""The delivery worker against the sandbox WeChat API, on both databases: channels, quotas,
quiet hours, and the end state of every error code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from store.outbox import messages as outbox
from tests.bot.delivery.delivery_rig import Rig, rig, with_template

Scenario = Callable[[Rig], Awaitable[None]]


def play(database: Engine, scenario: Scenario, **options: object) -> None:
    async def main() -> None:
        async with rig(database, **options) as the_rig:  # type: ignore[arg-type]
            await scenario(the_rig)

    asyncio.run(main())


def test_inside_the_window_a_customer_service_message_is_sent(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_zhang")
        message_id = r.enqueue("o_zhang", "您的报事已受理，编号 BS-20261128-0042")
        assert await r.worker.tick() == 1
        [got] = await r.received(touser="o_zhang")
        assert got["channel"] == "custom"
        assert "BS-20261128-0042" in str(got["payload"])
        stored = r.message(message_id)
        assert (stored.status, stored.channel, stored.attempts) == ("sent", "custom", 1)

    play(database, scenario)


def test_the_sixth_message_in_a_window_switches_to_the_template(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_li")
        await r.control("templates", {"template_id": "tpl-status"})
        ids = [r.enqueue("o_li", f"第{i}条") for i in range(6)]
        await r.worker.tick()
        channels = [r.message(i).channel for i in ids]
        assert channels == ["custom"] * 5 + ["template"]
        assert r.message(ids[-1]).wechat_msg_id is not None
        assert len(await r.received(touser="o_li")) == 6

    play(database, scenario, kinds={"status_update": with_template()})


def test_after_the_window_without_a_template_the_resident_goes_on_the_call_list(
    database: Engine,
) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_wang", wrote_hours_ago=49)
        message_id = r.enqueue("o_wang")
        await r.worker.tick()
        stored = r.message(message_id)
        assert stored.status == "unreachable"
        assert stored.last_error == "window_closed"
        assert await r.received(touser="o_wang") == []

    play(database, scenario)


def test_after_the_window_a_configured_template_is_used(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_chen", wrote_hours_ago=49)
        await r.control("templates", {"template_id": "tpl-status"})
        message_id = r.enqueue("o_chen", "已受理")
        await r.worker.tick()
        [got] = await r.received(touser="o_chen")
        assert got["channel"] == "template"
        assert got["payload"]["data"] == {"thing1": {"value": "已受理"}}
        assert r.message(message_id).status == "sent"

    play(database, scenario, kinds={"status_update": with_template()})


def test_the_quiet_period_holds_a_message_until_morning(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        r.now = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)  # 22:30 in Guangzhou
        await r.resident("o_late")
        normal = r.enqueue("o_late", "明天的提醒")
        urgent = r.enqueue("o_late", "停水通知", urgent=True)
        await r.worker.tick()
        held = r.message(normal)
        assert (held.status, held.attempts) == ("pending", 0)
        assert held.next_attempt_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 local
        assert r.message(urgent).status == "sent"
        r.now = datetime(2026, 12, 1, 0, 0, 5, tzinfo=UTC)
        await r.worker.tick()
        assert r.message(normal).status == "sent"

    play(database, scenario)


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"errcode": -1}, "pending"),
        ({"errcode": 45009}, "pending"),
        ({"timeout": True}, "pending"),
        ({"errcode": 40003}, "unreachable"),
        ({"errcode": 43004}, "unreachable"),
        ({"errcode": 45015}, "unreachable"),
        ({"errcode": 45047}, "unreachable"),
        ({"errcode": 48001}, "unreachable"),
        ({"errcode": 45002}, "failed"),
    ],
)
def test_each_error_ends_in_its_state(
    database: Engine, fault: dict[str, object], status: str
) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_err")
        await r.control("faults", {"next": [fault], "timeout_seconds": 2.0})
        message_id = r.enqueue("o_err")
        await r.worker.tick()
        stored = r.message(message_id)
        assert stored.status == status
        assert stored.attempts == 1
        if status == "pending":  # retried later, with backoff
            assert stored.next_attempt_at > r.now
            r.now = stored.next_attempt_at + timedelta(seconds=1)
            await r.worker.tick()
            assert r.message(message_id).status == "sent"
        else:
            assert stored.last_error_code == fault["errcode"]

    play(database, scenario)


def test_an_expired_token_is_refreshed_once_and_the_message_goes_out(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_tok")
        first = r.enqueue("o_tok", "一")
        await r.worker.tick()
        await r.control("faults", {"expire_tokens": True})
        second = r.enqueue("o_tok", "二")
        await r.worker.tick()
        assert r.message(first).status == r.message(second).status == "sent"
        calls = (await r.sandbox.get("/_sandbox/calls")).json()
        assert calls["stable_token"] == 2

    play(database, scenario)


def test_retries_stop_after_the_last_attempt(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        await r.resident("o_busy")
        await r.control("faults", {"next": [{"errcode": -1}] * 3})
        message_id = r.enqueue("o_busy")
        for _ in range(3):
            await r.worker.tick()
            r.now = r.message(message_id).next_attempt_at + timedelta(seconds=1)
        stored = r.message(message_id)
        assert (stored.status, stored.attempts, stored.last_error_code) == ("failed", 3, -1)

    play(database, scenario, delivery_max_attempts=3)


def test_staff_notices_go_to_the_wecom_robot_together(database: Engine) -> None:
    async def scenario(r: Rig) -> None:
        ids = [r.enqueue("staff", f"居民（…{i:04d}）请求人工服务", kind="staff_notice",
                         audience=outbox.STAFF) for i in range(3)]  # fmt: skip
        await r.worker.tick()
        [post] = await r.received(channel="robot")
        assert "3条新通知" in str(post["payload"]) and "…0002" in str(post["payload"])
        assert {r.message(i).status for i in ids} == {"sent"}

    play(database, scenario)
