"""Everyday words at a confirm and at a yes/no question: one table (bot.yaml `answers`), read the
same way by every flow. No flow lists its own words for 确认提交 or 是/否."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flows.engine import Engine, State
from flows.inbound import Inbound
from flows.reports import report_flow
from flows.steps import NO, YES, YES_NO, Ask, Choose, Data, Done, Flow, Option, Port
from tests.chat import WORDS
from tests.flows.test_engine import FakePort

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _finish(data: Data, *, openid: str, now: datetime, port: Port) -> Done:
    return Done(replies=(f"{data['still']}/{data['sure']}",))


# A yes/no question, then a confirm whose options read like 确认提交 / 不提交了.
ASKING = Flow(
    name="asking",
    title="测试",
    keywords=("测试",),
    steps=(
        Ask("still", prompt="现在还在漏水吗？", accepts=YES_NO),
        Choose(
            "sure",
            prompt="请核对",
            options=(Option("submit", "确认提交", means=YES), Option("drop", "不提交了", means=NO)),
        ),
    ),
    done=_finish,
)

# What residents say, and what it means at a yes/no question; the same words pick the yes or
# the no option of a confirm.
SAID = [
    ("是", True),
    ("是的呀", True),
    ("对", True),
    ("好的", True),
    ("好的谢谢", True),
    ("可以", True),
    ("确认", True),
    ("嗯嗯", True),
    ("还在滴", True),
    ("还在漏", True),
    ("还漏着", True),
    ("一直滴", True),
    ("一直在漏呢", True),
    ("否", False),
    ("不是", False),
    ("没了", False),
    ("不漏了", False),
    ("已经不漏了", False),
    ("没有了哦", False),
    ("算了", False),
    ("没有问题", True),
    ("没问题", True),
    ("不是的", False),
    ("不用不用", False),
]


class ReportPort(FakePort):
    """No known places and no open reports: a typed building is kept as typed."""

    def match_place(self, text: str) -> dict[str, Any] | None:
        return None

    def open_duplicate(self, *_args: Any) -> dict[str, Any] | None:
        return None


@dataclass
class Talk:
    engine: Engine
    state: State
    port: Any

    def says(self, text: str) -> str:
        inbound = Inbound(openid="o1", kind="text", at=NOW, text=text)
        outcome = self.engine.advance(self.state, inbound, NOW, self.port)
        self.state = outcome.state
        return "\n".join(outcome.replies)


def _talk(*flows: Flow) -> Talk:
    return Talk(Engine(flows, WORDS.bot, timeout=timedelta(minutes=30)), State(), ReportPort())


@pytest.mark.parametrize(("said", "meaning"), SAID)
def test_an_everyday_word_answers_a_yes_no_question_and_picks_a_confirms_option(
    said: str, meaning: bool
) -> None:
    talk = _talk(ASKING)
    assert "现在还在漏水吗" in talk.says("测试")
    assert "请核对" in talk.says(said)
    assert talk.state.data["still"] is meaning
    assert talk.says(said) == f"{meaning}/{'submit' if meaning else 'drop'}"


@pytest.mark.parametrize(
    "said",
    [
        "还在吗?",
        "可以吗",  # a question back, as voice input sends it (no question mark)
        "还在吗",
        "什么意思",
        "明天再说",
        "还是算了吧再想想?",
        "一直没漏",  # a yes start negated
        "可以先不提交",
        "不是很清楚",  # unsure: neither yes nor no
        "不知道",
        "还没",
    ],
)
def test_a_question_back_or_something_else_is_not_taken_for_an_answer(said: str) -> None:
    talk = _talk(ASKING)
    talk.says("测试")
    answered = talk.says(said)
    assert WORDS.bot.hints.yes_no in answered and "现在还在漏水吗" in answered
    assert "still" not in talk.state.data


def test_the_start_of_an_options_words_picks_it() -> None:
    talk = _talk(ASKING)
    talk.says("测试")
    talk.says("是")
    assert talk.says("不提交") == "True/drop"


@pytest.mark.parametrize("said", ["先不提交", "不要提交", "还是别提交了"])
def test_an_options_words_said_negated_do_not_pick_it(said: str) -> None:
    talk = _talk(ASKING)
    talk.says("测试")
    talk.says("是")
    assert talk.says(said) != "True/submit"


def test_a_report_is_submitted_with_an_everyday_yes_and_an_urgent_one_carries_its_advice() -> None:
    reports = WORDS.reports
    fire = next(c for c in reports.categories if c.key == "fire_safety")
    talk = _talk(report_flow(reports))
    talk.says(reports.flow.keywords[0])
    asked = talk.says("楼下消防通道又被电动车堵了")
    # The advice comes first, as soon as an urgent category is known.
    assert asked.startswith(fire.advice) and "119" in asked
    assert reports.flow.confirm_category.format(name=fire.name) in asked
    talk.says("对的")
    talk.says("3栋")
    talk.says("1")  # 就按我说的地址记录
    talk.says("还在堵")  # 是否堵塞消防通道？
    talk.says("没有")  # no photos
    submitted = talk.says("好的")
    assert submitted.startswith(fire.advice)
    assert talk.state.flow is None
