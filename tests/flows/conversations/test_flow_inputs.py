"""Every input type through the real webhook (signed, and encrypted in safe mode), with a restart
in the middle of the flow: what the resident sends, what Linli answers, what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from store.inbound.models import InboundMessage
from store.residents.models import Conversation
from tests.chat import (
    MODES,
    WORDS,
    Answers,
    Sends,
    SendsImage,
    SendsLocation,
    SendsVoice,
    Stored,
    Wait,
    menu_item,
    open_chat,
    run,
)
from tests.flows.sample_flow import OTHER, REGISTER

FLOWS = (REGISTER, OTHER)
# The flow's questions are the sample flow's; the hints and notices are the shipped content's.
HINTS = WORDS.bot.hints


@pytest.mark.parametrize("mode", MODES)
def test_a_resident_answers_every_kind_of_question_across_a_restart(
    database: Engine, mode: str
) -> None:
    chat = open_chat(database, mode, flows=FLOWS)
    run(chat, [
        Sends("登记"),
        Answers("选哪一种？", menu_item(1, "甲类")),
        Sends("三"),
        Answers(HINTS.choice),
        Sends("甲"),
        Answers("您的姓名？"),
        Sends("张阿姨"),
        Answers("您的手机号？"),
        Sends("138 1234 567"),
        Answers(HINTS.mobile),
        Sends("+86 138-1234-5678"),
        Answers("您的身份证号？"),
        Sends("110105194912310021"),
        Answers(HINTS.id_card_invalid),
        Sends("11010519491231002x"),
        Answers("哪一天来？"),
        Stored(Conversation, flow="register", step="day"),
    ])  # fmt: skip
    chat = open_chat(database, mode, flows=FLOWS, clock=chat.clock)  # the process restarts
    run(chat, [
        Sends("2月30日"),
        Answers(HINTS.date),
        Sends("下周一"),
        Answers("请发送位置"),
        Sends("就在3栋"),
        Answers(HINTS.location),
        SendsLocation(23.1291, 113.2644, "小区门口"),
        Answers("要拍照吗？"),
        Sends("返回"),
        Answers("请发送位置"),
        SendsLocation(23.1296, 113.2651, "3栋"),
        Sends("好的"),
        Answers("请发照片"),
        Sends("拍好了"),
        Answers(HINTS.image),
        SendsImage(),
        Answers("请说一句话"),
        SendsVoice("楼道的灯坏了"),
        Answers("登记完成", '"kind": "a"', '"name": "张阿姨"', '"phone": "13812345678"',
                '"id": "11010519491231002X"', '"label": "3栋"', '"voice": "楼道的灯坏了"'),
        Stored(Conversation, flow=None),
        Stored(InboundMessage, msg_type="location", count=2),
        Stored(InboundMessage, msg_type="image", count=1),
        Stored(InboundMessage, msg_type="voice", count=1),
    ])  # fmt: skip


def test_cancel_in_the_middle_forgets_the_answers(database: Engine) -> None:
    chat = open_chat(database, flows=FLOWS)
    run(chat, [
        Sends("登记"), Sends("1"), Sends("李伯伯"),
        Sends("取消"),
        Answers(WORDS.bot.cancelled, menu_item(1, REGISTER.title), menu_item(2, OTHER.title)),
        Stored(Conversation, flow=None, step=None),
    ])  # fmt: skip


def test_a_flow_left_idle_times_out_and_the_next_message_starts_afresh(database: Engine) -> None:
    chat = open_chat(database, flows=FLOWS)
    run(chat, [
        Sends("登记"), Sends("1"),
        Wait(minutes=31),
        Sends("2"),
        Answers(WORDS.bot.timed_out.format(minutes=30), "说点什么"),
        Stored(Conversation, flow="other"),
    ])  # fmt: skip
