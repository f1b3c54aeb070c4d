"""Residents' "no more reminders" (退订 / 不要再提醒) per programme or for all (`*`), kept with
when they said it, and lifted by 恢复提醒. Every later reminder or broadcast honours them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, update
from sqlmodel import Session, col, select

from store.reviews.models import ALL, ReviewOptOut
from store.upsert import insert_for


def stop(session: Session, *, openid: str, programme: str | None, now: datetime) -> None:
    """Stop one programme's reminders for this WeChat user (None: every programme's)."""
    table: Any = ReviewOptOut.__table__
    statement = (
        insert_for(session, ReviewOptOut)
        .values(openid=openid, programme=programme or ALL, opted_out_at=now, resumed_at=None)
        .on_conflict_do_update(
            index_elements=["openid", "programme"],
            set_={"opted_out_at": now, "resumed_at": None},
            where=table.c.resumed_at.is_not(None),  # an opt-out that holds keeps its first time
        )
    )
    session.execute(statement)


def resume(session: Session, *, openid: str, now: datetime) -> int:
    """Lift every opt-out of this WeChat user; how many there were."""
    statement = (
        update(ReviewOptOut)
        .where(col(ReviewOptOut.openid) == openid, col(ReviewOptOut.resumed_at).is_(None))
        .values(resumed_at=now)
    )
    return session.execute(statement).rowcount or 0


def stopped(session: Session, openid: str) -> list[str]:
    """The programme keys (or "*") whose reminders this WeChat user has stopped, oldest first."""
    query = (
        select(ReviewOptOut.programme)
        .where(col(ReviewOptOut.openid) == openid, col(ReviewOptOut.resumed_at).is_(None))
        .order_by(col(ReviewOptOut.id))
    )
    return list(session.exec(query))


def holds(openid: Any, programme: Any) -> Any:
    """A SQL condition: the WeChat user `openid` (a column or value) has stopped `programme`'s
    reminders (a column or value), or every programme's."""
    return exists().where(
        ReviewOptOut.openid == openid,
        or_(ReviewOptOut.programme == programme, ReviewOptOut.programme == ALL),
        col(ReviewOptOut.resumed_at).is_(None),
    )
