"""A sent broadcast as staff follow it: its targets by what came of each notice (the outbox row
named by its key), and the call list — residents nobody in WeChat could be written to, or whose
notice the outbox could not deliver, and who still live here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, and_, case, cast, func, literal, select
from sqlmodel import Session, col

from store.broadcasts.models import BroadcastTarget
from store.broadcasts.service import NOT_BOUND, OPTED_OUT
from store.campaigns.audience import LEFT_OUT
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.registry.models import Resident

# Shown, never stored: what came of a target's notice.
DELIVERED, WAITING, UNREACHABLE, CLOSED = "delivered", "waiting", "unreachable", "closed"
# An outbox message that ended so: its resident was not reached (the outbox's call list too).
NOT_DELIVERED = (outbox.FAILED, outbox.UNREACHABLE)


@dataclass(frozen=True)
class Progress:
    """A broadcast's targets by what came of them; each counted once."""

    total: int = 0
    delivered: int = 0
    waiting: int = 0  # in the outbox still (quiet hours, retries)
    unreachable: int = 0  # the outbox could not deliver it: the call list
    not_bound: int = 0  # nobody in WeChat: the call list
    opted_out: int = 0  # stopped every reminder: not written to, not phoned
    closed: int = 0  # not reached, and the resident has since moved out or died

    @property
    def to_call(self) -> int:
        """How many residents the call list holds."""
        return self.unreachable + self.not_bound


@dataclass(frozen=True)
class CallRow:
    """A resident to phone: not bound in WeChat, or their notice could not be delivered."""

    target_id: int
    resident: Resident
    status: str  # not_bound, unreachable
    via: str | None
    error: str | None  # the outbox's reason key or WeChat's error text
    error_code: int | None


def _state() -> Any:
    """A target's state as staff see it, from the target, its resident and its outbox row."""
    target, message = BroadcastTarget, OutboxMessage
    left = col(Resident.residence_status).in_(LEFT_OUT)
    failed = col(message.status).in_(NOT_DELIVERED)
    return case(
        (and_(target.status == NOT_BOUND, left), CLOSED),
        (target.status == NOT_BOUND, NOT_BOUND),
        (target.status == OPTED_OUT, OPTED_OUT),
        (message.status == outbox.SENT, DELIVERED),
        (and_(failed, left), CLOSED),
        (failed, UNREACHABLE),
        else_=WAITING,
    )


def _joined(query: Any) -> Any:
    """The query with what `_state` reads: the target's resident and its notice's outbox row."""
    target = BroadcastTarget
    key = (literal("notice:", Text) + cast(target.broadcast_id, String) + literal(":", Text)
           + cast(target.resident_id, String))  # fmt: skip
    return query.join(Resident, Resident.id == target.resident_id).outerjoin(
        OutboxMessage, OutboxMessage.idempotency_key == key
    )


def progress(session: Session, broadcast_ids: Sequence[int]) -> dict[int, Progress]:
    """Each broadcast's targets counted by what came of them, in one query."""
    if not broadcast_ids:
        return {}
    state = _state().label("state")
    rows = _joined(select(BroadcastTarget.broadcast_id, state).select_from(BroadcastTarget))
    inner = rows.where(col(BroadcastTarget.broadcast_id).in_(broadcast_ids)).subquery()
    grouped = select(inner.c.broadcast_id, inner.c.state, func.count())
    counted: dict[int, dict[str, int]] = {}
    for broadcast_id, found, number in session.execute(
        grouped.group_by(inner.c.broadcast_id, inner.c.state)
    ):
        counted.setdefault(broadcast_id, {})[found] = number
    return {
        broadcast_id: Progress(total=sum(found.values()), **found)
        for broadcast_id, found in counted.items()
    }


def call_list(
    session: Session, broadcast_id: int, *, page: int, per_page: int
) -> tuple[list[CallRow], int]:
    """One page of the broadcast's residents to phone (not bound, or not reached, and still
    living here), in the order they were named, and how many there are."""
    state = _state()
    where = (BroadcastTarget.broadcast_id == broadcast_id, state.in_((NOT_BOUND, UNREACHABLE)))
    total = session.execute(
        _joined(select(func.count()).select_from(BroadcastTarget)).where(*where)
    ).scalar_one()
    query = _joined(
        select(BroadcastTarget, Resident, state, OutboxMessage.last_error,
               OutboxMessage.last_error_code).select_from(BroadcastTarget)
    ).where(*where)  # fmt: skip
    query = query.order_by(col(BroadcastTarget.id)).offset((page - 1) * per_page).limit(per_page)
    rows = [
        CallRow(target_id=target.id or 0, resident=person, status=found, via=target.via,
                error=error, error_code=code)
        for target, person, found, error, code in session.execute(query)
    ]  # fmt: skip
    return rows, total
