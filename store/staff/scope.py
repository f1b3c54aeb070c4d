"""What a staff member may see: enforced in the queries, once, not in each handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from store.staff.models import COMMITTEE_STAFF, SUBDISTRICT_ADMIN, Committee, StaffUser


@dataclass(frozen=True)
class Scope:
    """The committees a staff member may read and change."""

    staff_id: int
    sub_district_id: int
    committee_ids: frozenset[int]
    admin: bool
    role: str = ""

    @property
    def committee_staff(self) -> bool:
        """True for 居委会工作人员 (not grid workers, not admins)."""
        return self.role == COMMITTEE_STAFF

    def allows(self, committee_id: int | None) -> bool:
        """True when a committee's object is visible (None: sub-district level, admins only)."""
        return self.admin if committee_id is None else committee_id in self.committee_ids

    def filter(self, query: Any, column: Any) -> Any:
        """Restrict a query to rows of the visible committees (`column` is their committee)."""
        return query.where(column.in_(self.committee_ids))


def committees(session: Session, scope: Scope) -> dict[int, str]:
    """The scope's committees by id, with their names."""
    query = select(Committee).where(Committee.id.in_(scope.committee_ids)).order_by(Committee.id)
    return {c.id: c.name for c in session.exec(query) if c.id is not None}


def of(session: Session, staff: StaffUser) -> Scope:
    """A staff member's scope: their committee, or every committee of their sub-district."""
    admin = staff.role == SUBDISTRICT_ADMIN
    if admin:
        ids = session.exec(
            select(Committee.id).where(Committee.sub_district_id == staff.sub_district_id)
        ).all()
    else:
        ids = [staff.committee_id] if staff.committee_id is not None else []
    visible = frozenset(i for i in ids if i is not None)
    return Scope(staff.id or 0, staff.sub_district_id, visible, admin, staff.role)
