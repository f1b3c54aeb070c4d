"""WeChat users: who follows the account and when each last wrote."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from store.models import WeChatUser
from store.upsert import insert_for

SUBSCRIBE_EVENTS = {"subscribe", "subscribe_scan"}


def seen(
    session: Session, openid: str, now: datetime, *, event: str = "", own_message: bool
) -> None:
    """Record that a push came from `openid`, locking its row for the rest of the transaction.

    The upsert takes the user's row lock, so two pushes from one resident are handled one after
    the other and the conversation row needs no lock of its own.
    """
    values: dict[str, object] = {"last_seen": now}
    if own_message:
        values["last_message_at"] = now
    if event in SUBSCRIBE_EVENTS:
        values.update(subscribed=True, subscribed_at=now, unsubscribed_at=None)
    elif event == "unsubscribe":
        values.update(subscribed=False, unsubscribed_at=now)
    first = {"openid": openid, "first_seen": now, "subscribed": event != "unsubscribe"}
    statement = insert_for(session, WeChatUser).values({**first, **values})
    session.execute(statement.on_conflict_do_update(index_elements=["openid"], set_=values))


def get(session: Session, openid: str) -> WeChatUser | None:
    """One user by openid."""
    return session.exec(select(WeChatUser).where(WeChatUser.openid == openid)).first()
