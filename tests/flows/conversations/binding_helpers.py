"""What the binding conversations share: a chat at the registry's NOW, an exact reply, bindings
made (and approved) through the store services as staff would."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from store.binding import bindings
from store.db import unit_of_work
from store.staff import audit
from store.staff import scope as scopes
from tests.chat import SEALER, Chat, Clock, open_chat
from tests.resident_helpers import NOW, Registry

WOMAN_NAME, MAN_NAME = "张秀英", "王建国"


def chat_as(database: Engine, openid: str = "o_resident_0001", **overrides: object) -> Chat:
    """A resident's chat, its clock at the registry's NOW (11:00 in Guangzhou)."""
    clock = Clock()
    clock.now = NOW
    chat = open_chat(database, clock=clock, **overrides)
    chat.openid = openid
    return chat


class Exactly:
    """Linli's reply is exactly this text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self, chat: Chat) -> None:
        said = chat.last_reply
        assert said == self.text, f"expected exactly:\n{self.text}\ngot:\n{said}"


def approve_proxy(registry: Registry, openid: str) -> None:
    """The clerk approves the openid's pending proxy request (the console's service)."""
    with unit_of_work(registry.database) as session:
        clerk = registry.clerk
        pending = [b for b in bindings.bindings_of(session, openid) if b.status == "pending"]
        assert len(pending) == 1
        bindings.decide_proxy(
            session, binding_id=pending[0].id or 0, approve=True, reason="", now=NOW,
            actor=audit.Actor.of(clerk), scope=scopes.of(session, clerk),
        )  # fmt: skip


def bound(registry: Registry, openid: str, *, name: str, proof: str,
          proxy_for: tuple[str, str, str] | None = None) -> None:  # fmt: skip
    """The openid bound to itself (name, proof) and, given (name, proof, relation), an approved
    proxy for a family member: set up through the store, as the flows would."""
    day = {"now": NOW, "since": NOW - timedelta(days=1), "limit": 100}
    with unit_of_work(registry.database) as session:
        done = bindings.bind_self(session, SEALER, openid=openid, name=name, proof=proof, **day)
        assert done.status == bindings.BOUND
        if proxy_for is not None:
            family, family_proof, relation = proxy_for
            bindings.request_proxy(session, SEALER, openid=openid, name=family,
                                   proof=family_proof, relation=relation, **day)  # fmt: skip
    if proxy_for is not None:
        approve_proxy(registry, openid)
