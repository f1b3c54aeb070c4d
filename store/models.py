"""Tables of the spine: WeChat users, inbound messages, conversations, nonces, human requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String, Text, UniqueConstraint
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


class NotificationConsent(SQLModel, table=True):
    """A resident's answer to a subscription-notification popup, per template."""

    __tablename__ = "notification_consent"
    __table_args__ = (UniqueConstraint("openid", "template_id", name="uq_consent"),)

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    template_id: str = Field(sa_column=Column(String(128), nullable=False))
    accepted: bool = Field(default=False)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
