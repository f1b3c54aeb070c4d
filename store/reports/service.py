"""Issue reports: numbering, routing, following, the lifecycle and its timeline (reads live in
store/reports/reads.py and are re-exported here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from flows.masking import mask_numbers_in
from store.errors import Refused
from store.places.models import Place
from store.reports.models import (
    ACCEPTED,
    CLOSED,
    IN_PROGRESS,
    OPEN,
    REFERRED,
    REJECTED,
    RESOLVED,
    STATUSES,
    SUBMITTED,
    Report,
    ReportCounter,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
)
from store.reports.reads import (
    ResidentReport,
    audience,
    by_reference,
    find_duplicate,
    followers,
    get_visible,
    of_resident,
    photos,
    timeline,
    visible,
)
from store.sealing import Sealer
from store.staff import audit
from store.staff.models import SUBDISTRICT_ADMIN, Committee, StaffUser
from store.staff.scope import Scope
from store.upsert import insert_for

SYSTEM = audit.Actor(None, "system")


@dataclass(frozen=True)
class Rule:
    """What a staff action fits and does: the statuses it may be taken from, the status it
    leads to (None: the status stays), and why staff must write a note (None: no note needed)."""

    fits: tuple[str, ...]
    leads_to: str | None = None
    note: str | None = None


# The one table of staff actions, in the order the console offers them; the console and the
# API both act through it (bot.reports.service.act). Staff must say what they did or why when
# the resident reads it as an answer: a resolution, a refusal, and a reopening (a report the
# resident was told is finished comes back; they hear why). A resident reopens by answering 回访
# instead, and their answer is on the timeline already.
RULES: dict[str, Rule] = {
    "accept": Rule((SUBMITTED,), ACCEPTED),
    "start": Rule((SUBMITTED, ACCEPTED), IN_PROGRESS),
    "resolve": Rule(OPEN, RESOLVED, note="say how the report was resolved"),
    "reject": Rule(OPEN, REJECTED, note="say why the report is rejected"),
    "refer": Rule(OPEN, REFERRED),
    "close": Rule((RESOLVED,), CLOSED),
    "reopen": Rule((RESOLVED, CLOSED), IN_PROGRESS, note="say why the report is reopened"),
    "assign": Rule(OPEN),  # a finished report has nobody left to handle it
    "note": Rule(STATUSES),
}
STAFF_ACTIONS = tuple(RULES)
# action → (statuses it may start from, status it leads to): the lifecycle steps of RULES
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    action: (rule.fits, rule.leads_to) for action, rule in RULES.items() if rule.leads_to
}
ACTIONS = tuple(TRANSITIONS)
NOTE_REQUIRED: dict[str, str] = {action: rule.note for action, rule in RULES.items() if rule.note}


def fits(status: str, action: str) -> bool:
    """Whether a staff action may be taken on a report of this status."""
    rule = RULES.get(action)
    return rule is not None and status in rule.fits


def allowed_actions(report: Report) -> list[str]:
    """The staff actions that fit the report's status, in the table's order."""
    return [action for action in STAFF_ACTIONS if fits(report.status, action)]


def check(report: Report, action: str) -> None:
    """Refuse an unknown action (422) or one that does not fit the report's status (409)."""
    if action not in RULES:
        raise Refused("action", f"one of {', '.join(STAFF_ACTIONS)}")
    if not fits(report.status, action):
        reason = f"cannot {action} a report that is {report.status}"
        raise Refused("action", reason, conflict=True)


@dataclass(frozen=True)
class NewReport:
    """Everything a new report is made of, wherever it came from."""

    category: str
    description: str
    source: str
    urgent: bool = False
    answers: list[dict[str, Any]] = field(default_factory=list)
    reporter_openid: str | None = None
    committee_id: int | None = None
    # For a report of no committee: the sub-district whose admins see it.
    sub_district_id: int | None = None
    place_id: int | None = None
    place_text: str = ""
    lat: float | None = None
    lng: float | None = None
    photos: tuple[tuple[str, str], ...] = ()  # (media_id, pic_url)


@dataclass(frozen=True)
class Override:
    """A routing override: a grid area or a place name, and the handler's username."""

    person: str
    grid: str | None = None
    place: str | None = None


# -- numbering, routing, creating --------------------------------------------------------------


