"""Flagged values staff accepted as they are: stored as given (personal numbers still sealed),
with a flag that stays visible and is counted by the data-quality report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, not_
from sqlmodel import Session, col, select

from store.registry.checks import CheckedRow
from store.registry.history import Source, record
from store.registry.import_models import ResidentFlag
from store.registry.models import Resident, ResidentChange
from store.sealing import Sealer

# Personal numbers: the sealed column, and the hash column beside it if looked up by equality.
_SEALED = {
    "id_card": ("id_card_sealed", "id_card_hash"),
    "mobile": ("mobile_sealed", "mobile_hash"),
    "landline": ("landline_sealed", None),
}


def keep(session: Session, sealer: Sealer, *, resident_id: int, row: CheckedRow,
         accepted_by: int | None, source: Source, now: datetime) -> None:  # fmt: skip
    """Store a written row's accepted flagged values on the resident its write produced, each
    with its flag; a date the registry cannot store is kept on its flag alone."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        return
    for field, (value, reason) in row.flags.items():
        stored = not (field == "birth_date" and not isinstance(value, date))
        if stored:
            old = _set(sealer, resident, field, value)
            if old != value:
                record(session, resident_id, field, old, value, source, now)
        flag = session.exec(
            select(ResidentFlag).where(
                ResidentFlag.resident_id == resident_id, ResidentFlag.field == field
            )
        ).first() or ResidentFlag(resident_id=resident_id, field=field)
        flag.reason, flag.accepted_by, flag.source_detail, flag.at = (
            reason,
            accepted_by,
            source.detail,
            now,
        )
        flag.given = None if stored else str(value)[:200]
        session.add(flag)
    resident.updated_at = now
    session.add(resident)
    session.flush()


def _set(sealer: Sealer, resident: Resident, field: str, value: Any) -> Any:
    """Set a field as given (sealed, hashed from its normalised text); the old value."""
    if field not in _SEALED:
        old = getattr(resident, field)
        setattr(resident, field, value)
        return old
    sealed_column, hash_column = _SEALED[field]
    before = getattr(resident, sealed_column)
    setattr(resident, sealed_column, sealer.seal(str(value)))
    if hash_column is not None:
        setattr(resident, hash_column, sealer.lookup_hash(str(value)))
    return None if before is None else sealer.open(before)


def flags_of(session: Session, committee_id: int) -> list[tuple[ResidentFlag, Resident]]:
    """Every accepted flag of a committee's residents, with its resident."""
    query = (
        select(ResidentFlag, Resident)
        .join(Resident, col(Resident.id) == ResidentFlag.resident_id)
        .where(Resident.committee_id == committee_id)
        .order_by(col(ResidentFlag.resident_id), col(ResidentFlag.field))
    )
    return list(session.exec(query).all())


def standing(session: Session, committee_id: int) -> list[tuple[ResidentFlag, Resident]]:
    """The accepted flags whose value nobody has changed since (a corrected value is no longer
    the flagged one), with their residents."""
    changed_since = exists().where(
        ResidentChange.resident_id == ResidentFlag.resident_id,
        ResidentChange.field == ResidentFlag.field,
        ResidentChange.at > ResidentFlag.at,
    )
    query = (
        select(ResidentFlag, Resident)
        .join(Resident, col(Resident.id) == ResidentFlag.resident_id)
        .where(Resident.committee_id == committee_id, not_(changed_since))
        .order_by(col(ResidentFlag.resident_id), col(ResidentFlag.field))
    )
    return list(session.exec(query).all())
