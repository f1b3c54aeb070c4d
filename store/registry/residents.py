"""Residents of the registry: added and changed through validation, numbers sealed, history kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlmodel import Session, select

from config.registry_content import (
    FIELDS,
    GENDERS,
    HUKOU_STATUSES,
    RELATIONS,
    RESIDENCE_STATUSES,
    RegistryContent,
)
from flows.identity import (
    Flagged,
    born_on,
    check_date,
    check_id_card,
    check_landline,
    check_mobile,
    cohorts_of,
    gender_of,
    mismatches,
)
from flows.inputs import normalise
from store.errors import Refused
from store.registry.bulk import committee_households, insert_changes, insert_residents
from store.registry.history import Source, change_row, record
from store.registry.models import Household, Resident
from store.sealing import Sealer

MAX_NAME = 100
MAX_NOTES = 2000
_CODED = {
    "gender": GENDERS,
    "relation_to_head": RELATIONS,
    "hukou_status": HUKOU_STATUSES,
    "residence_status": RESIDENCE_STATUSES,
}
# Personal numbers: stored only sealed, with a keyed hash for those looked up by equality.
_SEALED = {
    "id_card": ("id_card_sealed", "id_card_hash"),
    "mobile": ("mobile_sealed", "mobile_hash"),
    "landline": ("landline_sealed", None),
}
_COLUMNS = [c.name for c in Resident.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]
_CHECKS = {"id_card": check_id_card, "mobile": check_mobile, "landline": check_landline}


def _refuse(field: str, reason: str) -> Refused:
    # The reason code is worded by registry.yaml's `reasons` wherever it is shown.
    return Refused(field, reason, code=reason)


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not normalise(raw))


def _clean(session: Session, committee_id: int, field: str, raw: object) -> Any:
    """The value to store for one field, None for a blank one; Refused with the reason if bad."""
    if field not in FIELDS:
        raise ValueError(f"not a resident field: {field}")
    if _blank(raw):
        if field == "name":
            raise _refuse(field, "missing")
        return None
    if field == "name":
        name = normalise(str(raw))
        if len(name) > MAX_NAME:
            raise _refuse(field, "too_long")
        return name
    if field == "notes":
        notes = str(raw).strip()
        if len(notes) > MAX_NOTES:
            raise _refuse(field, "too_long")
        return notes
    if field in _CODED:
        if raw not in _CODED[field]:
            raise _refuse(field, "unknown_code")
        return raw
    if field == "birth_date":
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        checked_date = check_date(str(raw))
        if isinstance(checked_date, Flagged):
            raise _refuse(field, checked_date.reason)
        return checked_date.value
    if field == "household_id":
        household = session.get(Household, raw) if isinstance(raw, int) else None
        if household is None or household.committee_id != committee_id:
            raise _refuse(field, "household_unknown")
        return raw
    checked = _CHECKS[field](str(raw))
    if isinstance(checked, Flagged):
        raise _refuse(field, checked.reason)
    return checked.value


def _consistent(id_card: str | None, birth_date: date | None, gender: str | None) -> None:
    """Refuse a date of birth or gender the ID number contradicts (reported, never corrected)."""
    if id_card is None:
        return
    for reason in mismatches(id_card, birth_date, gender):
        raise _refuse("birth_date" if reason == "birth_date_mismatch" else "gender", reason)


def _current(sealer: Sealer, resident: Resident, field: str) -> Any:
    """A field's stored value, a sealed number opened."""
    if field in _SEALED:
        sealed = getattr(resident, _SEALED[field][0])
        return None if sealed is None else sealer.open(sealed)
    return getattr(resident, field)


def _store(sealer: Sealer, resident: Any, field: str, value: Any) -> None:
    """Set a field, sealing a personal number and keeping its look-up hash beside it."""
    if field not in _SEALED:
        setattr(resident, field, "" if field == "notes" and value is None else value)
        return
    sealed_column, hash_column = _SEALED[field]
    setattr(resident, sealed_column, None if value is None else sealer.seal(value))
    if hash_column is not None:
        setattr(resident, hash_column, None if value is None else sealer.lookup_hash(value))


def checked_values(
    session: Session, committee_id: int, values: Mapping[str, object]
) -> dict[str, Any]:
    """A new resident's values cleaned and checked (date of birth and gender read from the ID
    number when blank); Refused names the first bad one."""
    clean = {field: _clean(session, committee_id, field, raw) for field, raw in values.items()}
    if "name" not in clean:
        raise _refuse("name", "missing")
    id_card = clean.get("id_card")
    _consistent(id_card, clean.get("birth_date"), clean.get("gender"))
    if id_card is not None:  # read from the number, not guessed: filled in only when blank
        clean["birth_date"] = clean.get("birth_date") or born_on(id_card)
        clean["gender"] = clean.get("gender") or gender_of(id_card)
    return clean


def _row_of(sealer: Sealer, committee_id: int, clean: Mapping[str, Any], now: datetime) -> dict:
    """A resident's column values (every column, numbers sealed) for a bulk insert."""
    row = SimpleNamespace(**dict.fromkeys(_COLUMNS))
    row.committee_id, row.name, row.notes = committee_id, clean["name"], ""
    row.created_at = row.updated_at = row.last_confirmed_at = now
    for field, value in clean.items():
        _store(sealer, row, field, value)
    return vars(row)


