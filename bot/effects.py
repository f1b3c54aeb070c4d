"""Apply a flow's effects through store services, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from config.content import Content
from flows.effects import Effect, RequestHuman
from store import human, outbox


@dataclass(frozen=True)
class Context:
    """What appliers may need besides the session."""

    now: datetime
    content: Content


def _request_human(session: Session, effect: RequestHuman, context: Context) -> None:
    request = human.add(
        session,
        openid=effect.openid,
        text=effect.text,
        flow=effect.flow,
        step=effect.step,
        now=context.now,
    )
    # Staff hear about it through the outbox, in this same transaction: both or neither.
    wording = context.content.notifications.staff_texts.human_request
    outbox.enqueue(
        session,
        key=f"human-request:{request.id}",
        audience=outbox.STAFF,
        recipient="staff",
        kind="staff_notice",
        payload={"text": wording.format(resident=_masked(effect.openid), text=effect.text)},
        now=context.now,
    )


APPLIERS: dict[type[Effect], Callable[[Session, Any, Context], None]] = {
    RequestHuman: _request_human,
}


def apply(session: Session, effect: Effect, context: Context) -> None:
    """Write one effect; an effect without an applier is a programming error."""
    APPLIERS[type(effect)](session, effect, context)


def _masked(openid: str) -> str:
    return f"…{openid[-4:]}" if len(openid) > 4 else "…"


class StorePort:
    """The read-only port flows see, backed by the current session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def human_request_open(self, openid: str) -> bool:
        """True when the resident already waits for a person."""
        return human.is_open(self.session, openid)
