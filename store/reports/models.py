"""Tables of issue reports (报事): the report, who follows it, its timeline and its photos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from config.report_content import STATUSES
from store.types import JSONType, UTCDateTime

# The statuses are named once, in config (reports.yaml must word each of them).
SUBMITTED, ACCEPTED, IN_PROGRESS, RESOLVED, CLOSED, REJECTED, REFERRED = STATUSES
OPEN = (SUBMITTED, ACCEPTED, IN_PROGRESS)
FINISHED = (RESOLVED, CLOSED, REJECTED, REFERRED)


def _fk(target: str, *, nullable: bool = True, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target), nullable=nullable, index=index),
    )


def _when(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Report(SQLModel, table=True):
    """One problem a resident (or another system, through Open311) reported."""

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_committee_status", "committee_id", "status"),
        Index("ix_report_category_status_created", "category", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    committee_id: int | None = _fk("committee.id")
    # Kept for every report, so one of no committee still belongs to its sub-district's admins.
    sub_district_id: int | None = _fk("sub_district.id")
    category: str = Field(sa_column=Column(String(64), nullable=False))
    urgent: bool = Field(default=False)
    # Numbers (ID card, phone) in the description are masked here; the description as typed is
    # kept only encrypted with LINLI_DATA_KEY, and only when it held such a number.
    description: str = Field(sa_column=Column(Text(), nullable=False))
    description_sealed: str | None = Field(default=None, sa_column=Column(Text()))
    # Extra questions of the category: [{"key", "question", "answer"}].
    answers: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    source: str = Field(sa_column=Column(String(16), nullable=False))  # wechat, open311, console
    reporter_openid: str | None = Field(default=None, sa_column=Column(String(64), index=True))
    place_id: int | None = _fk("place.id")
    # What the resident typed, or the label of a shared location.
    place_text: str = Field(default="", sa_column=Column(String(200), nullable=False))
    lat: float | None = Field(default=None)
    lng: float | None = Field(default=None)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    assignee_id: int | None = _fk("staff_user.id")
    referred_to: str | None = Field(default=None, sa_column=Column(String(200)))
    created_at: datetime = _when(nullable=False, index=True)
    updated_at: datetime = _when(nullable=False)
    accepted_at: datetime | None = _when()
    resolved_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    reminded_at: datetime | None = _when()
    escalated_at: datetime | None = _when()
    follow_up_asked_at: datetime | None = _when()
    follow_up_answered_at: datetime | None = _when()
    follow_up_solved: bool | None = Field(default=None)
    follow_up_rating: int | None = Field(default=None)
    reopened: int = Field(default=0)


class ReportFollower(SQLModel, table=True):
    """A resident who said "this is the same problem" (+1) and hears its progress too."""

    __tablename__ = "report_follower"
    __table_args__ = (UniqueConstraint("report_id", "openid", name="uq_report_follower"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = _fk("report.id", nullable=False)
    openid: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    created_at: datetime = _when(nullable=False)


class ReportEvent(SQLModel, table=True):
    """One line of a report's timeline: who did what, when, and the note."""

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = _fk("report.id", nullable=False)
    at: datetime = _when(nullable=False)
    # created, accepted, in_progress, resolved, closed, rejected, referred, reopened, note,
    # assigned, followed, repeated, reminded, escalated, follow_up_asked, follow_up_answered
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    from_status: str | None = Field(default=None, sa_column=Column(String(16)))
    to_status: str | None = Field(default=None, sa_column=Column(String(16)))
    actor_id: int | None = _fk("staff_user.id", index=False)
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    note: str = Field(default="", sa_column=Column(Text(), nullable=False))
    # Shown to the reporter and followers (in 我的报事 and pushed to them).
    public: bool = Field(default=False)


class ReportPhoto(SQLModel, table=True):
    """A photo the resident sent; WeChat keeps media 3 days, so a job copies it to local storage."""

    __tablename__ = "report_photo"
    __table_args__ = (
        UniqueConstraint("report_id", "position", name="uq_report_photo"),
        Index("ix_report_photo_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = _fk("report.id", nullable=False, index=False)
    position: int = Field(default=1)
    media_id: str = Field(default="", sa_column=Column(String(128), nullable=False))
    pic_url: str = Field(default="", sa_column=Column(Text(), nullable=False))
    # pending → stored, or failed (WeChat no longer has it / gave up after retries)
    status: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    path: str | None = Field(default=None, sa_column=Column(String(255)))
    content_type: str | None = Field(default=None, sa_column=Column(String(64)))
    size: int | None = Field(default=None)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _when(nullable=False)
    error: str | None = Field(default=None, sa_column=Column(Text()))
    created_at: datetime = _when(nullable=False)
    stored_at: datetime | None = _when()


class ReportCounter(SQLModel, table=True):
    """The last reference number handed out per day (BS-20261128-0042)."""

    __tablename__ = "report_counter"

    day: str = Field(sa_column=Column(String(8), primary_key=True))
    last: int = Field(default=0)
