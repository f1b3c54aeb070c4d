"""The campaigns' daily work: targets whose message the outbox could not deliver become
unreachable, and once a campaign is N days old, one reminder to each resident who has not
answered — through one who still acts for them, and never about one who moved out or died."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, select

from store.campaigns.answers import still_acting
from store.campaigns.audience import staying
from store.campaigns.details import Details, details_of
from store.campaigns.models import SENT, UNREACHABLE, Campaign, CampaignTarget
from store.campaigns.service import KIND, NOT_DELIVERED, batches, key_of, payload_of
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.registry.models import Resident
from store.sealing import Sealer
from store.staff.models import Committee

# One resident's details → the reminder they are sent: the bot's wording.
Reminder = Callable[[Details], str]


def settle_unreachable(session: Session) -> int:
    """Mark unreachable the unanswered targets whose message or reminder the outbox could not
    deliver; how many."""
    failed = select(OutboxMessage.id).where(col(OutboxMessage.status).in_(NOT_DELIVERED))
    statement = (
        update(CampaignTarget)
        .where(
            CampaignTarget.status == SENT,
            or_(col(CampaignTarget.message_id).in_(failed),
                col(CampaignTarget.reminder_id).in_(failed)),
        )
        .values(status=UNREACHABLE)
    )  # fmt: skip
    return session.execute(statement).rowcount or 0


def _due(session: Session, now: datetime) -> list[Campaign]:
    query = select(Campaign).where(
        col(Campaign.started_at).is_not(None), col(Campaign.reminded_at).is_(None)
    )
    started = session.exec(query.order_by(col(Campaign.id)).with_for_update(skip_locked=True))
    return [
        campaign
        for campaign in started
        if campaign.started_at is not None
        and campaign.started_at + timedelta(days=campaign.reminder_after_days) <= now
    ]


def _remind(
    session: Session, sealer: Sealer, campaign: Campaign, *, now: datetime, tz: ZoneInfo,
    reminder: Reminder,
) -> int:  # fmt: skip
    """Queue the campaign's reminders: to the targets still waiting whose message arrived, while
    their openid still acts for the resident and the resident lives here; others are skipped."""
    assert campaign.id is not None
    query = (
        select(CampaignTarget, Resident)
        .join(Resident, Resident.id == CampaignTarget.resident_id)
        .join(OutboxMessage, OutboxMessage.id == CampaignTarget.message_id)
        .where(CampaignTarget.campaign_id == campaign.id, CampaignTarget.status == SENT,
               OutboxMessage.status == outbox.SENT, still_acting(), staying())
        .order_by(col(CampaignTarget.id))
    )  # fmt: skip
    waiting = list(session.exec(query))
    committee = session.get(Committee, campaign.committee_id)
    sub_district_id = committee.sub_district_id if committee else None
    today = now.astimezone(tz).date()
    targets: Any = CampaignTarget.__table__
    mark = (
        update(targets)
        .where(targets.c.id == bindparam("b_target"))
        .values(reminder_id=bindparam("b_reminder"), reminded_at=now)
    )
    for chunk in batches(waiting):
        vias = {person.id or 0: target.via for target, person in chunk}
        shown = details_of(session, sealer, [person for _, person in chunk], today=today,
                           via=vias)  # fmt: skip
        letters = [
            (f"{key_of(campaign.id, target.resident_id)}:reminder", target.openid or "",
             payload_of(reminder(details)))
            for (target, _), details in zip(chunk, shown, strict=True)
        ]  # fmt: skip
        ids = outbox.enqueue_many(
            session, letters, audience=outbox.RESIDENT, kind=KIND, now=now,
            committee_id=campaign.committee_id, sub_district_id=sub_district_id,
        )  # fmt: skip
        session.connection().execute(mark, [
            {"b_target": target.id, "b_reminder": message_id}
            for (target, _), message_id in zip(chunk, ids, strict=True)
        ])  # fmt: skip
    campaign.reminded_at = now
    session.add(campaign)
    session.flush()
    return len(waiting)


def remind_due(
    session: Session, sealer: Sealer, *, now: datetime, tz: ZoneInfo, reminder: Reminder
) -> int:
    """Settle the undelivered, then remind (once per campaign, once per resident) those who have
    not answered a campaign started at least its reminder_after_days ago; how many reminders."""
    settle_unreachable(session)
    return sum(
        _remind(session, sealer, campaign, now=now, tz=tz, reminder=reminder)
        for campaign in _due(session, now)
    )
