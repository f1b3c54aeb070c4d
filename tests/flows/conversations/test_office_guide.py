"""办事指南 through the real webhook, in plaintext and safe mode, on every database."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from config.content import Topic
from store.inbound.models import InboundMessage
from store.residents.models import Conversation, HumanRequest, WeChatUser
from tests.chat import (
    GREETING,
    MODES,
    WORDS,
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
    menu_item,
    open_chat,
    run,
)

BOT, GUIDE = WORDS.bot, WORDS.office
TOPIC = {topic.key: topic for topic in GUIDE.topics}
# The guide lists its topics, then the catalogue's services (each leads to its 办事清单).
OPTIONS = [t.title for t in GUIDE.topics] + [s.name for s in WORDS.services.services]
OFFICE = menu_item(1, GUIDE.title)
LONGEVITY = WORDS.services.by_key["longevity"]  # the guide is the main menu's first item
TIMED_OUT = BOT.timed_out.format(minutes=30)


def topic(number: int) -> Topic:
    """The guide's topic a resident picks by its number."""
    return GUIDE.topics[number - 1]


def listed(number: int) -> str:
    """The guide's menu line for option `number` (a topic, then the services)."""
    return menu_item(number, OPTIONS[number - 1])


def heading(about: Topic) -> str:
    """The first line of the guide's answer about a topic."""
    return GUIDE.answer_format.format(title=about.title, answer="").strip()


def answer(about: Topic) -> str:
    """The guide's whole answer about a topic (the not-filled-in sentence while blank)."""
    return GUIDE.answer_format.format(title=about.title, answer=about.answer or GUIDE.not_filled)


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
            Answers(
                GREETING,
                OFFICE,
                menu_item(2, WORDS.reports.flow.title),
                menu_item(3, WORDS.reports.mine.title),
                menu_item(4, WORDS.binding.my_info.title),
                menu_item(5, WORDS.binding.bind.title),
                menu_item(6, WORDS.binding.update.title),
                menu_item(7, WORDS.services.words.title),
                menu_item(8, WORDS.reviews.words.title),
                BOT.menu_footer,
            ),
            DoesNotAnswer(menu_item(9, "").strip()),
            Stored(WeChatUser, subscribed=True),
            Stored(InboundMessage, event="subscribe", mode=mode),
        ],
    )


def test_a_resident_picks_a_topic_by_number(database: Engine, mode: str) -> None:
    chat = open_chat(database, mode)
    run(
        chat,
        [
            Sends("1"),
            Answers(GUIDE.prompt, listed(1), listed(len(OPTIONS))),
            Sends("1"),
            Answers(answer(topic(1))),  # while blank, says it is not filled in yet
            Stored(Conversation, flow="office", lingering=True),
            Stored(InboundMessage, count=2),
        ],
    )


def test_a_keyword_answers_straight_away(database: Engine, mode: str) -> None:
    chat = open_chat(database, mode)
    run(
        chat,
        [
            Sends("请问你们几点开门"),
            Answers(answer(TOPIC["hours"])),
            Sends("电话"),
            Answers(answer(TOPIC["phone"])),
        ],
    )


def test_a_spoken_question_is_answered_from_its_recognition_text(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            SendsVoice("办事指南"),
            Answers(GUIDE.prompt),
            SendsVoice("长寿金"),  # a service: its 办事清单 begins
            Answers(WORDS.services.words.heading.format(name=LONGEVITY.name)),
            Stored(Conversation, flow="checklist"),
        ],
    )


def test_an_answer_by_words_picks_the_topic(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("办事指南"), Sends("联系电话"), Answers(answer(TOPIC["phone"]))])


def test_three_wrong_answers_offer_the_menu_and_a_person(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("1"),
            Sends("随便"),
            Answers(BOT.hints.choice, GUIDE.prompt),
            SendsImage(),
            Answers(BOT.hints.choice),
            SendsLocation(23.12, 113.26, "小区门口"),
            Answers(BOT.too_many_failures),
            Stored(Conversation, flow="office", step="topic"),
            Sends("2"),
            Answers(answer(topic(2))),
        ],
    )


