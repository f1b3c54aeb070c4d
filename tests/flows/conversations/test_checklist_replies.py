"""办事清单 on the engine alone (a fake port): every service and every answer gives short replies,
and an unclear name offers the services it could mean by number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from config.service_checklist import MAX_REPLY, documents_for
from config.service_content import Service
from flows.checklist import checklist_flow
from flows.effects import GiveChecklist
from flows.engine import Engine, State
from flows.inbound import Inbound
from flows.registry import build_engine, build_flows
from tests.chat import WORDS, menu_item

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
CATALOGUE = WORDS.services
SAID = CATALOGUE.words


class FakePort:
    """A resident with nothing stored."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: [] if name.endswith("_of") else None

    def human_request_open(self, openid: str) -> bool:
        return False


def without_matcher() -> Engine:
    """The shipped flows, the checklist finding services by their names only."""
    flows = tuple(
        checklist_flow(WORDS) if flow.name == "checklist" else flow for flow in build_flows(WORDS)
    )
    return build_engine(WORDS, timeout_minutes=30, flows=flows)


class Talk:
    """One resident's conversation, keeping every reply and effect."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.state = engine, State()
        self.replies: list[str] = []
        self.effects: list[Any] = []

    def says(self, text: str) -> str:
        inbound = Inbound(openid="o_checklist", kind="text", at=NOW, text=text)
        outcome = self.engine.advance(self.state, inbound, NOW, FakePort())
        self.state = outcome.state
        reply = "\n\n".join(outcome.replies)  # one passive reply, as the webhook sends it
        self.replies.append(reply)
        self.effects.extend(outcome.effects)
        return reply


ENGINE = build_engine(WORDS, timeout_minutes=30)


def _through(service: Service, answers: dict[str, str], has: str) -> Talk:
    """Ask for a service's checklist, answer its conditions, read it and check every item."""
    talk = Talk(ENGINE)
    talk.says("办事清单")
    talk.says(str([s.key for s in CATALOGUE.services].index(service.key) + 1))
    for condition in service.conditions:
        keys = [o.key for o in condition.options]
        talk.says(str(keys.index(answers[condition.key]) + 1))
    while talk.state.flow == "checklist" and talk.state.step.startswith("page"):  # type: ignore[union-attr]
        talk.says("1")
    if talk.state.step == "walk":
        talk.says("1")
    while talk.state.flow == "checklist":
        talk.says(has)
    if talk.state.flow == "application":
        talk.says("2")
    return talk


def test_no_checklist_reply_is_longer_than_the_limit() -> None:
    longest = (0, "")
    for service in CATALOGUE.services:
        for answers in service.every_answer():
            for has in ("1", "2"):
                talk = _through(service, answers, has)
                [given] = [e for e in talk.effects if isinstance(e, GiveChecklist)]
                assert given.items == tuple(d.key for d in documents_for(service, answers))
                longest = max(longest, *((len(r), r) for r in talk.replies))
    print(f"longest checklist reply: {longest[0]} characters")
    assert longest[0] <= MAX_REPLY, longest[1]


def test_an_unclear_name_offers_the_services_it_could_mean_by_number() -> None:
    talk = Talk(without_matcher())
    talk.says("办事清单")
    offered = talk.says("居住")
    for key in ("residence_permit", "residence_registration", "residence_certificate"):
        assert CATALOGUE.by_key[key].name in offered
    assert SAID.which in offered
    registration = CATALOGUE.by_key["residence_registration"]
    number = offered.splitlines()[1:].index(menu_item(2, registration.name)) + 1
    question = registration.conditions[0].question
    asked = SAID.asking.format(name=registration.name, question=question)
    assert talk.says(str(number)) == asked + "\n" + "\n".join(
        menu_item(n, o.title) for n, o in enumerate(registration.conditions[0].options, 1)
    )


@pytest.mark.parametrize("said", ["长寿金", "我想问问长寿金", "5"])
def test_a_service_is_picked_by_name_by_words_or_by_number(said: str) -> None:
    talk = Talk(without_matcher())
    talk.says("办事清单")
    longevity = CATALOGUE.by_key["longevity"]
    # 长寿保健金 asks nothing: its checklist starts at once.
    assert talk.says(said).startswith(SAID.heading.format(name=longevity.name))
    assert talk.state.data["service"] == "longevity"


def test_a_service_handed_over_skips_the_question_of_which() -> None:
    talk = Talk(ENGINE)
    talk.says("1")  # 办事指南
    senior = CATALOGUE.by_key["senior_card"]
    number = len(WORDS.office.topics) + [s.key for s in CATALOGUE.services].index(senior.key) + 1
    assert senior.conditions[0].question in talk.says(str(number))
    assert talk.state.flow == "checklist"


@pytest.mark.parametrize(
    ("said", "hukou"),
    [("是", "guangzhou"), ("对的", "guangzhou"), ("不是", "elsewhere"), ("不在广州", "elsewhere"),
     ("外省的", "elsewhere"), ("广州户籍", "guangzhou")],
)  # fmt: skip
def test_a_yes_no_condition_takes_everyday_words_and_a_negation_is_never_a_yes(
    said: str, hukou: str
) -> None:
    talk = Talk(ENGINE)
    talk.says("优待卡怎么办")
    talk.says("第一次办")
    talk.says(said)  # 户籍在广州吗？
    assert talk.state.data["senior_card:hukou"] == hukou
