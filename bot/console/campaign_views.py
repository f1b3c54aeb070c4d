"""What the campaign pages show: the new-campaign form read back and checked, a campaign's
range in words, its preview (how many, and the message the first resident would get), and its
call list with every number masked."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.campaigns.letters import letter
from bot.console.inputs import form_id
from bot.console.resident_views import home_text, masked_number
from config.content import ConsoleText, Content
from store.campaigns import service as campaigns
from store.campaigns.audience import Audience, counts, first
from store.campaigns.details import details_of
from store.registry import search
from store.sealing import Sealer
from store.staff.scope import Scope

_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
FIELDS = ("committee_id", "title", "place_id", "tag", "unconfirmed_since", "reminder_after_days")


@dataclass
class Asked:
    """The form as typed (shown again), the audience it makes, and what was wrong."""

    typed: dict[str, str]
    audience: Audience | None
    title: str
    days: int
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    """How many residents a campaign would ask now, how many are bound, and one message."""

    total: int
    bound: int
    message: str | None


def read_day(text: str) -> date | None:
    """A day as staff type it (2026-01-01, 2026/1/1, 2026年1月1日), or None."""
    found = _DAY.fullmatch(text.strip())
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def read_form(
    values: Mapping[str, str], t: ConsoleText, *, committees: Mapping[int, str],
    buildings: Mapping[int, tuple[int, str]], tags: Mapping[str, str], default_days: int,
) -> Asked:  # fmt: skip
    """The form's values, each checked; a bad one is named beside its field."""
    typed = {name: str(values.get(name, "")).strip() for name in FIELDS}
    problems: dict[str, str] = {}
    committee_id = form_id(typed["committee_id"]) if typed["committee_id"] else None
    if committee_id is None and len(committees) == 1:
        committee_id = next(iter(committees))
    if committee_id not in committees:
        problems["committee_id"] = t.cp_need_committee if not typed["committee_id"] \
            else t.cp_choose_again  # fmt: skip
    place_id = form_id(typed["place_id"]) if typed["place_id"] else None
    if typed["place_id"] and (place_id not in buildings
                              or buildings[place_id][0] != committee_id):  # fmt: skip
        problems["place_id"] = t.cp_choose_again
    if typed["tag"] and typed["tag"] not in tags:
        problems["tag"] = t.cp_choose_again
    since = read_day(typed["unconfirmed_since"]) if typed["unconfirmed_since"] else None
    if typed["unconfirmed_since"] and since is None:
        problems["unconfirmed_since"] = t.cp_bad_date
    if not typed["title"]:
        problems["title"] = t.cp_need_title
    elif len(typed["title"]) > campaigns.MAX_TITLE:
        problems["title"] = t.cp_title_too_long.format(count=campaigns.MAX_TITLE)
    days_text = typed["reminder_after_days"] or str(default_days)
    days = int(days_text) if days_text.isascii() and days_text.isdigit() else 0
    if days not in campaigns.REMIND_DAYS:
        problems["reminder_after_days"] = t.cp_bad_days
    typed["reminder_after_days"] = days_text
    audience = None
    if not problems and committee_id is not None:
        audience = Audience(committee_id, place_id, typed["tag"] or None, since)
    return Asked(typed, audience, typed["title"], days, problems)


def preview(
    session: Session, content: Content, sealer: Sealer, scope: Scope, audience: Audience,
    message: str, *, today: date, tz: ZoneInfo,
) -> Preview:  # fmt: skip
    """How many residents the audience names now, and the message the first of them would get."""
    total, bound = counts(session, scope, audience, sealer=sealer, today=today, tz=tz)
    person = first(session, scope, audience, sealer=sealer, today=today, tz=tz)
    if person is None or person.id is None:
        return Preview(total, bound, None)
    reach = campaigns.reachable(session, [person.id])
    via = {person.id: reach[person.id][1]} if person.id in reach else None
    [details] = details_of(session, sealer, [person], today=today, via=via)
    return Preview(total, bound, letter(content, tz)(message, details))


def range_words(
    t: ConsoleText, content: Content, kept: dict[str, Any], buildings: Mapping[int, str]
) -> list[str]:
    """A campaign's range as staff read it: the building, the tag, the date — or everyone."""
    words = []
    if kept.get("place_id"):
        words.append(t.cp_range_building.format(name=buildings.get(kept["place_id"], "")))
    if kept.get("tag"):
        tag = content.registry.tags.get(kept["tag"])
        words.append(t.cp_range_tag.format(name=tag.name if tag else kept["tag"]))
    if kept.get("unconfirmed_since"):
        words.append(t.cp_range_since.format(date=kept["unconfirmed_since"]))
    return words or [t.cp_range_all]


def call_rows(
    session: Session, content: Content, sealer: Sealer, rows: Sequence[campaigns.CallRow],
    today: date,
) -> list[dict[str, Any]]:  # fmt: skip
    """The call list's rows: the resident, where they live, the mobile masked, and why."""
    t = content.console
    homes = search.homes_of(session, [row.resident.id or 0 for row in rows], today=today)
    shown = []
    for row in rows:
        if row.status == "not_bound":
            why = t.cp_why_not_bound
        else:
            reason = content.notifications.call_list.reason(row.error, row.error_code)
            why = (
                t.cp_why_unreachable.format(reason=reason) if reason else t.cp_why_unreachable_only
            )
            if row.via == "proxy":
                why = f"{why}{t.cp_via_proxy}"
        shown.append({
            "resident_id": row.resident.id, "name": row.resident.name,
            "homes": [home_text(h) for h in homes.get(row.resident.id or 0, [])],
            "mobile": masked_number(sealer, row.resident, "mobile"), "why": why,
            "resident": row.resident,
        })  # fmt: skip
    return shown
