"""What the delivery worker needs to know about residents, read in one query round."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.delivery.policy import WINDOW, Recipient
from store.outbox import messages as outbox
from store.residents.models import NotificationConsent, WeChatUser


def load(session: Session, openids: set[str], now: datetime) -> dict[str, Recipient]:
    """Follower state, messages used in the current window and consents, per openid."""
    if not openids:
        return {}
    users = session.exec(select(WeChatUser).where(WeChatUser.openid.in_(openids))).all()
    consents: dict[str, set[str]] = {}
    rows = session.exec(
        select(NotificationConsent).where(
            NotificationConsent.openid.in_(openids), NotificationConsent.accepted.is_(True)
        )
    )
    for consent in rows:
        consents.setdefault(consent.openid, set()).add(consent.template_id)
    found: dict[str, Recipient] = {}
    for user in users:
        opened = user.last_message_at
        used = 0
        if opened is not None and now - opened < WINDOW:
            used = outbox.customer_service_sent_since(session, user.openid, opened)
        found[user.openid] = Recipient(
            subscribed=user.subscribed,
            last_message_at=opened,
            custom_sent_in_window=used,
            consents=frozenset(consents.get(user.openid, ())),
        )
    return found
