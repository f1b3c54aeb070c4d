"""绑定身份 as conversations through the real webhook, on SQLite and PostgreSQL: binding oneself
by ID tail or mobile, every failure answered alike, the daily limit, registering as new after a
failure, and a family proxy that sees nothing before staff approve it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.binding.notices import mask_name
from flows.masking import mask_id_card, mask_mobile
from store.binding.models import BindAttempt, Registration, ResidentBinding
from store.db import unit_of_work
from store.inbound.messages import SECRET
from store.inbound.models import InboundMessage
from store.registry.history import Source
from store.registry.residents import add_resident
from tests.chat import (
    SEALER,
    WORDS,
    Answers,
    Chat,
    DoesNotAnswer,
    Sends,
    Stored,
    menu_item,
    run,
)
from tests.flows.conversations.binding_helpers import (
    MAN_NAME,
    WOMAN_NAME,
    Exactly,
    approve_proxy,
    chat_as,
)
from tests.resident_helpers import (
    MAN,
    MAN_MOBILE,
    NOW,
    WOMAN,
    WOMAN_MOBILE,
    Registry,
    build_registry,
)

BIND, INFO, REGISTER = WORDS.binding.bind, WORDS.binding.my_info, WORDS.binding.registration
STRANGER = "o_resident_stranger"


@pytest.fixture
def registry(database: Engine) -> Registry:
    return build_registry(database)


def test_the_menu_keeps_its_first_numbers_and_lists_the_new_flows_after_them(
    database: Engine,
) -> None:
    run(
        chat_as(database),
        [
            Sends("菜单"),
            Answers(
                menu_item(1, WORDS.office.title),
                menu_item(2, WORDS.reports.flow.title),
                menu_item(3, WORDS.reports.mine.title),
                menu_item(4, INFO.title),
                menu_item(5, BIND.title),
                menu_item(6, WORDS.binding.update.title),
            ),
            DoesNotAnswer(REGISTER.title),  # reached from a failed bind, not from the menu
        ],
    )


def test_a_resident_binds_herself_with_the_last_six_of_her_id_number(
    database: Engine, registry: Registry
) -> None:
    run(
        chat_as(database),
        [
            Sends("绑定"),
            Answers(BIND.who_prompt, menu_item(1, BIND.choices["self"].name)),
            Sends("我自己"),
            Answers(BIND.name_prompt),
            Sends("我叫张秀英"),
            Answers(BIND.proof_prompt),
            Sends(f"后6位是{WOMAN[-6:].lower()}"),
            Exactly(BIND.bound.format(name=mask_name(WOMAN_NAME))),
            Stored(ResidentBinding, kind="self", status="active", resident_id=registry.woman),
            Stored(BindAttempt, matched=True, reason="matched"),
            Sends("我的信息"),
            Answers(
                INFO.header,
                mask_name(WOMAN_NAME),
                mask_id_card(WOMAN),
                mask_mobile(WOMAN_MOBILE),
                "3栋2单元301",
                INFO.confirmed.format(date="2026年11月30日"),
                INFO.footer,
            ),
            DoesNotAnswer(WOMAN_NAME, WOMAN, WOMAN_MOBILE),
        ],
    )
    # The message that proved who she is keeps only asterisks; the others are kept as said.
    with Session(database) as session:
        messages = session.exec(select(InboundMessage).order_by(col(InboundMessage.id)))
        said = [message.fields.get("Content") for message in messages]
    assert said[2:5] == ["我叫张秀英", SECRET, "我的信息"]
    assert not any(WOMAN[-6:].lower() in str(text) for text in said)


def test_a_resident_binds_himself_with_his_mobile_and_may_not_bind_again(
    database: Engine, registry: Registry
) -> None:
    run(
        chat_as(database),
        [
            Sends("我要绑定"),
            Sends("1"),
            Sends(MAN_NAME),
            Sends("139 8765 4321"),
            Exactly(BIND.bound.format(name=mask_name(MAN_NAME))),
            Stored(ResidentBinding, kind="self", status="active", resident_id=registry.man),
            Sends("绑定"),
            Sends("本人"),
            Exactly(BIND.already_bound.format(name=mask_name(MAN_NAME))),
            Stored(BindAttempt, count=1),  # asking again costs no attempt
        ],
    )


def _fail(chat: Chat, name: str, proof: str) -> str | None:
    for text in ("绑定", "1", name, proof):
        chat.says(text)
    return chat.last_reply


def test_every_failure_says_the_same_words_and_only_staff_learn_why(
    database: Engine, registry: Registry
) -> None:
    with unit_of_work(database) as session:  # two 李明 sharing the household's phone
        for _ in range(2):
            add_resident(session, SEALER, committee_id=registry.committee_id,
                         values={"name": "李明", "mobile": "13600001111"},
                         source=Source.staff(registry.clerk.id or 0), now=NOW)  # fmt: skip
    _fail(chat_as(database, "o_owner"), WOMAN_NAME, WOMAN[-6:])  # someone else is her
    chat = chat_as(database)
    replies = {
        "unknown name": _fail(chat, "张秀兰", WOMAN[-6:]),
        "wrong ID tail": _fail(chat, WOMAN_NAME, "123456"),
        "wrong mobile": _fail(chat, WOMAN_NAME, MAN_MOBILE),
        "two people match": _fail(chat, "李明", "13600001111"),
    }
    assert set(replies.values()) == {BIND.failed}, replies
    owner = chat_as(database, "o_owner")
    run(owner, [Stored(ResidentBinding, status="active", resident_id=registry.woman)])
    replies["bound by someone else"] = _fail(chat, WOMAN_NAME, WOMAN[-6:])
    assert set(replies.values()) == {BIND.failed}, replies
    with Session(database) as session:
        query = select(BindAttempt.reason).where(BindAttempt.openid == chat.openid)
        reasons = list(session.exec(query.order_by(BindAttempt.id)))
    assert reasons == ["no_match", "no_match", "no_match", "several", "bound_elsewhere"]
    run(chat, [Stored(ResidentBinding, count=0)])


def test_attempts_are_limited_per_day_and_tomorrow_the_right_answer_binds(
    database: Engine, registry: Registry
) -> None:
    chat = chat_as(database)
    limit = WORDS.binding.attempts_per_day
    for _ in range(limit):
        assert _fail(chat, WOMAN_NAME, "000000") == BIND.failed
    # Even the right answer is not looked at once the day's tries are used up.
    assert _fail(chat, WOMAN_NAME, WOMAN[-6:]) == BIND.limited
    run(chat, [Stored(ResidentBinding, count=0), Stored(BindAttempt, reason="limited")])
    chat.clock.advance(days=1)
    assert _fail(chat, WOMAN_NAME, WOMAN[-6:]) == BIND.bound.format(name=mask_name(WOMAN_NAME))


def test_after_a_failure_a_newcomer_registers_as_a_new_resident(
    database: Engine, registry: Registry
) -> None:
    chat = chat_as(database)
    assert _fail(chat, "李四", "13700001111") == BIND.failed
    run(
        chat,
        [
            Sends("登记"),
            Answers(REGISTER.address_prompt),
            Sends("3栋2单元502"),
            Answers(REGISTER.name_prompt),
            Sends("李四"),
            Answers(REGISTER.mobile_prompt),
            Sends("137-0000-1111"),
            Answers(
                REGISTER.confirm_prompt.format(
                    name="李四", mobile="13700001111", address="3栋2单元502"
                )
            ),
            Sends("确认"),
            Exactly(REGISTER.submitted),
            Stored(
                Registration,
                status="pending",
                name="李四",
                place_id=registry.building,
                unit="2",
                room="502",
                committee_id=registry.committee_id,
            ),
        ],
    )
    with Session(database) as session:
        kept = session.exec(select(Registration)).one()
    assert SEALER.open(kept.mobile_sealed) == "13700001111"


def test_a_registration_can_be_dropped_at_the_last_question(
    database: Engine, registry: Registry
) -> None:
    run(
        chat_as(database),
        [
            Sends("新居民登记"),
            Sends("5栋1203"),
            Sends("李四"),
            Sends("13700001111"),
            Answers("地址：5栋1203"),
            Sends("不提交"),
            Exactly(REGISTER.discarded),
            Stored(Registration, count=0),
        ],
    )


def test_a_proxy_request_gets_the_same_answer_whether_or_not_the_person_exists(
    database: Engine, registry: Registry
) -> None:
    son, stranger = chat_as(database), chat_as(database, STRANGER)
    run(
        son,
        [
            Sends("帮我妈绑定"),  # names the family member: the relation is not asked
            Answers(BIND.family_name_prompt),
            Sends(WOMAN_NAME),
            Answers(BIND.family_proof_prompt),
            Sends(WOMAN_MOBILE),
            Exactly(BIND.requested),
            Stored(
                ResidentBinding,
                kind="proxy",
                status="pending",
                relation="child",
                resident_id=registry.woman,
            ),
        ],
    )
    run(
        stranger,
        [
            Sends("代办"),
            Answers(BIND.relation_prompt),
            Sends("女儿"),
            Answers(BIND.family_name_prompt),
            Sends("李桂兰"),
            Sends("123456"),
            Exactly(BIND.requested),
            Stored(
                ResidentBinding, kind="proxy", status="pending", relation="child", resident_id=None
            ),
        ],
    )
    # Before staff approve, neither learns anything about the person.
    for chat in (son, stranger):
        run(
            chat,
            [
                Sends("我的信息"),
                Answers(INFO.pending.format(date="2026年11月30日", relation="子女")),
                DoesNotAnswer(INFO.header, mask_name(WOMAN_NAME), mask_mobile(WOMAN_MOBILE)),
            ],
        )
    approve_proxy(registry, son.openid)
    run(
        son,
        [
            Sends("我的信息"),
            Answers(
                INFO.header,
                mask_name(WOMAN_NAME),
                INFO.proxy_label.format(relation="子女"),
                mask_id_card(WOMAN),
                mask_mobile(WOMAN_MOBILE),
            ),
            DoesNotAnswer(INFO.pending.split("（")[0]),
        ],
    )


def test_my_info_before_binding_says_how_to_bind(database: Engine, registry: Registry) -> None:
    run(chat_as(database), [Sends("我的信息"), Exactly(INFO.not_bound)])


def test_my_info_shows_everyone_the_resident_acts_for(database: Engine, registry: Registry) -> None:
    chat = chat_as(database)
    _fail(chat, WOMAN_NAME, WOMAN[-6:])
    run(chat, [Sends("绑定"), Sends("为家人代办"), Sends("老伴"), Sends(MAN_NAME), Sends(MAN)])
    approve_proxy(registry, chat.openid)
    run(
        chat,
        [
            Sends("4"),  # 我的信息 by its menu number
            Answers(
                mask_name(WOMAN_NAME),
                INFO.self_label,
                mask_id_card(WOMAN),
                mask_name(MAN_NAME),
                INFO.proxy_label.format(relation="配偶"),
                mask_id_card(MAN),
                mask_mobile(MAN_MOBILE),
            ),
            DoesNotAnswer(WOMAN, MAN, MAN_MOBILE),
        ],
    )


def test_a_resident_unbinds_a_proxy_request_after_confirming(
    database: Engine, registry: Registry
) -> None:
    chat = chat_as(database)
    _fail(chat, WOMAN_NAME, WOMAN[-6:])
    run(chat, [Sends("代办"), Sends("配偶"), Sends(MAN_NAME), Sends(MAN_MOBILE)])
    pending = BIND.item_pending.format(date="2026年11月30日", relation="配偶")
    run(
        chat,
        [
            Sends("解绑"),
            Answers(
                BIND.unbind_prompt,
                menu_item(1, BIND.item_self.format(name=mask_name(WOMAN_NAME))),
                menu_item(2, pending),
            ),
            Sends("2"),
            Answers(BIND.unbind_confirm.format(who=pending)),
            Sends("不解除"),
            Exactly(BIND.kept),
            Stored(ResidentBinding, status="pending"),
            Sends("解除绑定"),
            Sends("2"),
            Sends("确定"),
            Exactly(BIND.unbound),
            Stored(ResidentBinding, status="ended", kind="proxy"),
            Stored(ResidentBinding, status="active", kind="self"),
        ],
    )


def test_unbinding_with_nothing_bound_says_so(database: Engine, registry: Registry) -> None:
    run(chat_as(database), [Sends("解绑"), Exactly(BIND.nothing_to_unbind)])


def test_the_daily_limit_counts_in_the_residents_own_day(
    database: Engine, registry: Registry
) -> None:
    chat = chat_as(database)
    chat.clock.now = NOW.replace(hour=15, minute=30)  # 23:30 in Guangzhou
    for _ in range(WORDS.binding.attempts_per_day):
        _fail(chat, WOMAN_NAME, "000000")
    assert _fail(chat, WOMAN_NAME, WOMAN[-6:]) == BIND.limited
    chat.clock.advance(minutes=31)  # 00:01 the next day there, still the same day in UTC
    assert chat.clock.now.date() == NOW.date()
    assert _fail(chat, WOMAN_NAME, WOMAN[-6:]) == BIND.bound.format(name=mask_name(WOMAN_NAME))
    assert chat.clock.now - NOW < timedelta(days=1)


def _proof_push(chat: Chat, name: str, proof: str) -> tuple[str | None, list[str], int]:
    """Up to the proof, then the proof alone watched: the reply, the statements the database
    ran for it (parameters aside) and how many sealed numbers were opened."""
    for text in ("绑定", "1", name):
        chat.says(text)
    sent: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_rest: object) -> None:
        sent.append(statement)

    opened = 0
    real_open = type(SEALER).open

    def counting_open(self: object, value: str) -> str:
        nonlocal opened
        opened += 1
        return real_open(self, value)  # type: ignore[arg-type]

    event.listen(chat.database, "before_cursor_execute", seen)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(type(SEALER), "open", counting_open)
            reply = chat.says(proof)
    finally:
        event.remove(chat.database, "before_cursor_execute", seen)
    return reply, sent, opened


def test_a_stranger_learns_nothing_from_the_answer_or_the_work_behind_it(
    database: Engine, registry: Registry
) -> None:
    # The same words, the same statements in the same order, the same decryptions: for a name
    # nobody has, and for a resident's real name with a wrong ID tail or a wrong mobile.
    nobody = _proof_push(chat_as(database, "o_a"), "张秀兰", "123456")
    wrong_tail = _proof_push(chat_as(database, "o_b"), WOMAN_NAME, "123456")
    wrong_mobile = _proof_push(chat_as(database, "o_c"), WOMAN_NAME, "13600009999")
    assert nobody[0] == wrong_tail[0] == wrong_mobile[0] == BIND.failed
    assert nobody[1] == wrong_tail[1] == wrong_mobile[1]
    assert nobody[2] == wrong_tail[2] == wrong_mobile[2]
