"""A resident talking to the real engine (build_engine over the shipped content), pure: a fake
port, no database. What Linli reached is read from what the resident would see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flows.effects import Effect, GiveChecklist, RequestHuman
from flows.engine import Engine, Outcome, State
from flows.inbound import Inbound
from flows.registry import build_engine
from flows.understanding.acts import CHECKLIST_FLOW, FRONT_DOOR
from tests.chat import WORDS

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def engine() -> Engine:
    """The engine the webhook builds from the shipped content."""
    return build_engine(WORDS, timeout_minutes=30)


ENGINE = engine()


@dataclass
class FakePort:
    """A resident with no reports, no bindings, no open request and no places."""

    waiting: set[str] = field(default_factory=set)

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: [] if name.endswith("_of") else None

    def human_request_open(self, openid: str) -> bool:
        return openid in self.waiting


@dataclass
class Resident:
    """One resident's conversation with the engine."""

    state: State = field(default_factory=State)
    port: FakePort = field(default_factory=FakePort)
    effects: list[Effect] = field(default_factory=list)
    last: Outcome | None = None

    def send(self, kind: str = "text", **fields: Any) -> str:
        inbound = Inbound(openid="o_front", kind=kind, at=NOW, **fields)
        self.last = ENGINE.advance(self.state, inbound, NOW, self.port)
        self.state = self.last.state
        self.effects.extend(self.last.effects)
        return "\n".join(self.last.replies)

    def says(self, text: str) -> str:
        return self.send(text=text)


def _signatures() -> dict[str, str]:
    """What the resident reads when an intent is answered at once (not by starting a flow)."""
    guide = WORDS.office
    found = {
        f"guide:{t.key}": guide.answer_format.format(title=t.title, answer="").strip()
        for t in guide.topics
    }
    found |= {f"faq:{q.key}": q.answer.strip() for q in WORDS.faq.questions}
    found |= {f"smalltalk:{s.key}": s.answer.strip() for s in WORDS.understanding.small_talk}
    found["flow:my_reports"] = WORDS.reports.mine.none
    found["flow:my_info"] = WORDS.binding.my_info.not_bound
    found["flow:update_info"] = WORDS.binding.update.not_bound
    return found


SIGNATURES = _signatures()


def reached(resident: Resident) -> tuple[str | None, tuple[str, ...]]:
    """The intent a first message reached, and the candidates offered instead (labels)."""
    state, outcome = resident.state, resident.last
    assert outcome is not None
    if state.flow == FRONT_DOOR:
        offered = state.data.get("candidates", [])
        return None, tuple(f"{c['kind']}:{c['key']}" if c["key"] else c["kind"] for c in offered)
    if state.flow == "report" and state.data.get("category", {}).get("key"):
        return f"report:{state.data['category']['key']}", ()
    if state.flow == CHECKLIST_FLOW:
        return f"service:{state.data.get('service')}", ()
    for effect in outcome.effects:
        if isinstance(effect, RequestHuman):
            return "human", ()
        if isinstance(effect, GiveChecklist):
            return f"service:{effect.service}", ()
    if state.flow and not state.lingering:
        return f"flow:{state.flow}", ()
    said = "\n".join(outcome.replies)
    for label, signature in SIGNATURES.items():
        if signature and signature in said:
            return label, ()
    return None, ()


def dead_end(resident: Resident) -> bool:
    """True when the reply neither acts, nor offers numbered choices, nor offers the menu (whose
    footer names 人工)."""
    outcome = resident.last
    assert outcome is not None
    said = "\n".join(outcome.replies)
    best, offered = reached(resident)
    return not said or not (best or offered or WORDS.bot.menu_footer in said)
