"""Tables of the spine: WeChat users, inbound messages, conversations, nonces, human requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime, utcnow


class WeChatUser(SQLModel, table=True):
    """A follower of the Official Account, known by openid."""

    __tablename__ = "wechat_user"

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    subscribed: bool = Field(default=True)
    first_seen: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The 48-hour customer-service window opens at the resident's last own message.
    last_message_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    subscribed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    unsubscribed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


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


class Conversation(SQLModel, table=True):
    """Where a resident is in a flow; one row per openid, so a restart continues the chat."""

    __tablename__ = "conversation"

    openid: str = Field(sa_column=Column(String(64), primary_key=True))
    flow: str | None = Field(default=None, sa_column=Column(String(64)))
    step: str | None = Field(default=None, sa_column=Column(String(64)))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    history: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    failures: int = Field(default=0)
    lingering: bool = Field(default=False)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WebhookNonce(SQLModel, table=True):
    """Nonces seen on plaintext pushes, to refuse a replayed URL carrying a forged body."""

    __tablename__ = "webhook_nonce"
    __table_args__ = (UniqueConstraint("nonce", "timestamp", name="uq_webhook_nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    nonce: str = Field(sa_column=Column(String(64), nullable=False))
    timestamp: str = Field(sa_column=Column(String(16), nullable=False))
    body_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class HumanRequest(SQLModel, table=True):
    """A resident asked for a person (人工); the handoff issue routes these to staff."""

    __tablename__ = "human_request"

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    flow: str | None = Field(default=None, sa_column=Column(String(64)))
    step: str | None = Field(default=None, sa_column=Column(String(64)))
    text: str = Field(default="", sa_column=Column(Text(), nullable=False))
    status: str = Field(default="open", sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
