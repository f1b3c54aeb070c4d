"""The one filter over reports, for the console's inbox and export, the API and Open311: which
reports a scope may see that match, one page of them, and the row lock for a change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col

from store import paging
from store.reports import service as reports
from store.reports.models import Report
from store.staff import accounts as staff
from store.staff.models import StaffUser
from store.staff.scope import Scope

# What a list may be sorted by (`-name` for descending).
SORTABLE: dict[str, Any] = {
    "created_at": Report.created_at,
    "updated_at": Report.updated_at,
    "status": Report.status,
    "category": Report.category,
    "reference": Report.reference,
}
NEWEST_FIRST = (col(Report.created_at).desc(), col(Report.id).desc())


@dataclass(frozen=True)
class ReportFilter:
    """Which reports: every field left at its default matches all of them.

    `statuses`: None for any, () for none. `references`, when given, name the reports and the
    other fields still narrow them. `made_before` / `made_after` bound when they were made.
    """

    statuses: tuple[str, ...] | None = None
    categories: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    place_id: int | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    made_after: datetime | None = None
    made_before: datetime | None = None


def filtered(scope: Scope, wanted: ReportFilter) -> Any:
    """A query for the scope's reports that match the filter (unordered)."""
    query = reports.visible(scope)
    if wanted.statuses is not None:
        query = query.where(col(Report.status).in_(wanted.statuses))
    if wanted.categories:
        query = query.where(col(Report.category).in_(wanted.categories))
    if wanted.references:
        query = query.where(col(Report.reference).in_(wanted.references))
    if wanted.place_id is not None:
        query = query.where(Report.place_id == wanted.place_id)
    if wanted.unassigned:
        query = query.where(col(Report.assignee_id).is_(None))
    elif wanted.assignee_id is not None:
        query = query.where(Report.assignee_id == wanted.assignee_id)
    if wanted.made_after is not None:
        query = query.where(col(Report.created_at) >= wanted.made_after)
    if wanted.made_before is not None:
        query = query.where(col(Report.created_at) <= wanted.made_before)
    return query


def one_page(
    session: Session,
    scope: Scope,
    wanted: ReportFilter,
    *,
    page: int,
    per_page: int,
    sort: str | None = None,
) -> tuple[Sequence[Report], int]:
    """One page of the matching reports, newest first unless sorted, and how many match."""
    order = paging.ordering(SORTABLE, sort, NEWEST_FIRST)
    query = filtered(scope, wanted)
    return paging.page_of(session, query, page=page, per_page=per_page, order=order)


def newest(session: Session, scope: Scope, wanted: ReportFilter, limit: int) -> Sequence[Report]:
    """The newest `limit` matching reports, newest first."""
    query = filtered(scope, wanted).order_by(*NEWEST_FIRST).limit(limit)
    return session.exec(query).all()


def to_change(session: Session, scope: Scope, reference: str) -> Report | None:
    """A visible report, locked until the transaction ends (two staff acting at once queue)."""
    query = reports.visible(scope).where(Report.reference == reference.strip())
    return session.exec(query.with_for_update()).first()


def assignable(session: Session, scope: Scope, report: Report) -> Sequence[StaffUser]:
    """Active staff of the report's committee the scope may see, by name."""
    query = staff.visible(scope).where(col(StaffUser.disabled).is_(False))
    query = query.where(StaffUser.committee_id == report.committee_id)
    return session.exec(query.order_by(StaffUser.display_name)).all()


def handlers(session: Session, scope: Scope) -> Sequence[StaffUser]:
    """Active staff the scope may see, by name (who a list may be filtered by)."""
    query = staff.visible(scope).where(col(StaffUser.disabled).is_(False))
    return session.exec(query.order_by(StaffUser.display_name)).all()
