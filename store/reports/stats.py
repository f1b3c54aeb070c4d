"""Report counts for the dashboard: by category and status, how fast, and how satisfied."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from store.reports import service as reports
from store.reports.models import Report
from store.staff.scope import Scope


@dataclass(frozen=True)
class Satisfaction:
    """回访: reporters asked, answers, how many said solved, and their ratings."""

    asked: int
    answered: int
    solved: int
    rated: int
    average_rating: float | None

    @property
    def solved_share(self) -> float | None:
        """Share of answers that said the problem is solved (None before any answer)."""
        return self.solved / self.answered if self.answered else None


@dataclass(frozen=True)
class ReportStats:
    """The dashboard's figures over the reports made in a period."""

    total: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    median_minutes_to_accept: float | None
    median_minutes_to_resolve: float | None
    satisfaction: Satisfaction


def _reports(scope: Scope, since: datetime | None, until: datetime | None) -> Any:
    query = reports.visible(scope)
    if since is not None:
        query = query.where(col(Report.created_at) >= since)
    if until is not None:
        query = query.where(col(Report.created_at) < until)
    return query.subquery()


def _counts(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {key: count for key, count in sorted(rows, key=lambda row: (-row[1], row[0]))}


def _median_minutes(session: Session, start: Any, end: Any) -> float | None:
    # Computed here rather than in SQL: SQLite has no median and PostgreSQL's differs in form.
    pairs = session.execute(select(start, end).where(end.is_not(None))).all()
    minutes = [(finished - began).total_seconds() / 60 for began, finished in pairs]
    return statistics.median(minutes) if minutes else None


def _satisfaction(session: Session, found: Any) -> Satisfaction:
    answered = found.c.follow_up_answered_at.is_not(None)
    # Reports made without a WeChat reporter (Open311, console) are marked asked but nobody was.
    asked = and_(found.c.follow_up_asked_at.is_not(None), found.c.reporter_openid.is_not(None))
    row = session.execute(
        select(
            func.count(case((asked, 1))),
            func.count(case((answered, 1))),
            func.count(case((and_(answered, found.c.follow_up_solved.is_(True)), 1))),
            func.count(case((answered, found.c.follow_up_rating))),
            func.avg(case((answered, found.c.follow_up_rating))),
        )
    ).one()
    average = float(row[4]) if row[4] is not None else None
    return Satisfaction(row[0], row[1], row[2], row[3], average)


def summary(
    session: Session, scope: Scope, *, since: datetime | None = None, until: datetime | None = None
) -> ReportStats:
    """Figures over the scope's reports made in [since, until) (either end may be open)."""
    found = _reports(scope, since, until)
    by_status = _counts(session, found.c.status)
    return ReportStats(
        total=sum(by_status.values()),
        by_category=_counts(session, found.c.category),
        by_status=by_status,
        median_minutes_to_accept=_median_minutes(session, found.c.created_at, found.c.accepted_at),
        median_minutes_to_resolve=_median_minutes(session, found.c.created_at, found.c.resolved_at),
        satisfaction=_satisfaction(session, found),
    )
