"""WeChat users: who follows the account and when each last wrote."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from store.residents.models import WeChatUser
from store.upsert import binds, connection, dialect_of, insert_for, prebuilt

SUBSCRIBE_EVENTS = {"subscribe", "subscribe_scan"}


@prebuilt
def _seen(dialect: str, own_message: bool, change: str) -> tuple[Any, frozenset[str]]:
    updates = ["last_seen"]
    if own_message:
        updates.append("last_message_at")
    if change == "subscribe":
        updates += ["subscribed", "subscribed_at", "unsubscribed_at"]
    elif change == "unsubscribe":
        updates += ["subscribed", "unsubscribed_at"]
    inserted = sorted({"openid", "first_seen", "subscribed", *updates})
    statement = insert_for(dialect, WeChatUser).values(binds(WeChatUser, inserted))
    upsert = statement.on_conflict_do_update(
        index_elements=["openid"], set_={name: statement.excluded[name] for name in updates}
    )
    return upsert, frozenset(inserted)


def seen(
    session: Session, openid: str, now: datetime, *, event: str = "", own_message: bool
) -> None:
    """Record that a push came from `openid`, locking its row for the rest of the transaction.

    The upsert takes the user's row lock, so two pushes from one resident are handled one after
    the other and the conversation row needs no lock of its own.
    """
    change = (
        "subscribe"
        if event in SUBSCRIBE_EVENTS
        else "unsubscribe"
        if event == "unsubscribe"
        else ""
    )
    params: dict[str, Any] = {
        "openid": openid, "first_seen": now, "last_seen": now, "last_message_at": now,
        "subscribed": change != "unsubscribe", "subscribed_at": now,
        "unsubscribed_at": now if change == "unsubscribe" else None,
    }  # fmt: skip
    statement, names = _seen(dialect_of(session), own_message, change)
    connection(session).execute(statement, {k: v for k, v in params.items() if k in names})


def get(session: Session, openid: str) -> WeChatUser | None:
    """One user by openid."""
    return session.exec(select(WeChatUser).where(WeChatUser.openid == openid)).first()


def of(session: Session, openids: Collection[str]) -> Sequence[WeChatUser]:
    """The known users among some openids, in one query."""
    if not openids:
        return []
    return session.exec(select(WeChatUser).where(WeChatUser.openid.in_(openids))).all()
