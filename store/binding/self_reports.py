"""Changes a resident (or their approved proxy) asked for in WeChat: applied at once, or kept
for staff to approve or reject. A newer change of the same field replaces one still waiting, so
an older value can never be approved over it; a death reported ends every binding of the
resident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from config.registry_content import RESIDENCE_STATUSES
from flows.identity import Flagged, check_mobile
from flows.inputs import normalise
from flows.masking import mask_mobile, mask_numbers_in
from store.binding.bindings import end_all, reason_given
from store.binding.models import (
    APPLIED,
    APPROVED,
    DECEASED,
    PENDING,
    REJECTED,
    REPLACED,
    REPORT_FIELDS,
    SelfReport,
)
from store.errors import Refused
from store.places.models import Place
from store.registry import history, homes
from store.registry.exports import address
from store.registry.history import Source
from store.registry.models import Dwelling, Residence, Resident
from store.registry.residents import update_field
from store.sealing import Sealer
from store.staff import audit
from store.staff.scope import Scope

SOURCE = Source.resident("wechat")
MAX_PART = 16  # a unit or room, as the dwelling keeps it
PROXY_ONLY = frozenset({DECEASED})  # a resident does not report their own death


def _resident(session: Session, resident_id: int) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise Refused("resident_id", "not found", code="resident_unknown")
    return resident


def _checked(
    session: Session, resident: Resident, field: str, value: object, by_proxy: bool
) -> tuple[Any, str]:
    """The value to keep and how staff see it (masked); Refused with a code when it is bad."""
    if field == "mobile":
        checked = check_mobile(str(value))
        if isinstance(checked, Flagged):
            raise Refused(field, checked.reason, code=checked.reason)
        return checked.value, mask_mobile(checked.value)
    if field == "residence_status":
        if value not in RESIDENCE_STATUSES:
            raise Refused(field, "unknown_code", code="unknown_code")
        if value in PROXY_ONLY and not by_proxy:
            raise Refused(field, "for a proxy only", code="proxy_only")
        return value, str(value)
    if field == "dwelling":
        given = value if isinstance(value, dict) else {}
        place_id = given.get("place_id")
        place = session.get(Place, place_id) if isinstance(place_id, int) else None
        if place is None or place.committee_id != resident.committee_id:
            raise Refused(field, "not a building of the committee", code="place_unknown")
        unit, room = (
            normalise(str(given.get("unit") or "")),
            normalise(str(given.get("room") or "")),
        )
        if not room:
            raise Refused(field, "missing", code="missing")
        if len(unit) > MAX_PART or len(room) > MAX_PART:
            raise Refused(field, "too_long", code="too_long")
        home = {"place_id": place_id, "unit": unit, "room": room}
        return home, mask_numbers_in(address(place.name, unit, room) or "")
    raise Refused("field", f"one of {', '.join(REPORT_FIELDS)}", code="unknown_field")


def _homes(session: Session, resident_id: int) -> list[tuple[Residence, str]]:
    """Where the resident lives now, each with its home as one line (3栋 2单元 301)."""
    query = (
        select(Residence, Dwelling, Place.name)
        .join(Dwelling, col(Dwelling.id) == col(Residence.dwelling_id))
        .join(Place, col(Place.id) == col(Dwelling.place_id))
        .where(Residence.resident_id == resident_id, col(Residence.moved_out).is_(None))
        .order_by(col(Residence.id))
    )
    return [
        (residence, address(name, home.unit, home.room) or "")
        for residence, home, name in session.exec(query)
    ]


def _homes_text(living: list[tuple[Residence, str]]) -> str | None:
    return "、".join(text for _, text in living if text) or None


def _now_shown(session: Session, sealer: Sealer, resident: Resident, field: str) -> str | None:
    """What the registry holds for the field before the change, masked as the history keeps it."""
    if field == "dwelling":
        return history.masked(field, _homes_text(_homes(session, resident.id or 0)))
    if field == "mobile":
        number = sealer.open(resident.mobile_sealed) if resident.mobile_sealed else None
        return history.masked(field, number)
    return history.masked(field, getattr(resident, field, None))


def _move(session: Session, resident: Resident, home: dict[str, Any], now: datetime) -> None:
    """The resident lives at the new home from today; where they lived before ends today. The
    history keeps the change of home as the resident's own."""
    assert resident.id is not None
    dwelling = homes.dwelling(session, resident.committee_id, home["place_id"], home["unit"],
                              home["room"], occupancy=None)  # fmt: skip
    living = _homes(session, resident.id)
    if any(r.dwelling_id == dwelling.id for r, _ in living):
        return
    for residence, _ in living:
        residence.moved_out = now.date()
        session.add(residence)
    role = living[0][0].role if living else "self"
    homes.move_in(session, resident.id, dwelling.id or 0, role, now.date())
    place = session.get(Place, home["place_id"])
    new = address(place.name if place else "", home["unit"], home["room"])
    history.record(session, resident.id, "dwelling", _homes_text(living), new, SOURCE, now)


