"""Tables of confirmation campaigns (核对信息): a campaign staff started for chosen residents of
one committee, and one target row per resident — whom the message went to, and the answer.

Targets hold no personal number; what each resident was sent is the outbox message's text
(details masked), named by `message_id`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.columns import fk, text, when
from store.types import JSONType

SELF, PROXY = "self", "proxy"
SENT, CONFIRMED, CHANGED, NOT_BOUND, UNREACHABLE = (
    "sent", "confirmed", "changed", "not_bound", "unreachable",
)  # fmt: skip
TARGET_STATUSES = (SENT, CONFIRMED, CHANGED, NOT_BOUND, UNREACHABLE)
# Shown, never stored: not answered, and the resident has since moved out or died — nobody is to
# be asked, reminded or phoned about them any more (store/campaigns/service.py).
CLOSED = "closed"
ANSWERS = (CONFIRMED, CHANGED)


class Campaign(SQLModel, table=True):
    """A confirmation campaign: whom it asks (the filter), the wording staff previewed, and when
    it started and reminded."""

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = fk("committee.id", nullable=False, index=True)
    title: str = text(100, nullable=False)
    created_by: int | None = fk("staff_user.id")
    # place_id, tag, unconfirmed_since (an ISO date): which of the committee's residents.
    filter: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # campaigns.yaml's message as it was when staff saved the campaign: what they previewed.
    message: str = text(nullable=False, default="")
    created_at: datetime = when()
    started_at: datetime | None = when(nullable=True)
    reminder_after_days: int = Field(default=3, sa_column=Column(Integer, nullable=False))
    reminded_at: datetime | None = when(nullable=True)


class CampaignTarget(SQLModel, table=True):
    """One resident of a started campaign: the openid asked (NULL: nobody reachable), through
    which binding, and what came of it."""

    __tablename__ = "campaign_target"
    __table_args__ = (
        UniqueConstraint("campaign_id", "resident_id", name="uq_campaign_target"),
        Index("ix_campaign_target_campaign_status", "campaign_id", "status"),
        Index("ix_campaign_target_openid_status", "openid", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = fk("campaign.id", nullable=False)
    resident_id: int = fk("resident.id", nullable=False, index=True)
    openid: str | None = text(64)
    via: str | None = text(8)  # self, proxy; NULL when not bound
    status: str = text(12, nullable=False)  # sent, confirmed, changed, not_bound, unreachable
    # The outbox messages (asked, reminded): their delivery tells whether the target was reached.
    message_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    reminder_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    answered_at: datetime | None = when(nullable=True)
    reminded_at: datetime | None = when(nullable=True)
