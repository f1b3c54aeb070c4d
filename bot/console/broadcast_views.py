"""What the broadcast pages show: the compose form read back and checked, the notice residents
read (console.yaml's letter around the staff's text), a broadcast's range in words, and its call
list with every number masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from bot.console.inputs import form_id
from bot.console.resident_views import home_text, masked_number
from config.content import ConsoleText, Content
from store.broadcasts import service as broadcasts
from store.broadcasts.models import Broadcast
from store.broadcasts.progress import CallRow
from store.campaigns.audience import Audience
from store.registry import search
from store.sealing import Sealer

FIELDS = ("committee_id", "place_id", "tag", "title", "text")
COUNTS = ("total", "reachable", "opted_out", "not_bound")
# Stands for the resident's name while the proxy's letter is cut in two: no console field can
# hold a control character (bot/console/inputs.py), so no staff text contains it.
_NAME = "\x00"


@dataclass
class Asked:
    """The form as typed (shown again), the audience it makes, and what was wrong."""

    typed: dict[str, str]
    audience: Audience | None
    problems: dict[str, str] = field(default_factory=dict)


def read_form(
    values: Mapping[str, str], t: ConsoleText, *, committees: Mapping[int, str],
    buildings: Mapping[int, tuple[int, str]], tags: Mapping[str, str],
) -> Asked:  # fmt: skip
    """The form's values, each checked; a bad one is named beside its field."""
    typed = {name: str(values.get(name, "")).strip() for name in FIELDS}
    problems: dict[str, str] = {}
    committee_id = form_id(typed["committee_id"]) if typed["committee_id"] else None
    if committee_id is None and len(committees) == 1:
        committee_id = next(iter(committees))
    if committee_id not in committees:
        problems["committee_id"] = t.bc_choose_again if typed["committee_id"] \
            else t.bc_need_committee  # fmt: skip
    place_id = form_id(typed["place_id"]) if typed["place_id"] else None
    if typed["place_id"] and (place_id not in buildings
                              or buildings[place_id][0] != committee_id):  # fmt: skip
        problems["place_id"] = t.bc_choose_again
    if typed["tag"] and typed["tag"] not in tags:
        problems["tag"] = t.bc_choose_again
    if not typed["place_id"] and not typed["tag"]:
        problems["place_id"] = t.bc_need_range
    if not typed["title"]:
        problems["title"] = t.bc_need_title
    elif len(typed["title"]) > broadcasts.MAX_TITLE:
        problems["title"] = t.bc_title_too_long.format(count=broadcasts.MAX_TITLE)
    if not typed["text"]:
        problems["text"] = t.bc_need_text
    elif len(typed["text"]) > broadcasts.MAX_TEXT:
        problems["text"] = t.bc_text_too_long.format(count=broadcasts.MAX_TEXT,
                                                     length=len(typed["text"]))  # fmt: skip
    audience = None
    if not problems and committee_id is not None:
        audience = Audience(committee_id, place_id, typed["tag"] or None)
    return Asked(typed, audience, problems)


def letter(t: ConsoleText, committee: str, broadcast: Broadcast) -> broadcasts.Letter:
    """The notice as residents read it: to themselves, or to the family member acting for them."""
    said = {"committee": committee, "title": broadcast.title, "text": broadcast.message}
    before, _, after = t.bc_letter_proxy.format(**said, name=_NAME).partition(_NAME)
    return broadcasts.Letter(t.bc_letter.format(**said), before, after)


def range_words(
    t: ConsoleText, content: Content, kept: dict[str, Any], buildings: Mapping[int, str]
) -> list[str]:
    """A broadcast's range as staff read it: the building, the tag."""
    words = []
    if kept.get("place_id"):
        words.append(t.bc_range_building.format(name=buildings.get(kept["place_id"], "")))
    if kept.get("tag"):
        tag = content.registry.tags.get(kept["tag"])
        words.append(t.bc_range_tag.format(name=tag.name if tag else kept["tag"]))
    return words


def call_rows(
    session: Session, content: Content, sealer: Sealer, rows: Sequence[CallRow], today: date
) -> list[dict[str, Any]]:
    """The call list's rows: the resident, where they live, the mobile masked, and why."""
    t = content.console
    homes = search.homes_of(session, [row.resident.id or 0 for row in rows], today=today)
    shown = []
    for row in rows:
        if row.status == "not_bound":
            why = t.bc_why_not_bound
        else:
            reason = content.notifications.call_list.reason(row.error, row.error_code)
            why = t.bc_why_unreachable.format(reason=reason) if reason \
                else t.bc_why_unreachable_only  # fmt: skip
            if row.via == "proxy":
                why = f"{why}{t.bc_via_proxy}"
        shown.append({
            "resident_id": row.resident.id, "name": row.resident.name,
            "homes": [home_text(h) for h in homes.get(row.resident.id or 0, [])],
            "mobile": masked_number(sealer, row.resident, "mobile"), "why": why,
        })  # fmt: skip
    return shown
