"""Tables of staff access: sub-districts, committees, staff, sessions, tokens, sign-ins, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime

# Roles, from widest to narrowest reach.
SUBDISTRICT_ADMIN, COMMITTEE_STAFF, GRID_WORKER = (
    "subdistrict_admin",
    "committee_staff",
    "grid_worker",
)
ROLES = (SUBDISTRICT_ADMIN, COMMITTEE_STAFF, GRID_WORKER)


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target), nullable=nullable, index=index),
    )


class SubDistrict(SQLModel, table=True):
    """A sub-district office (街道): the level above committees."""

    __tablename__ = "sub_district"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))


class Committee(SQLModel, table=True):
    """A neighbourhood committee (居委会): the tenant every record belongs to."""

    __tablename__ = "committee"
    __table_args__ = (UniqueConstraint("sub_district_id", "name", name="uq_committee_name"),)

    id: int | None = Field(default=None, primary_key=True)
    sub_district_id: int = _fk("sub_district.id")
    name: str = Field(sa_column=Column(String(100), nullable=False))


class StaffUser(SQLModel, table=True):
    """A member of staff who signs in to the console or calls the API."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(String(100), nullable=False))
    password_hash: str = Field(sa_column=Column(Text(), nullable=False))
    role: str = Field(sa_column=Column(String(32), nullable=False))
    sub_district_id: int = _fk("sub_district.id")
    # Empty only for sub-district admins, who see every committee of their sub-district.
    committee_id: int | None = _fk("committee.id", nullable=True)
    disabled: bool = Field(default=False)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    password_changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class StaffSession(SQLModel, table=True):
    """A signed-in browser: only a hash of its cookie is stored, so a leak reveals nothing."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    staff_id: int = _fk("staff_user.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ApiToken(SQLModel, table=True):
    """A personal API token for scripts (hashed at rest, revocable)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = _fk("staff_user.id")
    name: str = Field(sa_column=Column(String(100), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AuditEntry(SQLModel, table=True):
    """One staff write or reveal: who, when, what, before and after. Append-only."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_id: int | None = _fk("staff_user.id", nullable=True)
    actor: str = Field(sa_column=Column(String(100), nullable=False))  # username or "cli"
    action: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    object_type: str = Field(sa_column=Column(String(64), nullable=False))
    object_id: str | None = Field(default=None, sa_column=Column(String(64)))
    committee_id: int | None = _fk("committee.id", nullable=True)
    # Every entry belongs to a sub-district, so one with no committee (an admin's own action,
    # a report placed in no committee) is still shown only to that sub-district's admins.
    sub_district_id: int | None = _fk("sub_district.id", nullable=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))


class LoginAttempt(SQLModel, table=True):
    """One sign-in try, kept a short while to throttle an address that guesses passwords."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_address_at", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(sa_column=Column(String(64), nullable=False))
    username: str | None = Field(default=None, sa_column=Column(String(64)))
    succeeded: bool = Field(default=False)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
