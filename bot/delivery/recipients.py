"""What the delivery worker needs to know about residents, read in three queries whatever their
number."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.delivery.policy import WINDOW, Recipient
from store.outbox import messages as outbox
from store.residents import consents, users


def load(session: Session, openids: set[str], now: datetime) -> dict[str, Recipient]:
    """Follower state, messages used in the current window and consents, per openid."""
    if not openids:
        return {}
    accepted = consents.accepted(session, openids)
    used = outbox.customer_service_sent_since_last_message(session, openids, now - WINDOW)
    return {
        user.openid: Recipient(
            subscribed=user.subscribed,
            last_message_at=user.last_message_at,
            custom_sent_in_window=used.get(user.openid, 0),
            consents=accepted.get(user.openid, frozenset()),
        )
        for user in users.of(session, openids)
    }
