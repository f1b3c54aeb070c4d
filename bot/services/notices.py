"""What a resident hears in WeChat when staff move their application along (accepted, ready to
collect with what to bring, rejected with the reason): one status message through the outbox,
worded in applications.yaml `pushes`, once per status."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.services.catalogue import service_name, what_to_bring
from config.content import Content
from store.outbox import messages as outbox
from store.services.models import ACCEPTED, READY, REJECTED, ServiceApplication

KIND = "status_update"  # routed like a report's status (notifications.yaml), template included
TOLD = (ACCEPTED, READY, REJECTED)


def key_of(application: ServiceApplication, status: str) -> str:
    """The outbox idempotency key of an application's push for a status."""
    return f"application:{application.reference}:{status}"


def _sentence(text: str) -> str:
    # The wording ends a note or reason with its own full stop.
    return text.strip().rstrip("。.！!；;，, ")


def status_changed(
    session: Session, content: Content, application: ServiceApplication, *, note: str,
    now: datetime,
) -> bool:  # fmt: skip
    """Queue the resident's push for the application's new status; False when this status is
    not told or was told already."""
    status = application.status
    if status not in TOLD:
        return False
    words = content.applications.pushes
    service = service_name(content, application.service)
    values = {"reference": application.reference, "service": service}
    if status == REJECTED:
        text = words.rejected.format(**values, reason=_sentence(note))
    elif status == READY:
        bring = what_to_bring(content, application.service)
        text = words.ready.format(**values, bring=bring, note=note.strip())
    else:
        text = words.accepted.format(**values, note=note.strip())
    data = {"reference": application.reference, "category": service,
            "status": content.applications.status(status), "note": note.strip()}  # fmt: skip
    added = outbox.enqueue(
        session, key=key_of(application, status), audience=outbox.RESIDENT,
        recipient=application.openid, kind=KIND,
        payload={"text": text.strip(), "application": application.reference, "data": data},
        now=now, committee_id=application.committee_id,
        sub_district_id=application.sub_district_id,
    )  # fmt: skip
    return added is not None
