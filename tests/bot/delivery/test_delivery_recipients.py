"""What the delivery worker reads about residents: right per resident, and in the same few
queries however many residents a batch holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.delivery import recipients
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.residents import consents, users

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@contextmanager
def counted(database: Engine) -> Iterator[list[str]]:
    """The statements the database runs inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database, "before_cursor_execute", record)


def _resident(database: Engine, openid: str, wrote: datetime | None, sent: list[datetime]) -> None:
    """A follower who last wrote at `wrote` and was sent customer-service messages at `sent`."""
    with unit_of_work(database) as session:
        users.seen(session, openid, NOW - timedelta(days=30), event="subscribe", own_message=False)
        if wrote is not None:
            users.seen(session, openid, wrote, own_message=True)
        for n, at in enumerate(sent):
            message_id = outbox.enqueue(
                session, key=f"{openid}:{n}", audience=outbox.RESIDENT, recipient=openid,
                kind="status_update", payload={"text": "已受理"}, now=at,
            )  # fmt: skip
            assert message_id is not None
            outbox.settle(session, message_id, outbox.Outcome(outbox.SENT, channel="custom"), at)


def _load(database: Engine, openids: set[str]) -> tuple[dict[str, Any], int]:
    with counted(database) as statements, unit_of_work(database) as session:
        found = recipients.load(session, openids, NOW)
    return found, len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_each_resident_counts_only_the_messages_of_their_own_open_window(
    database: Engine,
) -> None:
    wrote = NOW - timedelta(hours=2)
    _resident(database, "o_inside", wrote, [wrote - timedelta(hours=1), wrote, NOW])
    _resident(database, "o_closed", NOW - timedelta(hours=49), [NOW - timedelta(hours=48)])
    _resident(database, "o_silent", None, [])
    with unit_of_work(database) as session:
        consents.record(session, openid="o_silent", template_id="tpl-a", accepted=True, now=NOW)
        consents.record(session, openid="o_silent", template_id="tpl-b", accepted=False, now=NOW)
    found, _ = _load(database, {"o_inside", "o_closed", "o_silent", "o_stranger"})
    assert set(found) == {"o_inside", "o_closed", "o_silent"}
    assert found["o_inside"].custom_sent_in_window == 2
    assert found["o_closed"].custom_sent_in_window == 0
    assert found["o_silent"].last_message_at is None
    assert found["o_silent"].consents == frozenset({"tpl-a"})
    assert found["o_inside"].consents == frozenset()


def test_a_batch_of_residents_is_read_in_as_many_queries_as_one(database: Engine) -> None:
    wrote = NOW - timedelta(hours=1)
    openids = {f"o_{n}" for n in range(12)}
    for openid in openids:
        _resident(database, openid, wrote, [NOW])
    one, queries_for_one = _load(database, {"o_0"})
    many, queries_for_many = _load(database, openids)
    assert one["o_0"].custom_sent_in_window == 1
    assert all(r.custom_sent_in_window == 1 for r in many.values()) and len(many) == 12
    assert queries_for_many == queries_for_one <= 3
