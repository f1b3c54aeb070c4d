"""Inbound messages: stored once per dedup key, with the reply that was sent.

Personal numbers never rest in clear here: text fields and the reply are stored masked, and the
raw payload only sealed (LINLI_DATA_KEY), and only until `forget_raw` clears it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from flows.masking import mask_numbers_in
from store.inbound.models import InboundMessage
from store.sealing import Sealer
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


# Identifiers WeChat generates; everything else a resident can fill with words or numbers.
_IDENTIFIERS = frozenset(
    {"ToUserName", "FromUserName", "MsgId", "MsgID", "MediaId", "ThumbMediaId", "PicUrl"}
)


def masked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The parsed push with ID-card and phone numbers masked in every free-text value."""
    return {k: v if k in _IDENTIFIERS else _masked(v) for k, v in fields.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_numbers_in(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def record(
    session: Session,
    *,
    sealer: Sealer,
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
        "msg_id": msg_id, "wechat_created_at": wechat_created_at,
        "fields": masked_fields(fields), "raw": sealer.seal(raw), "mode": mode,
        "received_at": received_at,
    }  # fmt: skip
    return connection(session).execute(_insert(dialect_of(session)), params).scalar_one_or_none()


def stored_reply(session: Session, dedup_key: str) -> str | None:
    """The reply sent the first time a message with this key arrived."""
    result = connection(session).execute(_STORED_REPLY, {"dedup_key": dedup_key})
    return result.scalar_one_or_none()


def set_reply(
    session: Session, message_id: int, reply: str | None, error: str | None = None
) -> None:
    """Remember what was answered (and any error), so a retry gets the same answer.

    The reply is kept masked: a retry within seconds gets it so, which costs the resident
    nothing, and a summary echoing their ID number does not rest in the database.
    """
    masked = mask_numbers_in(reply) if reply else reply
    params = {"message_id": message_id, "reply": masked, "error": error}
    connection(session).execute(_SET_REPLY, params)


_TYPED = ("Content", "Recognition")  # what a resident typed or said, in a push's fields
SECRET = "******"


def redact(session: Session, message_id: int) -> None:
    """Keep only asterisks of what a message said (it answered a secret question)."""
    message = session.get(InboundMessage, message_id)
    if message is not None:
        message.fields = {k: SECRET if k in _TYPED and v else v for k, v in message.fields.items()}
        session.add(message)
        session.flush()


_FORGET_RAW = (
    update(InboundMessage)
    .where(InboundMessage.received_at < bindparam("before"), InboundMessage.raw != "")
    .values(raw="")
)


def forget_raw(session: Session, before: datetime) -> int:
    """Clear the sealed raw payloads of messages received before `before`; how many."""
    return connection(session).execute(_FORGET_RAW, {"before": before}).rowcount or 0


def raw_payload(session: Session, message_id: int, sealer: Sealer) -> str | None:
    """A message's raw payload, opened, while it is still kept (for diagnosing one push)."""
    row = connection(session).execute(
        select(InboundMessage.raw).where(InboundMessage.id == message_id)
    )
    sealed = row.scalar_one_or_none()
    return sealer.open(sealed) if sealed else None
