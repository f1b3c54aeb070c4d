"""The pure engine, one input type at a time, as conversations: resident says / Linli answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.content import load_content
from flows import inputs
from flows.effects import Effect, RequestHuman
from flows.engine import Engine, State
from flows.inbound import Inbound
from tests.flows.sample_flow import OTHER, REGISTER

CONTENT = load_content(Path(__file__).resolve().parents[2] / "config" / "content" / "zh-CN")
HINTS = CONTENT.bot.hints
TODAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday


@dataclass
class FakePort:
    waiting: set[str] = field(default_factory=set)
    invitations: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def human_request_open(self, openid: str) -> bool:
        return openid in self.waiting

    def invitation(self, openid: str) -> tuple[str, dict[str, Any]] | None:
        return self.invitations.get(openid)


@dataclass
class Talk:
    """A resident talking to the pure engine."""

    engine: Engine = field(
        default_factory=lambda: Engine(
            (REGISTER, OTHER), CONTENT.bot, timeout=timedelta(minutes=30)
        )
    )
    state: State = field(default_factory=State)
    now: datetime = TODAY
    port: FakePort = field(default_factory=FakePort)
    effects: list[Effect] = field(default_factory=list)

    def send(self, kind: str = "text", **fields: Any) -> str:
        inbound = Inbound(openid="o1", kind=kind, at=self.now, **fields)
        outcome = self.engine.advance(self.state, inbound, self.now, self.port)
        self.state = outcome.state
        self.effects.extend(outcome.effects)
        return "\n".join(outcome.replies)

    def says(self, text: str) -> str:
        return self.send(text=text)

    def reach(self, step: str) -> None:
        """Answer correctly up to a step."""
        answers = {
            "kind": "1",
            "name": "张三",
            "phone": "13812345678",
            "id": "11010519491231002X",
            "day": "明天",
        }
        self.says("登记")
        for name, answer in answers.items():
            if self.state.step == step:
                return
            assert self.state.step == name
            self.says(answer)
        if self.state.step == "where" and step != "where":
            self.send("location", lat="23.13", lng="113.26", label="小区门口")
        if self.state.step == "wants_photo" and step != "wants_photo":
            self.says("是")
        if self.state.step == "photo" and step != "photo":
            self.send("image", media_id="m1", pic_url="http://p")
        assert self.state.step == step


def test_choice_by_number_and_by_words() -> None:
    talk = Talk()
    assert "选哪一种？\n1. 甲类\n2. 乙类" in talk.says("登记")
    assert "您的姓名" in talk.says("甲")
    assert talk.state.data == {"kind": "a"}
    talk = Talk()
    talk.says("登记")
    assert "您的姓名" in talk.says("2")
    assert talk.state.data == {"kind": "b"}


def test_choice_out_of_range_re_asks_with_a_hint() -> None:
    talk = Talk()
    talk.says("登记")
    reply = talk.says("7")
    assert HINTS.choice in reply and "选哪一种" in reply
    assert talk.state.step == "kind" and talk.state.failures == 1


def test_free_text_refuses_an_empty_answer() -> None:
    talk = Talk()
    talk.reach("name")
    assert HINTS.text_empty in talk.says("   ")
    assert "手机号" in talk.says("李四")
    assert talk.state.data["name"] == "李四"


@pytest.mark.parametrize("typed", ["13812345678", "+86 138-1234-5678", "１３８１２３４５６７８"])
def test_a_mobile_number_in_any_usual_form(typed: str) -> None:
    talk = Talk()
    talk.reach("phone")
    assert "身份证号" in talk.says(typed)
    assert talk.state.data["phone"] == "13812345678"


def test_a_wrong_mobile_number_re_asks() -> None:
    talk = Talk()
    talk.reach("phone")
    reply = talk.says("12345")
    assert HINTS.mobile in reply and "您的手机号" in reply


def test_an_id_card_number_is_checked_by_its_check_digit() -> None:
    talk = Talk()
    talk.reach("id")
    assert HINTS.id_card_invalid in talk.says("110105194912310021")
    assert HINTS.id_card_length in talk.says("1101051949")
    assert "哪一天来" in talk.says("11010519491231002x")
    assert talk.state.data["id"] == "11010519491231002X"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-05", "2026-12-05"),
        ("12月5日", "2026-12-05"),
        ("明天", "2026-11-26"),
        ("下周一", "2026-11-30"),
    ],
)
def test_dates_in_the_ways_residents_write_them(typed: str, expected: str) -> None:
    talk = Talk()
    talk.reach("day")
    assert "请发送位置" in talk.says(typed)
    assert talk.state.data["day"] == expected


def test_an_impossible_or_refused_date_re_asks() -> None:
    talk = Talk()
    talk.reach("day")
    assert HINTS.date in talk.says("2月30日")
    assert HINTS.date in talk.says("昨天")  # the flow's own validator refuses the past
    assert talk.state.step == "day"


def test_a_location_message_is_kept_with_its_label() -> None:
    talk = Talk()
    talk.reach("where")
    assert HINTS.location in talk.says("3栋门口")
    assert "要拍照吗" in talk.send("location", lat="23.129100", lng="113.264400", label="小区门口")
    assert talk.state.data["where"] == {"lat": 23.1291, "lng": 113.2644, "label": "小区门口"}


def test_yes_no_answers_and_a_branch_that_skips_a_step() -> None:
    talk = Talk()
    talk.reach("wants_photo")
    assert HINTS.yes_no in talk.says("也许")
    assert "请说一句话" in talk.says("不用")
    assert talk.state.step == "voice"


def test_yes_and_no_are_the_committees_words_from_bot_yaml() -> None:
    answers = CONTENT.bot.answers.model_copy(update={"yes_words": ("行",), "no_words": ("免了",)})
    texts = CONTENT.bot.model_copy(update={"answers": answers})
    talk = Talk(engine=Engine((REGISTER, OTHER), texts, timeout=timedelta(minutes=30)))
    talk.reach("where")
    talk.send("location", lat="23.13", lng="113.26", label="小区门口")
    assert HINTS.yes_no in talk.says("是")  # not this committee's word
    assert "请发照片" in talk.says("行")
    talk = Talk(engine=Engine((REGISTER, OTHER), texts, timeout=timedelta(minutes=30)))
    talk.reach("wants_photo")
    assert "请说一句话" in talk.says("免了")


def test_an_image_message_is_kept_by_media_id() -> None:
    talk = Talk()
    talk.reach("photo")
    assert HINTS.image in talk.says("拍好了")
    assert "请说一句话" in talk.send("image", media_id="MEDIA1", pic_url="http://pic")
    assert talk.state.data["photo"] == {"media_id": "MEDIA1", "pic_url": "http://pic"}


def test_a_voice_message_is_read_through_its_recognition() -> None:
    talk = Talk()
    talk.reach("voice")
    assert HINTS.voice in talk.says("打字的")
    assert CONTENT.bot.voice_not_recognised in talk.send("voice", text="")
    reply = talk.send("voice", text="楼道灯坏了")
    assert "登记完成" in reply and '"voice": "楼道灯坏了"' in reply
    assert talk.state.flow is None


def test_back_returns_to_the_previous_step_and_forgets_its_answer() -> None:
    talk = Talk()
    talk.reach("id")
    assert "您的手机号" in talk.says("返回")
    assert "phone" not in talk.state.data
    assert "您的姓名" in talk.says("上一步")
    assert talk.state.data == {"kind": "a"}


def test_cancel_forgets_everything() -> None:
    talk = Talk()
    talk.reach("day")
    reply = talk.says("取消")
    assert CONTENT.bot.cancelled in reply and "1. 测试登记" in reply
    assert talk.state == State(updated_at=TODAY)
    assert talk.effects == []


def test_the_third_failure_offers_the_menu_and_a_person() -> None:
    talk = Talk()
    talk.reach("phone")
    talk.says("a")
    talk.says("b")
    reply = talk.says("c")
    assert CONTENT.bot.too_many_failures in reply and "您的手机号" in reply
    assert talk.state.failures == 0


def test_asking_for_a_person_keeps_the_place_in_the_flow() -> None:
    talk = Talk()
    talk.reach("phone")
    assert CONTENT.bot.human_requested in talk.says("人工")
    assert talk.effects == [RequestHuman("o1", "人工", "register", "phone")]
    assert talk.state.step == "phone"
    talk.port.waiting.add("o1")
    assert CONTENT.bot.human_already_waiting in talk.says("人工")
    assert len(talk.effects) == 1


def test_an_idle_conversation_times_out_and_the_message_starts_afresh() -> None:
    talk = Talk()
    talk.reach("phone")
    talk.now += timedelta(minutes=31)
    reply = talk.says("2")
    assert CONTENT.bot.timed_out.format(minutes=30) in reply
    assert "说点什么" in reply  # "2" now picks menu item 2
    assert talk.state.flow == "other"


def test_the_menu_lists_exactly_the_registered_flows() -> None:
    menu = Talk().says("菜单")
    item = CONTENT.bot.menu_item.format
    assert item(number=1, title=REGISTER.title) in menu
    assert item(number=2, title=OTHER.title) in menu
    assert item(number=3, title="").strip() not in menu


def test_every_hint_the_parsers_give_has_wording() -> None:
    for key in inputs.HINTS:
        assert CONTENT.bot.hint(key)