def next_reference(session: Session, prefix: str, day: date) -> str:
    """The next reference of the day, e.g. BS-20261128-0042 (atomic, so never handed out twice)."""
    key = day.strftime("%Y%m%d")
    statement = (
        insert_for(session, ReportCounter)
        .values(day=key, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": ReportCounter.last + 1})
        .returning(ReportCounter.last)
    )
    number = session.execute(statement).scalar_one()
    return f"{prefix}-{key}-{number:04d}"


def _active(
    session: Session,
    staff: StaffUser | None,
    committee_id: int | None,
    sub_district_id: int | None = None,
) -> StaffUser | None:
    """The staff member if enabled and of this committee (admins: of its sub-district)."""
    if staff is None or staff.disabled:
        return None
    if staff.role != SUBDISTRICT_ADMIN:
        return staff if committee_id is not None and staff.committee_id == committee_id else None
    home = session.get(Committee, committee_id) if committee_id is not None else None
    district = home.sub_district_id if home is not None else sub_district_id
    return staff if district is None or district == staff.sub_district_id else None


def _by_username(session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(StaffUser.username == username)).first()


def pick_handler(
    session: Session,
    *,
    committee_id: int | None,
    place: Place | None,
    role: str | None,
    person: str | None,
    overrides: Sequence[Override] = (),
    sub_district_id: int | None = None,
) -> StaffUser | None:
    """Who handles a new report: an override for its place or grid, the named person, the
    building's grid worker, or None (the committee's staff, whoever accepts first)."""
    if place is not None:
        for override in overrides:
            if override.place == place.name or (
                override.grid is not None and override.grid == place.grid_area
            ):
                named = _by_username(session, override.person)
                chosen = _active(session, named, committee_id, sub_district_id)
                if chosen is not None:
                    return chosen
    if person:
        chosen = _active(session, _by_username(session, person), committee_id, sub_district_id)
        if chosen is not None:
            return chosen
    if role == "grid_worker" and place is not None and place.handler_id is not None:
        return _active(session, session.get(StaffUser, place.handler_id), committee_id)
    return None


def create(
    session: Session,
    new: NewReport,
    *,
    reference: str,
    assignee_id: int | None,
    now: datetime,
    sealer: Sealer,
    resident: audit.Actor,
) -> Report:
    """Save a new report with its photos (to be fetched) and the first line of its timeline
    (`resident`: how the timeline names a resident, in the committee's words).

    ID-card and phone numbers in what the resident wrote are stored masked; the description
    as written is kept sealed beside it, for `reveal_description`.
    """
    home = session.get(Committee, new.committee_id) if new.committee_id is not None else None
    masked = mask_numbers_in(new.description)
    report = Report(
        reference=reference,
        committee_id=new.committee_id,
        sub_district_id=home.sub_district_id if home else new.sub_district_id,
        category=new.category,
        urgent=new.urgent,
        description=masked,
        description_sealed=sealer.seal(new.description) if masked != new.description else None,
        answers=[_masked_answer(a) for a in new.answers],
        source=new.source,
        reporter_openid=new.reporter_openid,
        place_id=new.place_id,
        place_text=mask_numbers_in(new.place_text)[:200],
        lat=new.lat,
        lng=new.lng,
        status=SUBMITTED,
        assignee_id=assignee_id,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    assert report.id is not None
    for position, (media_id, pic_url) in enumerate(new.photos, start=1):
        session.add(
            ReportPhoto(
                report_id=report.id, position=position, media_id=media_id, pic_url=pic_url,
                next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
    actor = resident if new.source == "wechat" else audit.Actor(None, new.source)
    _event(session, report, "created", actor, now, to_status=SUBMITTED)
    return report


def _masked_answer(answer: dict[str, Any]) -> dict[str, Any]:
    value = answer.get("answer")
    return {**answer, "answer": mask_numbers_in(value)} if isinstance(value, str) else dict(answer)


def can_reveal(scope: Scope, report: Report) -> bool:
    """Who may see the numbers in a report: its committee's staff and admins, or its handler."""
    if not scope.allows(report.committee_id):
        return False
    return scope.admin or scope.committee_staff or report.assignee_id == scope.staff_id


def reveal_description(
    session: Session,
    report: Report,
    *,
    scope: Scope,
    sealer: Sealer,
    actor: audit.Actor,
    now: datetime,
) -> str:
    """The description as the resident wrote it, numbers and all; the reveal is audited."""
    if not can_reveal(scope, report):
        raise Refused("reveal", "not allowed", code="reveal")
    if report.description_sealed is None:
        return report.description
    audit.record(
        session, actor=actor, action="report.reveal", object_type="report",
        object_id=report.reference, committee_id=report.committee_id, now=now,
        sub_district_id=report.sub_district_id,
    )  # fmt: skip
    return sealer.open(report.description_sealed)


# -- duplicates and followers ------------------------------------------------------------------


def follow(
    session: Session, report: Report, openid: str, now: datetime, *, resident: audit.Actor
) -> bool:
    """Add a follower (+1); False when they report or follow it already (a reporter saying it
    again is marked on the timeline, so staff see the problem persists)."""
    if report.reporter_openid == openid:
        _event(session, report, "repeated", resident, now)
        return False
    statement = (
        insert_for(session, ReportFollower)
        .values(report_id=report.id, openid=openid, created_at=now)
        .on_conflict_do_nothing(index_elements=["report_id", "openid"])
        .returning(ReportFollower.id)
    )
    if session.execute(statement).scalar_one_or_none() is None:
        return False
    _event(session, report, "followed", resident, now)
    return True


# -- the lifecycle -----------------------------------------------------------------------------


def _event(
    session: Session,
    report: Report,
    kind: str,
    actor: audit.Actor,
    now: datetime,
    *,
    note: str = "",
    public: bool = False,
    from_status: str | None = None,
    to_status: str | None = None,
) -> ReportEvent:
    event = ReportEvent(
        report_id=report.id or 0, at=now, kind=kind, from_status=from_status,
        to_status=to_status, actor_id=actor.staff_id, actor=actor.label, note=note,
        public=public,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event


def _audited(
    session: Session, report: Report, actor: audit.Actor, action: str, before: dict[str, Any]
) -> None:
    if actor.staff_id is None:
        return  # residents and the system leave their trace in the timeline
    audit.record(
        session, actor=actor, action=f"report.{action}", object_type="report",
        object_id=report.reference, committee_id=report.committee_id,
        sub_district_id=report.sub_district_id, now=report.updated_at, before=before,
        after=audit.snapshot(report),
    )  # fmt: skip


def change(
    session: Session,
    report: Report,
    action: str,
    *,
    actor: audit.Actor,
    now: datetime,
    note: str = "",
    referred_to: str | None = None,
) -> ReportEvent:
    """Move a report along its lifecycle; refused when the action does not fit its status, or
    when staff leave out the note RULES asks of them."""
    if action not in TRANSITIONS:
        raise Refused("action", f"one of {', '.join(ACTIONS)}")
    check(report, action)
    target = TRANSITIONS[action][1]
    note = note.strip()
    if action in NOTE_REQUIRED and actor.staff_id is not None and not note:
        raise Refused("note", NOTE_REQUIRED[action])
    if action == "refer" and not (referred_to or "").strip():
        raise Refused("referred_to", "say where the report is referred to")
    before = audit.snapshot(report)
    previous = report.status
    report.status, report.updated_at = target, now
    if action == "accept":
        report.accepted_at = now
        if report.assignee_id is None and actor.staff_id is not None:
            report.assignee_id = actor.staff_id
    if action == "start" and report.accepted_at is None:
        report.accepted_at = now
    if action == "resolve":
        report.resolved_at = now
        report.follow_up_asked_at = report.follow_up_answered_at = None
    if action in ("close", "reject", "refer"):
        report.closed_at = now
    if action == "refer":
        report.referred_to = (referred_to or "").strip()[:200]
    if action == "reopen":
        report.reopened += 1
        report.resolved_at = report.closed_at = None
    session.add(report)
    event = _event(
        session, report, "reopened" if action == "reopen" else target, actor, now,
        note=note, public=True, from_status=previous, to_status=target,
    )  # fmt: skip
    _audited(session, report, actor, action, before)
    return event


def add_note(
    session: Session, report: Report, *, actor: audit.Actor, note: str, public: bool, now: datetime
) -> ReportEvent:
    """A note on the timeline; a public one is also told to the reporter and followers."""
    check(report, "note")
    note = note.strip()
    if not note:
        raise Refused("note", "write something")
    before = audit.snapshot(report)
    report.updated_at = now
    session.add(report)
    event = _event(session, report, "note", actor, now, note=note, public=public)
    _audited(session, report, actor, "note", before)
    return event


NOT_ASSIGNABLE = "not an active member of this committee's staff"


def assign(
    session: Session, report: Report, *, actor: audit.Actor, staff: StaffUser, now: datetime
) -> ReportEvent:
    """Give an open report to a member of staff of its committee."""
    check(report, "assign")
    if _active(session, staff, report.committee_id, report.sub_district_id) is None:
        raise Refused("staff_id", NOT_ASSIGNABLE, code="assignee")
    before = audit.snapshot(report)
    report.assignee_id, report.updated_at = staff.id, now
    session.add(report)
    event = _event(session, report, "assigned", actor, now, note=staff.display_name)
    _audited(session, report, actor, "assign", before)
    return event


def mark(session: Session, report: Report, kind: str, now: datetime, note: str = "") -> None:
    """A system line on the timeline (reminded, escalated, follow_up_asked)."""
    if kind == "reminded":
        report.reminded_at = now
    elif kind == "escalated":
        report.escalated_at = now
    elif kind == "follow_up_asked":
        report.follow_up_asked_at = now
    session.add(report)
    _event(session, report, kind, SYSTEM, now, note=note)


def record_follow_up(
    session: Session,
    report: Report,
    *,
    solved: bool,
    rating: int | None,
    now: datetime,
    resident: audit.Actor,
    said: str,
) -> None:
    """Keep the reporter's answer to 回访, however late it came (`said`: the answer in the
    committee's words, for the timeline)."""
    report.follow_up_answered_at = now
    report.follow_up_solved = solved
    report.follow_up_rating = rating
    session.add(report)
    _event(session, report, "follow_up_answered", resident, now, note=said)


# -- finding reports ---------------------------------------------------------------------------


__all__ = [
    "ACCEPTED",
    "CLOSED",
    "IN_PROGRESS",
    "OPEN",
    "REFERRED",
    "REJECTED",
    "RESOLVED",
    "SUBMITTED",
    "ResidentReport",
    "audience",
    "by_reference",
    "find_duplicate",
    "followers",
    "get_visible",
    "of_resident",
    "photos",
    "timeline",
    "visible",
]
