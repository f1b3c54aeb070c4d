"""The staff inbox of reports: filtered queries, and what each row shows beside the report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.places.models import Place
from store.reports import service as reports
from store.reports.models import (
    CLOSED,
    OPEN,
    REFERRED,
    REJECTED,
    RESOLVED,
    STATUSES,
    Report,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
)
from store.staff import accounts as staff
from store.staff.models import Committee, StaffUser
from store.staff.scope import Scope

OPEN_ONLY, EVERY = "open", "all"
STATUS_FILTERS = (OPEN_ONLY, EVERY, *STATUSES)
# Events whose note says how a report ended up (处理结果).
_OUTCOMES = (RESOLVED, REJECTED, REFERRED, CLOSED)
_CHUNK = 500  # ids per IN (...) list: well inside SQLite's and PostgreSQL's limits


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: a status (or open / all), a category, a place, a handler, an age."""

    status: str = OPEN_ONLY
    category: str | None = None
    place_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    waiting_hours: float | None = None


@dataclass(frozen=True)
class ReportFacts:
    """A report with what its row shows: place, handler, committee and counts."""

    report: Report
    place: Place | None
    handler: StaffUser | None
    committee: str
    followers: int
    photos: int


def filtered(scope: Scope, wanted: InboxFilter, now: datetime) -> Any:
    """A query for the scope's reports that match the filter (unordered)."""
    query = reports.visible(scope)
    if wanted.status == OPEN_ONLY:
        query = query.where(col(Report.status).in_(OPEN))
    elif wanted.status != EVERY:
        query = query.where(Report.status == wanted.status)
    if wanted.category:
        query = query.where(Report.category == wanted.category)
    if wanted.place_id is not None:
        query = query.where(Report.place_id == wanted.place_id)
    if wanted.unassigned:
        query = query.where(col(Report.assignee_id).is_(None))
    elif wanted.assignee_id is not None:
        query = query.where(Report.assignee_id == wanted.assignee_id)
    if wanted.waiting_hours is not None:
        # "Waiting": still open, and made before the cut-off.
        cutoff = now - timedelta(hours=wanted.waiting_hours)
        query = query.where(col(Report.status).in_(OPEN), col(Report.created_at) <= cutoff)
    return query


def to_change(session: Session, scope: Scope, reference: str) -> Report | None:
    """A visible report, locked until the transaction ends (two staff acting at once queue)."""
    query = reports.visible(scope).where(Report.reference == reference.strip())
    return session.exec(query.with_for_update()).first()


def newest_first(query: Any) -> Any:
    """The inbox order: newest reports first."""
    return query.order_by(col(Report.created_at).desc(), col(Report.id).desc())


def page_of(session: Session, query: Any, page: int, per_page: int) -> tuple[Sequence[Report], int]:
    """One page of a filtered query, newest first, and how many reports match in all."""
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    offset = (page - 1) * per_page
    return session.exec(newest_first(query).offset(offset).limit(per_page)).all(), total


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    """Slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_id(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(wanted)))}


def _count_per_report(session: Session, model: Any, ids: list[int]) -> dict[int, int]:
    query = (
        select(model.report_id, func.count())
        .where(col(model.report_id).in_(ids))
        .group_by(model.report_id)
    )
    return dict(session.exec(query).all())  # type: ignore[arg-type]


def facts(session: Session, found: Sequence[Report]) -> list[ReportFacts]:
    """Each report with its place, handler, committee name, followers and photos (≤500)."""
    ids = [r.id for r in found if r.id is not None]
    places = _by_id(session, Place, (r.place_id for r in found))
    handlers = _by_id(session, StaffUser, (r.assignee_id for r in found))
    committees = _by_id(session, Committee, (r.committee_id for r in found))
    followers = _count_per_report(session, ReportFollower, ids) if ids else {}
    photos = _count_per_report(session, ReportPhoto, ids) if ids else {}
    return [
        ReportFacts(
            report=r,
            place=places.get(r.place_id or 0),
            handler=handlers.get(r.assignee_id or 0),
            committee=committees[r.committee_id].name if r.committee_id in committees else "",
            followers=followers.get(r.id or 0, 0),
            photos=photos.get(r.id or 0, 0),
        )
        for r in found
    ]


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of these members of staff by id."""
    return {i: person.display_name for i, person in _by_id(session, StaffUser, ids).items()}


def latest_notes(session: Session, ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Per report: the note of its latest outcome (resolved, rejected …) and latest public note."""
    query = (
        select(ReportEvent.report_id, ReportEvent.kind, ReportEvent.public, ReportEvent.note)
        .where(col(ReportEvent.report_id).in_(ids), ReportEvent.note != "")
        .order_by(col(ReportEvent.id))
    )
    outcome: dict[int, str] = {}
    public: dict[int, str] = {}
    for report_id, kind, is_public, note in session.exec(query):
        if kind in _OUTCOMES:
            outcome[report_id] = note
        if is_public:
            public[report_id] = note
    return outcome, public


def assignable(session: Session, scope: Scope, report: Report) -> Sequence[StaffUser]:
    """Active staff of the report's committee the scope may see, by name."""
    query = staff.visible(scope).where(col(StaffUser.disabled).is_(False))
    query = query.where(StaffUser.committee_id == report.committee_id)
    return session.exec(query.order_by(StaffUser.display_name)).all()
