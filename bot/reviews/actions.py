"""One staff change of a 年审 record, as the console and the API both make it: who may make it,
which changes the record's state allows, and the change itself — a booked visit attended when
the record is done at the desk, or given back when the record is closed — each audited."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from config.review_content import Programme
from store.errors import Refused
from store.reviews import appointments, records
from store.reviews.models import BOOKED, ReviewRecord
from store.reviews.records import COMPLETE, CONFIRM, EXEMPT_IT, MOVE_AWAY, REJECT, REOPEN
from store.staff import audit
from store.staff.scope import Scope

# The changes staff make on one record, in the order the console shows them.
ACTIONS = (CONFIRM, REJECT, COMPLETE, EXEMPT_IT, MOVE_AWAY, REOPEN)
# Changes that close or reopen a record on staff's word alone: the reason is kept with it.
NEEDS_NOTE = (EXEMPT_IT, MOVE_AWAY, REOPEN)
# The changes made to several records at once.
BULK = (EXEMPT_IT, MOVE_AWAY)


def may_act(scope: Scope, programme: Programme) -> bool:
    """Committee staff and sub-district admins change records; a grid worker only when the
    programme names grid workers as its owners (else they follow the tracker)."""
    return scope.admin or scope.committee_staff or scope.role == programme.owner_role


def allowed(record: ReviewRecord) -> list[str]:
    """The staff changes the record's state allows, in order."""
    return [change for change in ACTIONS if record.state in records.CHANGES[change][0]]


def change(
    session: Session, scope: Scope, record: ReviewRecord, change: str, *, note: str,
    actor: audit.Actor, now: datetime,
) -> ReviewRecord:  # fmt: skip
    """Make one change of a record the caller has locked (audited). Refused: an unknown change,
    a missing or too long reason, or a state the change cannot start from."""
    if change not in ACTIONS:
        raise Refused("action", f"one of {', '.join(ACTIONS)}", code="review_action")
    note = note.strip()
    if change in NEEDS_NOTE and not note:
        raise Refused("note", "say why", code="review_note")
    if len(note) > records.MAX_NOTE:
        raise Refused("note", f"at most {records.MAX_NOTE} characters", code="review_note_long")
    visit = None
    if record.state == BOOKED:
        visit = appointments.current(session, [record.id or 0]).get(record.id or 0)
    if change == COMPLETE and visit is not None:
        # Done at the desk on a booked visit: the visit is attended and the record completes.
        appointments.attend(session, scope, visit[0].id or 0, complete=True, actor=actor, now=now)
        return record
    if change in (EXEMPT_IT, MOVE_AWAY) and visit is not None:
        appointments.cancel(session, record, now=now, actor=actor)  # the place is given back
    return records.move(session, record, change, now=now, actor=actor, note=note)
