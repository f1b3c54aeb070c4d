"""Booked visits as staff and the daily jobs meet them: a committee's day list, attended or not
come (audited), the day-before reminder with what to bring, and no-shows once the day is over.

Booking, moving and cancelling are in store/reviews/appointments.py, which re-exports these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from config.review_content import Programme, ReviewCatalogue
from config.service_checklist import ServiceCatalogue, document_label, documents_for
from flows.masking import mask_name
from store.binding.models import ACTIVE, PROXY, SELF, ResidentBinding
from store.campaigns.service import payload_of
from store.errors import Refused
from store.outbox import messages as outbox
from store.registry.models import Resident
from store.reviews import records
from store.reviews.models import (
    ALL,
    ATTENDED,
    BOOKED,
    BOOKED_VISIT,
    CANCELLED,
    IN_PERSON,
    NO_SHOW,
    PLANNER,
    REMINDED,
    Appointment,
    AppointmentSlot,
    ReviewOptOut,
    ReviewRecord,
)
from store.staff import audit
from store.staff.scope import Scope

KIND = "visit_reminder"
# The staff changes of a visit, and the visit states each may start from (attended also
# corrects a no-show marked by mistake).
ATTEND_FROM, NO_SHOW_FROM = (BOOKED_VISIT, NO_SHOW), (BOOKED_VISIT,)


@dataclass(frozen=True)
class VisitRow:
    """One visit of a committee's day: the appointment, its slot, its record and resident."""

    appointment: Appointment
    slot: AppointmentSlot
    record: ReviewRecord
    resident: Resident

    @property
    def name(self) -> str:
        """The resident's name masked, for a list others may glance at (张*英)."""
        return mask_name(self.resident.name)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day as the instants it starts and ends (the end excluded)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def day_list(session: Session, scope: Scope, day: date, *, tz: ZoneInfo) -> list[VisitRow]:
    """The scope's visits of one local day (cancelled ones left out), by time, in one query."""
    since, until = day_bounds(day, tz)
    query = (
        select(Appointment, AppointmentSlot, ReviewRecord, Resident)
        .join(AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id)
        .join(ReviewRecord, col(ReviewRecord.id) == Appointment.record_id)
        .join(Resident, col(Resident.id) == Appointment.resident_id)
        .where(
            AppointmentSlot.starts_at >= since,
            AppointmentSlot.starts_at < until,
            Appointment.state != CANCELLED,
        )
        .order_by(col(AppointmentSlot.starts_at), col(Appointment.id))
    )
    query = scope.filter(query, AppointmentSlot.committee_id)
    return [VisitRow(*row) for row in session.exec(query)]


def visible(session: Session, scope: Scope, appointment_id: int) -> Appointment | None:
    """One visit at the scope's committees, or None (another committee's is not found)."""
    query = select(Appointment).join(
        AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id
    )
    query = scope.filter(
        query.where(Appointment.id == appointment_id), AppointmentSlot.committee_id
    )
    return session.exec(query).first()


def _held(
    session: Session, record_id: int, appointment_id: int
) -> tuple[Appointment, ReviewRecord] | None:
    """A visit and its record, locked in the order booking locks them (record first, so the
    two never wait on each other) and read again once locked."""
    record = records.locked(session, record_id)
    again = select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    appointment = session.exec(again.execution_options(populate_existing=True)).first()
    return None if record is None or appointment is None else (appointment, record)


def _marked(
    session: Session, scope: Scope, appointment_id: int, starts: tuple[str, ...]
) -> tuple[Appointment, ReviewRecord]:
    """A visit of the scope and its record, locked, or Refused: not found, or not in a state
    the change starts from."""
    seen = visible(session, scope, appointment_id)
    held = _held(session, seen.record_id, appointment_id) if seen is not None else None
    if held is None:
        raise Refused("appointment_id", "not found", code="appointment_unknown")
    appointment, record = held
    if appointment.state not in starts:
        raise Refused("state", f"the visit is {appointment.state}", conflict=True,
                      code="visit_state")  # fmt: skip
    return appointment, record


