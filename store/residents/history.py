"""Read-only queries for the resident simulator: who is known and what each one said."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from store.inbound.models import InboundMessage
from store.residents.models import WeChatUser


def residents(session: Session, limit: int = 200) -> list[tuple[str, bool]]:
    """(openid, subscribed) of known users, most recently seen first."""
    query = (
        select(WeChatUser.openid, WeChatUser.subscribed)
        .order_by(WeChatUser.last_seen.desc(), WeChatUser.id.desc())
        .limit(limit)
    )
    return [(openid, bool(subscribed)) for openid, subscribed in session.exec(query).all()]


def recent_messages(session: Session, openid: str, limit: int = 50) -> list[InboundMessage]:
    """The last `limit` messages of one openid, oldest first."""
    query = (
        select(InboundMessage)
        .where(InboundMessage.openid == openid)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(session.exec(query).all()))


def last_event_at(session: Session, openid: str) -> datetime | None:
    """The CreateTime of this openid's latest stored event, if any."""
    query = select(func.max(InboundMessage.wechat_created_at)).where(
        InboundMessage.openid == openid, InboundMessage.msg_type == "event"
    )
    return session.exec(query).one()
