"""Residents' answers to subscription-notification popups."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, select

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


def accepted(session: Session, openids: Collection[str]) -> dict[str, frozenset[str]]:
    """The templates each resident accepted, in one query (residents accepting none are absent)."""
    if not openids:
        return {}
    query = select(NotificationConsent).where(
        NotificationConsent.openid.in_(openids), NotificationConsent.accepted.is_(True)
    )
    found: dict[str, set[str]] = {}
    for consent in session.exec(query):
        found.setdefault(consent.openid, set()).add(consent.template_id)
    return {openid: frozenset(templates) for openid, templates in found.items()}
