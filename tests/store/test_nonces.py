"""The plaintext replay guard remembers nonces and forgets them once they cannot matter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from store.db import unit_of_work
from store.inbound import nonces
from store.inbound.models import WebhookNonce

WINDOW = timedelta(minutes=10)


def _remember(database: Engine, nonce: str, body: str, now: datetime) -> bool:
    with unit_of_work(database) as session:
        return nonces.remember(
            session, nonce=nonce, timestamp="1", body_sha256=body, now=now, window=WINDOW
        )


def test_a_nonce_may_return_only_with_the_same_body(database: Engine) -> None:
    now = datetime.now(UTC)
    assert _remember(database, "n1", "a", now)
    assert _remember(database, "n1", "a", now + timedelta(seconds=5))
    assert not _remember(database, "n1", "b", now + timedelta(seconds=5))
    assert _remember(database, "n1", "b", now + WINDOW * 2)


def test_old_nonces_are_pruned_on_the_write_path(database: Engine) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    with unit_of_work(database) as session:
        for i in range(nonces.PRUNE_EVERY - 1):
            nonces.remember(
                session, nonce=f"old{i}", timestamp="1", body_sha256="x", now=start, window=WINDOW
            )
    _remember(database, "fresh", "x", datetime.now(UTC))
    with Session(database) as session:
        left = session.exec(select(func.count()).select_from(WebhookNonce)).one()
    assert left == 1
