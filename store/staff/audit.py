"""The audit log: every staff write and every reveal, append-only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from flows.masking import mask_numbers_in, mask_openid
from store.staff.models import AuditEntry, Committee, StaffUser
from store.staff.scope import Scope

# Fields never copied into the log, whatever object they belong to.
SECRET_FIELDS = frozenset({"password_hash", "token_hash", "password", "token"})
SEALED_SUFFIX = "_sealed"  # ciphertext of a personal number: never copied into the log


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff member, or the command line."""

    staff_id: int | None
    label: str

    @classmethod
    def of(cls, staff: StaffUser) -> Actor:
        """The actor for a staff member."""
        return cls(staff.id, staff.username)


CLI = Actor(None, "cli")


def snapshot(obj: Any) -> dict[str, Any]:
    """A JSON-safe copy of an object's fields for before/after: secrets and sealed values left
    out, openids and personal numbers masked (the log is read by every admin of the scope)."""
    values = obj.model_dump() if hasattr(obj, "model_dump") else dict(obj)
    return {
        key: _openids_masked(value) if "openid" in key else _masked(value)
        for key, value in values.items()
        if key not in SECRET_FIELDS and not key.endswith(SEALED_SUFFIX)
    }


def _openids_masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_openid(value) if value else value
    if isinstance(value, list | tuple):
        return [_openids_masked(item) for item in value]
    return value


def _masked(value: Any) -> Any:
    """A value as the log keeps it: times as text, numbers typed in any text masked."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return mask_numbers_in(value)
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    return value


def _sub_district(
    session: Session, committee_id: int | None, given: int | None, actor: Actor
) -> int | None:
    """Whose entry this is: the committee's sub-district, else the one given, else the acting
    staff member's (a command-line action on nothing of a sub-district has none)."""
    if committee_id is not None:
        home = session.get(Committee, committee_id)
        if home is not None:
            return home.sub_district_id
    if given is not None:
        return given
    if actor.staff_id is not None:
        staff = session.get(StaffUser, actor.staff_id)
        if staff is not None:
            return staff.sub_district_id
    return None


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    now: datetime,
    committee_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    sub_district_id: int | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction, in the scope it belongs to.

    Its sub-district is the committee's; without a committee, `sub_district_id` (say, for a
    report of no committee), else the acting staff member's.
    """
    entry = AuditEntry(
        at=now,
        actor_id=actor.staff_id,
        actor=actor.label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        committee_id=committee_id,
        sub_district_id=_sub_district(session, committee_id, sub_district_id, actor),
        before=before,
        after=after,
    )
    session.add(entry)
    session.flush()
    return entry


def search(
    session: Session,
    *,
    scope: Scope | None = None,
    action: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """Entries matching the filters, newest first (with a scope: only the scope's entries)."""
    query = select(AuditEntry)
    if scope is not None:
        # Entries of the scope's committees, plus, for its admins, their own sub-district's;
        # an entry of no sub-district at all (a bare command-line action) is shown to nobody.
        own = AuditEntry.committee_id.in_(scope.committee_ids)
        district = AuditEntry.sub_district_id == scope.sub_district_id
        query = query.where(own | district if scope.admin else own)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if since:
        query = query.where(AuditEntry.at >= since)
    return session.exec(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
