"""核对信息's side of the webhook: whether a resident's message may answer a campaign's message
(the invitation StorePort offers the engine) and the applier that records the answer, through
store/campaigns/answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.campaigns.letters import answers_since
from config.content import Content
from flows.campaign import CAMPAIGN
from flows.effects import AnswerCampaign
from store.campaigns import answers
from store.campaigns.service import key_of
from store.outbox import messages as outbox

if TYPE_CHECKING:
    from bot.webhook.effects import Context

# The people an openid acts for, as the Port gives them (binding_id, resident_id, kind, …).
People = Callable[[str], list[dict[str, Any]]]


def invitation(
    session: Session, content: Content, now: datetime, openid: str, people_of: People
) -> tuple[str, dict[str, Any]] | None:
    """The campaign's message this openid may answer now, as the answer flow's data (the
    person it is about), or None: then a 1 or 2 means what it always does."""
    waiting = answers.awaiting(session, openid, since=answers_since(content, now))
    if waiting is None:
        return None
    campaign_id, resident_id = waiting
    # A bare 1 or 2 answers only a message the resident has been sent (not one held through
    # the night, nor one WeChat refused); the reminder goes only where the message went.
    if outbox.status_of(session, key_of(campaign_id, resident_id)) != outbox.SENT:
        return None
    person = next((p for p in people_of(openid) if p["resident_id"] == resident_id), None)
    if person is None:
        return None
    return CAMPAIGN, {"campaign_id": campaign_id, "person": person}


def answer_campaign(session: Session, effect: AnswerCampaign, context: Context) -> None:
    """Record the answer on the openid's newest unanswered campaign message; confirmed also
    marks the resident's details confirmed now."""
    answers.answer(
        session, openid=effect.openid, answer=effect.answer, now=context.now,
        since=answers_since(context.content, context.now),
    )  # fmt: skip
