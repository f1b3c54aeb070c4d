"""The vocabulary flows are declared in: steps, typed inputs, options and the flow itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flows import inputs
from flows.effects import Effect
from flows.inbound import Inbound

Data = Mapping[str, Any]
# A prompt is fixed text, or built from the answers so far (a summary before confirming).
Prompt = str | Callable[[Data], str]
# Turns a well-typed answer into the value kept, using the store's read-only port.
Lookup = Callable[[Any, Data, "Port"], inputs.ParseResult]


class Port(Protocol):
    """The narrow read-only view of the store that flows may use."""

    def human_request_open(self, openid: str) -> bool:
        """True when the resident already waits for a person."""
        ...

    def invitation(self, openid: str) -> tuple[str, dict[str, Any]] | None:
        """A question Linli asked this resident unprompted (flow name, data), e.g. 回访."""
        ...

    def match_place(self, text: str) -> dict[str, Any] | None:
        """The committee's place a typed text names (id, name, lat, lng), or None."""
        ...

    def nearest_place(self, lat: float, lng: float) -> dict[str, Any] | None:
        """The known place close enough to a shared location, or None."""
        ...

    def open_duplicate(
        self, category: str, place_id: int | None, lat: float | None, lng: float | None
    ) -> dict[str, Any] | None:
        """An open report of the category at that place or nearby (reference, description,
        status), or None."""
        ...

    def reports_of(self, openid: str) -> list[dict[str, Any]]:
        """The resident's own and followed reports (reference, category, status, followed,
        note), newest first."""
        ...

    def people_of(self, openid: str) -> list[dict[str, Any]]:
        """The residents the openid may see and act for (binding_id, resident_id, kind,
        relation, name_masked): its own first, then approved proxies."""
        ...

    def details_of(self, openid: str) -> list[dict[str, Any]]:
        """The details of each of those residents, masked (name, gender, birth_year, id_card,
        mobile, address, residence_status, confirmed_on, kind, relation)."""
        ...

    def bindings_of(self, openid: str) -> list[dict[str, Any]]:
        """The openid's pending and active bindings (binding_id, kind, relation, status,
        name_masked: "" while pending, requested_on), oldest first."""
        ...

    def reviews_of(self, openid: str) -> list[dict[str, Any]]:
        """The open review records of the residents the openid acts for (record_id, programme,
        name_masked, kind, state, opens_on, closes_on: ISO days or None, committee_id, visit:
        {starts_at: local ISO, label} or None), soonest deadline first."""
        ...

    def visit_days(self, committee_id: int) -> list[dict[str, Any]]:
        """The next days a visit can be booked at the committee (day: ISO, label, left, and
        today: the local date, from which the flow counts 明天 and 下周一)."""
        ...

    def visit_times(self, committee_id: int, day: str) -> list[dict[str, Any]]:
        """The free times of one day (starts_at: local ISO, label, left), earliest first."""
        ...

    def reminders_stopped(self, openid: str) -> list[str]:
        """The programmes whose reminders the openid stopped ("*": all of them)."""
        ...


@dataclass(frozen=True)
class InputKind:
    """A typed input: which messages it takes and how it parses them."""

    name: str
    parse: Callable[[Inbound, datetime], inputs.ParseResult]
    hint: str