def test_cancel_leaves_the_flow_and_shows_the_menu(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("1"),
            Sends("取消"),
            Answers(BOT.cancelled, OFFICE),
            Stored(Conversation, flow=None),
            Sends("取消"),
            Answers(BOT.nothing_to_cancel),
        ],
    )


def test_back_on_the_first_step_returns_to_the_menu(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("1"), Sends("返回"), Answers(BOT.back_at_start, OFFICE)])


def test_menu_zero_resets_the_conversation(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [Sends("1"), Sends("0"), Answers(BOT.menu_header), Stored(Conversation, flow=None)],
    )


def test_asking_for_a_person_is_recorded_once(database: Engine) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("1"),
            Sends("人工"),
            Answers(BOT.human_requested),
            Stored(HumanRequest, status="open", flow="office", step="topic"),
            Sends("转人工"),
            Answers(BOT.human_already_waiting),
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
            Answers(answer(topic(3))),
            Sends("菜单"),
            Sends("1"),
            Answers(GUIDE.prompt),
            Wait(minutes=31),
            Sends("3"),
            # The 3 now picks the third item of the main menu, not the guide's third topic.
            Answers(TIMED_OUT, WORDS.reports.mine.none),
            DoesNotAnswer(heading(topic(3))),
        ],
    )


def test_a_restart_mid_conversation_continues_where_it_was(database: Engine, mode: str) -> None:
    before = open_chat(database, mode)
    run(before, [Sends("1"), Answers(GUIDE.prompt)])
    after = open_chat(database, mode, clock=before.clock)  # a new process, the same database
    run(after, [Sends("3"), Answers(answer(topic(3)))])


def test_unknown_words_outside_a_flow_show_the_menu(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("今天天气怎么样"), Answers(BOT.not_understood, OFFICE)])


def test_a_video_is_not_understood_but_kept(database: Engine) -> None:
    chat = open_chat(database)
    chat.push(chat.pusher.message(chat.openid, "video", MediaId="m1", ThumbMediaId="t1"))
    run(chat, [Answers(BOT.unsupported_message), Stored(InboundMessage, msg_type="video")])


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
    run(chat, [Event("CLICK", key="office"), Answers(GUIDE.prompt)])


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
            Answers(answer(TOPIC["hours"]), GUIDE.after_answer),
            Sends("3"),
            Answers(answer(topic(3))),
            Sends("今天天气怎么样"),
            Answers(BOT.not_understood, OFFICE),
            DoesNotAnswer(BOT.hints.choice),
            Stored(Conversation, flow=None),
        ],
    )


def test_a_finished_guide_ends_quietly_when_the_resident_goes_idle(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends("办公地址"), Wait(minutes=45), Sends("1"), Answers(GUIDE.prompt)])
    run(chat, [DoesNotAnswer(TIMED_OUT)])


def test_after_a_typed_question_the_list_is_shown_and_a_number_picks_from_it(
    database: Engine,
) -> None:
    chat = open_chat(database)
    run(
        chat,
        [
            Sends("你们的地址在哪"),  # the list was never shown
            Answers(answer(TOPIC["address"]), GUIDE.after_answer, listed(1), listed(len(OPTIONS))),
            Sends("1"),
            Answers(answer(topic(1))),  # the 1 the resident can see: 办公时间
            DoesNotAnswer(WORDS.reports.flow.title),
        ],
    )


def test_a_service_from_the_guide_hands_over_to_its_checklist(database: Engine) -> None:
    chat = open_chat(database)
    first_service = WORDS.services.services[0]
    run(
        chat,
        [
            Sends("办事指南"),
            Sends(str(len(GUIDE.topics) + 1)),
            Answers(WORDS.services.words.heading.format(name=first_service.name)),
            Stored(Conversation, flow="checklist"),
        ],
    )