def _apply(
    session: Session, sealer: Sealer, resident: Resident, field: str, value: Any, now: datetime
) -> None:
    """Write the change to the registry as the resident's own; they have looked at it now. A
    death ends every binding of the resident (their own and their family's)."""
    assert resident.id is not None
    if field == "dwelling":
        _move(session, resident, value, now)
    else:
        update_field(session, sealer, committee_id=resident.committee_id,
                     resident_id=resident.id, field=field, value=value, source=SOURCE,
                     now=now)  # fmt: skip
    if field == "residence_status" and value == DECEASED:
        end_all(session, resident_id=resident.id, now=now)
    resident.last_confirmed_at = now
    session.add(resident)


def submit(
    session: Session,
    sealer: Sealer,
    *,
    openid: str,
    resident_id: int,
    by_proxy: bool,
    field: str,
    value: object,
    needs_approval: bool,
    now: datetime,
    shown: str | None = None,
) -> SelfReport:
    """Store the change asked for; applied at once unless the field needs staff approval.

    `value`: a mobile as typed, a residence status code, or a dwelling as {"place_id", "unit",
    "room"}. `shown` words the new value for staff (a status's name); else it is derived. A
    report of the same field still waiting is replaced."""
    resident = _resident(session, resident_id)
    clean, derived = _checked(session, resident, field, value, by_proxy)
    # Where staff decide the older one at this moment, its row lock holds this until they commit.
    session.execute(
        update(SelfReport)
        .where(SelfReport.resident_id == resident_id, SelfReport.field == field,
               SelfReport.status == PENDING)
        .values(status=REPLACED, decided_at=now)
    )  # fmt: skip
    report = SelfReport(
        resident_id=resident_id, openid=openid, by_proxy=by_proxy, field=field,
        value_sealed=sealer.seal_json(clean), shown=mask_numbers_in(shown) if shown else derived,
        channel="wechat", status=PENDING if needs_approval else APPLIED, created_at=now,
    )  # fmt: skip
    if not needs_approval:
        _apply(session, sealer, resident, field, clean, now)
        report.decided_at = now
    session.add(report)
    session.flush()
    return report


def pending(session: Session, scope: Scope) -> list[SelfReport]:
    """Self-reports waiting for staff within the scope, oldest first."""
    query = (
        select(SelfReport)
        .join(Resident, col(Resident.id) == col(SelfReport.resident_id))
        .where(SelfReport.status == PENDING, col(Resident.committee_id).in_(scope.committee_ids))
    )
    return list(session.exec(query.order_by(col(SelfReport.created_at), col(SelfReport.id))))


def _pending_one(session: Session, report_id: int, scope: Scope) -> tuple[SelfReport, Resident]:
    """The self-report, locked until the transaction ends, and its resident; Refused unless it
    is pending and the resident is within the scope."""
    query = select(SelfReport).where(SelfReport.id == report_id).with_for_update()
    # Read again once locked: a copy this session loaded earlier may predate another decision.
    report = session.exec(query.execution_options(populate_existing=True)).first()
    resident = session.get(Resident, report.resident_id) if report is not None else None
    if report is None or resident is None or not scope.allows(resident.committee_id):
        raise Refused("report_id", "not found", code="self_report_unknown")
    if report.status != PENDING:
        raise Refused("report_id", "already decided", conflict=True, code="not_pending")
    return report, resident


def approve(
    session: Session,
    sealer: Sealer,
    *,
    report_id: int,
    actor: audit.Actor,
    now: datetime,
    scope: Scope,
) -> SelfReport:
    """Apply a pending self-report to the registry as the resident's; row-locked, audited."""
    report, resident = _pending_one(session, report_id, scope)
    old = _now_shown(session, sealer, resident, report.field)
    _apply(session, sealer, resident, report.field, sealer.open_json(report.value_sealed), now)
    report.status, report.decided_at, report.decided_by = APPROVED, now, actor.staff_id
    session.add(report)
    audit.record(
        session, actor=actor, action="self_report.approve", object_type="resident_self_report",
        object_id=report.id, committee_id=resident.committee_id, now=now,
        before={"status": PENDING, "value": old},
        after={"status": APPROVED, "resident_id": resident.id, "field": report.field,
               "value": report.shown},
    )  # fmt: skip
    session.flush()
    return report


def reject(
    session: Session,
    *,
    report_id: int,
    reason: str,
    actor: audit.Actor,
    now: datetime,
    scope: Scope,
) -> SelfReport:
    """Refuse a pending self-report with a reason for the resident; row-locked, audited."""
    report, resident = _pending_one(session, report_id, scope)
    why = reason_given(reason)
    report.status, report.reason = REJECTED, why
    report.decided_at, report.decided_by = now, actor.staff_id
    session.add(report)
    audit.record(
        session, actor=actor, action="self_report.reject", object_type="resident_self_report",
        object_id=report.id, committee_id=resident.committee_id, now=now,
        before={"status": PENDING},
        after={"status": REJECTED, "resident_id": resident.id, "field": report.field,
               "value": report.shown, "reason": why},
    )  # fmt: skip
    session.flush()
    return report


def confirm(session: Session, *, resident_id: int, now: datetime) -> None:
    """The resident said their details are right: last confirmed now."""
    resident = _resident(session, resident_id)
    resident.last_confirmed_at = now
    session.add(resident)
    session.flush()
