"""A test-only flow that asks for every input type, used by engine and webhook tests alike."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flows.steps import (
    DATE,
    ID_CARD,
    IMAGE,
    LOCATION,
    MOBILE,
    TEXT,
    VOICE,
    YES_NO,
    Ask,
    Choose,
    Data,
    Done,
    Flow,
    Option,
    Port,
)


def _finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
    summary = json.dumps(dict(data), ensure_ascii=False, sort_keys=True)
    return Done(replies=("登记完成", summary))


def _not_in_past(value: Any, data: Data, now: datetime) -> str | None:
    return "hint.date" if value < now.date() else None


def _skip_photo_when_no(data: Data) -> str | None:
    return "photo" if data["wants_photo"] else "voice"


REGISTER = Flow(
    name="register",
    title="测试登记",
    keywords=("登记",),
    steps=(
        Choose(
            "kind", prompt="选哪一种？", options=(Option("a", "甲类", ("甲",)), Option("b", "乙类"))
        ),
        Ask("name", prompt="您的姓名？", accepts=TEXT),
        Ask("phone", prompt="您的手机号？", accepts=MOBILE),
        Ask("id", prompt="您的身份证号？", accepts=ID_CARD),
        Ask("day", prompt="哪一天来？", accepts=DATE, validate=_not_in_past),
        Ask("where", prompt="请发送位置", accepts=LOCATION),
        Ask("wants_photo", prompt="要拍照吗？", accepts=YES_NO, next=_skip_photo_when_no),
        Ask("photo", prompt="请发照片", accepts=IMAGE),
        Ask("voice", prompt="请说一句话", accepts=VOICE),
    ),
    done=_finish,
)

OTHER = Flow(
    name="other",
    title="别的服务",
    keywords=("别的",),
    steps=(Ask("x", prompt="说点什么"),),
    done=_finish,
)
