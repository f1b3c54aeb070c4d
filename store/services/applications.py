"""Applications made in chat (办事申请): numbering, sealing, the staff queue, the lifecycle
submitted → accepted → ready → collected (or rejected, with a reason), its timeline and the
audited reveal of what the resident filled in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, select

from flows.masking import mask_mobile, mask_numbers_in
from store import paging
from store.errors import Refused
from store.sealing import Sealer
from store.services.models import (
    ACCEPTED,
    COLLECTED,
    OPEN,
    READY,
    REJECTED,
    STATUSES,
    SUBMITTED,
    ServiceApplication,
    ServiceApplicationCounter,
    ServiceApplicationEvent,
)
from store.staff import audit
from store.staff.models import Committee
from store.staff.scope import Scope
from store.upsert import insert_for

PREFIX = "SQ"
# Which status each one may move to; every other move is refused (409).
NEXT: dict[str, tuple[str, ...]] = {
    SUBMITTED: (ACCEPTED, REJECTED),
    ACCEPTED: (READY, REJECTED),
    READY: (COLLECTED, REJECTED),
    COLLECTED: (),
    REJECTED: (),
}
NOTE_REQUIRED = {REJECTED: "say why the application is rejected"}
MAX_NOTE = 500
MAX_FIELD = 200
# Unanswered first, then those in hand, then the finished; oldest first within each.
_RANK = case({SUBMITTED: 0, ACCEPTED: 1, READY: 2}, value=col(ServiceApplication.status), else_=3)
QUEUE_ORDER = (_RANK, col(ServiceApplication.created_at), col(ServiceApplication.id))
SORTABLE: dict[str, Any] = {
    "created_at": ServiceApplication.created_at,
    "updated_at": ServiceApplication.updated_at,
    "status": ServiceApplication.status,
    "service": ServiceApplication.service,
    "reference": ServiceApplication.reference,
}


@dataclass(frozen=True)
class NewApplication:
    """What a resident submitted in chat, and whose it is."""

    openid: str
    service: str
    version: str
    fields: tuple[tuple[str, str], ...]
    committee_id: int | None = None
    # For an application of no committee: the sub-district whose admins see it.
    sub_district_id: int | None = None
    resident_id: int | None = None


def next_reference(session: Session, day: date) -> str:
    """The next application number of the day, e.g. SQ-20261129-0007 (never handed out twice)."""
    key = day.strftime("%Y%m%d")
    statement = (
        insert_for(session, ServiceApplicationCounter)
        .values(day=key, last=1)
        .on_conflict_do_update(
            index_elements=["day"], set_={"last": ServiceApplicationCounter.last + 1}
        )
        .returning(ServiceApplicationCounter.last)
    )
    number = session.execute(statement).scalar_one()
    return f"{PREFIX}-{key}-{number:04d}"


def masked(key: str, value: str) -> str:
    """A submitted answer as lists show it: a name to its first and last character, a mobile
    to 138****5678, an address to its start, any number in other text masked."""
    value = value.strip()
    if key == "name":
        if len(value) <= 1:
            return "*" * len(value)
        return value[0] + "*" * max(len(value) - 2, 1) + (value[-1] if len(value) > 2 else "")
    if key == "mobile":
        return mask_mobile(value)
    if key == "address":
        return value[:4] + "***" if len(value) > 4 else "*" * len(value)
    return mask_numbers_in(value)


def _event(
    session: Session,
    application: ServiceApplication,
    actor: audit.Actor,
    now: datetime,
    *,
    to_status: str,
    from_status: str | None = None,
    note: str = "",
) -> ServiceApplicationEvent:
    event = ServiceApplicationEvent(
        application_id=application.id or 0, at=now, from_status=from_status,
        to_status=to_status, actor_id=actor.staff_id, actor=actor.label, note=note,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event


def submit(
    session: Session,
    sealer: Sealer,
    new: NewApplication,
    *,
    now: datetime,
    resident: audit.Actor,
    tz: tzinfo = UTC,
) -> ServiceApplication:
    """Number and save an application: its fields sealed whole, masked for lists; the first
    line of its timeline is the resident's (`resident`: how the timeline names them). The
    number carries the committee's local date (`tz`), as report numbers do."""
    fields = [[key, value.strip()[:MAX_FIELD]] for key, value in new.fields]
    home = session.get(Committee, new.committee_id) if new.committee_id is not None else None
    application = ServiceApplication(
        reference=next_reference(session, now.astimezone(tz).date()),
        openid=new.openid,
        resident_id=new.resident_id,
        committee_id=new.committee_id,
        sub_district_id=home.sub_district_id if home else new.sub_district_id,
        service=new.service,
        version=new.version,
        fields_sealed=sealer.seal_json(fields),
        fields_shown=[[key, masked(key, value)] for key, value in fields],
        status=SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    session.add(application)
    session.flush()
    _event(session, application, resident, now, to_status=SUBMITTED)
    return application


# -- finding ---------------------------------------------------------------------------------


def visible(scope: Scope) -> Any:
    """A query for the applications a staff member may see; those of no committee are their
    sub-district's admins' (every admin's when even the sub-district is unknown)."""
    own = col(ServiceApplication.committee_id).in_(scope.committee_ids)
    unplaced = col(ServiceApplication.committee_id).is_(None) & (
        (ServiceApplication.sub_district_id == scope.sub_district_id)
        | col(ServiceApplication.sub_district_id).is_(None)
    )
    return select(ServiceApplication).where(own | unplaced if scope.admin else own)


def get_visible(
    session: Session, scope: Scope, reference: str, *, lock: bool = False
) -> ServiceApplication | None:
    """An application by number if the scope may see it (`lock`: held until the transaction
    ends, so two staff changing it at once take turns)."""
    if "\x00" in reference:
        return None
    query = visible(scope).where(ServiceApplication.reference == reference.strip())
    return session.exec(query.with_for_update() if lock else query).first()


def queue(
    session: Session,
    scope: Scope,
    *,
    statuses: Sequence[str] | None = OPEN,
    service: str | None = None,
    page: int = 1,
    per_page: int = 50,
    sort: str | None = None,
) -> tuple[Sequence[ServiceApplication], int]:
    """One page of the scope's applications: unanswered first, then oldest first, unless
    sorted; and how many match (`statuses` None: any)."""
    query = visible(scope)
    if statuses is not None:
        query = query.where(col(ServiceApplication.status).in_(tuple(statuses)))
    if service:
        query = query.where(ServiceApplication.service == service)
    order = paging.ordering(SORTABLE, sort, QUEUE_ORDER)
    return paging.page_of(session, query, page=page, per_page=per_page, order=order)


def timeline(session: Session, application_id: int) -> Sequence[ServiceApplicationEvent]:
    """An application's events, oldest first."""
    query = select(ServiceApplicationEvent).where(
        ServiceApplicationEvent.application_id == application_id
    )
    return session.exec(query.order_by(col(ServiceApplicationEvent.id))).all()


# -- the lifecycle ---------------------------------------------------------------------------


def allowed(application: ServiceApplication) -> tuple[str, ...]:
    """The statuses staff may move the application to now."""
    return NEXT.get(application.status, ())


def change(
    session: Session,
    application: ServiceApplication,
    to_status: str,
    *,
    actor: audit.Actor,
    now: datetime,
    note: str = "",
) -> ServiceApplicationEvent:
    """Move an application along (lock it first: get_visible(lock=True)); refused when the
    move does not fit its status (409) or a rejection has no reason (422). Audited."""
    if to_status not in STATUSES:
        raise Refused("status", f"one of {', '.join(STATUSES)}", code="unknown_status")
    if to_status not in allowed(application):
        reason = f"cannot move an application that is {application.status} to {to_status}"
        raise Refused("status", reason, conflict=True, code="status")
    note = " ".join(note.split())
    if to_status in NOTE_REQUIRED and not note:
        raise Refused("note", NOTE_REQUIRED[to_status], code="note")
    if len(note) > MAX_NOTE:
        raise Refused("note", f"at most {MAX_NOTE} characters", code="note_long")
    before = audit.snapshot(application)
    previous = application.status
    application.status, application.updated_at = to_status, now
    if note:
        application.note = note
    if application.assignee_id is None and actor.staff_id is not None:
        application.assignee_id = actor.staff_id
    session.add(application)
    event = _event(session, application, actor, now, to_status=to_status,
                   from_status=previous, note=note)  # fmt: skip
    audit.record(
        session, actor=actor, action=f"application.{to_status}", object_type="application",
        object_id=application.reference, committee_id=application.committee_id,
        sub_district_id=application.sub_district_id, now=now, before=before,
        after=audit.snapshot(application),
    )  # fmt: skip
    return event


# -- reveal ----------------------------------------------------------------------------------


def can_reveal(scope: Scope, application: ServiceApplication) -> bool:
    """Who may see what the resident filled in, whole: the committee's staff and admins, or
    whoever handles it (grid workers see it masked)."""
    if not scope.allows(application.committee_id):
        return False
    return scope.admin or scope.committee_staff or application.assignee_id == scope.staff_id


def reveal(
    session: Session,
    application: ServiceApplication,
    *,
    scope: Scope,
    sealer: Sealer,
    actor: audit.Actor,
    now: datetime,
) -> list[tuple[str, str]]:
    """The fields as the resident typed them; the reveal is audited."""
    if not can_reveal(scope, application):
        raise Refused("reveal", "not allowed", code="reveal")
    audit.record(
        session, actor=actor, action="application.reveal", object_type="application",
        object_id=application.reference, committee_id=application.committee_id,
        sub_district_id=application.sub_district_id, now=now,
    )  # fmt: skip
    return [(str(key), str(value)) for key, value in sealer.open_json(application.fields_sealed)]
