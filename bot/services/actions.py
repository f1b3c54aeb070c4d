"""One status change of an application, as the console and the API both make it: the store's
change (row locked by the caller, audited, on the timeline) and the resident's push."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.services import notices
from config.content import Content
from store.services import applications
from store.services.models import ServiceApplication, ServiceApplicationEvent
from store.staff import audit


def move(
    session: Session,
    content: Content,
    application: ServiceApplication,
    to_status: str,
    *,
    note: str,
    actor: audit.Actor,
    now: datetime,
) -> ServiceApplicationEvent:
    """Move an application to a status and tell the resident; a refusal (store.errors.Refused)
    changes nothing."""
    event = applications.change(session, application, to_status, actor=actor, now=now, note=note)
    notices.status_changed(session, content, application, note=event.note, now=now)
    return event
