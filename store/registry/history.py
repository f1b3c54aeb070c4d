"""A resident's history: a row per changed field, values masked, and where the change came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from flows.masking import mask_id_card, mask_mobile, mask_numbers_in
from store.registry.models import ResidentChange


@dataclass(frozen=True)
class Source:
    """Where a value came from: an import (file and row), a member of staff, or the resident."""

    kind: str  # import, staff, resident
    detail: str = ""

    @classmethod
    def imported(cls, file_name: str, row: int) -> Source:
        """A row of an imported sheet."""
        return cls("import", f"{file_name}:{row}"[:200])

    @classmethod
    def staff(cls, staff_id: int) -> Source:
        """A member of staff's edit."""
        return cls("staff", str(staff_id))

    @classmethod
    def resident(cls, detail: str = "") -> Source:
        """The resident's own report."""
        return cls("resident", detail[:200])


def masked(field: str, value: object) -> str | None:
    """A field's value as the history keeps it: personal numbers masked, dates as ISO."""
    if value is None:
        return None
    if field == "id_card":
        return mask_id_card(str(value))
    if field == "mobile":
        return mask_mobile(str(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    # Landlines, and any number typed into a name or the notes.
    return mask_numbers_in(str(value))


def change_row(
    resident_id: int, field: str, old: object, new: object, source: Source, at: datetime
) -> dict[str, object]:
    """One change of one field as the columns of a bulk insert, old and new masked."""
    return {
        "resident_id": resident_id,
        "field": field,
        "old": masked(field, old),
        "new": masked(field, new),
        "source_kind": source.kind,
        "source_detail": source.detail,
        "at": at,
    }


def record(
    session: Session,
    resident_id: int,
    field: str,
    old: object,
    new: object,
    source: Source,
    at: datetime,
) -> ResidentChange:
    """Write one change of one field, old and new masked."""
    change = ResidentChange(
        resident_id=resident_id,
        field=field,
        old=masked(field, old),
        new=masked(field, new),
        source_kind=source.kind,
        source_detail=source.detail,
        at=at,
    )
    session.add(change)
    return change
