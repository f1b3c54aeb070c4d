"""Tables of staff broadcasts (通知): a notice staff wrote for the residents of a building or
with a tag, and one target per resident — whom it went to, or that nobody could be written to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.columns import fk, text, when
from store.types import JSONType


class Broadcast(SQLModel, table=True):
    """A notice to some of a committee's residents: previewed, then confirmed once."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = fk("committee.id", nullable=False, index=True)
    title: str = text(100, nullable=False)
    message: str = text(nullable=False)
    filter: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_by: int | None = fk("staff_user.id")
    created_at: datetime = when()
    sent_at: datetime | None = when(nullable=True)
    total: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    sent: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    not_bound: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    opted_out: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class BroadcastTarget(SQLModel, table=True):
    """One resident a broadcast named: the openid written to (None: not bound or opted out)."""

    __tablename__ = "broadcast_target"
    __table_args__ = (UniqueConstraint("broadcast_id", "resident_id", name="uq_broadcast_target"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = fk("broadcast.id", nullable=False)
    resident_id: int = fk("resident.id", nullable=False, index=True)
    openid: str | None = text(64)
    via: str | None = text(8)  # self, proxy
    status: str = text(12, nullable=False)  # sent, not_bound, opted_out
