"""What a campaign sends: one resident's details masked as 我的信息 shows them (name 张*英,
ID 4401**********123X, mobile 139****5678, address, residence status, last confirmed), in
campaigns.yaml's words, addressed to the resident or to the family member acting for them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from config.content import Content
from flows.masking import mask_name
from store.campaigns.details import Details
from store.campaigns.models import PROXY


def _day(content: Content, when: datetime, tz: ZoneInfo) -> str:
    local = when.astimezone(tz)
    return content.campaigns.letter.date.format(year=local.year, month=local.month, day=local.day)


def details_text(content: Content, details: Details, tz: ZoneInfo) -> str:
    """The details block of a message: every line filled, "未登记" where nothing is kept."""
    words = content.campaigns.letter
    home = details.home
    if home is None:
        address = words.blank
    elif home.unit:
        address = words.address.format(building=home.building, unit=home.unit, room=home.room)
    else:
        address = words.address_no_unit.format(building=home.building, room=home.room)
    status = details.residence_status
    confirmed = (
        words.confirmed.format(date=_day(content, details.last_confirmed_at, tz))
        if details.last_confirmed_at
        else words.never_confirmed
    )
    return words.details.format(
        name=mask_name(details.name), id_card=details.id_card or words.blank,
        mobile=details.mobile or words.blank, address=address,
        residence_status=content.registry.word("residence_status", status) if status
        else words.blank,
        confirmed=confirmed,
    )  # fmt: skip


def _greeting(self_words: str, proxy_words: str, details: Details) -> str:
    if details.via == PROXY:
        return proxy_words.format(committee=details.committee, name=mask_name(details.name))
    return self_words.format(committee=details.committee)


def letter(content: Content, tz: ZoneInfo) -> Callable[[str, Details], str]:
    """The campaign's message for one resident: (the campaign's kept wording, details) → text."""
    words = content.campaigns.letter

    def write(message: str, details: Details) -> str:
        greeting = _greeting(words.greeting_self, words.greeting_proxy, details)
        return message.format(greeting=greeting, details=details_text(content, details, tz))

    return write


def reminder(content: Content, tz: ZoneInfo) -> Callable[[Details], str]:
    """The one reminder for a resident who has not answered: details → text."""
    words = content.campaigns.letter

    def write(details: Details) -> str:
        greeting = _greeting(words.reminder_self, words.reminder_proxy, details)
        return words.reminder.format(greeting=greeting,
                                     details=details_text(content, details, tz))  # fmt: skip

    return write


def answers_since(content: Content, now: datetime) -> datetime:
    """The oldest start of a campaign whose message a 1 or 2 still answers (for the webhook's
    `awaiting` and `answer`)."""
    return now - timedelta(days=content.campaigns.answer_within_days)
