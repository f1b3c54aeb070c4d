"""A review record's lifecycle, one change at a time: which state each change may start from,
the transition row kept for every change (who and when), and the staff audit.

The daily planner moves records in sets (store/reviews/planner.py) and writes the same
transition rows; every other change — the resident in chat, staff in the console or the API —
goes through `move` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from flows.masking import mask_numbers_in
from store.errors import Refused
from store.reviews.models import (
    BOOKED,
    COMPLETED,
    DUE,
    EXEMPT,
    IN_PERSON,
    MOVED_AWAY,
    ONLINE,
    OVERDUE,
    REMINDED,
    RESIDENT,
    SELF_REPORTED,
    STAFF,
    ReviewRecord,
    ReviewTransition,
)
from store.staff import audit
from store.staff.scope import Scope

# Each change, the states it may start from, and the state it leads to.
BOOK, UNBOOK, SELF_REPORT, CONFIRM, REJECT, COMPLETE, EXEMPT_IT, MOVE_AWAY, REOPEN = (
    "book", "unbook", "self_report", "confirm", "reject", "complete", "exempt", "move_away",
    "reopen",
)  # fmt: skip
CHANGES: dict[str, tuple[tuple[str, ...], str]] = {
    BOOK: ((DUE, REMINDED, OVERDUE), BOOKED),
    UNBOOK: ((BOOKED,), REMINDED),  # a cancelled or missed visit: still to be done
    SELF_REPORT: ((DUE, REMINDED, OVERDUE, BOOKED), SELF_REPORTED),
    CONFIRM: ((SELF_REPORTED,), COMPLETED),  # staff confirm what the resident did online
    REJECT: ((SELF_REPORTED,), REMINDED),  # staff found it not done
    COMPLETE: ((DUE, REMINDED, OVERDUE, BOOKED, SELF_REPORTED), COMPLETED),  # done in person
    EXEMPT_IT: ((DUE, REMINDED, OVERDUE, BOOKED, SELF_REPORTED), EXEMPT),
    MOVE_AWAY: ((DUE, REMINDED, OVERDUE, BOOKED, SELF_REPORTED), MOVED_AWAY),
    REOPEN: ((COMPLETED, EXEMPT, MOVED_AWAY), REMINDED),  # a staff mistake undone
}
# Changes only staff make (audited); the resident makes BOOK, UNBOOK and SELF_REPORT in chat.
STAFF_ONLY = (CONFIRM, REJECT, COMPLETE, EXEMPT_IT, MOVE_AWAY, REOPEN)
MAX_NOTE = 200


def transition(
    session: Session, record: ReviewRecord, to_state: str, *, now: datetime, actor_kind: str,
    staff_id: int | None = None, openid: str | None = None, note: str = "",
) -> None:  # fmt: skip
    """Set the record's state and keep the change as a transition row (no checks: `move`)."""
    session.add(
        ReviewTransition(
            record_id=record.id or 0, from_state=record.state, to_state=to_state, at=now,
            actor_kind=actor_kind, staff_id=staff_id, openid=openid,
            note=mask_numbers_in(note)[:MAX_NOTE],
        )
    )  # fmt: skip
    record.state = to_state
    record.updated_at = now
    session.add(record)


def move(
    session: Session, record: ReviewRecord, change: str, *, now: datetime,
    actor: audit.Actor | None = None, openid: str | None = None, note: str = "",
    via: str | None = None,
) -> ReviewRecord:  # fmt: skip
    """One change of a record, checked against CHANGES: a staff change (`actor`) is audited,
    a resident's (`openid`) is not; the refusal names the state it cannot start from."""
    starts, to_state = CHANGES[change]
    if record.state not in starts:
        raise Refused("state", f"cannot {change} a record that is {record.state}",
                      conflict=True, code="review_state")  # fmt: skip
    if change in STAFF_ONLY and actor is None:
        raise Refused("actor", "only staff make this change", code="review_staff_only")
    before = record.state
    transition(
        session, record, to_state, now=now, actor_kind=STAFF if actor else RESIDENT,
        staff_id=actor.staff_id if actor else None, openid=openid, note=note,
    )  # fmt: skip
    if to_state == COMPLETED:
        record.completed_at = now
        record.completed_via = via or (ONLINE if before == SELF_REPORTED else IN_PERSON)
    elif change == REOPEN:
        record.completed_at, record.completed_via = None, None
    session.flush()
    if actor is not None:
        audit.record(
            session, actor=actor, action=f"review.{change}", object_type="review_record",
            object_id=record.id, committee_id=record.committee_id, now=now,
            before={"state": before}, after={"state": to_state, "note": note},
        )  # fmt: skip
    return record


def visible(
    session: Session, scope: Scope, record_id: int, *, lock: bool = False
) -> ReviewRecord | None:
    """One record of the scope's committees, or None (another committee's is not found)."""
    query = scope.filter(select(ReviewRecord), ReviewRecord.committee_id)
    query = query.where(ReviewRecord.id == record_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def locked(session: Session, record_id: int) -> ReviewRecord | None:
    """The record, locked until the transaction ends and read again once locked."""
    query = select(ReviewRecord).where(ReviewRecord.id == record_id).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def history(session: Session, record_id: int) -> Sequence[ReviewTransition]:
    """Every change of one record, oldest first."""
    query = select(ReviewTransition).where(ReviewTransition.record_id == record_id)
    return list(session.exec(query.order_by(col(ReviewTransition.id))))


def open_of(session: Session, resident_ids: Sequence[int]) -> list[ReviewRecord]:
    """The residents' records not yet closed (due, reminded, booked, self-reported, overdue),
    newest cycle first."""
    if not resident_ids:
        return []
    query = select(ReviewRecord).where(
        col(ReviewRecord.resident_id).in_(resident_ids),
        col(ReviewRecord.state).in_((DUE, REMINDED, BOOKED, SELF_REPORTED, OVERDUE)),
    )
    order = (col(ReviewRecord.cycle).desc(), col(ReviewRecord.id))
    return list(session.exec(query.order_by(*order)))