def _set(
    session: Session, appointment: Appointment, state: str, *, actor: audit.Actor, now: datetime,
    committee_id: int,
) -> Appointment:  # fmt: skip
    before = appointment.state
    appointment.state, appointment.updated_at = state, now
    appointment.marked_by = actor.staff_id
    session.add(appointment)
    session.flush()
    action = "visit.attend" if state == ATTENDED else "visit.no_show"
    audit.record(
        session, actor=actor, action=action, object_type="appointment",
        object_id=appointment.id, committee_id=committee_id, now=now,
        before={"state": before}, after={"state": state},
    )  # fmt: skip
    return appointment


def attend(
    session: Session, scope: Scope, appointment_id: int, *, complete: bool, actor: audit.Actor,
    now: datetime,
) -> Appointment:  # fmt: skip
    """The resident came (audited). complete=True: the review was done there (the record
    completes, in person); else the record is still to be done and may be booked again."""
    appointment, record = _marked(session, scope, appointment_id, ATTEND_FROM)
    if appointment.state == NO_SHOW and record.state == BOOKED:
        # Marked missed, and the resident has booked again since: the new visit is the one.
        raise Refused("appointment_id", "the resident booked another visit", conflict=True,
                      code="visit_rebooked")  # fmt: skip
    if complete:
        records.move(session, record, records.COMPLETE, now=now, actor=actor, via=IN_PERSON)
    elif record.state == BOOKED:
        records.move(session, record, records.UNBOOK, now=now, actor=actor, note=ATTENDED)
    return _set(session, appointment, ATTENDED, actor=actor, now=now,
                committee_id=record.committee_id)  # fmt: skip


def no_show(
    session: Session, scope: Scope, appointment_id: int, *, actor: audit.Actor, now: datetime
) -> Appointment:
    """The resident did not come (audited): the record is still to be done; the place stays
    taken, as the time has gone."""
    appointment, record = _marked(session, scope, appointment_id, NO_SHOW_FROM)
    slot = session.get(AppointmentSlot, appointment.slot_id)
    # The day's list may mark a visit later today; one on a later day cannot have been missed.
    if slot is not None and slot.starts_at - now > timedelta(hours=24):
        raise Refused("appointment_id", "the visit is on a later day", conflict=True,
                      code="visit_future")  # fmt: skip
    if record.state == BOOKED:
        records.move(session, record, records.UNBOOK, now=now, actor=actor, note=NO_SHOW)
    return _set(session, appointment, NO_SHOW, actor=actor, now=now,
                committee_id=record.committee_id)  # fmt: skip


def mark_no_shows(session: Session, *, now: datetime, tz: ZoneInfo) -> int:
    """Booked visits whose slot ended before the local day began: no_show, and their records
    (if still booked) back to reminded, by the planner. How many."""
    today, _ = day_bounds(now.astimezone(tz).date(), tz)
    query = (
        select(Appointment.record_id, Appointment.id)
        .join(AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id)
        .where(Appointment.state == BOOKED_VISIT, AppointmentSlot.ends_at <= today)
        .order_by(col(Appointment.record_id), col(Appointment.id))
    )
    marked = 0
    for record_id, appointment_id in list(session.exec(query)):
        held = _held(session, record_id, appointment_id)
        if held is None or held[0].state != BOOKED_VISIT:  # moved or cancelled meanwhile
            continue
        appointment, record = held
        appointment.state, appointment.updated_at = NO_SHOW, now
        session.add(appointment)
        if record.state == BOOKED:
            records.transition(session, record, REMINDED, now=now, actor_kind=PLANNER,
                               note=NO_SHOW)  # fmt: skip
        marked += 1
    session.flush()
    return marked


def release_closed(session: Session, *, now: datetime) -> int:
    """Booked visits whose record is no longer booked (moved away, exempt, done): cancelled and
    their places freed. How many."""
    query = (
        select(Appointment)
        .join(ReviewRecord, col(ReviewRecord.id) == Appointment.record_id)
        .where(Appointment.state == BOOKED_VISIT, ReviewRecord.state != BOOKED)
        .order_by(col(Appointment.id))
    )
    released = 0
    for appointment in list(session.exec(query)):
        session.execute(
            update(AppointmentSlot)
            .where(col(AppointmentSlot.id) == appointment.slot_id, AppointmentSlot.taken > 0)
            .values(taken=AppointmentSlot.taken - 1)
        )
        appointment.state, appointment.updated_at = CANCELLED, now
        session.add(appointment)
        released += 1
    session.flush()
    return released