def _history_of(
    resident_id: int, clean: Mapping[str, Any], source: Source, now: datetime
) -> list[dict[str, Any]]:
    """A new resident's first history: one entry per given field."""
    return [
        change_row(resident_id, field, None, clean[field], source, now)
        for field in FIELDS
        if clean.get(field) is not None
    ]


def add_resident(
    session: Session,
    sealer: Sealer,
    *,
    committee_id: int,
    values: Mapping[str, object],
    source: Source,
    now: datetime,
) -> Resident:
    """A new resident of the committee from checked values; each given field enters the history."""
    clean = checked_values(session, committee_id, values)
    resident = Resident(**_row_of(sealer, committee_id, clean, now))
    session.add(resident)
    session.flush()
    assert resident.id is not None
    insert_changes(session, _history_of(resident.id, clean, source, now))
    return resident


def add_residents(
    session: Session,
    sealer: Sealer,
    *,
    committee_id: int,
    batch: Sequence[tuple[Mapping[str, object], Source]],
    now: datetime,
) -> list[int | Refused]:
    """Many new residents at once (an import's batch): each one's id, or why it was refused.

    The accepted ones are inserted with one statement and their history with another, so a
    batch costs two round trips rather than two flushes a resident."""
    outcomes: list[int | Refused] = []
    accepted: list[tuple[int, dict[str, Any], Source]] = []
    # The batch's households checked with one query, not one a row.
    households = committee_households(
        session, committee_id, [v.get("household_id") for v, _ in batch]
    )
    for values, source in batch:
        household = values.get("household_id")
        try:
            clean = checked_values(session, committee_id, {k: v for k, v in values.items()
                                                          if k != "household_id"})  # fmt: skip
            if not _blank(household):
                if household not in households:
                    raise _refuse("household_id", "household_unknown")
                clean["household_id"] = household
        except Refused as refused:
            outcomes.append(refused)
            continue
        accepted.append((len(outcomes), clean, source))
        outcomes.append(0)
    rows = [_row_of(sealer, committee_id, clean, now) for _, clean, _ in accepted]
    ids = insert_residents(session, rows)
    history: list[dict[str, Any]] = []
    for (at, clean, source), resident_id in zip(accepted, ids, strict=True):
        outcomes[at] = resident_id
        history.extend(_history_of(resident_id, clean, source, now))
    insert_changes(session, history)
    return outcomes


def get_resident(session: Session, committee_id: int, resident_id: int) -> Resident:
    """One of the committee's residents; Refused when the committee has no such resident."""
    resident = session.get(Resident, resident_id)
    if resident is None or resident.committee_id != committee_id:
        raise _refuse("resident", "resident_unknown")
    return resident


def update_field(
    session: Session,
    sealer: Sealer,
    *,
    committee_id: int,
    resident_id: int,
    field: str,
    value: object,
    source: Source,
    now: datetime,
) -> bool:
    """Change one field after checking it; False (and no history) when the value is the same."""
    resident = get_resident(session, committee_id, resident_id)
    new = _clean(session, committee_id, field, value)
    old = _current(sealer, resident, field)
    if new == old or (field == "notes" and new is None and old == ""):
        return False
    if field in ("id_card", "birth_date", "gender"):
        after = {f: _current(sealer, resident, f) for f in ("id_card", "birth_date", "gender")}
        after[field] = new
        _consistent(after["id_card"], after["birth_date"], after["gender"])
    _store(sealer, resident, field, new)
    resident.updated_at = now
    resident.last_confirmed_at = now
    session.add(resident)
    assert resident.id is not None
    record(session, resident.id, field, old, new, source, now)
    session.flush()
    return True


def find_by_id_card(
    session: Session, sealer: Sealer, committee_id: int, number: str
) -> list[Resident]:
    """The committee's residents with this ID number (15 or 18 digits, as typed), by its hash."""
    checked = check_id_card(number)
    if isinstance(checked, Flagged):
        return []
    wanted = sealer.lookup_hash(checked.value)
    query = select(Resident).where(
        Resident.committee_id == committee_id, Resident.id_card_hash == wanted
    )
    return list(session.exec(query.order_by(Resident.id)).all())


def find_by_mobile(
    session: Session, sealer: Sealer, committee_id: int, number: str
) -> list[Resident]:
    """The committee's residents with this mobile number, by its hash."""
    checked = check_mobile(number)
    if isinstance(checked, Flagged):
        return []
    wanted = sealer.lookup_hash(checked.value)
    query = select(Resident).where(
        Resident.committee_id == committee_id, Resident.mobile_hash == wanted
    )
    return list(session.exec(query.order_by(Resident.id)).all())


def cohort(resident: Resident, *, on: date, content: RegistryContent) -> tuple[str, ...]:
    """The configured cohorts (60+ men, 高龄 …) the resident belongs to on a day: derived."""
    return cohorts_of(resident.birth_date, resident.gender, on, content.cohorts)
