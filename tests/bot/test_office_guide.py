"""办事指南 through the real webhook, in plaintext and safe mode, on every database."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from store.inbound.models import InboundMessage
from store.residents.models import Conversation, HumanRequest, WeChatUser
from tests.chat import (
    MODES,
    Answers,
    DoesNotAnswer,
    Event,
    Sends,
    SendsImage,
    SendsLocation,
    SendsVoice,
    Silent,
    Stored,
    Wait,
    open_chat,
    run,
)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


def test_a_new_follower_is_greeted_with_a_menu_of_only_the_flows_that_exist(
    database: Engine, mode: str
) -> None:
    chat = open_chat(database, mode)
    run(
        chat,
        [
            Event("subscribe"),
            Answers("欢迎关注", "1. 办事指南", "2. 我要报事", "3. 我的报事", "回复「人工」"),
            DoesNotAnswer("4."),
            Stored(WeChatUser, subscribed=True),
            Stored(InboundMessage, event="subscribe", mode=mode),
        ],
    )


def test_a_resident_asks_for_office_hours_by_number_and_sees_they_are_not_filled_in(
    database: Engine, mode: str
) -> None:
    chat = open_chat(database, mode)
    run(
        chat,
        [
            Sends("1"),
            Answers("您想了解哪一项", "1. 办公时间", "4. 老年人优待卡"),
            Sends("1"),
            Answers("【办公时间】", "居委会还没有填写这一项"),
            Stored(Conversation, flow="office", lingering=True),
            Stored(InboundMessage, count=2),
        ],
    )


def test_a_keyword_answers_straight_away(database: Engine, mode: str) -> None:
    chat = open_chat(database, mode)
    run(
        chat,
        [
            Sends("请问优待卡怎么办"),
            Answers("【老年人优待卡】", "穗好办", "请以现行规定为准"),
            Sends("居住证"),
            Answers("【居住证】", "粤居码"),
        ],
    )


def test_a_spoken_question_is_answered_from_its_recognition_text(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            SendsVoice("办事指南"),
            Answers("您想了解哪一项"),
            SendsVoice("长寿金"),
            Answers("【长寿保健金】", "70–79岁每月30元"),
        ],
    )


def test_an_answer_by_words_picks_the_topic(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("办事指南"), Sends("联系电话"), Answers("【联系电话】")])


def test_three_wrong_answers_offer_the_menu_and_a_person(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("1"),
            Sends("随便"),
            Answers("请回复选项前面的数字", "您想了解哪一项"),
            SendsImage(),
            Answers("请回复选项前面的数字"),
            SendsLocation(23.12, 113.26, "小区门口"),
            Answers("回复「菜单」回到主菜单", "回复「人工」"),
            Stored(Conversation, flow="office", step="topic"),
            Sends("2"),
            Answers("【办公地址】"),
        ],
    )


def test_cancel_leaves_the_flow_and_shows_the_menu(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("1"),
            Sends("取消"),
            Answers("已取消", "1. 办事指南"),
            Stored(Conversation, flow=None),
            Sends("取消"),
            Answers("现在没有进行中的事项"),
        ],
    )


def test_back_on_the_first_step_returns_to_the_menu(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("1"), Sends("返回"), Answers("已经是第一步了", "1. 办事指南")])


def test_menu_zero_resets_the_conversation(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [Sends("1"), Sends("0"), Answers("请回复数字或文字选择"), Stored(Conversation, flow=None)],
    )


def test_asking_for_a_person_is_recorded_once(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("1"),
            Sends("人工"),
            Answers("工作人员上班时间会在这里回复您"),
            Stored(HumanRequest, status="open", flow="office", step="topic"),
            Sends("转人工"),
            Answers("您已经在等工作人员回复了"),
            Stored(HumanRequest, count=1),
        ],
    )


def test_an_idle_conversation_times_out_after_thirty_minutes(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("1"),
            Wait(minutes=29),
            Sends("3"),
            Answers("【联系电话】"),
            Sends("菜单"),
            Sends("1"),
            Answers("您想了解哪一项"),
            Wait(minutes=31),
            Sends("3"),
            # The 3 now picks the third item of the main menu, not the guide's third topic.
            Answers("超过30分钟没有继续", "您还没有报过事"),
            DoesNotAnswer("【联系电话】"),
        ],
    )


def test_a_restart_mid_conversation_continues_where_it_was(database: Engine, mode: str) -> None:
    before = open_chat(database, mode)
    run(before, [Sends("1"), Answers("您想了解哪一项")])
    after = open_chat(database, mode, clock=before.clock)  # a new process, the same database
    run(after, [Sends("5"), Answers("【居住证】")])


def test_unknown_words_outside_a_flow_show_the_menu(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("今天天气怎么样"), Answers("没有看懂", "1. 办事指南")])


def test_a_video_is_not_understood_but_kept(database: Engine) -> None:
    chat = open_chat(database)
    chat.push(chat.pusher.message(chat.openid, "video", MediaId="m1", ThumbMediaId="t1"))
    run(chat, [Answers("暂时只能看懂文字"), Stored(InboundMessage, msg_type="video")])


def test_unsubscribing_marks_the_resident_unsubscribed(database: Engine, mode: str) -> None:
    chat = open_chat(database, mode)
    run(
        chat,
        [
            Event("subscribe"),
            Event("unsubscribe"),
            Silent(),
            Stored(WeChatUser, subscribed=False),
            Event("subscribe"),
            Stored(WeChatUser, subscribed=True),
        ],
    )


def test_a_menu_click_starts_the_flow_it_names(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Event("CLICK", key="office"), Answers("您想了解哪一项")])


def test_a_template_job_report_is_stored_without_a_reply(database: Engine) -> None:
    chat = open_chat(database)
    chat.push(
        chat.pusher.event(chat.openid, "TEMPLATESENDJOBFINISH", MsgID=200163836, Status="success")
    )
    run(chat, [Silent(), Stored(InboundMessage, event="templatesendjobfinish", msg_id=200163836)])


def test_after_an_answer_another_number_picks_another_topic(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("办公时间"),
            Answers("【办公时间】", "直接回复上面的数字"),
            Sends("3"),
            Answers("【联系电话】"),
            Sends("今天天气怎么样"),
            Answers("没有看懂", "1. 办事指南"),
            DoesNotAnswer("请回复选项前面的数字"),
            Stored(Conversation, flow=None),
        ],
    )


def test_a_finished_guide_ends_quietly_when_the_resident_goes_idle(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("居住证"), Wait(minutes=45), Sends("1"), Answers("您想了解哪一项")])
    run(chat, [DoesNotAnswer("超过30分钟")])
