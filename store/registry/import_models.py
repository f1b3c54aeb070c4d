"""Tables of sheet imports: the import itself and its progress, conflicts left for staff to
decide, and flagged values staff accepted as they are.

An uploaded sheet is kept only while its import waits to be applied (store/registry/import_jobs.py).
A conflict's sheet value is sealed when it is a personal number (store/sealing.py), never kept
in clear; the stored sheet itself lives under the media directory, not in the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime

# "planning": the dry run is running; "cancelled" by staff; "expired": planned but left unapplied
# for a day, its sheet deleted.
IMPORT_STATUSES = ("planning", "planned", "applying", "applied", "failed", "cancelled", "expired")
CONFLICT_STATUSES = ("open", "kept", "taken")


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target), nullable=nullable, index=index),
    )


def _text(length: int | None = None, *, nullable: bool = True, default: Any = None) -> Any:
    kind = Text() if length is None else String(length)
    return Field(default=default, sa_column=Column(kind, nullable=nullable))


def _count() -> Any:
    return Field(default=0, sa_column=Column(Integer, nullable=False))


def _json(factory: Any) -> Any:
    return Field(default_factory=factory, sa_column=Column(JSONType, nullable=False))


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class RegistryImport(SQLModel, table=True):
    """One sheet uploaded for a committee: planned, then applied, with its progress."""

    __tablename__ = "registry_import"

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = _fk("committee.id")
    stored_name: str = _text(200, nullable=False)  # the file's name under the media directory
    file_name: str = _text(200, nullable=False)  # as staff uploaded it
    status: str = _text(16, nullable=False, default="planned")  # one of IMPORT_STATUSES
    counts: dict[str, int] = _json(dict)  # outcome → rows, of the latest plan or of the apply
    rows_done: int = _count()
    rows_total: int = _count()
    mapping: dict[str, str] = _json(dict)  # unknown heading → field staff chose
    # Lines accepted as flagged ("accept"), buildings to create ("buildings").
    decisions: dict[str, Any] = _json(dict)
    created_by: int | None = _fk("staff_user.id", nullable=True, index=False)
    created_at: datetime = _when()
    applied_at: datetime | None = _when(nullable=True)
    # When the stored sheet and its dry-run rows were deleted (applied, cancelled or abandoned):
    # they hold names, ID numbers and mobiles in clear, so they are not kept once unneeded.
    sheet_removed_at: datetime | None = _when(nullable=True)


class RegistryConflict(SQLModel, table=True):
    """A field an import would have changed but staff or the resident changed later."""

    __tablename__ = "registry_conflict"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = _fk("registry_import.id")
    committee_id: int = _fk("committee.id")
    resident_id: int = _fk("resident.id")
    field: str = _text(32, nullable=False)
    sheet_value: str | None = _text()  # in clear, for fields that are not personal numbers
    sheet_value_sealed: str | None = _text()  # for ID-card numbers, mobiles and landlines
    source_detail: str = _text(200, nullable=False)  # file:line
    status: str = _text(8, nullable=False, default="open")  # one of CONFLICT_STATUSES
    decided_by: int | None = _fk("staff_user.id", nullable=True, index=False)
    decided_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class ResidentFlag(SQLModel, table=True):
    """A flagged value of a resident staff accepted as it is: it stays visible and counted."""

    __tablename__ = "resident_flag"
    __table_args__ = (UniqueConstraint("resident_id", "field", name="uq_resident_flag"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = _fk("resident.id")
    field: str = _text(32, nullable=False)
    reason: str = _text(32, nullable=False)  # a registry.yaml `reasons` code
    accepted_by: int | None = _fk("staff_user.id", nullable=True, index=False)
    source_detail: str = _text(200, nullable=False)  # file:line
    # A date the registry cannot store (date_format), kept here as given; never a personal number.
    given: str | None = _text(200)
    at: datetime = _when()
