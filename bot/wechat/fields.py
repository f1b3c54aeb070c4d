"""The shape every push field Linli reads must have, checked before the push is handled.

A field the handler or the store uses is a single, bounded scalar: a repeated element, a nested
element, a JSON list, object or boolean in its place is refused, so a malformed push never
reaches the database. Reasons name the field, never its value (they are logged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.wechat.payload import PayloadError

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # openids and gh_ account ids
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # MsgType and Event names
_DIGITS = re.compile(r"[0-9]{1,20}")
# 2100-01-01: later than any real push, well inside datetime and a 64-bit integer.
LATEST_CREATE_TIME = 4_102_444_800
MAX_TEXT = 8192  # characters of a resident's text or voice recognition


@dataclass(frozen=True)
class Shape:
    """What one field may hold: a pattern or a length, and whether JSON numbers are allowed."""

    max_chars: int
    pattern: re.Pattern[str] | None = None
    numbers: bool = False
    required: bool = False


SHAPES: dict[str, Shape] = {
    "ToUserName": Shape(64, _ID, required=True),
    "FromUserName": Shape(64, _ID, required=True),
    "CreateTime": Shape(10, _DIGITS, numbers=True, required=True),
    "MsgType": Shape(32, _TOKEN, required=True),
    "MsgId": Shape(20, _DIGITS, numbers=True),
    "MsgID": Shape(20, _DIGITS, numbers=True),
    "Event": Shape(64, _TOKEN),
    "EventKey": Shape(1024, numbers=True),
    "Content": Shape(MAX_TEXT),
    "Recognition": Shape(MAX_TEXT),
    "MediaId": Shape(128),
    "ThumbMediaId": Shape(128),
    "Format": Shape(32),
    "PicUrl": Shape(2048),
    "Url": Shape(2048),
    "Title": Shape(1024),
    "Description": Shape(2048),
    "Location_X": Shape(64, numbers=True),
    "Location_Y": Shape(64, numbers=True),
    "Scale": Shape(32, numbers=True),
    "Label": Shape(1024),
    "Latitude": Shape(64, numbers=True),
    "Longitude": Shape(64, numbers=True),
    "Precision": Shape(64, numbers=True),
    "Status": Shape(64),
    "Ticket": Shape(256),
}
# Consent events carry one <List> or several; each item's fields are stored (store/consents.py).
CONSENT_BLOCKS = ("SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent")
CONSENT_ITEM = {"TemplateId": Shape(128), "SubscribeStatusString": Shape(32)}


def check(fields: Mapping[str, Any]) -> None:
    """Refuse (PayloadError) a push whose fields do not have the shapes in SHAPES."""
    for name, shape in SHAPES.items():
        _check_field(name, fields.get(name), shape)
    created = fields["CreateTime"]
    if int(created) > LATEST_CREATE_TIME:
        raise PayloadError("CreateTime is out of range")
    for block in CONSENT_BLOCKS:
        if block in fields:
            _check_consents(block, fields[block])


def _check_field(name: str, value: Any, shape: Shape) -> None:
    if value is None or value == "":
        if shape.required:
            raise PayloadError(f"missing field {name}")
        return
    if isinstance(value, dict | list):
        raise PayloadError(f"field {name} must be a single value")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"field {name} has the wrong type")
    if not isinstance(value, str):
        if not shape.numbers:
            raise PayloadError(f"field {name} must be text")
        if shape.pattern is _DIGITS and not isinstance(value, int):
            raise PayloadError(f"field {name} must be a whole number")
        value = str(value)
    if len(value) > shape.max_chars:
        raise PayloadError(f"field {name} is too long")
    if shape.pattern is not None and not shape.pattern.fullmatch(value):
        raise PayloadError(f"field {name} is malformed")


def _check_consents(block: str, value: Any) -> None:
    if value is None or value == "":
        return
    if not isinstance(value, dict):
        raise PayloadError(f"field {block} must be a block")
    items = value.get("List")
    if items is None:
        return
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict):
            raise PayloadError(f"field {block} holds a malformed List")
        for name, shape in CONSENT_ITEM.items():
            _check_field(f"{block}.{name}", item.get(name), shape)
