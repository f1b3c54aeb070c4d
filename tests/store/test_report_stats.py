"""The dashboard's figures: counts, median times to accept and resolve, and 回访 satisfaction,
over one committee's reports of a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import unit_of_work
from store.reports import service as reports
from store.reports import stats as report_stats
from store.reports.models import Report
from store.staff import audit
from store.staff.scope import Scope
from tests.chat import SEALER
from tests.staff_helpers import create_staff

START = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
CLERK = audit.Actor(None, "clerk")
RESIDENT = audit.Actor(None, "resident")


def _report(
    session: Session,
    number: int,
    committee_id: int,
    *,
    category: str = "shared_bike",
    minutes_to_accept: float | None = None,
    minutes_to_resolve: float | None = None,
    follow_up: tuple[bool, int | None] | None = None,
    reporter: str | None = "o_reporter",
    made: datetime = START,
) -> Report:
    """A report made at `made`, accepted and resolved so many minutes later, maybe answered."""
    new = reports.NewReport(category=category, description="问题", source="wechat",
                            reporter_openid=reporter, committee_id=committee_id)  # fmt: skip
    report = reports.create(session, new, reference=f"BS-T-{number:04d}", assignee_id=None,
                            now=made, sealer=SEALER, resident=RESIDENT)  # fmt: skip
    if minutes_to_accept is not None:
        at = made + timedelta(minutes=minutes_to_accept)
        reports.change(session, report, "accept", actor=CLERK, now=at)
    if minutes_to_resolve is not None:
        at = made + timedelta(minutes=minutes_to_resolve)
        reports.change(session, report, "resolve", actor=CLERK, now=at, note="好了")
    if follow_up is not None:
        asked = made + timedelta(days=3)
        reports.mark(session, report, "follow_up_asked", asked)
        solved, rating = follow_up
        reports.record_follow_up(session, report, solved=solved, rating=rating,
                                 now=asked + timedelta(hours=1), resident=RESIDENT,
                                 said="solved" if solved else "not solved")  # fmt: skip
    return report


@pytest.fixture
def scopes(database: Engine) -> tuple[Scope, int, int]:
    """The east committee's scope, its committee id and the west committee's."""
    east = create_staff(database, "east", committee="东风社区居委会")
    west = create_staff(database, "west", committee="西湖社区居委会")
    assert east.committee_id and west.committee_id
    scope = Scope(east.id or 0, east.sub_district_id, frozenset({east.committee_id}), False)
    return scope, east.committee_id, west.committee_id


def test_medians_counts_and_satisfaction_over_one_committees_reports(
    database: Engine, scopes: tuple[Scope, int, int]
) -> None:
    scope, east, west = scopes
    with unit_of_work(database) as session:
        _report(session, 1, east, minutes_to_accept=10, minutes_to_resolve=60,
                follow_up=(True, 5))  # fmt: skip
        _report(session, 2, east, minutes_to_accept=20, minutes_to_resolve=120,
                follow_up=(False, 2))  # fmt: skip
        _report(session, 3, east, category="noise", minutes_to_accept=90,
                follow_up=(True, None))  # fmt: skip
        _report(session, 4, east, category="noise")
        # Made through Open311 and resolved without an accept: marked asked, but nobody was.
        fifth = _report(session, 5, east, minutes_to_resolve=30, reporter=None)
        reports.mark(session, fifth, "follow_up_asked", START + timedelta(days=3))
        _report(session, 6, west, minutes_to_accept=1, minutes_to_resolve=1, follow_up=(True, 1))
    with Session(database) as session:
        stats = report_stats.summary(session, scope)
    assert stats.total == 5
    assert stats.by_category == {"shared_bike": 3, "noise": 2}
    assert stats.by_status == {"resolved": 3, "accepted": 1, "submitted": 1}
    assert stats.median_minutes_to_accept == 20  # 10, 20, 90 (No. 5 was never accepted)
    assert stats.median_minutes_to_resolve == 60  # 30, 60, 120
    satisfaction = stats.satisfaction
    assert (satisfaction.asked, satisfaction.answered, satisfaction.solved) == (3, 3, 2)
    assert satisfaction.solved_share == pytest.approx(2 / 3)
    assert (satisfaction.rated, satisfaction.average_rating) == (2, 3.5)


def test_a_period_counts_only_the_reports_made_in_it(
    database: Engine, scopes: tuple[Scope, int, int]
) -> None:
    scope, east, _ = scopes
    with unit_of_work(database) as session:
        _report(session, 1, east, minutes_to_accept=30, made=START - timedelta(days=40))
        _report(session, 2, east, minutes_to_accept=6, made=START)
        _report(session, 3, east, minutes_to_accept=8, made=START + timedelta(days=40))
    with Session(database) as session:
        stats = report_stats.summary(
            session, scope, since=START - timedelta(days=1), until=START + timedelta(days=30)
        )
        everything = report_stats.summary(session, scope)
    assert (stats.total, stats.median_minutes_to_accept) == (1, 6)
    assert (everything.total, everything.median_minutes_to_accept) == (3, 8)


def test_no_reports_give_empty_figures_not_errors(
    database: Engine, scopes: tuple[Scope, int, int]
) -> None:
    scope, _, _ = scopes
    with Session(database) as session:
        stats = report_stats.summary(session, scope)
    assert (stats.total, stats.by_category, stats.by_status) == (0, {}, {})
    assert stats.median_minutes_to_accept is None and stats.median_minutes_to_resolve is None
    assert stats.satisfaction.solved_share is None and stats.satisfaction.average_rating is None
