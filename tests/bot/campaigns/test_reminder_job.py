"""The campaign-reminders job as the scheduler runs it: off the event loop, in its own unit of
work, at the clock's time — nothing before the campaign's days have passed, then the reminder."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session, col, select

from bot.campaigns.reminders import campaign_reminders
from store.outbox.models import OutboxMessage
from tests.chat import SEALER, WORDS
from tests.resident_helpers import NOW
from tests.store.campaigns.conftest import DAUGHTER, TZ, Bound, save, settle, start


def test_the_job_reminds_those_who_did_not_answer_once_their_days_have_passed(
    bound: Bound,
) -> None:
    campaign_id = start(bound, save(bound, days=2)).campaign.id
    for resident_id in (bound.registry.woman, bound.registry.man):
        settle(bound.database, f"campaign:{campaign_id}:{resident_id}", "sent")
    now = [NOW + timedelta(days=1)]
    job = campaign_reminders(bound.database, SEALER, WORDS, TZ, clock=lambda: now[0])
    assert asyncio.run(job()) == 0
    now[0] = NOW + timedelta(days=2, minutes=1)
    assert asyncio.run(job()) == 2
    assert asyncio.run(job()) == 0
    with Session(bound.database) as session:
        query = select(OutboxMessage.recipient).where(
            col(OutboxMessage.idempotency_key).endswith(":reminder")
        )
        assert DAUGHTER in session.exec(query).all()
