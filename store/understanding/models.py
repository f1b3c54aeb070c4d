"""The not-understood log: each message that reached the front door's fallback (the menu and
人工), its numbers masked, until staff resolve it as the wording of an intent or ignore it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from store.columns import when

# The longest text kept: a wording worth a synonym is short; the rest is only an example.
MAX_TEXT = 500
# resolved_label for a group staff chose to ignore (an intent's label is "kind:key").
IGNORED = "ignored"


class UnmatchedMessage(SQLModel, table=True):
    """One message Linli did not understand: the text (numbers masked), who sent it and when,
    and, once staff dealt with it, the label it was added to (or `ignored`), by whom, when."""

    __tablename__ = "unmatched_message"
    __table_args__ = (Index("ix_unmatched_message_open", "resolved_at", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(String(MAX_TEXT), nullable=False))
    openid: str = Field(sa_column=Column(String(64), nullable=False))
    received_at: datetime = when()
    resolved_label: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    resolved_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("staff_user.id"), nullable=True)
    )
    resolved_at: datetime | None = when(nullable=True)
