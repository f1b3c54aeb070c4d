"""Conflicts an applied import left: a sheet's value that staff or the resident changed later.

Staff keep the current value or take the sheet's; each decision is audited. A personal number
from the sheet is kept sealed and shown masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from config.registry_content import FIELDS
from store.errors import Refused
from store.registry import residents
from store.registry.checks import CheckedRow
from store.registry.history import Source, masked
from store.registry.import_models import RegistryConflict
from store.registry.models import Household, Resident
from store.sealing import Sealer
from store.staff import audit
from store.staff.scope import Scope

PAGE = 50
_PERSONAL = ("id_card", "mobile", "landline")
DECISIONS = {"keep": "kept", "take": "taken"}


@dataclass(frozen=True)
class OpenConflict:
    """One open conflict as staff see it: both values masked."""

    id: int
    resident_id: int
    name: str
    field: str
    current: str | None
    sheet: str | None
    source_detail: str


def _may_decide(scope: Scope, committee_id: int) -> bool:
    return scope.allows(committee_id) and (scope.admin or scope.committee_staff)


def _sheet_value(row: CheckedRow, field: str) -> Any:
    if field == "household_id":
        return row.household_number
    return row.values.get(field)


def record(session: Session, sealer: Sealer, *, import_id: int, committee_id: int,
           resident: Resident, row: CheckedRow, fields: tuple[str, ...], source: Source,
           now: datetime) -> None:  # fmt: skip
    """Keep each conflicting field of a row; an open conflict of the same field is replaced."""
    for field in fields:
        value = _sheet_value(row, field)
        if field not in FIELDS or value is None:
            continue  # a move to another home is not taken from an old sheet: staff re-enter it
        query = select(RegistryConflict).where(
            RegistryConflict.resident_id == resident.id,
            RegistryConflict.field == field,
            RegistryConflict.status == "open",
        )
        conflict = session.exec(query).first() or RegistryConflict(
            committee_id=committee_id, resident_id=resident.id or 0, field=field, created_at=now
        )
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        personal = field in _PERSONAL
        conflict.import_id = import_id
        conflict.sheet_value = None if personal else text
        conflict.sheet_value_sealed = sealer.seal(text) if personal else None
        conflict.source_detail = source.detail
        session.add(conflict)
    session.flush()


def open_count(session: Session, committee_id: int) -> int:
    """How many conflicts of a committee wait for staff."""
    query = select(func.count()).where(
        RegistryConflict.committee_id == committee_id, RegistryConflict.status == "open"
    )
    return session.exec(query).one()


def open_conflicts(session: Session, sealer: Sealer, scope: Scope, committee_id: int, *,
                   page: int = 1) -> tuple[list[OpenConflict], int]:  # fmt: skip
    """A page of a committee's open conflicts, oldest first, and how many there are in all."""
    if not scope.allows(committee_id):
        raise Refused("committee_id", "not found", code="not_found")
    query = (
        select(RegistryConflict, Resident)
        .join(Resident, col(Resident.id) == RegistryConflict.resident_id)
        .where(RegistryConflict.committee_id == committee_id, RegistryConflict.status == "open")
        .order_by(col(RegistryConflict.id))
        .offset((max(page, 1) - 1) * PAGE)
        .limit(PAGE)
    )
    shown = [
        OpenConflict(
            conflict.id or 0,
            resident.id or 0,
            resident.name,
            conflict.field,
            masked(conflict.field, _current(session, sealer, resident, conflict.field)),
            masked(conflict.field, _opened(sealer, conflict)),
            conflict.source_detail,
        )
        for conflict, resident in session.exec(query)
    ]
    return shown, open_count(session, committee_id)


def _opened(sealer: Sealer, conflict: RegistryConflict) -> str | None:
    if conflict.sheet_value_sealed is not None:
        return sealer.open(conflict.sheet_value_sealed)
    return conflict.sheet_value


def _current(session: Session, sealer: Sealer, resident: Resident, field: str) -> Any:
    if field == "household_id":
        household = session.get(Household, resident.household_id or 0)
        return household.number if household else None
    if field in _PERSONAL:
        sealed = getattr(resident, f"{field}_sealed")
        return None if sealed is None else sealer.open(sealed)
    return getattr(resident, field)


def decide(session: Session, sealer: Sealer, scope: Scope, *, actor: audit.Actor,
           conflict_id: int, decision: str, now: datetime) -> RegistryConflict:  # fmt: skip
    """Keep the current value, or take the sheet's (as a staff edit); Refused if not allowed."""
    # Read afresh and locked: two staff deciding the same conflict at once, one is refused.
    query = select(RegistryConflict).where(RegistryConflict.id == conflict_id).with_for_update()
    conflict = session.exec(query.execution_options(populate_existing=True)).first()
    if conflict is None or not _may_decide(scope, conflict.committee_id):
        raise Refused("conflict", "not found", code="not_found")
    if decision not in DECISIONS:
        raise Refused("decision", "keep or take", code="decision")
    if conflict.status != "open":
        raise Refused("conflict", "already decided", code="decided")
    before = audit.snapshot(conflict)
    if decision == "take":
        value: Any = _opened(sealer, conflict)
        if conflict.field == "household_id":
            value = _household(session, conflict.committee_id, value or "").id
        residents.update_field(
            session, sealer, committee_id=conflict.committee_id,
            resident_id=conflict.resident_id, field=conflict.field, value=value,
            source=Source.staff(scope.staff_id), now=now,
        )  # fmt: skip
    conflict.status, conflict.decided_at = DECISIONS[decision], now
    conflict.decided_by = scope.staff_id or None
    session.add(conflict)
    session.flush()
    audit.record(
        session, actor=actor, action=f"registry_conflict.{decision}",
        object_type="registry_conflict", object_id=conflict.id,
        committee_id=conflict.committee_id, now=now, before=before, after=audit.snapshot(conflict),
    )  # fmt: skip
    return conflict


def _household(session: Session, committee_id: int, number: str) -> Household:
    query = select(Household).where(
        Household.committee_id == committee_id, Household.number == number
    )
    household = session.exec(query).first()
    if household is None:
        household = Household(committee_id=committee_id, number=number)
        session.add(household)
        session.flush()
    return household
