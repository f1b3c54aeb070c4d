"""What a campaign's message shows a resident of their own row: masked as 我的信息 shows it, so
no full number leaves the store for a message."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from flows.masking import mask_mobile
from store.registry import search
from store.registry.models import Resident
from store.sealing import Sealer
from store.staff.models import Committee


@dataclass(frozen=True)
class Details:
    """One resident's details as their message shows them (numbers masked; "" when none)."""

    resident_id: int
    committee: str
    name: str  # in full: the wording masks it
    id_card: str  # 4401**********123X
    mobile: str  # 139****5678
    home: search.Home | None  # where they live now (the first home)
    residence_status: str | None  # a registry code
    last_confirmed_at: datetime | None
    via: str | None  # self or proxy: whom the message addresses


# Turns one resident's details into the message they are sent (the bot's wording).
Compose = Callable[[Details], str]


def mask_id_card_for_resident(number: str) -> str:
    """An ID number as its owner sees it in WeChat: the first and last four kept."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _opened(sealer: Sealer, sealed: str | None) -> str:
    return sealer.open(sealed) if sealed else ""


def details_of(
    session: Session,
    sealer: Sealer,
    residents: Sequence[Resident],
    *,
    today: date,
    via: Mapping[int, str | None] | None = None,
) -> list[Details]:
    """The residents' details in their order (their homes in one query)."""
    ids = [r.id for r in residents if r.id is not None]
    homes = search.homes_of(session, ids, today=today)
    names: dict[int, str] = {}
    for committee_id in {r.committee_id for r in residents}:
        committee = session.get(Committee, committee_id)
        names[committee_id] = committee.name if committee else ""
    found = []
    for person in residents:
        resident_id = person.id or 0
        id_card = _opened(sealer, person.id_card_sealed)
        mobile = _opened(sealer, person.mobile_sealed)
        lived = homes.get(resident_id, [])
        found.append(
            Details(
                resident_id=resident_id, committee=names[person.committee_id], name=person.name,
                id_card=mask_id_card_for_resident(id_card) if id_card else "",
                mobile=mask_mobile(mobile) if mobile else "", home=lived[0] if lived else None,
                residence_status=person.residence_status,
                last_confirmed_at=person.last_confirmed_at,
                via=(via or {}).get(resident_id),
            )
        )  # fmt: skip
    return found
