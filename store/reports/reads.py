"""Reading issue reports: by reference, what a member of staff may see, a resident's own and
followed ones, open duplicates nearby, who hears of a report, its timeline and photos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from flows.place_names import distance_m
from store.reports.facts import latest_notes
from store.reports.models import OPEN, Report, ReportEvent, ReportFollower, ReportPhoto
from store.staff.scope import Scope


def find_duplicate(
    session: Session,
    *,
    category: str,
    place_id: int | None,
    lat: float | None,
    lng: float | None,
    since: datetime,
    meters: float,
) -> Report | None:
    """The newest open report of the same category at the same place, or within `meters`."""
    query = (
        select(Report)
        .where(Report.category == category, col(Report.status).in_(OPEN))
        .where(Report.created_at >= since)
        .order_by(col(Report.created_at).desc())
        .limit(200)
    )
    for report in session.exec(query):
        if place_id is not None and report.place_id == place_id:
            return report
        located = None not in (lat, lng, report.lat, report.lng)
        if located and distance_m(lat, lng, report.lat, report.lng) <= meters:  # type: ignore[arg-type]
            return report
    return None


def followers(session: Session, report_id: int) -> list[str]:
    """Openids following a report, oldest first."""
    query = (
        select(ReportFollower.openid)
        .where(ReportFollower.report_id == report_id)
        .order_by(col(ReportFollower.id))
    )
    return list(session.exec(query))


def audience(session: Session, report: Report) -> list[str]:
    """Who hears about a report's progress: the reporter, then its followers."""
    reporter = [report.reporter_openid] if report.reporter_openid else []
    return reporter + [o for o in followers(session, report.id or 0) if o not in reporter]


def by_reference(session: Session, reference: str, *, lock: bool = False) -> Report | None:
    """The report with this reference number (`lock`: held until the transaction ends)."""
    query = select(Report).where(Report.reference == reference.strip())
    return session.exec(query.with_for_update() if lock else query).first()


@dataclass(frozen=True)
class ResidentReport:
    """One line of 我的报事."""

    report: Report
    followed: bool
    latest_note: str | None


def of_resident(session: Session, openid: str, limit: int = 5) -> list[ResidentReport]:
    """A resident's own and followed reports, newest first, with the latest public note."""
    followed_ids = select(ReportFollower.report_id).where(ReportFollower.openid == openid)
    query = (
        select(Report)
        .where((Report.reporter_openid == openid) | col(Report.id).in_(followed_ids))
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .limit(limit)
    )
    found = session.exec(query).all()
    notes = latest_notes(session, [r.id for r in found if r.id is not None]).public
    return [ResidentReport(r, r.reporter_openid != openid, notes.get(r.id or 0)) for r in found]


def visible(scope: Scope) -> Any:
    """A query for the reports a staff member may see; reports of no committee are their
    sub-district admins'."""
    own = col(Report.committee_id).in_(scope.committee_ids)
    # A report nobody could place (several committees, no known place) is never lost: it is
    # its sub-district's admins', or every admin's when even the sub-district is unknown.
    unplaced = col(Report.committee_id).is_(None) & (
        (Report.sub_district_id == scope.sub_district_id) | col(Report.sub_district_id).is_(None)
    )
    return select(Report).where(own | unplaced if scope.admin else own)


def get_visible(session: Session, scope: Scope, reference: str) -> Report | None:
    """A report by reference if the scope may see it."""
    query = visible(scope).where(Report.reference == reference.strip())
    return session.exec(query).first()


def timeline(session: Session, report_id: int) -> Sequence[ReportEvent]:
    """A report's events, oldest first."""
    query = select(ReportEvent).where(ReportEvent.report_id == report_id)
    return session.exec(query.order_by(col(ReportEvent.id))).all()


def photos(session: Session, report_id: int) -> Sequence[ReportPhoto]:
    """A report's photos in the order they were sent."""
    query = select(ReportPhoto).where(ReportPhoto.report_id == report_id)
    return session.exec(query.order_by(col(ReportPhoto.position))).all()
