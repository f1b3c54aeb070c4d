"""The committees and sub-districts an installation serves, as a whole (no staff scope)."""

from __future__ import annotations

from sqlmodel import Session, select

from store.staff.models import Committee, SubDistrict


def _sole(session: Session, table: type[Committee] | type[SubDistrict]) -> int | None:
    ids = session.exec(select(table.id).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def sole_committee(session: Session) -> int | None:
    """The id of the installation's only committee; None when it has none or several."""
    return _sole(session, Committee)


def sole_sub_district(session: Session) -> int | None:
    """The id of the installation's only sub-district; None when it has none or several."""
    return _sole(session, SubDistrict)
