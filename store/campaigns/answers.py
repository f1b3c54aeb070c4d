"""A resident's answer in WeChat to a campaign's message: 1, their details are right; 2, they
need changing. The webhook asks `awaiting` whether an answer is pending, then `answer`. Only one
who still acts for the resident answers, and nobody answers for one who moved out or died."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, col, select

from store.binding import self_reports
from store.binding.models import ACTIVE, ResidentBinding
from store.campaigns.audience import staying
from store.campaigns.models import ANSWERS, CONFIRMED, SENT, UNREACHABLE, Campaign, CampaignTarget
from store.errors import Refused
from store.registry.models import Resident

# Not answered yet; an unreachable one may still answer (a later message of theirs reached us).
OPEN = (SENT, UNREACHABLE)


def still_acting() -> Any:
    """A where-clause on CampaignTarget: its openid still has an active binding to its resident."""
    return exists(
        select(ResidentBinding.id).where(
            ResidentBinding.openid == CampaignTarget.openid,
            ResidentBinding.resident_id == CampaignTarget.resident_id,
            ResidentBinding.status == ACTIVE,
        )
    )


def _open_targets(openid: str, since: datetime | None) -> Any:
    """The openid's unanswered targets, newest first, while it still acts for the resident and
    the resident still lives here."""
    query = (
        select(CampaignTarget)
        .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .join(Resident, Resident.id == CampaignTarget.resident_id)
        .where(CampaignTarget.openid == openid, col(CampaignTarget.status).in_(OPEN),
               still_acting(), staying())
    )  # fmt: skip
    if since is not None:
        query = query.where(col(Campaign.started_at) >= since)
    return query.order_by(col(CampaignTarget.id).desc())


def awaiting(
    session: Session, openid: str, *, since: datetime | None = None
) -> tuple[int, int] | None:
    """(campaign_id, resident_id) of the newest message this openid has not answered (of
    campaigns started since `since`), or None: then a 1 or 2 means something else."""
    target = session.exec(_open_targets(openid, since).limit(1)).first()
    return None if target is None else (target.campaign_id, target.resident_id)


def answer(
    session: Session,
    *,
    openid: str,
    answer: str,
    now: datetime,
    since: datetime | None = None,
) -> CampaignTarget | None:
    """Record the openid's answer ("confirmed" or "changed") on its newest unanswered target;
    confirmed also marks the resident's details confirmed now. None when nothing awaits one."""
    if answer not in ANSWERS:
        raise Refused("answer", f"one of {', '.join(ANSWERS)}")
    query = _open_targets(openid, since).limit(1).with_for_update(of=CampaignTarget)
    target = session.exec(query).first()
    if target is None:
        return None
    target.status, target.answered_at = answer, now
    session.add(target)
    if answer == CONFIRMED:
        self_reports.confirm(session, resident_id=target.resident_id, now=now)
    session.flush()
    return target
