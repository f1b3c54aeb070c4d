"""Checking one row of a residents sheet: values normalised and checked, the first bad one named."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from config.registry_content import RegistryContent
from flows.identity import (
    Flagged,
    born_on,
    check_date,
    check_id_card,
    check_landline,
    check_mobile,
    mismatches,
)
from flows.inputs import normalise
from flows.masking import mask_id_card, mask_numbers_in
from flows.place_names import building_key
from store.places.models import Place
from store.registry.residents import MAX_NAME, MAX_NOTES
from store.sealing import Sealer

MAX_SHORT = {"unit": 16, "room": 16, "household_number": 32}
CODED = ("gender", "relation_to_head", "hukou_status", "residence_status")
_CHECKS = {"mobile": check_mobile, "landline": check_landline}


@dataclass
class CheckedRow:
    """A row whose values passed their checks."""

    line: int
    values: dict[str, Any]  # resident fields, clean
    id_hash: str
    dwelling: tuple[int, str, str] | None  # place id, unit, room
    household_number: str | None
    # Values staff accepted although flagged: field → (the value as given, the reason code).
    flags: dict[str, tuple[Any, str]] = field(default_factory=dict)


def code_words(content: RegistryContent) -> dict[str, dict[str, str]]:
    """Each coded field's words (and the code itself, and each part of 祖父母/外祖父母) → code."""
    words: dict[str, dict[str, str]] = {}
    for kind in CODED:
        known: dict[str, str] = {}
        for code, word in getattr(content.codes, kind).items():
            for spelling in (code, word, *word.split("/")):
                known[normalise(spelling)] = code
        words[kind] = known
    return words


def committee_buildings(session: Session, committee_id: int) -> list[Place]:
    query = select(Place).where(Place.committee_id == committee_id, Place.kind == "building")
    return list(session.exec(query.order_by(col(Place.id))))


@lru_cache(maxsize=4096)
def _folded(name: str) -> tuple[str, str | None]:
    # Remembered: a sheet names the same few buildings on every row (a third of an import's time).
    return normalise(name).replace(" ", ""), building_key(name)


def building_named(text: str, buildings: list[Place]) -> Place | None:
    """The committee's building a cell names exactly, or by the same number (3 → 3栋)."""
    folded, key = _folded(text)
    exact = [p for p in buildings if _folded(p.name)[0] == folded]
    numbered = [p for p in buildings if key is not None and _folded(p.name)[1] == key]
    found = exact or numbered
    return found[0] if len(found) == 1 else None


# Flagged values staff may accept as they are: a wrong check digit, a mobile of the wrong shape …
# (a missing name, an unknown code or building cannot be stored at all, so stays invalid).
ACCEPTABLE = frozenset({
    "id_card_length", "id_card_format", "id_card_birth_date", "id_card_check_digit",
    "mobile_format", "landline_format", "landline_area_code", "date_format",
    "birth_date_mismatch", "gender_mismatch",
})  # fmt: skip


class Invalid(Exception):
    """A row's first bad value: its field and the reason code."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason


def check_row(raw: dict[str, object], *, words: dict[str, dict[str, str]],
             buildings: list[Place], sealer: Sealer, line: int,
             accept: bool = False) -> CheckedRow:  # fmt: skip
    """A row's values checked one by one; Invalid names the first bad one.

    With `accept`, values flagged for an ACCEPTABLE reason are kept as given in `flags` instead.
    """
    flags: dict[str, tuple[Any, str]] = {}

    def flagged(kind: str, given: object, reason: str) -> None:
        if not accept or reason not in ACCEPTABLE:
            raise Invalid(kind, reason)
        flags[kind] = (given, reason)

    id_text = raw.get("id_card")
    if id_text is None:
        raise Invalid("id_card", "no_id_card")
    id_card = check_id_card(str(id_text))
    id_value = id_card.value if not isinstance(id_card, Flagged) else None
    if isinstance(id_card, Flagged):
        # Kept as typed, spaces and full-width digits aside: its hash still finds it next time.
        flagged("id_card", normalise(str(id_text)).replace(" ", "").upper(), id_card.reason)
    name = normalise(str(raw.get("name") or ""))
    if not name:
        raise Invalid("name", "missing")
    if len(name) > MAX_NAME:
        raise Invalid("name", "too_long")
    values: dict[str, Any] = {"name": name}
    if id_value is not None:
        values["id_card"] = id_value
    for kind in CODED:
        if kind in raw:
            code = words[kind].get(normalise(str(raw[kind])))
            if code is None:
                raise Invalid(kind, "unknown_code")
            values[kind] = code
    for kind, check in _CHECKS.items():
        if kind in raw:
            checked = check(str(raw[kind]))
            if isinstance(checked, Flagged):
                flagged(kind, normalise(str(raw[kind])), checked.reason)
                continue
            values[kind] = checked.value
    if "birth_date" in raw:
        born = raw["birth_date"]
        if not isinstance(born, date):
            checked_date = check_date(str(born))
            if isinstance(checked_date, Flagged):
                # The text stays on the flag alone: the date column takes the ID number's date.
                flagged("birth_date", normalise(str(born)), checked_date.reason)
                if id_value is not None:
                    values["birth_date"] = born_on(id_value)
            else:
                values["birth_date"] = checked_date.value
        else:
            values["birth_date"] = born
    found = () if id_value is None else mismatches(id_value, values.get("birth_date"),
                                                    values.get("gender"))  # fmt: skip
    for reason in found:
        kind = "birth_date" if reason == "birth_date_mismatch" else "gender"
        flagged(kind, values.pop(kind), reason)
    if "notes" in raw:
        notes = str(raw["notes"]).strip()
        if len(notes) > MAX_NOTES:
            raise Invalid("notes", "too_long")
        values["notes"] = notes
    short = {k: normalise(str(raw[k])) for k in MAX_SHORT if k in raw}
    for kind, text in short.items():
        if len(text) > MAX_SHORT[kind]:
            raise Invalid(kind, "too_long")
    dwelling = None
    if "building" in raw or "room" in raw or "unit" in raw:
        place = building_named(str(raw.get("building") or ""), buildings)
        if place is None:
            raise Invalid("building", "unknown_building")
        if not short.get("room"):
            raise Invalid("room", "room_missing")
        dwelling = (place.id or 0, short.get("unit", ""), short["room"])
    id_hash = sealer.lookup_hash(id_value if id_value is not None else flags["id_card"][0])
    return CheckedRow(line, values, id_hash, dwelling, short.get("household_number"),
                      flags)  # fmt: skip


def who(raw: dict[str, object]) -> dict[str, str]:
    """The name and masked ID number of a row, as the report shows them."""
    name = mask_numbers_in(normalise(str(raw.get("name") or "")))[:MAX_NAME]
    id_card = normalise(str(raw.get("id_card") or "")).replace(" ", "")
    return {"name": name, "id_card": mask_id_card(id_card) if id_card else ""}