def _words(parse: Callable[[str], inputs.ParseResult], hint: str) -> Callable[..., Any]:
    def from_inbound(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
        return parse(inbound.text) if inbound.has_words else inputs.Invalid(hint)

    return from_inbound


def _date(inbound: Inbound, now: datetime) -> inputs.ParseResult:
    if not inbound.has_words:
        return inputs.Invalid("hint.date")
    return inputs.parse_date(inbound.text, now.date())


def _location(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
    if inbound.kind != "location":
        return inputs.Invalid("hint.location")
    return inputs.parse_location(inbound.lat, inbound.lng, inbound.label)


def _image(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
    if inbound.kind != "image":
        return inputs.Invalid("hint.image")
    return inputs.parse_image(inbound.media_id, inbound.pic_url)


def _voice(inbound: Inbound, _now: datetime) -> inputs.ParseResult:
    if inbound.kind != "voice" or not inbound.text.strip():
        return inputs.Invalid("hint.voice")
    return inputs.parse_text(inbound.text)


def _yes_no(_inbound: Inbound, _now: datetime) -> inputs.ParseResult:
    raise TypeError("the engine reads yes/no answers, with the committee's words (bot.yaml)")


TEXT = InputKind("text", _words(inputs.parse_text, "hint.text_empty"), "hint.text_empty")
YES_NO = InputKind("yes_no", _yes_no, "hint.yes_no")
DATE = InputKind("date", _date, "hint.date")
MOBILE = InputKind("mobile", _words(inputs.parse_mobile, "hint.mobile"), "hint.mobile")
ID_CARD = InputKind(
    "id_card", _words(inputs.parse_id_card, "hint.id_card_length"), "hint.id_card_length"
)
LOCATION = InputKind("location", _location, "hint.location")
IMAGE = InputKind("image", _image, "hint.image")
VOICE = InputKind("voice", _voice, "hint.voice")


# What an option of a confirm means: the committee's yes and no words (bot.yaml `answers`) pick
# it too, so no flow lists its own ("好的" submits, "还在滴" says yes, "算了" does not).
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Option:
    """One numbered choice: its key, what is shown, words that also pick it, and whether it
    is the yes or the no of a confirm (`means`)."""

    key: str
    title: str
    words: tuple[str, ...] = ()
    means: str = ""


@dataclass(frozen=True)
class Ask:
    """Ask one question and keep the typed answer under `name`.

    `validate(value, data, now)` may refuse a well-typed answer with a hint; `next` picks the
    following step by name from what is known so far (None: the next one in order, or done).
    """

    name: str
    prompt: Prompt
    accepts: InputKind = TEXT
    validate: Callable[[Any, Data, datetime], str | None] | None = None
    next: Callable[[Data], str | None] | None = None
    lookup: Lookup | None = None
    # The answer proves who someone is (the end of an ID number): the stored message keeps
    # only asterisks of it.
    secret: bool = False


@dataclass(frozen=True)
class Choose:
    """Offer numbered options; the answer is the chosen option's key."""

    name: str
    prompt: Prompt
    options: tuple[Option, ...]
    next: Callable[[Data], str | None] | None = None


@dataclass(frozen=True)
class Collect:
    """Gather up to `up_to` items (photos) into a list; a finishing word moves on early.

    `received` is said after each item but the last, with {count} and {left} filled in.
    """

    name: str
    prompt: Prompt
    accepts: InputKind
    up_to: int
    finish: tuple[str, ...]
    received: str
    next: Callable[[Data], str | None] | None = None


Step = Ask | Choose | Collect


@dataclass(frozen=True)
class Done:
    """What a finished flow says and wants written, and the flow (if any) that goes on at once.

    `then` names a flow started straight after the replies (2 to a campaign's message leads
    into 更新信息); `given` hands it answers already known, and its steps they answer are
    counted as answered (not asked, but 返回 leads to them)."""

    replies: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    then: str | None = None
    given: Mapping[str, Any] = field(default_factory=dict)


class Finish(Protocol):
    """A flow's `done`: turns the collected answers into replies and effects."""

    def __call__(self, data: Data, *, openid: str, now: datetime, port: Port) -> Done: ...


@dataclass(frozen=True)
class Opened:
    """How a flow starts: answers known before the first question (the people an openid acts
    for), the step to ask first (None: the first one), and the steps counted as answered
    already, so that 返回 leads to them."""

    data: Mapping[str, Any] = field(default_factory=dict)
    step: str | None = None
    history: tuple[str, ...] = ()


class Opening(Protocol):
    """A flow's `opening`: reads the store once as the flow starts; Done ends it at once."""

    def __call__(self, said: str, *, openid: str, port: Port) -> Opened | Done: ...


@dataclass(frozen=True)
class Flow:
    """A conversation declared as data, read top to bottom like the chat it holds."""

    name: str
    title: str
    steps: tuple[Step, ...]
    done: Finish
    keywords: tuple[str, ...] = ()
    # Words that start this flow and also answer its first step (e.g. 办公时间).
    shortcuts: tuple[str, ...] = field(default=())
    # After `done`, another answer to the first step runs the flow again (e.g. another topic).
    linger: bool = False
    # Unlisted flows are not in the menu: Linli starts them itself (回访 questions), or a
    # keyword does (登记 after a failed binding).
    listed: bool = True
    # Runs as the flow starts, with what the resident said (normalised; "" for a menu click).
    opening: Opening | None = None

    def step(self, name: str) -> Step:
        """The step called `name`."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"flow {self.name} has no step {name}")

    def after(self, step: Step, data: Data) -> str | None:
        """The name of the step that follows `step`, or None when the flow is done."""
        if step.next is not None:
            return step.next(data)
        names = [s.name for s in self.steps]
        index = names.index(step.name)
        return names[index + 1] if index + 1 < len(names) else None


def option_words(options: Sequence[Option]) -> list[tuple[str, Sequence[str]]]:
    """Options in the shape inputs.parse_choice takes."""
    return [(o.key, (o.title, *o.words)) for o in options]
