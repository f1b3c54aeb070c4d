"""What a report's rows show beside it, looked up in batches: place, handler, committee, counts,
and the latest notes (a handful of queries however many reports)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.places.models import Place
from store.reports.models import (
    CLOSED,
    REFERRED,
    REJECTED,
    RESOLVED,
    Report,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
)
from store.staff.models import Committee, StaffUser, SubDistrict

# Events whose note says how a report ended up (处理结果).
_OUTCOMES = (RESOLVED, REJECTED, REFERRED, CLOSED)
_CHUNK = 500  # ids per IN (...) list: well inside SQLite's and PostgreSQL's limits


@dataclass(frozen=True)
class ReportFacts:
    """A report with what its row shows: place, handler, committee and counts."""

    report: Report
    place: Place | None
    handler: StaffUser | None
    committee: str
    followers: int
    photos: int


@dataclass(frozen=True)
class LatestNotes:
    """Per report id: the note of its latest outcome (resolved, rejected …) and its latest
    public note (the one residents last read)."""

    outcome: dict[int, str]
    public: dict[int, str]


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


def facts_of(session: Session, report: Report) -> ReportFacts:
    """One report's facts."""
    [item] = facts(session, [report])
    return item


def latest_notes(session: Session, ids: list[int]) -> LatestNotes:
    """The one reader of a report's latest notes (outcome and public), for many reports."""
    outcome: dict[int, str] = {}
    public: dict[int, str] = {}
    if not ids:
        return LatestNotes(outcome, public)
    query = (
        select(ReportEvent.report_id, ReportEvent.kind, ReportEvent.public, ReportEvent.note)
        .where(col(ReportEvent.report_id).in_(ids), ReportEvent.note != "")
        .order_by(col(ReportEvent.id))
    )
    for report_id, kind, is_public, note in session.exec(query):
        # Later notes overwrite earlier ones: the latest wins.
        if kind in _OUTCOMES:
            outcome[report_id] = note
        if is_public:
            public[report_id] = note
    return LatestNotes(outcome, public)


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of these members of staff by id."""
    return {i: person.display_name for i, person in _by_id(session, StaffUser, ids).items()}


def sub_district_name(session: Session, sub_district_id: int | None) -> str | None:
    """The name of a sub-district (who answers for reports above any committee)."""
    found = session.get(SubDistrict, sub_district_id) if sub_district_id is not None else None
    return found.name if found is not None else None
