"""Conversation scripts: "resident sends X / Linli answers Y / this record now exists".

A script is a list of steps run through the real webhook with signed (and, in safe mode,
encrypted) XML, exactly as WeChat would push it:

    run(chat, [
        Sends("1"),
        Answers(WORDS.office.prompt, menu_item(3, "联系电话")),
        Sends("人工"),
        Answers(WORDS.bot.human_requested),
        Stored(HumanRequest, status="open"),
    ])

What Linli says is expected as WORDS (the shipped content) words it, never as a typed copy.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from bot.main import create_app
from bot.sandbox.pusher import Pusher
from config.content import Content, load_content
from config.settings import Settings
from flows.steps import Flow
from store.sealing import Sealer

TOKEN = "linli-test-token"
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
MODES = ("plain", "safe")
SHIPPED_CONTENT = Path(__file__).resolve().parents[1] / "config" / "content" / "zh-CN"
# What Linli says, as the shipped content words it. Scripts expect these sentences rather
# than typed copies of them, so a committee's edit of the YAML breaks no test.
WORDS: Content = load_content(SHIPPED_CONTENT)
# The greeting as test apps say it (their committee_name is blank, as shipped).
GREETING = WORDS.bot.greeting.format(
    committee=WORDS.bot.committee_name or WORDS.bot.committee_fallback,
    assistant=WORDS.bot.assistant_name,
)


def menu_item(number: int, title: str) -> str:
    """One line of a numbered menu, as the content words it."""
    return WORDS.bot.menu_item.format(number=number, title=title)


class Clock:
    """A clock tests can move forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


# The key test apps seal personal data with; SEALER opens what they stored.
DATA_KEY = "linli-test-data-key-Xq7pL2mV9sR4tW8z"
SEALER = Sealer(DATA_KEY)


def settings_for(database: Engine, mode: str = "plain", **overrides: Any) -> Settings:
    """Settings for a test app on a database, in plaintext or safe mode."""
    values: dict[str, Any] = {
        "env": "dev",
        "wechat_token": TOKEN,
        "wechat_app_id": APP_ID,
        "wechat_aes_key": AES_KEY if mode == "safe" else "",
        "data_key": DATA_KEY,
        "database_url": database.url.render_as_string(hide_password=False),
        "overlay_path": _overlay_beside(database),
    }
    values.update(overrides)
    return Settings(**values)


def _overlay_beside(database: Engine) -> Path:
    """A test app's overlay file: beside its SQLite file, never the developer's data/overlay.yaml
    (tests that add synonyms pass their own)."""
    name = database.url.database or "linli"
    if database.dialect.name == "sqlite":
        return Path(name).parent / "overlay.yaml"
    return Path(tempfile.gettempdir()) / f"linli-test-overlay-{name}.yaml"


@dataclass
class Chat:
    """One resident talking to Linli through the webhook."""

    client: TestClient
    pusher: Pusher
    database: Engine
    openid: str = "o_resident_0001"
    clock: Clock = field(default_factory=Clock)
    last_reply: str | None = None
    last_status: int = 0

    def push(self, fields: dict[str, Any]) -> str | None:
        """Push prepared fields and remember the reply text."""
        # Events are deduplicated by sender and second, as WeChat does; a resident's pushes
        # are at least a second apart.
        self.clock.advance(seconds=1)
        fields["CreateTime"] = int(self.clock.now.timestamp())
        pushed = self.pusher.build(fields)
        response = self.client.post("/wechat", params=pushed.params, content=pushed.body)
        self.last_status = response.status_code
        assert response.status_code == 200, response.text
        reply = self.pusher.read_reply(response.text)
        self.last_reply = reply["Content"] if reply else None
        return self.last_reply

    def says(self, text: str) -> str | None:
        """The resident types a text."""
        return self.push(self.pusher.text(self.openid, text))

    def count(self, model: type, **where: Any) -> int:
        """How many rows of a table match."""
        with Session(self.database) as session:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return session.exec(query).one()


