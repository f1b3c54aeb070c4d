"""Tables of the annual reviews (年审): one record per resident, programme and cycle with every
change of its state, residents' opt-outs from reminders, and the visits they book.

A record names no personal number; the resident's details stay in the registry.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.columns import fk, text, when

DUE, REMINDED, BOOKED, SELF_REPORTED, COMPLETED, EXEMPT, MOVED_AWAY, OVERDUE = (
    "due", "reminded", "booked", "self_reported", "completed", "exempt", "moved_away", "overdue",
)  # fmt: skip
STATES = (DUE, REMINDED, BOOKED, SELF_REPORTED, COMPLETED, EXEMPT, MOVED_AWAY, OVERDUE)
# Still to be done: reminders go, the call list lists them, the resident may book.
OPEN = (DUE, REMINDED, OVERDUE)
# Nothing more is asked of the resident this cycle.
CLOSED = (COMPLETED, EXEMPT, MOVED_AWAY)
ONLINE, IN_PERSON = "online", "in_person"
# Who moved a record: the daily planner, the resident in chat, or a member of staff.
PLANNER, RESIDENT, STAFF = "planner", "resident", "staff"
ALL = "*"  # an opt-out from every programme's reminders
BOOKED_VISIT, CANCELLED, ATTENDED, NO_SHOW = "booked", "cancelled", "attended", "no_show"


def _day(*, nullable: bool = False) -> date:
    return Field(default=None, sa_column=Column(Date(), nullable=nullable))  # type: ignore[no-any-return]


class ReviewRecord(SQLModel, table=True):
    """One resident's obligation under one programme in one cycle (the year it falls in)."""

    __tablename__ = "review_record"
    __table_args__ = (
        UniqueConstraint("programme", "cycle", "resident_id", name="uq_review_record"),
        Index("ix_review_record_programme_state", "programme", "cycle", "state"),
        Index("ix_review_record_committee_state", "committee_id", "programme", "state"),
        Index("ix_review_record_resident", "resident_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme: str = text(40, nullable=False)
    cycle: int = Field(sa_column=Column(Integer, nullable=False))
    resident_id: int = fk("resident.id", nullable=False)
    committee_id: int = fk("committee.id", nullable=False)
    state: str = text(16, nullable=False)
    opens_on: date = _day()
    closes_on: date | None = _day(nullable=True)  # None: no closing day is known
    created_at: datetime = when()
    updated_at: datetime = when()
    reminded_at: datetime | None = when(nullable=True)
    # The last reminder stage enqueued: its key (opens, closing-14, closing-3, overdue), which
    # ends the message's idempotency key; planner.stage_name gives the stage it counts as.
    last_stage: str | None = text(12)
    # The outbox message of that reminder (the tracker reads whether it arrived).
    reminder_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    completed_at: datetime | None = when(nullable=True)
    completed_via: str | None = text(12)  # online, in_person


class ReviewTransition(SQLModel, table=True):
    """One change of a record's state: from what, to what, when, by whom (and why)."""

    __tablename__ = "review_transition"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = fk("review_record.id", nullable=False, index=True)
    from_state: str | None = text(16)  # None: the record was created
    to_state: str = text(16, nullable=False)
    at: datetime = when()
    actor_kind: str = text(12, nullable=False)  # planner, resident, staff
    staff_id: int | None = fk("staff_user.id")
    openid: str | None = text(64)
    note: str = text(200, nullable=False, default="")


class ReviewOptOut(SQLModel, table=True):
    """A WeChat user asked for no more reminders of one programme (or `*`: all of them)."""

    __tablename__ = "review_opt_out"
    __table_args__ = (UniqueConstraint("openid", "programme", name="uq_review_opt_out"),)

    id: int | None = Field(default=None, primary_key=True)
    openid: str = text(64, nullable=False)
    programme: str = text(40, nullable=False)
    opted_out_at: datetime = when()
    resumed_at: datetime | None = when(nullable=True)  # None while the opt-out holds


class AppointmentSlot(SQLModel, table=True):
    """A bookable visit time at a committee: created when first booked, `taken` of `capacity`.

    Booking raises `taken` in one conditional UPDATE, so two residents never take the last
    place, whichever database."""

    __tablename__ = "appointment_slot"
    __table_args__ = (UniqueConstraint("committee_id", "starts_at", name="uq_appointment_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = fk("committee.id", nullable=False)
    starts_at: datetime = when()
    ends_at: datetime = when()
    capacity: int = Field(sa_column=Column(Integer, nullable=False))
    taken: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class Appointment(SQLModel, table=True):
    """A visit booked for one review record: booked → attended, no_show or cancelled."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_slot_state", "slot_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = fk("review_record.id", nullable=False, index=True)
    slot_id: int = fk("appointment_slot.id", nullable=False)
    resident_id: int = fk("resident.id", nullable=False)
    openid: str | None = text(64)  # who booked in chat (None: staff booked)
    state: str = text(12, nullable=False)
    created_at: datetime = when()
    updated_at: datetime = when()
    reminded_at: datetime | None = when(nullable=True)  # the day-before reminder enqueued
    marked_by: int | None = fk("staff_user.id")
