"""Tables of what WeChat pushed: every accepted message, and nonces of plaintext pushes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime, utcnow


class InboundMessage(SQLModel, table=True):
    """Every push Linli accepted, with the reply it sent."""

    __tablename__ = "inbound_message"
    __table_args__ = (Index("ix_inbound_message_openid_received", "openid", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(sa_column=Column(String(160), nullable=False, unique=True))
    openid: str = Field(sa_column=Column(String(64), nullable=False))
    msg_type: str = Field(sa_column=Column(String(32), nullable=False))
    event: str | None = Field(default=None, sa_column=Column(String(64)))
    msg_id: int | None = Field(default=None, sa_column=Column(BigInteger()))
    wechat_created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    raw: str = Field(sa_column=Column(Text(), nullable=False))
    mode: str = Field(sa_column=Column(String(16), nullable=False))
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    reply: str | None = Field(default=None, sa_column=Column(Text()))
    error: str | None = Field(default=None, sa_column=Column(Text()))


class WebhookNonce(SQLModel, table=True):
    """Nonces seen on plaintext pushes, to refuse a replayed URL carrying a forged body."""

    __tablename__ = "webhook_nonce"
    __table_args__ = (UniqueConstraint("nonce", "timestamp", name="uq_webhook_nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    nonce: str = Field(sa_column=Column(String(64), nullable=False))
    timestamp: str = Field(sa_column=Column(String(16), nullable=False))
    body_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