def open_chat(
    database: Engine,
    mode: str = "plain",
    *,
    clock: Clock | None = None,
    flows: Sequence[Flow] | None = None,
    **overrides: Any,
) -> Chat:
    """A chat with a freshly built app (building a new one is what a restart does)."""
    settings = settings_for(database, mode, **overrides)
    app: FastAPI = create_app(settings, database=database, flows=flows)
    clock = clock or Clock()
    app.state.services.clock = clock
    pusher = Pusher(token=TOKEN, app_id=APP_ID, aes_key=settings.wechat_aes_key)
    return Chat(TestClient(app), pusher, database, clock=clock)


# -- script steps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sends:
    """The resident sends a text."""

    text: str

    def __call__(self, chat: Chat) -> None:
        chat.says(self.text)


@dataclass(frozen=True)
class SendsVoice:
    """The resident sends a voice message WeChat recognised as `text`."""

    text: str

    def __call__(self, chat: Chat) -> None:
        chat.push(chat.pusher.voice(chat.openid, self.text))


@dataclass(frozen=True)
class SendsImage:
    """The resident sends a photo."""

    def __call__(self, chat: Chat) -> None:
        chat.push(chat.pusher.image(chat.openid))


@dataclass(frozen=True)
class SendsLocation:
    """The resident shares a location."""

    lat: float
    lng: float
    label: str = ""

    def __call__(self, chat: Chat) -> None:
        chat.push(chat.pusher.location(chat.openid, self.lat, self.lng, self.label))


@dataclass(frozen=True)
class Event:
    """WeChat pushes an event for the resident (subscribe, unsubscribe, CLICK …)."""

    name: str
    key: str = ""

    def __call__(self, chat: Chat) -> None:
        chat.push(chat.pusher.event(chat.openid, self.name, self.key))


class _Fragments:
    """A step about pieces of text in Linli's last reply."""

    def __init__(self, *fragments: str) -> None:
        self.fragments = fragments


class Answers(_Fragments):
    """Linli's reply contains every fragment."""

    def __call__(self, chat: Chat) -> None:
        reply = chat.last_reply or ""
        for fragment in self.fragments:
            assert fragment in reply, f"expected {fragment!r} in the reply:\n{reply}"


class DoesNotAnswer(_Fragments):
    """Linli's reply contains none of the fragments (or there was no reply)."""

    def __call__(self, chat: Chat) -> None:
        reply = chat.last_reply or ""
        for fragment in self.fragments:
            assert fragment not in reply, f"did not expect {fragment!r} in the reply:\n{reply}"


@dataclass(frozen=True)
class Silent:
    """Linli answers `success` with no message."""

    def __call__(self, chat: Chat) -> None:
        assert chat.last_reply is None, f"expected no reply, got:\n{chat.last_reply}"


@dataclass(frozen=True)
class Stored:
    """Exactly `count` rows of `model` for this resident match (openid is implied)."""

    model: type
    count: int = 1
    where: dict[str, Any] = field(default_factory=dict)

    def __init__(self, model: type, count: int = 1, **where: Any) -> None:
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "where", where)

    def __call__(self, chat: Chat) -> None:
        where = dict(self.where)
        if hasattr(self.model, "openid"):
            where.setdefault("openid", chat.openid)
        found = chat.count(self.model, **where)
        assert found == self.count, (
            f"expected {self.count} {self.model.__name__} {where}, got {found}"
        )


@dataclass(frozen=True)
class Wait:
    """Time passes without the resident writing."""

    minutes: float

    def __call__(self, chat: Chat) -> None:
        chat.clock.advance(minutes=self.minutes)


Step = Callable[[Chat], None]


def run(chat: Chat, script: Sequence[Step]) -> None:
    """Play a conversation script step by step."""
    for step in script:
        step(chat)
