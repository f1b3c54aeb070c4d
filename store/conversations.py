"""Conversation state rows: one per resident, so a restart continues where the chat was."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from store.models import Conversation


def load(session: Session, openid: str) -> Conversation | None:
    """The resident's conversation row, if they have one."""
    return session.get(Conversation, openid)


def save(
    session: Session,
    openid: str,
    *,
    flow: str | None,
    step: str | None,
    data: dict[str, Any],
    history: list[str],
    failures: int,
    lingering: bool,
    updated_at: datetime,
    existing: Conversation | None = None,
) -> None:
    """Write the resident's new conversation state."""
    row = existing or Conversation(openid=openid, updated_at=updated_at)
    row.flow, row.step, row.data, row.history = flow, step, data, history
    row.failures, row.lingering, row.updated_at = failures, lingering, updated_at
    session.add(row)
    session.flush()
