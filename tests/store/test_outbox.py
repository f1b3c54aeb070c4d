"""The outbox: idempotent enqueue, claims that workers never share, settled outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.residents import human
from store.residents.models import HumanRequest

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _enqueue(session: Session, key: str, **kw: object) -> int | None:
    values = {"audience": outbox.RESIDENT, "recipient": "o1", "kind": "status_update",
              "payload": {"text": "您的报事已受理"}, "now": NOW}  # fmt: skip
    values.update(kw)
    return outbox.enqueue(session, key=key, **values)  # type: ignore[arg-type]


def _count(database: Engine, model: type) -> int:
    with Session(database) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_same_key_enqueues_once(database: Engine) -> None:
    with unit_of_work(database) as session:
        first = _enqueue(session, "report:42:accepted")
        again = _enqueue(session, "report:42:accepted", payload={"text": "不同的文字"})
    assert first is not None and again is None
    with unit_of_work(database) as session:
        assert _enqueue(session, "report:42:accepted") is None
    assert _count(database, OutboxMessage) == 1


def test_a_record_and_its_message_commit_together_or_not_at_all(database: Engine) -> None:
    with pytest.raises(RuntimeError), unit_of_work(database) as session:
        human.add(session, openid="o1", text="人工", flow=None, step=None, now=NOW)
        _enqueue(session, "human:1")
        raise RuntimeError("the request failed after both writes")
    assert (_count(database, HumanRequest), _count(database, OutboxMessage)) == (0, 0)
    with unit_of_work(database) as session:
        human.add(session, openid="o1", text="人工", flow=None, step=None, now=NOW)
        _enqueue(session, "human:1")
    assert (_count(database, HumanRequest), _count(database, OutboxMessage)) == (1, 1)


def test_due_messages_are_claimed_once_and_urgent_ones_first(database: Engine) -> None:
    with unit_of_work(database) as session:
        _enqueue(session, "a")
        _enqueue(session, "b", urgent=True)
        _enqueue(session, "later", not_before=NOW + timedelta(hours=1))
    with unit_of_work(database) as session:
        first = outbox.claim_due(session, now=NOW, limit=10, lease=timedelta(minutes=2))
    with unit_of_work(database) as session:
        second = outbox.claim_due(session, now=NOW, limit=10, lease=timedelta(minutes=2))
    assert [m.idempotency_key for m in first] == ["b", "a"]
    assert second == []
    assert {m.status for m in first} == {outbox.SENDING}


def test_a_message_whose_worker_died_is_claimed_again_after_its_lease(database: Engine) -> None:
    with unit_of_work(database) as session:
        _enqueue(session, "a")
    with unit_of_work(database) as session:
        outbox.claim_due(session, now=NOW, limit=10, lease=timedelta(minutes=2))
    with unit_of_work(database) as session:
        assert outbox.claim_due(session, now=NOW + timedelta(minutes=1), limit=10,
                                lease=timedelta(minutes=2)) == []  # fmt: skip
    with unit_of_work(database) as session:
        again = outbox.claim_due(session, now=NOW + timedelta(minutes=3), limit=10,
                                 lease=timedelta(minutes=2))  # fmt: skip
    assert [m.idempotency_key for m in again] == ["a"]


def test_settling_records_the_outcome(database: Engine) -> None:
    with unit_of_work(database) as session:
        message_id = _enqueue(session, "a")
    assert message_id is not None
    with unit_of_work(database) as session:
        outbox.settle(session, message_id, outbox.Outcome(
            outbox.PENDING, channel="custom", error_code=-1, error="system busy",
            retry_at=NOW + timedelta(seconds=30)), NOW)  # fmt: skip
        outbox.settle(session, message_id, outbox.Outcome(
            outbox.SENT, channel="template", wechat_msg_id=200163836), NOW)  # fmt: skip
        assert outbox.record_job_finish(session, 200163836, "success") == 1
    with Session(database) as session:
        message = session.get(OutboxMessage, message_id)
    assert message is not None
    assert (message.status, message.attempts, message.channel) == ("sent", 2, "template")
    assert message.sent_at == NOW and message.delivery_report == "success"
