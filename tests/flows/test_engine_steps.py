"""The engine's newer step kinds, pure: collecting photos, prompts built from the answers,
lookups through the port, answer-only flows, and questions Linli asked first (回访)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flows import inputs
from flows.engine import Engine, State
from flows.inbound import Inbound
from flows.steps import IMAGE, TEXT, Ask, Choose, Collect, Data, Done, Flow, Option, Port
from tests.flows.test_engine import CONTENT, TODAY, FakePort


def _summary(data: Data) -> str:
    return f"共{len(data['photos'])}张，地点{data['where']}"


def _where(value: Any, data: Data, port: Port) -> inputs.ParseResult:
    found = port.match_place(value)  # type: ignore[attr-defined]
    return inputs.Parsed(found) if found else inputs.Invalid("没有这个地点，请再说一次。")


def _finish(data: Data, *, openid: str, now: Any, port: Port) -> Done:
    return Done(replies=(f"完成：{data['ok']}",))


PHOTOS = Flow(
    name="photos",
    title="拍照",
    keywords=("拍照",),
    steps=(
        Ask("where", prompt="在哪里？", accepts=TEXT, lookup=_where),
        Collect(
            "photos",
            prompt="请发照片，发完回复「好了」",
            accepts=IMAGE,
            up_to=2,
            finish=("好了", "没有"),
            received="收到第{count}张，还能发{left}张",
        ),
        Choose("ok", prompt=_summary, options=(Option("yes", "对"), Option("no", "不对"))),
    ),
    done=_finish,
)


def _mine(data: Data, *, openid: str, now: Any, port: Port) -> Done:
    return Done(replies=(f"{openid}的记录",))


MINE = Flow(name="mine", title="我的记录", keywords=("我的记录",), steps=(), done=_mine)


def _answered(data: Data, *, openid: str, now: Any, port: Port) -> Done:
    return Done(replies=(f"{data['reference']}：{data['solved']}",))


ASKED = Flow(
    name="asked",
    title="回访",
    listed=False,
    steps=(
        Choose("solved", prompt="解决了吗？", options=(Option("y", "解决"), Option("n", "没有"))),
    ),
    done=_answered,
)


@dataclass
class PlacesPort(FakePort):
    places: dict[str, dict[str, Any]] = field(default_factory=dict)

    def match_place(self, text: str) -> dict[str, Any] | None:
        return self.places.get(text)


@dataclass
class Talk:
    engine: Engine = field(
        default_factory=lambda: Engine(
            (PHOTOS, MINE, ASKED), CONTENT.bot, timeout=timedelta(minutes=30)
        )
    )
    state: State = field(default_factory=State)
    port: PlacesPort = field(
        default_factory=lambda: PlacesPort(places={"东门": {"id": 7, "name": "小区东门"}})
    )

    def send(self, kind: str = "text", **fields: Any) -> str:
        inbound = Inbound(openid="o1", kind=kind, at=TODAY, **fields)
        outcome = self.engine.advance(self.state, inbound, TODAY, self.port)
        self.state = outcome.state
        return "\n".join(outcome.replies)

    def says(self, text: str) -> str:
        return self.send(text=text)

    def photo(self, media_id: str) -> str:
        return self.send("image", media_id=media_id, pic_url=f"http://p/{media_id}")


def test_a_lookup_through_the_port_keeps_what_it_found_or_says_its_own_hint() -> None:
    talk = Talk()
    talk.says("拍照")
    assert talk.says("西门") == "没有这个地点，请再说一次。\n在哪里？"
    assert "请发照片" in talk.says("东门")
    assert talk.state.data["where"] == {"id": 7, "name": "小区东门"}


def test_photos_are_collected_until_the_limit_then_the_summary_counts_them() -> None:
    talk = Talk()
    talk.says("拍照")
    talk.says("东门")
    assert talk.photo("m1") == "收到第1张，还能发1张"
    reply = talk.photo("m2")
    assert reply.startswith("共2张，地点{'id': 7, 'name': '小区东门'}")
    assert [p["media_id"] for p in talk.state.data["photos"]] == ["m1", "m2"]


def test_a_finishing_word_moves_on_with_what_was_sent_and_words_are_not_photos() -> None:
    talk = Talk()
    talk.says("拍照")
    talk.says("东门")
    reply = talk.says("这里很脏")
    assert CONTENT.bot.hints.image in reply and "请发照片" in reply
    assert talk.state.failures == 1
    assert talk.says("没有").startswith("共0张")
    assert talk.state.step == "ok"


def test_back_from_the_summary_returns_to_the_photos_with_those_sent_forgotten() -> None:
    talk = Talk()
    talk.says("拍照")
    talk.says("东门")
    talk.photo("m1")
    talk.says("好了")
    assert talk.says("返回") == "请发照片，发完回复「好了」"
    assert "photos" not in talk.state.data


def test_an_answer_only_flow_answers_at_once_and_leaves_no_conversation_open() -> None:
    talk = Talk()
    assert talk.says("我的记录") == "o1的记录"
    assert talk.state.flow is None
    # Unlisted flows are not in the menu, so 2 is 我的记录 and there is no 3.
    assert talk.says("2") == "o1的记录"
    assert "3." not in talk.says("菜单")


def test_a_reply_to_a_question_linli_asked_first_answers_it() -> None:
    talk = Talk()
    talk.port.invitations["o1"] = ("asked", {"reference": "BS-1"})
    assert talk.says("没有") == "BS-1：n"
    # Anything else is not taken as the answer: the menu and keywords apply as usual.
    assert talk.says("我的记录") == "o1的记录"
    # While the question is open, 1 answers it; once answered, 1 is the menu's first item.
    assert talk.says("1") == "BS-1：y"
    del talk.port.invitations["o1"]
    assert talk.says("1") == "在哪里？"
