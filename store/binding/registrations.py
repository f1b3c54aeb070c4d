"""Registering as a new resident from WeChat (someone who matched nobody), for staff to review."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from flows.identity import Flagged, check_mobile
from flows.inputs import normalise
from flows.masking import mask_numbers_in
from store.binding.bindings import MAX_NAME, reason_given, visible
from store.binding.models import (
    ACCEPTED,
    ACTIVE,
    ENDED,
    PENDING,
    REJECTED,
    SELF,
    Registration,
    ResidentBinding,
)
from store.errors import Refused
from store.places.models import Place
from store.registry import homes
from store.registry.history import Source
from store.registry.residents import add_resident
from store.sealing import Sealer
from store.staff import audit
from store.staff.installation import sole_committee
from store.staff.scope import Scope

MAX_ADDRESS = 200
MAX_PART = 16  # a unit or room, as the dwelling keeps it
SOURCE = Source.resident("wechat")


def register(
    session: Session,
    sealer: Sealer,
    *,
    openid: str,
    name: str,
    mobile: str,
    address: str,
    place_id: int | None,
    unit: str,
    room: str,
    now: datetime,
) -> Registration:
    """A pending registration: the committee the building's, else the installation's only one.

    A second registration while the first is still pending replaces what the first said."""
    clean_name = normalise(name)
    if not clean_name:
        raise Refused("name", "missing", code="missing")
    if len(clean_name) > MAX_NAME:
        raise Refused("name", "too_long", code="too_long")
    checked = check_mobile(mobile)
    if isinstance(checked, Flagged):
        raise Refused("mobile", checked.reason, code=checked.reason)
    parts = {"unit": normalise(unit), "room": normalise(room)}
    for field, part in parts.items():
        if len(part) > MAX_PART:
            raise Refused(field, "too_long", code="too_long")
    place = session.get(Place, place_id) if place_id is not None else None
    if place_id is not None and place is None:
        raise Refused("place_id", "not found", code="place_unknown")
    query = select(Registration).where(
        Registration.openid == openid, Registration.status == PENDING
    )
    registration = session.exec(query.order_by(col(Registration.id))).first()
    if registration is None:
        registration = Registration(openid=openid, status=PENDING, created_at=now)
    registration.committee_id = place.committee_id if place else sole_committee(session)
    registration.name = clean_name
    registration.mobile_sealed = sealer.seal(checked.value)
    # Kept in clear for staff: a mobile or ID number typed into it is masked first.
    registration.address = mask_numbers_in(normalise(address))[:MAX_ADDRESS]
    registration.place_id = place_id
    registration.unit, registration.room = parts["unit"], parts["room"]
    session.add(registration)
    session.flush()
    return registration


def pending(session: Session, scope: Scope) -> list[Registration]:
    """Registrations waiting for staff within the scope, oldest first."""
    query = select(Registration).where(
        Registration.status == PENDING, visible(session, scope, Registration.committee_id)
    )
    order = (col(Registration.created_at), col(Registration.id))
    return list(session.exec(query.order_by(*order)))


def _pending_one(session: Session, registration_id: int, scope: Scope) -> Registration:
    """The registration, locked until the transaction ends; Refused unless pending and visible."""
    query = select(Registration).where(
        Registration.id == registration_id, visible(session, scope, Registration.committee_id)
    )
    # Read again once locked: a copy this session loaded earlier may predate another decision.
    locked = query.with_for_update().execution_options(populate_existing=True)
    registration = session.exec(locked).first()
    if registration is None:
        raise Refused("registration_id", "not found", code="registration_unknown")
    if registration.status != PENDING:
        raise Refused("registration_id", "already decided", conflict=True, code="not_pending")
    return registration


def _bind(session: Session, openid: str, resident_id: int, committee_id: int, now: datetime) -> int:
    """The openid's self binding to the new resident (an earlier self binding ends)."""
    earlier = select(ResidentBinding).where(
        ResidentBinding.openid == openid, ResidentBinding.kind == SELF,
        ResidentBinding.status == ACTIVE,
    )  # fmt: skip
    for binding in session.exec(earlier):
        binding.status, binding.ended_at = ENDED, now
        session.add(binding)
    binding = ResidentBinding(
        openid=openid, resident_id=resident_id, committee_id=committee_id, kind=SELF,
        status=ACTIVE, requested_at=now, decided_at=now,
    )  # fmt: skip
    session.add(binding)
    session.flush()
    return binding.id or 0


def accept(
    session: Session,
    sealer: Sealer,
    *,
    registration_id: int,
    actor: audit.Actor,
    now: datetime,
    scope: Scope,
) -> Registration:
    """Create the resident (and their home), bind the openid to them; row-locked, audited."""
    registration = _pending_one(session, registration_id, scope)
    committee_id = registration.committee_id
    if committee_id is None and len(scope.committee_ids) == 1:
        [committee_id] = scope.committee_ids
    if committee_id is None:
        raise Refused("committee_id", "whose resident", code="committee_unknown")
    values = {"name": registration.name, "mobile": sealer.open(registration.mobile_sealed)}
    resident = add_resident(session, sealer, committee_id=committee_id, values=values,
                            source=SOURCE, now=now)  # fmt: skip
    assert resident.id is not None
    place = session.get(Place, registration.place_id) if registration.place_id else None
    dwelling_id = None
    if place is not None and place.committee_id == committee_id and registration.room:
        home = homes.dwelling(session, committee_id, place.id or 0, registration.unit,
                              registration.room, occupancy=None)  # fmt: skip
        homes.move_in(session, resident.id, home.id or 0, "self", now.date())
        dwelling_id = home.id
    binding_id = _bind(session, registration.openid, resident.id, committee_id, now)
    registration.committee_id = committee_id
    registration.status, registration.resident_id = ACCEPTED, resident.id
    registration.decided_at, registration.decided_by = now, actor.staff_id
    session.add(registration)
    audit.record(
        session, actor=actor, action="registration.accept", object_type="resident_registration",
        object_id=registration.id, committee_id=committee_id, now=now,
        before={"status": PENDING},
        after={"status": ACCEPTED, "resident_id": resident.id, "dwelling_id": dwelling_id,
               "binding_id": binding_id},
    )  # fmt: skip
    session.flush()
    return registration


def reject(
    session: Session,
    *,
    registration_id: int,
    reason: str,
    actor: audit.Actor,
    now: datetime,
    scope: Scope,
) -> Registration:
    """Refuse a pending registration with a reason for the resident; row-locked, audited."""
    registration = _pending_one(session, registration_id, scope)
    why = reason_given(reason)
    registration.status, registration.reason = REJECTED, why
    registration.decided_at, registration.decided_by = now, actor.staff_id
    session.add(registration)
    audit.record(
        session, actor=actor, action="registration.reject", object_type="resident_registration",
        object_id=registration.id, committee_id=registration.committee_id, now=now,
        before={"status": PENDING},
        after={"status": REJECTED, "reason": why},
        sub_district_id=scope.sub_district_id,
    )  # fmt: skip
    session.flush()
    return registration
