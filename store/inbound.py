"""Inbound messages: stored once per dedup key, with the reply that was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from store.models import InboundMessage
from store.upsert import binds, connection, dialect_of, insert_for, prebuilt

_COLUMNS = (
    "dedup_key", "openid", "msg_type", "event", "msg_id", "wechat_created_at", "fields", "raw",
    "mode", "received_at",
)  # fmt: skip


@prebuilt
def _insert(dialect: str) -> Any:
    return (
        insert_for(dialect, InboundMessage)
        .values(binds(InboundMessage, _COLUMNS))
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(InboundMessage.id)
    )


_SET_REPLY = (
    update(InboundMessage)
    .where(InboundMessage.id == bindparam("message_id"))
    .values(reply=bindparam("reply"), error=bindparam("error"))
)
_STORED_REPLY = select(InboundMessage.reply).where(
    InboundMessage.dedup_key == bindparam("dedup_key")
)


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
    params = {
        "dedup_key": dedup_key, "openid": openid, "msg_type": msg_type, "event": event,
        "msg_id": msg_id, "wechat_created_at": wechat_created_at, "fields": fields, "raw": raw,
        "mode": mode, "received_at": received_at,
    }  # fmt: skip
    return connection(session).execute(_insert(dialect_of(session)), params).scalar_one_or_none()


def stored_reply(session: Session, dedup_key: str) -> str | None:
    """The reply sent the first time a message with this key arrived."""
    result = connection(session).execute(_STORED_REPLY, {"dedup_key": dedup_key})
    return result.scalar_one_or_none()


def set_reply(
    session: Session, message_id: int, reply: str | None, error: str | None = None
) -> None:
    """Remember what was answered (and any error), so a retry gets the same answer."""
    params = {"message_id": message_id, "reply": reply, "error": error}
    connection(session).execute(_SET_REPLY, params)
