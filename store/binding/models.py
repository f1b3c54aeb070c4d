"""Tables of residents in WeChat: who an openid is bound to (self or family proxy), every bind
attempt, registrations as a new resident, and changes a resident asked for (self-reports).

A mobile given in WeChat is stored only sealed with LINLI_DATA_KEY (store/sealing.py); what staff
see of a self-report's new value is kept beside it, masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, Index, String, text
from sqlmodel import Field, SQLModel

from store.columns import fk as _fk
from store.columns import text as _text
from store.columns import when as _when

SELF, PROXY = "self", "proxy"
KINDS = (SELF, PROXY)
PENDING, ACTIVE, REJECTED, ENDED = "pending", "active", "rejected", "ended"
BINDING_STATUSES = (PENDING, ACTIVE, REJECTED, ENDED)
ACCEPTED, APPROVED, APPLIED, REPLACED = "accepted", "approved", "applied", "replaced"
REGISTRATION_STATUSES = (PENDING, ACCEPTED, REJECTED)
# replaced: a newer report of the same field came while it waited, so it can never be approved.
REPORT_STATUSES = (PENDING, APPROVED, REJECTED, APPLIED, REPLACED)
REPORT_FIELDS = ("mobile", "dwelling", "residence_status")
# Why an attempt ended as it did: for staff only, never told to the one who tried.
ATTEMPT_REASONS = ("matched", "no_match", "several", "bound_elsewhere", "limited")
# A resident's residence_status once they died: they bind nobody, and nobody acts for them.
DECEASED = "deceased"
# One resident has at most one WeChat user bound as themselves: two binding at once cannot both win.
_ONE_SELF = "kind = 'self' AND status = 'active'"


def _flag() -> Any:
    return Field(default=False, sa_column=Column(Boolean(), nullable=False))


class ResidentBinding(SQLModel, table=True):
    """A WeChat user bound to a resident: as the resident (self) or for a family member (proxy)."""

    __tablename__ = "resident_binding"
    __table_args__ = (
        Index("ix_resident_binding_status_kind", "status", "kind"),
        Index("uq_resident_binding_one_self", "resident_id", unique=True,
              sqlite_where=text(_ONE_SELF), postgresql_where=text(_ONE_SELF)),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    # NULL: a proxy request that matched nobody (staff see the name typed instead).
    resident_id: int | None = _fk("resident.id", index=True)
    committee_id: int | None = _fk("committee.id")
    kind: str = _text(8, nullable=False)  # self, proxy
    relation: str | None = _text(16)  # proxy only: a code of binding.yaml's relations
    status: str = _text(8, nullable=False)  # pending, active, rejected, ended
    given_name: str | None = _text(100)
    requested_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)
    decided_by: int | None = _fk("staff_user.id")
    reason: str | None = _text()  # a rejection's reason, sent to the requester
    ended_at: datetime | None = _when(nullable=True)


class BindAttempt(SQLModel, table=True):
    """One try to bind (self or proxy), counted against the day's limit and shown to staff."""

    __tablename__ = "bind_attempt"
    __table_args__ = (
        Index("ix_bind_attempt_openid_at", "openid", "at"),
        Index("ix_bind_attempt_at", "at"),
        Index("ix_bind_attempt_name_hash_at", "name_hash", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    openid: str = _text(64, nullable=False)
    at: datetime = _when()
    kind: str = _text(8, nullable=False)  # self, proxy
    matched: bool = _flag()
    reason: str = _text(24, nullable=False)  # matched, no_match, several, bound_elsewhere, limited
    committee_id: int | None = _fk("committee.id")
    # The name tried, as a keyed hash (Sealer.lookup_hash): failures a day are limited per name too.
    name_hash: str | None = _text(64)


class Registration(SQLModel, table=True):
    """Someone who matched nobody registering as a new resident, pending staff review."""

    __tablename__ = "resident_registration"
    __table_args__ = (Index("ix_resident_registration_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    committee_id: int | None = _fk("committee.id")
    name: str = _text(100, nullable=False)
    mobile_sealed: str = _text(nullable=False)
    address: str = _text(nullable=False, default="")  # as typed
    place_id: int | None = _fk("place.id")  # the building matched from the address
    unit: str = _text(16, nullable=False, default="")
    room: str = _text(16, nullable=False, default="")
    status: str = _text(8, nullable=False)  # pending, accepted, rejected
    created_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)
    decided_by: int | None = _fk("staff_user.id")
    reason: str | None = _text()
    resident_id: int | None = _fk("resident.id")  # set when accepted


class SelfReport(SQLModel, table=True):
    """A change of a resident's details asked for in WeChat, by the resident or their proxy."""

    __tablename__ = "resident_self_report"
    __table_args__ = (Index("ix_resident_self_report_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = _fk("resident.id", nullable=False, index=True)
    openid: str = _text(64, nullable=False)  # who asked
    by_proxy: bool = _flag()
    field: str = _text(24, nullable=False)  # mobile, dwelling, residence_status
    value_sealed: str = _text(nullable=False)  # the new value's JSON, sealed
    shown: str = _text(nullable=False, default="")  # the new value as staff see it, masked
    channel: str = _text(16, nullable=False, default="wechat")
    status: str = _text(8, nullable=False)  # pending, approved, rejected, applied, replaced
    created_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)
    decided_by: int | None = _fk("staff_user.id")
    reason: str | None = _text()
