"""Tables of the residents registry: dwellings, 户籍户, residents, who lives where, tags, history.

Codes are stored in English (config/registry_content.py names them, registry.yaml words them).
ID-card numbers, mobiles, landlines and certificate numbers are stored only sealed with
LINLI_DATA_KEY (store/sealing.py), with a keyed hash beside the ones looked up by equality.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime


def _fk(target: str, *, nullable: bool = False, index: bool = True, **options: Any) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target, **options), nullable=nullable, index=index),
    )


def _text(length: int | None = None, *, nullable: bool = True, default: Any = None) -> Any:
    kind = Text() if length is None else String(length)
    return Field(default=default, sa_column=Column(kind, nullable=nullable))


def _day(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Date(), nullable=nullable))


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Dwelling(SQLModel, table=True):
    """One home: a room (房号) of a unit (单元) of one of the committee's buildings."""

    __tablename__ = "dwelling"
    # No unit is "" rather than NULL, so the same room cannot be entered twice.
    __table_args__ = (
        UniqueConstraint("committee_id", "place_id", "unit", "room", name="uq_dwelling"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = _fk("committee.id", index=False)
    place_id: int = _fk("place.id")
    unit: str = _text(16, nullable=False, default="")
    room: str = _text(16, nullable=False)
    occupancy: str | None = _text(8)  # owner, rented, vacant


class Household(SQLModel, table=True):
    """A household as registered (户籍户): its number (户号) and its head."""

    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("committee_id", "number", name="uq_household_number"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = _fk("committee.id", index=False)
    number: str = _text(32, nullable=False)
    # household and resident name each other; this key is added after both tables exist.
    head_resident_id: int | None = _fk(
        "resident.id", nullable=True, use_alter=True, name="fk_household_head_resident_id"
    )


class Resident(SQLModel, table=True):
    """A person the committee knows; personal numbers only sealed, with hashes for look-ups."""

    __tablename__ = "resident"
    __table_args__ = (
        Index("ix_resident_committee_name", "committee_id", "name"),
        Index("ix_resident_committee_id_card", "committee_id", "id_card_hash"),
        Index("ix_resident_committee_mobile", "committee_id", "mobile_hash"),
        # PostgreSQL only (migration 0008): the name's characters, for searches by part of it.
        Index(
            "ix_resident_name_chars",
            text("string_to_array(name, NULL)"),
            postgresql_using="gin",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = _fk("committee.id", index=False)
    name: str = _text(100, nullable=False)
    gender: str | None = _text(8)
    birth_date: date | None = _day()
    id_card_sealed: str | None = _text()
    id_card_hash: str | None = _text(64)
    mobile_sealed: str | None = _text()
    mobile_hash: str | None = _text(64)
    landline_sealed: str | None = _text()
    relation_to_head: str | None = _text(16)
    household_id: int | None = _fk("household.id", nullable=True)
    hukou_status: str | None = _text(16)  # consistent, away, absent
    residence_status: str | None = _text(16)  # registered, resident, floating, moved_out, …
    notes: str = _text(nullable=False, default="")
    created_at: datetime = _when()
    updated_at: datetime = _when()
    last_confirmed_at: datetime | None = _when(nullable=True)


class Residence(SQLModel, table=True):
    """Who lives in which dwelling, as what (本人, 家庭成员, 租客), from when until when."""

    __tablename__ = "residence"

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = _fk("resident.id")
    dwelling_id: int = _fk("dwelling.id")
    role: str = _text(8, nullable=False)  # self, family, tenant
    moved_in: date | None = _day()
    moved_out: date | None = _day()


class ResidentTag(SQLModel, table=True):
    """A tag of registry.yaml's vocabulary on a resident, with its certificate if it has one."""

    __tablename__ = "resident_tag"
    __table_args__ = (UniqueConstraint("resident_id", "tag", name="uq_resident_tag"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = _fk("resident.id")
    tag: str = _text(32, nullable=False)
    certificate_number_sealed: str | None = _text()
    certificate_date: date | None = _day()


class ResidentChange(SQLModel, table=True):
    """One change of one field of a resident: old and new masked, and where it came from."""

    __tablename__ = "resident_change"

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = _fk("resident.id")
    field: str = _text(32, nullable=False)
    old: str | None = _text()
    new: str | None = _text()
    source_kind: str = _text(16, nullable=False)  # import, staff, resident
    # The file name and row of an import, or the staff member's id.
    source_detail: str = _text(200, nullable=False, default="")
    at: datetime = _when()
