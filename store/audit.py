"""The audit log: every staff write and every reveal, append-only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from store.scope import Scope
from store.staff_models import AuditEntry, StaffUser

# Fields never copied into the log, whatever object they belong to.
SECRET_FIELDS = frozenset({"password_hash", "token_hash", "password", "token"})


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
    """A JSON-safe copy of an object's fields for before/after, secrets left out."""
    values = obj.model_dump() if hasattr(obj, "model_dump") else dict(obj)
    return {
        key: (value.isoformat() if isinstance(value, datetime) else value)
        for key, value in values.items()
        if key not in SECRET_FIELDS
    }


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
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    entry = AuditEntry(
        at=now,
        actor_id=actor.staff_id,
        actor=actor.label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        committee_id=committee_id,
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
    """Entries matching the filters, newest first."""
    query = select(AuditEntry)
    if scope is not None:
        # Entries of the scope's committees, plus sub-district-level ones for its admins.
        own = AuditEntry.committee_id.in_(scope.committee_ids)
        query = query.where(own | AuditEntry.committee_id.is_(None) if scope.admin else own)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if since:
        query = query.where(AuditEntry.at >= since)
    return session.exec(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
