"""Turn a parsed push into wechatpy's message object and then into the engine's Inbound."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, BaseMessage, UnknownMessage

from bot.wechat import fields as field_shapes
from flows.inbound import Inbound


def to_message(fields: dict[str, Any]) -> BaseMessage:
    """wechatpy's object for a push (as parse_message picks it); PayloadError if malformed."""
    field_shapes.check(fields)
    fields = {k: (str(v) if isinstance(v, int | float) else v) for k, v in fields.items()}
    kind = str(fields["MsgType"]).lower()
    if kind != "event":
        return MESSAGE_TYPES.get(kind, UnknownMessage)(fields)
    event = str(fields.get("Event") or "").lower()
    key = str(fields.get("EventKey") or "")
    if event == "subscribe" and key.startswith("qrscene_"):
        event = "subscribe_scan"
        fields = {**fields, "Event": event, "EventKey": key.removeprefix("qrscene_")}
    return EVENT_TYPES.get(event, UnknownMessage)(fields)


def dedup_key(fields: dict[str, Any]) -> str:
    """MsgId for messages; FromUserName + CreateTime for events (WeChat's own rule)."""
    msg_id = str(fields.get("MsgId") or fields.get("MsgID") or "").strip()
    if str(fields.get("MsgType", "")).lower() != "event" and msg_id:
        return f"msg:{msg_id}"
    return f"evt:{fields['FromUserName']}:{fields['CreateTime']}"


def msg_id(fields: dict[str, Any]) -> int | None:
    """The numeric MsgId (or a template job's MsgID), if any."""
    value = str(fields.get("MsgId") or fields.get("MsgID") or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 20):
        return None
    return int(value) if int(value) < 2**63 else None  # it is stored in a BIGINT column


def to_inbound(message: BaseMessage, fields: dict[str, Any]) -> Inbound:
    """The engine's view of a wechatpy message."""
    at = datetime.fromtimestamp(int(fields["CreateTime"]), UTC)
    base = {"openid": message.source, "at": at}
    kind = message.type
    if kind == "text":
        return Inbound(kind="text", text=message.content or "", **base)
    if kind == "voice":
        return Inbound(
            kind="voice", text=message.recognition or "", media_id=message.media_id, **base
        )
    if kind == "image":
        return Inbound(kind="image", media_id=message.media_id, pic_url=message.image, **base)
    if kind == "location":
        return Inbound(
            kind="location",
            lat=str(fields.get("Location_X", "")),
            lng=str(fields.get("Location_Y", "")),
            label=str(fields.get("Label") or ""),
            **base,
        )
    if str(fields.get("MsgType", "")).lower() == "event":
        event = str(getattr(message, "event", "") or fields.get("Event") or "").lower()
        key = str(fields.get("EventKey") or "")
        return Inbound(kind="event", event=event, event_key=key, **base)
    return Inbound(kind=kind if kind != "unknown" else "unknown", **base)
