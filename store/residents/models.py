"""Tables of residents as WeChat knows them: followers, conversations, consents, 人工 requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import JSONType, UTCDateTime


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


class NotificationConsent(SQLModel, table=True):
    """A resident's answer to a subscription-notification popup, per template."""

    __tablename__ = "notification_consent"
    __table_args__ = (UniqueConstraint("openid", "template_id", name="uq_consent"),)

    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    template_id: str = Field(sa_column=Column(String(128), nullable=False))
    accepted: bool = Field(default=False)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
