"""The outbox: every message Linli sends outside a passive reply, from enqueue to its end state."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from store.outbox.models import OutboxMessage
from store.residents.models import WeChatUser
from store.staff.models import Committee
from store.staff.scope import Scope
from store.upsert import insert_for

PENDING, SENDING, SENT, FAILED, UNREACHABLE, CANCELLED = (
    "pending", "sending", "sent", "failed", "unreachable", "cancelled",
)  # fmt: skip
FINAL = (SENT, FAILED, UNREACHABLE, CANCELLED)
RESIDENT, STAFF = "resident", "staff"


def enqueue(
    session: Session,
    *,
    key: str,
    audience: str,
    recipient: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    urgent: bool = False,
    not_before: datetime | None = None,
    committee_id: int | None = None,
    sub_district_id: int | None = None,
) -> int | None:
    """Add a message in the caller's transaction; None when the key was enqueued already.

    `committee_id` / `sub_district_id` name whose resident this is (the record that caused the
    message); the call list shows a message only within that scope.
    """
    if committee_id is not None and sub_district_id is None:
        home = session.get(Committee, committee_id)
        sub_district_id = home.sub_district_id if home is not None else None
    statement = (
        insert_for(session, OutboxMessage)
        .values(
            idempotency_key=key, audience=audience, recipient=recipient, kind=kind,
            payload=payload, urgent=urgent, status=PENDING, attempts=0,
            next_attempt_at=not_before or now, created_at=now, committee_id=committee_id,
            sub_district_id=sub_district_id,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.id)
    )  # fmt: skip
    return session.execute(statement).scalar_one_or_none()


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[str, str, dict[str, Any]]],
    *,
    audience: str,
    kind: str,
    now: datetime,
    committee_id: int | None = None,
    sub_district_id: int | None = None,
) -> list[int]:
    """Add many messages of one kind, each (key, recipient, payload), in the caller's
    transaction and in one statement; their ids in the same order. Every key must be new (a
    campaign's own), so a repeated key fails the transaction rather than going missing."""
    if not messages:
        return []
    rows = [
        {"idempotency_key": key, "audience": audience, "recipient": recipient, "kind": kind,
         "payload": payload, "urgent": False, "status": PENDING, "attempts": 0,
         "next_attempt_at": now, "created_at": now, "committee_id": committee_id,
         "sub_district_id": sub_district_id}
        for key, recipient, payload in messages
    ]  # fmt: skip
    table: Any = OutboxMessage.__table__
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(session.connection().execute(statement, rows).scalars())


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this worker; other workers skip them.

    A message stays `sending` while its lease runs; a worker that died leaves it to be claimed
    again once the lease has passed.
    """
    due = or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )
    query = (
        select(OutboxMessage)
        .where(due)
        .order_by(OutboxMessage.urgent.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(session.scalars(query))
    for message in messages:
        message.status = SENDING
        message.claimed_until = now + lease
    session.flush()
    return messages


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery attempt."""

    status: str  # sent, pending (retry later), failed, unreachable
    channel: str | None = None
    error_code: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    wechat_msg_id: int | None = None
    count_attempt: bool = True


def settle(session: Session, message_id: int, outcome: Outcome, now: datetime) -> None:
    """Record an attempt's outcome on the message."""
    values: dict[str, Any] = {
        "status": outcome.status,
        "claimed_until": None,
        "last_error_code": outcome.error_code,
        "last_error": outcome.error,
    }
    if outcome.count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    if outcome.channel:
        values["channel"] = outcome.channel
    if outcome.status == SENT:
        values.update(sent_at=now, wechat_msg_id=outcome.wechat_msg_id)
    if outcome.retry_at is not None:
        values["next_attempt_at"] = outcome.retry_at
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(values))


def status_of(session: Session, key: str) -> str | None:
    """The status of the message enqueued under an idempotency key, or None."""
    query = select(OutboxMessage.status).where(OutboxMessage.idempotency_key == key)
    return session.execute(query).scalar_one_or_none()


def customer_service_sent_since_last_message(
    session: Session, openids: Collection[str], opened_after: datetime
) -> dict[str, int]:
    """Customer-service messages sent to each resident since their last message, in one query.

    Only residents whose last message came after `opened_after` (an open window) are counted;
    the others, and residents sent nothing, are absent.
    """
    if not openids:
        return {}
    query = (
        select(OutboxMessage.recipient, func.count())
        .join(WeChatUser, WeChatUser.openid == OutboxMessage.recipient)
        .where(
            OutboxMessage.recipient.in_(openids),
            OutboxMessage.audience == RESIDENT,
            OutboxMessage.channel == "custom",
            OutboxMessage.status == SENT,
            WeChatUser.last_message_at > opened_after,
            OutboxMessage.sent_at >= WeChatUser.last_message_at,
        )
        .group_by(OutboxMessage.recipient)
    )
    return {openid: count for openid, count in session.execute(query)}


def record_job_finish(session: Session, wechat_msg_id: int, report: str) -> int:
    """Attach WeChat's TEMPLATESENDJOBFINISH status to the template message it reports on."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.wechat_msg_id == wechat_msg_id)
        .values(delivery_report=report[:64])
    )
    return result.rowcount or 0


def unreachable(
    session: Session, scope: Scope | None = None
) -> Sequence[tuple[OutboxMessage, WeChatUser | None]]:
    """Residents' messages that could not be delivered, newest first, for the call list.

    With a scope: only the messages of its committees, and for a sub-district admin also those
    of the sub-district that belong to no committee. A message of neither (a resident Linli
    cannot place) is for the server's command line only; without a scope every one is listed.
    """
    query = (
        select(OutboxMessage, WeChatUser)
        .join(WeChatUser, WeChatUser.openid == OutboxMessage.recipient, isouter=True)
        .where(OutboxMessage.audience == RESIDENT, OutboxMessage.status == UNREACHABLE)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    if scope is not None:
        own = OutboxMessage.committee_id.in_(scope.committee_ids)
        district = OutboxMessage.committee_id.is_(None) & (
            OutboxMessage.sub_district_id == scope.sub_district_id
        )
        query = query.where(or_(own, district) if scope.admin else own)
    return [(row[0], row[1]) for row in session.execute(query)]
