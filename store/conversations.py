"""Conversation state rows: one per resident, so a restart continues where the chat was."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, select
from sqlmodel import Session

from store.models import Conversation
from store.upsert import binds, connection, dialect_of, insert_for, prebuilt

_STATE = ("flow", "step", "data", "history", "failures", "lingering", "updated_at")
_LOAD = select(*(getattr(Conversation, name) for name in _STATE)).where(
    Conversation.openid == bindparam("openid")
)


@prebuilt
def _save(dialect: str) -> Any:
    statement = insert_for(dialect, Conversation).values(binds(Conversation, ("openid", *_STATE)))
    return statement.on_conflict_do_update(
        index_elements=["openid"], set_={name: statement.excluded[name] for name in _STATE}
    )


def load(session: Session, openid: str) -> RowMapping | None:
    """The resident's conversation state (flow, step, data, …), if they have one."""
    return connection(session).execute(_LOAD, {"openid": openid}).mappings().first()


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
) -> None:
    """Write the resident's new conversation state."""
    params = {
        "openid": openid, "flow": flow, "step": step, "data": data, "history": history,
        "failures": failures, "lingering": lingering, "updated_at": updated_at,
    }  # fmt: skip
    connection(session).execute(_save(dialect_of(session)), params)
