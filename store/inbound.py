"""Inbound messages: stored once per dedup key, with the reply that was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select, update

from store.models import InboundMessage
from store.upsert import insert_for


def record(
    session: Session,
    *,
    dedup_key: str,
    openid: str,
    msg_type: str,
    event: str | None,
    msg_id: int | None,
    wechat_created_at: datetime,
    fields: dict[str, Any],
    raw: str,
    mode: str,
    received_at: datetime,
) -> int | None:
    """Store a message; its id, or None when the key was stored already (a WeChat retry)."""
    statement = (
        insert_for(session, InboundMessage)
        .values(
            dedup_key=dedup_key,
            openid=openid,
            msg_type=msg_type,
            event=event,
            msg_id=msg_id,
            wechat_created_at=wechat_created_at,
            fields=fields,
            raw=raw,
            mode=mode,
            received_at=received_at,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(InboundMessage.id)
    )
    return session.execute(statement).scalar_one_or_none()


def stored_reply(session: Session, dedup_key: str) -> str | None:
    """The reply sent the first time a message with this key arrived."""
    query = select(InboundMessage.reply).where(InboundMessage.dedup_key == dedup_key)
    return session.execute(query).scalar_one_or_none()


def set_reply(
    session: Session, message_id: int, reply: str | None, error: str | None = None
) -> None:
    """Remember what was answered (and any error), so a retry gets the same answer."""
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id)
        .values(reply=reply, error=error)
    )


def count(session: Session) -> int:
    """How many messages are stored (tests and health checks)."""
    from sqlalchemy import func

    return session.execute(select(func.count()).select_from(InboundMessage)).scalar_one()
