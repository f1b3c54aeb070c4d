"""Conversation state rows: one per resident, so a restart continues where the chat was."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from flows.masking import mask_openid
from store.residents.models import Conversation
from store.sealing import Sealer, SealError, is_sealed
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


log = logging.getLogger("linli.conversations")

# A flow's answers so far (an ID number, a phone, a description) rest sealed in `data`.
_SEALED = "sealed"


def load(session: Session, openid: str, sealer: Sealer) -> dict[str, Any] | None:
    """The resident's conversation state (flow, step, data, …), if they have one."""
    row = connection(session).execute(_LOAD, {"openid": openid}).mappings().first()
    if row is None:
        return None
    state = dict(row)
    sealed = state["data"].get(_SEALED) if isinstance(state["data"], dict) else None
    if not is_sealed(sealed):
        return state
    try:
        state["data"] = sealer.open_json(sealed)
    except SealError:
        # Sealed with a key this process was not given (a key changed without
        # LINLI_PREVIOUS_DATA_KEYS): the resident starts afresh rather than failing forever.
        log.warning("conversation of %s sealed with an unknown key; starting afresh",
                    mask_openid(openid))  # fmt: skip
        state.update(flow=None, step=None, data={}, history=[], failures=0, lingering=False)
    return state


def save(
    session: Session,
    openid: str,
    *,
    sealer: Sealer,
    flow: str | None,
    step: str | None,
    data: dict[str, Any],
    history: list[str],
    failures: int,
    lingering: bool,
    updated_at: datetime,
) -> None:
    """Write the resident's new conversation state."""
    stored = {_SEALED: sealer.seal_json(data)} if data else {}
    params = {
        "openid": openid, "flow": flow, "step": step, "data": stored, "history": history,
        "failures": failures, "lingering": lingering, "updated_at": updated_at,
    }  # fmt: skip
    connection(session).execute(_save(dialect_of(session)), params)
