"""Apply a flow's effects through store services, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from flows.effects import Effect, RequestHuman
from store import human


def _request_human(session: Session, effect: RequestHuman, now: datetime) -> None:
    human.add(
        session, openid=effect.openid, text=effect.text, flow=effect.flow, step=effect.step, now=now
    )


APPLIERS: dict[type[Effect], Callable[[Session, Any, datetime], None]] = {
    RequestHuman: _request_human,
}


def apply(session: Session, effect: Effect, now: datetime) -> None:
    """Write one effect; an effect without an applier is a programming error."""
    APPLIERS[type(effect)](session, effect, now)


class StorePort:
    """The read-only port flows see, backed by the current session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def human_request_open(self, openid: str) -> bool:
        """True when the resident already waits for a person."""
        return human.is_open(self.session, openid)