def documents_text(programme: Programme, services: ServiceCatalogue) -> str:
    """What to bring to the visit: the programme's service's documents, one a line; its note
    when it needs none; else the catalogue's "not filled in yet"."""
    words = services.words
    service = services.by_key.get(programme.service)
    if service is None:
        return words.not_filled
    needed = documents_for(service, {})
    if needed:
        return "\n".join(
            words.document_plain.format(number=n, name=document_label(d, words))
            for n, d in enumerate(needed, 1)
        )
    if service.documents_note.stated and "documents" not in service.committee_fill:
        return service.documents_note.text.strip()
    return words.not_filled


def _recipients(
    session: Session, visits: Sequence[tuple[Appointment, ReviewRecord]]
) -> dict[int, str]:
    """Whom each visit's reminder goes to: the WeChat user who booked while still bound to the
    resident, else the resident's own binding, else the oldest proxy; skipping anyone who
    stopped reminders of the programme (or of all). By appointment id."""
    resident_ids = {a.resident_id for a, _ in visits}
    query = select(ResidentBinding).where(
        col(ResidentBinding.resident_id).in_(resident_ids), ResidentBinding.status == ACTIVE
    )
    bound: dict[int, list[ResidentBinding]] = {}
    for binding in session.exec(query.order_by(col(ResidentBinding.id))):
        bound.setdefault(binding.resident_id or 0, []).append(binding)
    chosen: dict[int, tuple[str, str]] = {}
    for appointment, record in visits:
        bindings = bound.get(appointment.resident_id, [])
        openids = [b.openid for b in bindings]
        own = [b.openid for b in bindings if b.kind == SELF]
        proxies = [b.openid for b in bindings if b.kind == PROXY]
        pick = appointment.openid if appointment.openid in openids else (own + proxies or [None])[0]
        if pick is not None:
            chosen[appointment.id or 0] = (pick, record.programme)
    stops = select(ReviewOptOut.openid, ReviewOptOut.programme).where(
        col(ReviewOptOut.openid).in_({o for o, _ in chosen.values()}),
        col(ReviewOptOut.resumed_at).is_(None),
    )
    stopped = set(session.exec(stops))
    return {
        appointment_id: openid
        for appointment_id, (openid, programme) in chosen.items()
        if (openid, programme) not in stopped and (openid, ALL) not in stopped
    }


def remind_visits(
    session: Session, reviews: ReviewCatalogue, services: ServiceCatalogue, *, now: datetime,
    tz: ZoneInfo,
) -> int:  # fmt: skip
    """From eve_hour (local) on, one reminder for each of tomorrow's booked visits not yet
    reminded, with its time and what to bring (key visit:<id>:eve). How many were enqueued."""
    words = reviews.words
    local = now.astimezone(tz)
    if local.hour < words.appointments.eve_hour:
        return 0
    since, until = day_bounds(local.date() + timedelta(days=1), tz)
    query = (
        select(Appointment, ReviewRecord, AppointmentSlot)
        .join(AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id)
        .join(ReviewRecord, col(ReviewRecord.id) == Appointment.record_id)
        .where(
            Appointment.state == BOOKED_VISIT,
            ReviewRecord.state == BOOKED,  # done, exempt or moved away meanwhile: no reminder
            col(Appointment.reminded_at).is_(None),
            AppointmentSlot.starts_at >= since,
            AppointmentSlot.starts_at < until,
        )
        .order_by(col(Appointment.id))
    )
    visits = list(session.exec(query))
    if not visits:
        return 0
    recipients = _recipients(session, [(a, r) for a, r, _ in visits])
    sent = 0
    for appointment, record, slot in visits:
        programme = reviews.by_key.get(record.programme)
        recipient = recipients.get(appointment.id or 0)
        if programme is None or recipient is None:
            continue
        text = words.letters.eve.format(
            name=programme.name, when=words.labels.of_visit(slot.starts_at.astimezone(tz)),
            documents=documents_text(programme, services),
        )  # fmt: skip
        enqueued = outbox.enqueue(
            session, key=f"visit:{appointment.id}:eve", audience=outbox.RESIDENT,
            recipient=recipient, kind=KIND, payload=payload_of(text), now=now,
            committee_id=record.committee_id,
        )  # fmt: skip
        sent += enqueued is not None
        appointment.reminded_at = now
        session.add(appointment)
    session.flush()
    return sent
