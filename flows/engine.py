"""The flow engine: pure. advance(state, inbound, now) → new state, replies, effects."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from config.content import BotText
from flows import inputs
from flows.effects import Effect, NotUnderstood, RequestHuman
from flows.inbound import Inbound
from flows.steps import (
    NO,
    YES,
    YES_NO,
    Ask,
    Choose,
    Collect,
    Done,
    Flow,
    InputKind,
    Port,
    Step,
    option_words,
)
from flows.understanding.acts import FRONT_DOOR, REPORT_FLOW, candidates_of, handing
from flows.understanding.entries import flow_entries
from flows.understanding.intents import FLOW, HUMAN, Intent
from flows.understanding.matcher import Matcher, build_matcher

MAX_FAILURES = 3
# A message sent before the question it answers (a location first): the first step that takes
# it is answered with it, so the report does not ask for the place again.
KEPT = "kept_message"


@dataclass
class State:
    """Where one resident is: the active flow and step, answers so far, and the way back."""

    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    failures: int = 0
    updated_at: datetime | None = None
    # A finished `linger` flow still listens for another answer to its first question.
    lingering: bool = False


@dataclass(frozen=True)
class Outcome:
    """What one inbound message led to."""

    state: State
    replies: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    # The message answered a secret question: what it said must not be kept.
    secret: bool = False


def menu_of(flows: Sequence[Flow], texts: BotText) -> str:
    """The numbered main menu of the listed flows."""
    lines = [texts.menu_header]
    listed = [flow for flow in flows if flow.listed]
    lines += [texts.menu_item.format(number=n, title=f.title) for n, f in enumerate(listed, 1)]
    lines.append(texts.menu_footer)
    return "\n".join(lines)


class Engine:
    """Runs the registered flows and owns the global commands, the menu and idle time-outs."""

    def __init__(
        self,
        flows: Sequence[Flow],
        texts: BotText,
        *,
        timeout: timedelta,
        matcher: Callable[[], Matcher] | None = None,
    ) -> None:
        self.by_name = {flow.name: flow for flow in flows}
        # The menu numbers only the listed flows; unlisted ones Linli starts itself.
        self.flows = tuple(flow for flow in flows if flow.listed)
        # Words start listed flows, and unlisted ones that have words (登记 after a failed bind).
        self.worded = self.flows + tuple(
            flow for flow in flows if not flow.listed and (flow.keywords or flow.shortcuts)
        )
        self.texts = texts
        self.timeout = timeout
        if matcher is None:  # the flows' own words only (engines built directly, in tests)
            words_only = build_matcher(flow_entries(self.worded))
            matcher = lambda: words_only  # noqa: E731
        # The current matcher: swapped when staff add a synonym (the overlay), never rebuilt here.
        self.matcher = matcher
        commands = texts.commands
        self.commands = {
            inputs.normalise(word).lower(): name
            for name in ("menu", "cancel", "back", "human")
            for word in getattr(commands, name)
        }
        answers = texts.answers
        self.answers = inputs.Answers.of(
            answers.yes_words, answers.no_words, answers.yes_starts, answers.no_starts,
            answers.tails, answers.unsure,
        )  # fmt: skip

    # -- entry point ---------------------------------------------------------------------------

    def advance(self, state: State, inbound: Inbound, now: datetime, port: Port) -> Outcome:
        """Advance one resident's conversation by one inbound message."""
        if inbound.kind == "event":
            return self._event(state, inbound, now, port)
        notes: list[str] = []
        if state.flow and state.updated_at and now - state.updated_at > self.timeout:
            if not state.lingering:
                minutes = int(self.timeout.total_seconds() // 60)
                notes.append(self.texts.timed_out.format(minutes=minutes))
            state = State()
        if inbound.kind == "voice" and not inbound.text.strip():
            return self._reply(state, now, *notes, self.texts.voice_not_recognised)
        command = self.commands.get(inputs.normalise(inbound.text).lower())
        if command and inbound.has_words:
            return getattr(self, f"_{command}")(state, inbound, now, port, notes)
        flow = self.by_name.get(state.flow or "")
        if flow is None:
            return self._idle(inbound, now, port, notes)
        outcome = self._answer(flow, state, inbound, now, port, notes)
        asked = flow.step(state.step or flow.steps[0].name)
        if isinstance(asked, Ask) and asked.secret:
            return dataclasses.replace(outcome, secret=True)
        return outcome

    # -- global commands -----------------------------------------------------------------------

    def _menu(self, _s: State, _i: Inbound, now: datetime, _p: Port, notes: list[str]) -> Outcome:
        return self._reply(State(), now, *notes, self.menu())

    def _cancel(
        self, state: State, _i: Inbound, now: datetime, _p: Port, notes: list[str]
    ) -> Outcome:
        active = state.flow and not state.lingering
        said = self.texts.cancelled if active else self.texts.nothing_to_cancel
        return self._reply(State(), now, *notes, said, self.menu())

    def _back(
        self, state: State, _i: Inbound, now: datetime, _p: Port, notes: list[str]
    ) -> Outcome:
        flow = self.by_name.get(state.flow or "")
        if flow is None or state.lingering:
            return self._reply(State(), now, *notes, self.menu())
        if not state.history:
            return self._reply(State(), now, *notes, self.texts.back_at_start, self.menu())
        history = list(state.history)
        previous = history.pop()
        # Forget the answer being redone and whatever the current step had gathered (photos).
        data = {k: v for k, v in state.data.items() if k not in (previous, state.step)}
        back = State(flow.name, previous, data, history, 0, now)
        return self._reply(back, now, *notes, self.prompt(flow.step(previous), data))

    def _human(
        self, state: State, inbound: Inbound, now: datetime, port: Port, notes: list[str]
    ) -> Outcome:
        if port.human_request_open(inbound.openid):
            return self._reply(state, now, *notes, self.texts.human_already_waiting)
        effect = RequestHuman(inbound.openid, inbound.text, state.flow, state.step)
        kept = dataclasses.replace(state, updated_at=now)
        return Outcome(kept, (*notes, self.texts.human_requested), (effect,))

    # -- outside any flow ----------------------------------------------------------------------

    def _event(self, state: State, inbound: Inbound, now: datetime, port: Port) -> Outcome:
        if inbound.event in ("subscribe", "subscribe_scan"):
            committee = self.texts.committee_name or self.texts.committee_fallback
            greeting = self.texts.greeting.format(
                committee=committee, assistant=self.texts.assistant_name
            )
            return self._reply(State(), now, greeting, self.menu())
        if inbound.event == "unsubscribe":
            return Outcome(State(updated_at=now))
        if inbound.event == "click":
            flow = self.by_name.get(inbound.event_key)
            if flow is not None:
                return self._start(flow, inbound, now, port, [], answer=False)
            if inbound.event_key == "menu":
                return self._reply(State(), now, self.menu())
        return Outcome(state)

    def _idle(self, inbound: Inbound, now: datetime, port: Port, notes: list[str]) -> Outcome:
        if inbound.kind not in ("text", "voice", "image", "location"):
            return self._reply(State(), now, *notes, self.texts.unsupported_message)
        invited = self._invited(inbound, now, port, notes)
        if invited is not None:
            return invited
        if not inbound.has_words:
            return self._sent_first(inbound, now, port, notes)
        text = inputs.normalise(inbound.text)
        if text.isdigit() and 1 <= int(text) <= len(self.flows):
            return self._start(self.flows[int(text) - 1], inbound, now, port, notes, answer=False)
        for flow in self.worded:
            if text in flow.keywords:
                return self._start(flow, inbound, now, port, notes, answer=False)
        understood = self.matcher().understand(text)
        if understood.best is not None and self._reaches(understood.best):
            return self._act(understood.best, inbound, now, port, notes)
        offered = [intent for intent in understood.candidates if self._reaches(intent)]
        if offered and FRONT_DOOR in self.by_name:
            given = {"candidates": candidates_of(tuple(offered)), "said": inbound.text.strip()}
            asked = self._start(self.by_name[FRONT_DOOR], inbound, now, port, notes,
                                answer=False, given=given)  # fmt: skip
            # Anything but a choice is read afresh, as a first message (not a failure).
            choosing = dataclasses.replace(asked.state, lingering=True)
            return dataclasses.replace(asked, state=choosing)
        menu = self.menu()
        effect = NotUnderstood(inbound.openid, inbound.text.strip())
        return Outcome(State(updated_at=now), (*notes, self.texts.not_understood, menu), (effect,))

    def _reaches(self, intent: Intent) -> bool:
        """True when a flow here can act on the intent (a service needs 办事清单)."""
        handed = handing(intent, "")
        name = handed[0] if handed is not None else FRONT_DOOR
        return intent.kind == HUMAN or name in self.by_name

    def _act(
        self, intent: Intent, inbound: Inbound, now: datetime, port: Port, notes: list[str]
    ) -> Outcome:
        """Act on what the resident clearly meant: a flow said in passing (its shortcut also
        answers its first step), a person, or the front door's answer or hand-over."""
        if intent.kind == FLOW:
            flow = self.by_name[intent.key]
            text = inputs.normalise(inbound.text)
            shortcut = any(word and word in text for word in flow.shortcuts)
            return self._start(flow, inbound, now, port, notes, answer=shortcut)
        if intent.kind == HUMAN:
            return self._human(State(), inbound, now, port, notes)
        choice = {"choice": candidates_of((intent,))[0], "said": inbound.text.strip()}
        return self._start(self.by_name[FRONT_DOOR], inbound, now, port, notes,
                           answer=False, given=choice)  # fmt: skip

    def _sent_first(self, inbound: Inbound, now: datetime, port: Port, notes: list[str]) -> Outcome:
        """A photo or a location before any word (随手拍): a report begins with it kept."""
        report = self.by_name.get(REPORT_FLOW)
        if report is None:
            return self._reply(State(), now, *notes, self.texts.not_understood, self.menu())
        if inbound.kind == "image":
            photo = inputs.parse_image(inbound.media_id, inbound.pic_url)
            if not isinstance(photo, inputs.Parsed):
                return self._reply(State(), now, *notes, self.texts.not_understood, self.menu())
            given: dict[str, Any] = {"photos": [inputs.to_json(photo.value)]}
            said = self.texts.photo_kept
        else:
            kept = {"kind": inbound.kind, "lat": inbound.lat, "lng": inbound.lng,
                    "label": inbound.label}  # fmt: skip
            given, said = {KEPT: kept}, self.texts.location_kept
        return self._start(report, inbound, now, port, [*notes, said], answer=False, given=given)

    def _invited(
        self, inbound: Inbound, now: datetime, port: Port, notes: list[str]
    ) -> Outcome | None:
        """An answer to a question Linli asked unprompted (回访) continues that question."""
        invitation = port.invitation(inbound.openid)
        if invitation is None or invitation[0] not in self.by_name:
            return None
        flow, data = self.by_name[invitation[0]], dict(invitation[1])
        first = flow.steps[0]
        if not isinstance(self._parse(first, inbound, now, data, port), inputs.Parsed):
            return None  # the resident is saying something else: the menu and keywords apply
        state = State(flow.name, first.name, data, [], 0, now)
        return self._answer(flow, state, inbound, now, port, notes)

    def _start(
        self,
        flow: Flow,
        inbound: Inbound,
        now: datetime,
        port: Port,
        notes: list[str],
        *,
        answer: bool = True,
        given: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Start a flow; with `answer`, the message that started it also answers step one.

        `given`: answers another flow handed over (Done.then); what the resident said answered
        that flow, so it neither answers nor picks anything here."""
        data: dict[str, Any] = {}
        history: list[str] = []
        first = flow.steps[0] if flow.steps else None
        if flow.opening is not None:
            said = inputs.normalise(inbound.text) if inbound.has_words and given is None else ""
            opened = flow.opening(said, openid=inbound.openid, port=port)
            if isinstance(opened, Done):  # nothing to ask (e.g. not bound): it ends at once
                return Outcome(State(updated_at=now), (*notes, *opened.replies), opened.effects)
            data, history = dict(opened.data), list(opened.history)
            first = flow.step(opened.step) if opened.step is not None else first
        handed = dict(given or {})
        data.update(handed)
        while first is not None and first.name in handed:  # answered by the handing flow
            history.append(first.name)
            following = flow.after(first, data)
            first = flow.step(following) if following is not None else None
        if first is None:  # a flow that only answers (我的报事), or hands over (front door)
            done = flow.done(data, openid=inbound.openid, now=now, port=port)
            went_on = self._went_on(done, inbound, now, port, notes)
            if went_on is not None:
                return went_on
            after = State(updated_at=now)
            if flow.linger and flow.steps:  # a given guide topic: a number then picks another
                after = State(flow.name, flow.steps[0].name, {}, [], 0, now, lingering=True)
            return Outcome(after, (*notes, *done.replies), done.effects)
        state = State(flow.name, first.name, data, history, 0, now)
        if answer and isinstance(self._parse(first, inbound, now, data, port), inputs.Parsed):
            return self._answer(flow, state, inbound, now, port, notes)
        return self._reply(state, now, *notes, self.prompt(first, data))

    # -- inside a flow -------------------------------------------------------------------------

    def _answer(
        self,
        flow: Flow,
        state: State,
        inbound: Inbound,
        now: datetime,
        port: Port,
        notes: list[str],
    ) -> Outcome:
        step = flow.step(state.step or flow.steps[0].name)
        if isinstance(step, Collect) and not state.lingering:
            collected = self._collect(flow, step, state, inbound, now, port, notes)
            if collected is not None:
                return collected
        result = self._parse(step, inbound, now, state.data, port)
        # The resident moved on: not a failure. A bare number still answers the list on screen
        # (the choices just offered), never a main-menu item the resident cannot see.
        number = inbound.has_words and inputs.normalise(inbound.text).isdigit()
        if isinstance(result, inputs.Invalid) and state.lingering and not number:
            return self._idle(inbound, now, port, notes)
        if isinstance(result, inputs.Invalid):
            failures = state.failures + 1
            retry = dataclasses.replace(state, failures=failures % MAX_FAILURES, updated_at=now)
            said = (
                self.texts.too_many_failures if failures >= MAX_FAILURES else self.hint(result.hint)
            )
            return self._reply(retry, now, *notes, said, self.prompt(step, state.data))
        data = {**state.data, step.name: inputs.to_json(result.value)}
        return self._move_on(flow, step, state, data, inbound, now, port, notes)

    def _move_on(
        self,
        flow: Flow,
        step: Step,
        state: State,
        data: dict[str, Any],
        inbound: Inbound,
        now: datetime,
        port: Port,
        notes: list[str],
    ) -> Outcome:
        following = flow.after(step, data)
        if following is not None:
            history = [*state.history, step.name]
            if following in history:  # a loop (e.g. 重新输入): the way back is as the first time
                history = history[: history.index(following)]
            moved = State(flow.name, following, data, history, 0, now)
            kept = self._kept(flow.step(following), moved, inbound.openid, now, port)
            if kept is not None:
                data = {k: v for k, v in data.items() if k != KEPT}
                moved = dataclasses.replace(moved, data=data)
                return self._answer(flow, moved, kept, now, port, notes)
            return self._reply(moved, now, *notes, self.prompt(flow.step(following), data))
        done = flow.done(data, openid=inbound.openid, now=now, port=port)
        went_on = self._went_on(done, inbound, now, port, notes)
        if went_on is not None:
            return went_on
        after = State(updated_at=now)
        if flow.linger:
            after = State(flow.name, flow.steps[0].name, {}, [], 0, now, lingering=True)
        return Outcome(after, (*notes, *done.replies), done.effects)

    def _went_on(
        self, done: Done, inbound: Inbound, now: datetime, port: Port, notes: list[str]
    ) -> Outcome | None:
        """The flow a finished one names (`then`) started straight away, or None."""
        handed = self.by_name.get(done.then or "")
        if handed is None:
            return None
        said = (*notes, *done.replies)
        went_on = self._start(handed, inbound, now, port, list(said), answer=False,
                              given=done.given)  # fmt: skip
        return dataclasses.replace(went_on, effects=(*done.effects, *went_on.effects))

    def _kept(
        self, step: Step, state: State, openid: str, now: datetime, port: Port
    ) -> Inbound | None:
        """The message kept for a later question (KEPT), when this step takes it."""
        kept = state.data.get(KEPT)
        if not isinstance(kept, dict):
            return None
        inbound = Inbound(openid=openid, at=now, **kept)
        parsed = self._parse(step, inbound, now, state.data, port)
        return inbound if isinstance(parsed, inputs.Parsed) else None

    def _collect(
        self,
        flow: Flow,
        step: Collect,
        state: State,
        inbound: Inbound,
        now: datetime,
        port: Port,
        notes: list[str],
    ) -> Outcome | None:
        """One item more, or a finishing word; None lets a refused item fail as usual."""
        items = list(state.data.get(step.name, []))
        finishing = inbound.has_words and inputs.normalise(inbound.text) in step.finish
        if not finishing:
            result = self._read(step.accepts, inbound, now)
            if not isinstance(result, inputs.Parsed):
                return None
            items.append(inputs.to_json(result.value))
            if len(items) < step.up_to:
                kept = dataclasses.replace(
                    state, data={**state.data, step.name: items}, failures=0, updated_at=now
                )
                said = step.received.format(count=len(items), left=step.up_to - len(items))
                return self._reply(kept, now, *notes, said)
        data = {**state.data, step.name: items}
        return self._move_on(flow, step, state, data, inbound, now, port, notes)

    def _parse(
        self, step: Step, inbound: Inbound, now: datetime, data: dict[str, Any], port: Port
    ) -> inputs.ParseResult:
        if isinstance(step, Choose):
            if not inbound.has_words:
                return inputs.Invalid("hint.choice")
            return self._choose(step, inbound.text)
        result = self._read(step.accepts, inbound, now)
        if isinstance(result, inputs.Parsed) and isinstance(step, Ask) and step.validate:
            hint = step.validate(result.value, data, now)
            if hint:
                return inputs.Invalid(hint)
        if isinstance(result, inputs.Parsed) and isinstance(step, Ask) and step.lookup:
            return step.lookup(result.value, data, port)
        return result

    def _choose(self, step: Choose, text: str) -> inputs.ParseResult:
        """An option by number or its words; a confirm's yes or no also in everyday words."""
        chosen = inputs.parse_choice(text, option_words(step.options))
        meant = {o.means: o.key for o in step.options if o.means}
        if isinstance(chosen, inputs.Parsed) or not meant:
            return chosen
        said = inputs.parse_yes_no(text, self.answers)
        if isinstance(said, inputs.Parsed):
            key = meant.get(YES if said.value else NO)
            if key is not None:
                return inputs.Parsed(key)
        return chosen

    def _read(self, kind: InputKind, inbound: Inbound, now: datetime) -> inputs.ParseResult:
        """An answer of a typed kind; yes or no in the committee's words (bot.yaml answers)."""
        if kind is YES_NO:
            if not inbound.has_words:
                return inputs.Invalid(kind.hint)
            return inputs.parse_yes_no(inbound.text, self.answers)
        return kind.parse(inbound, now)

    # -- wording -------------------------------------------------------------------------------

    def hint(self, key: str) -> str:
        """A parser's hint key (hint.date) in words; flows give their own hints as text."""
        return self.texts.hint(key) if key.startswith("hint.") else key

    def prompt(self, step: Step, data: dict[str, Any] | None = None) -> str:
        """The question a step asks (built from the answers so far), with numbered options."""
        text = step.prompt(data or {}) if callable(step.prompt) else step.prompt
        if isinstance(step, Choose):
            lines = [text]
            lines += [
                self.texts.menu_item.format(number=n, title=o.title)
                for n, o in enumerate(step.options, 1)
            ]
            return "\n".join(lines)
        return text

    def menu(self) -> str:
        """The numbered main menu, built from the registered flows only."""
        return menu_of(self.flows, self.texts)

    @staticmethod
    def _reply(state: State, now: datetime, *replies: str) -> Outcome:
        return Outcome(dataclasses.replace(state, updated_at=now), tuple(replies))
