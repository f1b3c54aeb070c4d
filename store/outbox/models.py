"""Tables of what Linli sends: the outbox, and the shared WeChat access token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime


class OutboxMessage(SQLModel, table=True):
    """One message to send outside a passive reply; delivered by the worker, never twice."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_wechat_msg_id", "wechat_msg_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    # "resident" (recipient is an openid) or "staff" (recipient names a staff channel).
    audience: str = Field(sa_column=Column(String(16), nullable=False))
    recipient: str = Field(sa_column=Column(String(128), nullable=False, index=True))
    # Whose resident this is: the committee (or only the sub-district) of the record that caused
    # the message; staff see unreachable messages of their own scope only.
    committee_id: int | None = Field(default=None, sa_column=Column(Integer(), index=True))
    sub_district_id: int | None = Field(default=None, sa_column=Column(Integer(), index=True))
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    urgent: bool = Field(default=False)
    # pending, sending, sent, failed, unreachable, cancelled
    status: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    channel: str | None = Field(default=None, sa_column=Column(String(16)))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_column=Column(Text()))
    wechat_msg_id: int | None = Field(default=None, sa_column=Column(BigInteger()))
    delivery_report: str | None = Field(default=None, sa_column=Column(String(64)))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AccessToken(SQLModel, table=True):
    """The Official Account's access token, shared by every process (Tencent's 中控 rule)."""

    __tablename__ = "access_token"

    app_id: str = Field(sa_column=Column(String(64), primary_key=True))
    token: str = Field(default="", sa_column=Column(Text(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    refreshed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    refreshes: int = Field(default=0)
