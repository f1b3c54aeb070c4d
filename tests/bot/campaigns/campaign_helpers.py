"""What the campaign answer tests share: a campaign of a whole committee saved and started as
its clerk (the store services the console calls), and the delivery worker's verdict on its
messages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.campaigns.letters import letter
from store.campaigns import service as campaigns
from store.campaigns.audience import Audience
from store.campaigns.models import CampaignTarget
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.staff import audit
from store.staff import scope as scopes
from store.staff.models import StaffUser
from tests.chat import SEALER, WORDS

TZ = ZoneInfo("Asia/Shanghai")


def start_campaign(database: Engine, clerk_id: int | None, *, now: datetime) -> int:
    """Save a campaign asking every resident of the clerk's committee and start it, as the
    console does (preview's wording, start once); the campaign's id."""
    with unit_of_work(database) as session:
        clerk = session.get(StaffUser, clerk_id)
        assert clerk is not None and clerk.committee_id is not None
        scope, actor = scopes.of(session, clerk), audit.Actor.of(clerk)
        saved = campaigns.create(
            session, scope, audience=Audience(clerk.committee_id), title="2026年冬季核对",
            message=WORDS.campaigns.letter.message, reminder_after_days=3, actor=actor, now=now,
        )  # fmt: skip
        assert saved.id is not None
        campaigns.start(session, SEALER, campaign_id=saved.id, scope=scope, actor=actor,
                        now=now, tz=TZ, letter=letter(WORDS, TZ))  # fmt: skip
        return saved.id


def delivered(database: Engine, *, now: datetime, status: str = outbox.SENT) -> int:
    """Every campaign message still waiting is settled so (sent, unreachable …); how many."""
    with unit_of_work(database) as session:
        query = select(OutboxMessage.id).where(
            OutboxMessage.kind == campaigns.KIND, OutboxMessage.status == outbox.PENDING
        )
        ids = list(session.exec(query.order_by(col(OutboxMessage.id))))
        for message_id in ids:
            outbox.settle(session, message_id, outbox.Outcome(status), now)
        return len(ids)


def target_statuses(database: Engine, campaign_id: int) -> dict[int, str]:
    """Each resident's target status as stored (resident id → sent, confirmed, changed …)."""
    with Session(database) as session:
        query = select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
        return {t.resident_id: t.status for t in session.exec(query)}
