"""The binding flows on the pure engine with a fake port: what the resident says, what Linli
answers, which effect it asks for. Through the webhook: tests/flows/conversations/test_binding*."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.content import load_content
from flows import inputs
from flows.binding import BIND_RESULT, bind_reply, parse_proof
from flows.binding_update import UPDATE_RESULT, split_address
from flows.effects import (
    BindResident,
    Effect,
    NotUnderstood,
    RegisterResident,
    RequestProxy,
    SubmitSelfReport,
)
from flows.effects import Unbind as UnbindEffect
from flows.engine import State
from flows.inbound import Inbound
from flows.registry import build_engine

CONTENT = load_content(Path(__file__).resolve().parents[2] / "config" / "content" / "zh-CN")
BOT, BINDING = CONTENT.bot, CONTENT.binding
BIND, INFO, UPDATE = BINDING.bind, BINDING.my_info, BINDING.update
REGISTER = BINDING.registration
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
ID_NUMBER = "11010519551108004X"
SELF = {"binding_id": 7, "resident_id": 70, "kind": "self", "relation": None,
        "name_masked": "张*英"}  # fmt: skip
FATHER = {"binding_id": 8, "resident_id": 80, "kind": "proxy", "relation": "child",
          "name_masked": "王*国"}  # fmt: skip
BUILDING = {"id": 3, "name": "3栋", "lat": None, "lng": None}


def item(number: int, title: str) -> str:
    return BOT.menu_item.format(number=number, title=title)


def as_binding(person: dict[str, Any], status: str = "active") -> dict[str, Any]:
    """A person as bindings_of lists them."""
    return {
        "binding_id": person["binding_id"], "kind": person["kind"],
        "relation": person["relation"], "status": status,
        "name_masked": person["name_masked"] if status == "active" else "",
        "requested_on": "2026-11-29",
    }  # fmt: skip


@dataclass
class FakePort:
    """The store as the binding flows read it."""

    people: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def human_request_open(self, openid: str) -> bool:
        return False

    def invitation(self, openid: str) -> None:
        return None

    def match_place(self, text: str) -> dict[str, Any] | None:
        return BUILDING if text.startswith(("3栋", "三栋")) else None

    def people_of(self, openid: str) -> list[dict[str, Any]]:
        return self.people

    def details_of(self, openid: str) -> list[dict[str, Any]]:
        return self.details

    def bindings_of(self, openid: str) -> list[dict[str, Any]]:
        return [as_binding(p) for p in self.people] + self.pending


@dataclass
class Talk:
    """A resident talking to the engine over the shipped flows."""

    port: FakePort = field(default_factory=FakePort)
    state: State = field(default_factory=State)
    effects: list[Effect] = field(default_factory=list)
    engine: Any = field(default_factory=lambda: build_engine(CONTENT, timeout_minutes=30))

    def says(self, *texts: str) -> str:
        reply = ""
        for text in texts:
            inbound = Inbound(openid="o1", kind="text", at=NOW, text=text)
            outcome = self.engine.advance(self.state, inbound, NOW, self.port)
            self.state = outcome.state
            self.effects.extend(outcome.effects)
            reply = "\n".join(outcome.replies)
        return reply


# -- what residents type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "proof"),
    [
        ("12301x", "12301X"),
        ("后6位是12301X", "12301X"),
        ("后六位 123 456", "123456"),
        (ID_NUMBER, "08004X"),
        ("139 1234 5678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("我的手机是13912345678", "13912345678"),
    ],
)
def test_a_proof_is_read_from_everyday_answers(said: str, proof: str) -> None:
    assert parse_proof(said, "hint") == inputs.Parsed(proof)


@pytest.mark.parametrize("said", ["12345", "1234567", "不知道", "12345678901", "123456 654321"])
def test_anything_else_is_no_proof(said: str) -> None:
    assert parse_proof(said, "hint") == inputs.Invalid("hint")


@pytest.mark.parametrize(
    ("said", "unit", "room"),
    [
        ("3栋2单元502", "2", "502"),
        ("三栋二单元502室", "2", "502"),
        ("幸福小区3号楼1201", "", "1201"),
        ("东区A座1201房", "", "1201"),
        ("3栋", "", ""),
    ],
)
def test_an_address_gives_its_unit_and_room(said: str, unit: str, room: str) -> None:
    assert split_address(said) == (unit, room)


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("我叫张秀英", "张秀英"),
        ("张 秀英", "张秀英"),
        ("我妈叫李桂兰", "李桂兰"),
        ("姓名：王建国", "王建国"),
        ("我是王建国。", "王建国"),
        ("迪丽热巴·迪力木拉提", "迪丽热巴·迪力木拉提"),
    ],
)
def test_a_name_is_read_from_a_sentence(said: str, name: str) -> None:
    talk = Talk()
    talk.says("绑定", "1", said)
    assert talk.state.step == "proof"
    assert talk.state.data["name"] == name


@pytest.mark.parametrize("said", ["张", "13912345678", "张3"])
def test_a_number_or_one_character_is_no_name(said: str) -> None:
    talk = Talk()
    reply = talk.says("绑定", "1", said)
    assert BIND.name_hint in reply and BIND.name_prompt in reply
    assert talk.state.step == "name"


# -- 绑定身份 -------------------------------------------------------------------------------------


def test_binding_oneself_asks_name_then_proof_and_leaves_the_answer_to_the_store() -> None:
    talk = Talk()
    assert BIND.who_prompt in talk.says("绑定")
    assert BIND.name_prompt in talk.says("我自己")
    assert BIND.proof_prompt in talk.says("张秀英")
    assert BIND.proof_hint in talk.says("不记得了")
    reply = talk.says("12301x")
    assert reply == "{" + BIND_RESULT + "}"  # filled in once the store has answered
    assert talk.effects == [BindResident("o1", "张秀英", "12301X")]
    assert talk.state.flow is None


def test_every_failure_is_worded_the_same_and_success_names_the_person() -> None:
    assert bind_reply(BIND, "failed") == BIND.failed
    assert bind_reply(BIND, "no_such_status") == BIND.failed
    assert bind_reply(BIND, "limited") == BIND.limited
    assert bind_reply(BIND, "requested") == BIND.requested
    assert bind_reply(BIND, "bound", "张*英") == BIND.bound.format(name="张*英")


def test_help_for_mum_asks_only_her_name_and_proof() -> None:
    talk = Talk()
    assert BIND.family_name_prompt in talk.says("帮我妈绑定")
    assert BIND.family_proof_prompt in talk.says("她叫李桂兰")
    talk.says("13912345678")
    assert talk.effects == [RequestProxy("o1", "李桂兰", "13912345678", "child")]


def test_a_proxy_without_a_named_relative_is_asked_the_relation() -> None:
    talk = Talk()
    reply = talk.says("代办")
    assert BIND.relation_prompt in reply and item(2, BINDING.relations["spouse"].name) in reply
    assert BIND.family_name_prompt in talk.says("我是她老伴")
    talk.says("李桂兰", "123456")
    assert talk.effects == [RequestProxy("o1", "李桂兰", "123456", "spouse")]


def test_someone_bound_already_is_not_asked_again() -> None:
    talk = Talk(FakePort(people=[SELF]))
    assert talk.says("绑定", "本人") == BIND.already_bound.format(name="张*英")
    assert talk.effects == []


def test_unbinding_the_only_binding_asks_only_for_confirmation() -> None:
    talk = Talk(FakePort(people=[SELF]))
    who = BIND.item_self.format(name="张*英")
    assert talk.says("解绑") == BIND.unbind_confirm.format(who=who) + "\n" + "\n".join(
        [item(1, BIND.unbind_yes), item(2, BIND.unbind_no)]
    )
    assert talk.says("确定") == "{unbind_result}"
    assert talk.effects == [UnbindEffect("o1", 7)]


def test_unbinding_one_of_several_lists_pending_requests_without_a_name() -> None:
    pending = as_binding({**FATHER, "binding_id": 9}, status="pending")
    talk = Talk(FakePort(people=[SELF], pending=[pending]))
    reply = talk.says("解除绑定")
    waiting = BIND.item_pending.format(date="2026年11月29日", relation="子女")
    assert item(2, waiting) in reply
    assert "王*国" not in reply
    assert BIND.pick_hint in talk.says("5")
    talk.says("2", "是")
    assert talk.effects == [UnbindEffect("o1", 9)]


def test_unbinding_with_nothing_bound_ends_at_once() -> None:
    talk = Talk()
    assert talk.says("解绑") == BIND.nothing_to_unbind
    assert talk.state.flow is None


# -- 我的信息 -------------------------------------------------------------------------------------


def test_my_info_unbound_says_how_to_bind() -> None:
    assert Talk().says("我的信息") == INFO.not_bound


def test_my_info_shows_each_person_masked_in_the_committees_words() -> None:
    details = [
        {**SELF, "name": "张*英", "gender": "female", "birth_year": 1955,
         "id_card": "110105********004X", "mobile": "138****5678", "address": "3栋2单元301",
         "residence_status": "resident", "confirmed_on": "2026-03-01"},
        {**FATHER, "name": "王*国", "gender": None, "birth_year": None, "id_card": "",
         "mobile": "", "address": "", "residence_status": None, "confirmed_on": None},
    ]  # fmt: skip
    reply = Talk(FakePort(people=[SELF, FATHER], details=details)).says("我的信息")
    for shown in ("【张*英】" + INFO.self_label, "女", "1955年", "110105********004X",
                  "138****5678", "3栋2单元301", CONTENT.registry.word("residence_status",
                  "resident"), INFO.confirmed.format(date="2026年3月1日"),
                  "【王*国】" + INFO.proxy_label.format(relation="子女"), INFO.never_confirmed,
                  INFO.blank, INFO.footer):  # fmt: skip
        assert shown in reply, shown


def test_a_request_waiting_for_staff_shows_no_detail_of_the_person() -> None:
    pending = as_binding(FATHER, status="pending")
    reply = Talk(FakePort(pending=[pending])).says("查信息")
    assert INFO.pending.format(date="2026年11月29日", relation="子女") in reply
    assert INFO.header not in reply and "王*国" not in reply


# -- 更新信息 -------------------------------------------------------------------------------------


def test_updating_unbound_ends_at_once() -> None:
    talk = Talk()
    assert talk.says("更新信息") == UPDATE.not_bound
    assert talk.state.flow is None


def test_one_person_is_not_asked_whom_and_a_said_field_is_not_asked_either() -> None:
    talk = Talk(FakePort(people=[SELF]))
    assert UPDATE.what_prompt in talk.says("更新信息")
    talk.says("取消")
    assert talk.says("换手机号") == UPDATE.mobile_prompt
    assert UPDATE.what_prompt in talk.says("返回")
    talk.says("手机号", "13911112222")
    reply = talk.says("确认")
    assert reply == "{" + UPDATE_RESULT + "}"
    assert talk.effects == [
        SubmitSelfReport("o1", 70, False, "mobile", "13911112222", "139****2222",
                         needs_approval="mobile" in BINDING.needs_approval),
    ]  # fmt: skip


def test_a_move_must_name_a_building_of_the_committee_and_a_room() -> None:
    talk = Talk(FakePort(people=[SELF]))
    assert talk.says("搬家") == UPDATE.dwelling_prompt
    assert UPDATE.dwelling_hint in talk.says("人民路5号")
    assert UPDATE.dwelling_hint in talk.says("3栋")  # no room
    talk.says("3栋1单元101", "确认")
    [effect] = talk.effects
    assert isinstance(effect, SubmitSelfReport)
    assert (effect.field, effect.value) == ("dwelling", {"place_id": 3, "unit": "1", "room": "101"})
    assert effect.shown == "3栋1单元101"


def test_only_a_proxy_is_offered_deceased() -> None:
    moved, died = BINDING.statuses["moved_out"].name, BINDING.statuses["deceased"].name
    talk = Talk(FakePort(people=[SELF, FATHER]))
    reply = talk.says("修改信息")
    assert item(2, UPDATE.person_proxy.format(name="王*国", relation="子女")) in reply
    reply = talk.says("1", "居住情况")
    assert item(1, moved) in reply and died not in reply
    assert UPDATE.pick_hint in talk.says("已去世")
    talk.says("菜单", "修改信息", "2", "居住情况")
    assert UPDATE.confirm_prompt.format(name="王*国", field="居住情况", value=died) in talk.says(
        "去世了"
    )
    talk.says("是")
    [effect] = talk.effects
    assert isinstance(effect, SubmitSelfReport)
    assert (effect.resident_id, effect.by_proxy, effect.value) == (80, True, "deceased")


# -- 登记为新居民 ---------------------------------------------------------------------------------


def test_registering_is_reached_by_its_words_but_is_not_in_the_menu() -> None:
    talk = Talk()
    assert REGISTER.title not in talk.says("菜单")
    assert talk.says("登记") == REGISTER.address_prompt
    talk.says("3栋2单元502", "李四", "137 0000 1111")
    assert talk.says("确认") == REGISTER.submitted
    assert talk.effects == [RegisterResident("o1", "李四", "13700001111", "3栋2单元502", 3, "2",
                                             "502")]  # fmt: skip


def test_an_address_matching_no_building_is_kept_as_typed() -> None:
    talk = Talk()
    talk.says("新居民登记", "人民路5号2楼", "李四", "13700001111", "确认")
    assert talk.effects == [RegisterResident("o1", "李四", "13700001111", "人民路5号2楼", None,
                                             "", "")]  # fmt: skip


def test_a_flow_left_idle_times_out_like_any_other() -> None:
    talk = Talk()
    talk.says("绑定", "1")
    inbound = Inbound(openid="o1", kind="text", at=NOW, text="张秀英")
    later = NOW + timedelta(minutes=31)
    outcome = talk.engine.advance(talk.state, inbound, later, talk.port)
    assert BOT.timed_out.format(minutes=30) in "\n".join(outcome.replies)
    # Nothing of the binding is written; the words, not understood now, are kept for staff.
    assert outcome.effects == (NotUnderstood("o1", "张秀英"),)
