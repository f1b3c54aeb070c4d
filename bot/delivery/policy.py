"""Delivery rules as pure functions: which channel, when (quiet hours, backoff), and what an
error means. Numbers are WeChat's published limits and error codes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.wechat import errors
from config.content import NotificationKind

WINDOW = timedelta(hours=48)
WINDOW_QUOTA = 5

CUSTOM, TEMPLATE, SUBSCRIPTION, ROBOT = "custom", "template", "subscribe", "robot"


@dataclass(frozen=True)
class Recipient:
    """What delivery needs to know about a resident."""

    subscribed: bool
    last_message_at: datetime | None
    custom_sent_in_window: int
    consents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Choice:
    """The channel for a message, or why there is none (a reason key of notifications.yaml)."""

    channel: str | None
    reason: str = ""


def window_open(recipient: Recipient, now: datetime) -> bool:
    """True while the resident's last message is under 48 hours old."""
    return recipient.last_message_at is not None and now - recipient.last_message_at < WINDOW


def choose(kind: NotificationKind | None, recipient: Recipient | None, now: datetime) -> Choice:
    """Customer-service message inside the window and quota; else a configured template or a
    consented subscription notification; else none (the resident goes on the call list)."""
    if recipient is None or not recipient.subscribed:
        return Choice(None, "not_following")
    if window_open(recipient, now) and recipient.custom_sent_in_window < WINDOW_QUOTA:
        return Choice(CUSTOM)
    if kind is not None and kind.template is not None and kind.template.configured:
        return Choice(TEMPLATE)
    subscription = kind.subscription if kind is not None else None
    if subscription is not None and subscription.configured:
        if subscription.template_id in recipient.consents:
            return Choice(SUBSCRIPTION)
        return Choice(None, "no_consent")
    if window_open(recipient, now):
        return Choice(None, "quota_used")
    return Choice(None, "window_closed")


def parse_quiet_hours(spec: str) -> tuple[time, time]:
    """'21:00-08:00' → (21:00, 08:00)."""
    start, end = spec.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def quiet_until(now: datetime, quiet: tuple[time, time], tz: ZoneInfo) -> datetime | None:
    """When the quiet period that `now` falls in ends, or None outside it."""
    start, end = quiet
    local = now.astimezone(tz)
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside or start == end:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random) -> timedelta:
    """Exponential backoff with full jitter after `attempts` failed tries."""
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=rng.uniform(base / 2, max(ceiling, base / 2)))


RETRY = (errors.SystemBusy, errors.RateLimited, errors.WeChatTimeout, errors.TokenInvalid)
PARK = (
    errors.NotFollowing,
    errors.InvalidOpenId,
    errors.WindowClosed,
    errors.QuotaUsed,
    errors.NotAuthorised,
    errors.ConsentMissing,
)


def verdict(error: errors.WeChatAPIError) -> str:
    """'retry' (busy, rate limit, timeout, token), 'park' (the resident cannot be reached this
    way), or 'fail' (a message WeChat will never accept, such as one too long)."""
    if isinstance(error, RETRY):
        return "retry"
    if isinstance(error, PARK):
        return "park"
    return "fail"
