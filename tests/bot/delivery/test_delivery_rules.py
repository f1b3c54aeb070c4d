"""Delivery rules: channel choice, quiet hours, backoff, error verdicts, WeCom splitting."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import policy
from bot.delivery.wecom import RobotBudget, plan_posts, split_utf8
from bot.wechat import errors
from config.content import NotificationKind, TemplateRoute

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 11:00 in Guangzhou
TEMPLATE = NotificationKind(template=TemplateRoute(template_id="tpl-1"))
SUBSCRIPTION = NotificationKind(subscription=TemplateRoute(template_id="sub-1"))
NOTHING = NotificationKind()


def _resident(
    hours_ago: float | None, used: int = 0, consents: tuple[str, ...] = ()
) -> policy.Recipient:
    last = NOW - timedelta(hours=hours_ago) if hours_ago is not None else None
    return policy.Recipient(True, last, used, frozenset(consents))


@pytest.mark.parametrize(
    ("kind", "recipient", "channel"),
    [
        (NOTHING, _resident(1), "custom"),
        (NOTHING, _resident(47.9, used=4), "custom"),
        (TEMPLATE, _resident(1, used=5), "template"),
        (TEMPLATE, _resident(48.1), "template"),
        (SUBSCRIPTION, _resident(49, consents=("sub-1",)), "subscribe"),
        (SUBSCRIPTION, _resident(49), None),
        (NOTHING, _resident(49), None),
        (NOTHING, _resident(1, used=5), None),
        (NOTHING, _resident(None), None),
        (TEMPLATE, policy.Recipient(False, NOW, 0), None),
        (TEMPLATE, None, None),
    ],
)
def test_the_channel_follows_the_window_the_quota_and_the_configuration(
    kind: NotificationKind, recipient: policy.Recipient | None, channel: str | None
) -> None:
    choice = policy.choose(kind, recipient, NOW)
    assert choice.channel == channel
    assert bool(choice.reason) == (channel is None)


def test_quiet_hours_hold_until_eight_in_the_morning_local_time() -> None:
    quiet = policy.parse_quiet_hours("21:00-08:00")
    evening = datetime(2026, 11, 28, 22, 30, tzinfo=SHANGHAI)
    early = datetime(2026, 11, 29, 6, 0, tzinfo=SHANGHAI)
    assert policy.quiet_until(evening, quiet, SHANGHAI) == datetime(
        2026, 11, 29, 8, 0, tzinfo=SHANGHAI
    )
    assert policy.quiet_until(early, quiet, SHANGHAI) == datetime(
        2026, 11, 29, 8, 0, tzinfo=SHANGHAI
    )
    assert policy.quiet_until(NOW, quiet, SHANGHAI) is None
    daytime = policy.parse_quiet_hours("12:00-14:00")
    lunch = datetime(2026, 11, 28, 12, 30, tzinfo=SHANGHAI)
    assert policy.quiet_until(lunch, daytime, SHANGHAI) == datetime(
        2026, 11, 28, 14, 0, tzinfo=SHANGHAI
    )


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    rng = random.Random(7)
    delays = [policy.backoff(n, base=10, cap=300, rng=rng).total_seconds() for n in range(1, 12)]
    assert all(5 <= d <= 300 for d in delays)
    assert max(delays[6:]) > max(delays[:2])
    assert len(set(delays)) == len(delays)


@pytest.mark.parametrize(
    ("code", "verdict"),
    [(-1, "retry"), (45009, "retry"), (40001, "retry"), (42001, "retry"), (40014, "retry"),
     (43004, "park"), (40003, "park"), (45015, "park"), (45047, "park"), (48001, "park"),
     (45002, "fail")],
)  # fmt: skip
def test_each_error_code_has_a_verdict(code: int, verdict: str) -> None:
    assert policy.verdict(errors.error_for(code, "x")) == verdict


def test_a_timeout_is_retried() -> None:
    assert policy.verdict(errors.WeChatTimeout("timed out")) == "retry"


def test_long_text_is_split_on_utf8_bytes_at_line_ends() -> None:
    text = "\n".join(f"第{i}条：楼道灯坏了，请尽快处理。" for i in range(300))
    pieces = split_utf8(text, 2048)
    assert all(len(p.encode("utf-8")) <= 2048 for p in pieces)
    assert "\n".join(pieces) == text
    one_line = "灯" * 1000  # 3,000 bytes without a line break
    assert [len(p) for p in split_utf8(one_line, 2048)] == [682, 318]


def test_notices_are_packed_into_few_posts() -> None:
    notices = [(i, f"居民（…{i:04d}）请求人工服务") for i in range(1, 6)]
    [post] = plan_posts(notices, "【邻里】{count}条新通知")
    assert post.message_ids == (1, 2, 3, 4, 5)
    assert post.content.startswith("【邻里】5条新通知")
    big = [(1, "甲" * 1200), (2, "乙" * 1200), (3, "丙" * 10)]
    posts = plan_posts(big, "【邻里】{count}条新通知", limit=4096)
    assert [p.message_ids for p in posts] == [(1,), (2, 3)]
    assert all(len(p.content.encode("utf-8")) <= 4096 for p in posts)


def test_the_robot_budget_allows_twenty_posts_a_minute() -> None:
    budget = RobotBudget()
    for _ in range(20):
        budget.spend(NOW)
    assert budget.available(NOW) == 0
    assert budget.next_free(NOW) == NOW + timedelta(minutes=1)
    assert budget.available(NOW + timedelta(seconds=61)) == 20
