"""What the report planner and the webhook look for: reports due a reminder, an escalation, a
回访 question or closing, and the 回访 question a resident may be answering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from store.reports.models import CLOSED, RESOLVED, SUBMITTED, Report
from store.upsert import connection

# On every message outside a flow, so a Core statement built once: no ORM objects.
_AWAITING = (
    sa_select(Report.reference, Report.category, Report.reopened, Report.follow_up_asked_at)
    .where(Report.reporter_openid == bindparam("openid"))
    .where(col(Report.status).in_((RESOLVED, CLOSED)))
    .where(col(Report.follow_up_asked_at) >= bindparam("since"))
    .where(col(Report.follow_up_answered_at).is_(None))
    .order_by(col(Report.follow_up_asked_at).desc())
    .limit(1)
)


def awaiting_follow_up_answer(session: Session, openid: str, since: datetime) -> Any:
    """The reporter's newest resolved or closed report (reference, category, reopened,
    follow_up_asked_at) whose 回访 question, asked after `since`, is unanswered; or None."""
    params = {"openid": openid, "since": since}
    return connection(session).execute(_AWAITING, params).first()


def due_for_follow_up(session: Session, resolved_before: datetime) -> Sequence[Report]:
    """Resolved reports whose reporter has not yet been asked whether it is really fixed."""
    query = (
        select(Report)
        .where(Report.status == RESOLVED, col(Report.resolved_at) <= resolved_before)
        .where(col(Report.follow_up_asked_at).is_(None))
        .order_by(col(Report.id))
    )
    return session.exec(query.with_for_update(skip_locked=True)).all()


def unanswered_follow_ups(session: Session, asked_before: datetime) -> Sequence[Report]:
    """Resolved reports whose 回访 question went unanswered since before `asked_before`."""
    query = (
        select(Report)
        .where(Report.status == RESOLVED, col(Report.follow_up_asked_at) <= asked_before)
        .where(col(Report.follow_up_answered_at).is_(None))
        .order_by(col(Report.id))
    )
    return session.exec(query.with_for_update(skip_locked=True)).all()


def unaccepted(session: Session, created_before: datetime, *, stage: str) -> Sequence[Report]:
    """Submitted reports older than the cut-off not yet `reminded` / `escalated`."""
    column = Report.reminded_at if stage == "reminded" else Report.escalated_at
    query = (
        select(Report)
        .where(Report.status == SUBMITTED, col(Report.created_at) <= created_before)
        .where(col(column).is_(None))
        .order_by(col(Report.id))
    )
    return session.exec(query.with_for_update(skip_locked=True)).all()
