"""Residents' answers to subscription-notification popups."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from store.residents.models import NotificationConsent
from store.upsert import insert_for


def record(
    session: Session, *, openid: str, template_id: str, accepted: bool, now: datetime
) -> None:
    """Remember the latest answer for one template."""
    statement = insert_for(session, NotificationConsent).values(
        openid=openid, template_id=template_id, accepted=accepted, updated_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["openid", "template_id"],
            set_={"accepted": accepted, "updated_at": now},
        )
    )
