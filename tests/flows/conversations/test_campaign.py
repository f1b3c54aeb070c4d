"""核对信息's answer as conversations through the real webhook, on SQLite and PostgreSQL: a
resident sent their details answers 1 (or says 对的) and they are confirmed, or 2 and 更新信息
goes on about them at once; a family member answers for each parent in turn; anything else means
what it always does, 取消 and 返回 work as everywhere, and an answer after the window, or to a
message never delivered, is no answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.binding.notices import mask_name
from store.binding import bindings
from store.binding.models import SelfReport
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.registry.models import Resident
from store.registry.residents import add_resident
from tests.bot.campaigns.campaign_helpers import delivered, start_campaign, target_statuses
from tests.chat import SEALER, WORDS, Answers, Chat, DoesNotAnswer, Sends, SendsVoice, Stored, run
from tests.chat import menu_item as item
from tests.flows.conversations.binding_helpers import (
    MAN_NAME,
    WOMAN_NAME,
    Exactly,
    approve_proxy,
    bound,
    chat_as,
)
from tests.flows.test_identity import valid_id
from tests.resident_helpers import MAN, NOW, SHEET, WOMAN, Registry, build_registry

REPLIES, UPDATE, BOT = WORDS.campaigns.replies, WORDS.binding.update, WORDS.binding
HERSELF = "o_resident_0001"  # 张秀英's own WeChat
DAUGHTER = "o_daughter_0002"  # acts for her father 王建国 and her mother 赵桂兰
MOTHER_NAME = "赵桂兰"
MOTHER = valid_id("44010619580412002")
NEW_MOBILE = "13911112222"
CONFIRMED = REPLIES.confirmed.format(name=mask_name(WOMAN_NAME))


def proxy_for(registry: Registry, openid: str, name: str, proof: str) -> None:
    """The openid asks to act for a parent and the clerk approves it (the store services)."""
    day = {"now": NOW, "since": NOW - timedelta(days=1), "limit": 100}
    with unit_of_work(registry.database) as session:
        bindings.request_proxy(session, SEALER, openid=openid, name=name, proof=proof,
                               relation="child", **day)  # fmt: skip
    approve_proxy(registry, openid)


@pytest.fixture
def registry(database: Engine) -> Registry:
    """东风's registry with 赵桂兰 too: 张秀英 bound herself, her neighbours' daughter acts for
    both of her parents, 张小明 is bound by nobody."""
    registry = build_registry(database)
    with unit_of_work(database) as session:
        add_resident(session, SEALER, committee_id=registry.committee_id,
                     values={"name": MOTHER_NAME, "id_card": MOTHER}, source=SHEET,
                     now=NOW)  # fmt: skip
    bound(registry, HERSELF, name=WOMAN_NAME, proof=WOMAN[-6:])
    proxy_for(registry, DAUGHTER, MAN_NAME, MAN[-6:])
    proxy_for(registry, DAUGHTER, MOTHER_NAME, MOTHER[-6:])
    return registry


@pytest.fixture
def campaign(registry: Registry) -> int:
    """A campaign of 东风 started at NOW, its messages delivered."""
    campaign_id = start_campaign(registry.database, registry.clerk.id, now=NOW)
    assert delivered(registry.database, now=NOW) == 3  # 张秀英, 王建国 and 赵桂兰 (by proxy)
    return campaign_id


def status(chat: Chat, campaign_id: int, resident_id: int) -> str:
    return target_statuses(chat.database, campaign_id)[resident_id]


def confirmed_at(database: Engine, resident_id: int) -> object:
    with Session(database) as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None
        return resident.last_confirmed_at


def test_1_confirms_the_details(database: Engine, registry: Registry, campaign: int) -> None:
    chat = chat_as(database, HERSELF)
    run(chat, [Sends("1"), Exactly(CONFIRMED)])
    assert status(chat, campaign, registry.woman) == "confirmed"
    assert confirmed_at(database, registry.woman) == chat.clock.now
    # Answered: a 1 is the menu's again.
    run(chat, [Sends("1"), Answers(WORDS.office.prompt), DoesNotAnswer(CONFIRMED)])


@pytest.mark.parametrize("said", ["对的", "没错。", "信息正确", "是的！"])
def test_everyday_words_answer_too(
    database: Engine, registry: Registry, campaign: int, said: str
) -> None:
    chat = chat_as(database, HERSELF)
    run(chat, [Sends(said), Exactly(CONFIRMED)])
    assert status(chat, campaign, registry.woman) == "confirmed"


def test_a_spoken_answer_is_an_answer(database: Engine, registry: Registry, campaign: int) -> None:
    chat = chat_as(database, HERSELF)
    run(chat, [SendsVoice("对的。"), Exactly(CONFIRMED)])
    assert status(chat, campaign, registry.woman) == "confirmed"


def test_2_goes_straight_on_into_updating_the_details(
    database: Engine, registry: Registry, campaign: int
) -> None:
    chat = chat_as(database, HERSELF)
    before = confirmed_at(database, registry.woman)
    summary = UPDATE.confirm_prompt.format(
        name=mask_name(WOMAN_NAME), field=BOT.fields["mobile"], value=NEW_MOBILE
    )
    run(
        chat,
        [
            Sends("2"),
            Answers(
                REPLIES.changed.format(name=mask_name(WOMAN_NAME)),
                UPDATE.what_prompt,
                item(1, BOT.fields["mobile"]),
            ),
            Sends("手机号"),
            Answers(UPDATE.mobile_prompt),
            Sends(NEW_MOBILE),
            Answers(summary),
            Sends("对的"),  # confirms the change here, not another campaign answer
            Exactly(UPDATE.pending),
            Stored(
                SelfReport,
                status="pending",
                field="mobile",
                resident_id=registry.woman,
                by_proxy=False,
                shown="139****2222",
            ),
        ],
    )
    assert status(chat, campaign, registry.woman) == "changed"
    assert confirmed_at(database, registry.woman) == before  # not before staff approve


def test_a_daughter_answers_for_each_parent_in_turn(
    database: Engine, registry: Registry, campaign: int
) -> None:
    with Session(database) as session:
        mother = bindings.people_of(session, DAUGHTER)[-1].resident_id
    chat = chat_as(database, DAUGHTER)
    run(
        chat,
        [
            Sends("没问题"),  # the newest message first: her mother's
            Exactly(REPLIES.confirmed.format(name=mask_name(MOTHER_NAME))),
            Sends("2"),  # then her father's: whom it is about is not asked
            Answers(REPLIES.changed.format(name=mask_name(MAN_NAME)), UPDATE.what_prompt),
            DoesNotAnswer(UPDATE.who_prompt),
            Sends("1"),
            Sends(NEW_MOBILE),
            Sends("确认提交"),
            Exactly(UPDATE.pending),
            Stored(
                SelfReport,
                status="pending",
                field="mobile",
                resident_id=registry.man,
                by_proxy=True,
            ),
        ],
    )
    assert status(chat, campaign, mother) == "confirmed"
    assert status(chat, campaign, registry.man) == "changed"
    run(chat, [Sends("1"), Answers(WORDS.office.prompt)])  # nothing waits any more


def test_something_else_while_a_campaign_waits_goes_where_it_always_goes(
    database: Engine, registry: Registry, campaign: int
) -> None:
    chat = chat_as(database, HERSELF)
    run(
        chat,
        [
            Sends("我要报事"),
            Answers(WORDS.reports.flow.category_prompt),
            DoesNotAnswer(CONFIRMED, REPLIES.hint),
            Sends("取消"),
            Answers(WORDS.bot.cancelled),
            Sends("我的信息"),
            Answers(mask_name(WOMAN_NAME)),
        ],
    )
    assert status(chat, campaign, registry.woman) == "sent"
    run(chat, [Sends("1"), Exactly(CONFIRMED)])  # it still waits for her answer


def test_cancel_and_back_while_a_campaign_waits_and_in_the_update_after_2(
    database: Engine, registry: Registry, campaign: int
) -> None:
    chat = chat_as(database, HERSELF)
    run(
        chat,
        [
            Sends("取消"),
            Answers(WORDS.bot.nothing_to_cancel, WORDS.bot.menu_header),
            Sends("返回"),
            Answers(WORDS.bot.menu_header),
            Sends("2"),
            Answers(UPDATE.what_prompt),
            Sends("返回"),  # one person: 更新信息 starts at what to change
            Answers(WORDS.bot.back_at_start, WORDS.bot.menu_header),
        ],
    )
    assert status(chat, campaign, registry.woman) == "changed"


def test_cancel_in_the_update_after_2_keeps_the_answer_and_changes_nothing(
    database: Engine, registry: Registry, campaign: int
) -> None:
    chat = chat_as(database, DAUGHTER)
    run(
        chat,
        [
            Sends("没问题"),  # her mother's
            Sends("需要修改"),  # her father's
            Answers(UPDATE.what_prompt),
            Sends("返回"),  # she acts for two: back to whom it is about
            Answers(
                UPDATE.who_prompt,
                item(
                    1,
                    UPDATE.person_proxy.format(
                        name=mask_name(MAN_NAME), relation=BOT.relation("child")
                    ),
                ),
            ),
            Sends("1"),
            Answers(UPDATE.what_prompt),
            Sends("取消"),
            Answers(WORDS.bot.cancelled),
            Stored(SelfReport, count=0),
        ],
    )
    assert status(chat, campaign, registry.man) == "changed"


def test_after_the_window_a_1_is_the_menu_again(
    database: Engine, registry: Registry, campaign: int
) -> None:
    chat = chat_as(database, HERSELF)
    chat.clock.advance(days=WORDS.campaigns.answer_within_days, minutes=1)
    run(chat, [Sends("1"), Answers(WORDS.office.prompt), DoesNotAnswer(CONFIRMED)])
    run(chat, [Sends("取消"), Sends("对的"), DoesNotAnswer(CONFIRMED)])
    assert status(chat, campaign, registry.woman) == "sent"
    assert confirmed_at(database, registry.woman) != chat.clock.now


@pytest.mark.parametrize("delivery", [outbox.PENDING, outbox.UNREACHABLE])
def test_a_message_never_delivered_is_not_answered_by_a_1(
    database: Engine, registry: Registry, delivery: str
) -> None:
    campaign = start_campaign(database, registry.clerk.id, now=NOW)
    if delivery != outbox.PENDING:  # held for the night, or WeChat refused it
        delivered(database, now=NOW, status=delivery)
    chat = chat_as(database, HERSELF)
    run(chat, [Sends("1"), Answers(WORDS.office.prompt), DoesNotAnswer(CONFIRMED)])
    assert status(chat, campaign, registry.woman) == "sent"


def test_nobody_but_whom_the_message_went_to_answers_it(
    database: Engine, registry: Registry, campaign: int
) -> None:
    stranger = chat_as(database, "o_stranger_0009")
    run(stranger, [Sends("1"), Answers(WORDS.office.prompt)])
    assert set(target_statuses(database, campaign).values()) == {"sent", "not_bound"}
