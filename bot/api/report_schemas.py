"""What /api/v1/reports reads and writes: the report, its timeline and photos, and the bodies
of staff's changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from bot.api.paging import NAME, TEXT, Id, Page
from bot.reports import display
from config.content import Content
from store.reports import facts as report_facts
from store.reports import photos as report_photos
from store.reports import service as reports
from store.reports.facts import ReportFacts
from store.reports.models import Report, ReportPhoto

PREFIX = "/api/v1/reports"


# -- what the API shows ----------------------------------------------------------------------


class ReportSummary(BaseModel):
    """A report as lists show it."""

    reference: str
    committee_id: int | None
    category: str
    category_name: str
    urgent: bool
    status: str
    status_name: str
    description: str
    place_id: int | None
    place: str
    assignee_id: int | None
    assignee: str
    source: str
    created_at: datetime
    updated_at: datetime


class EventPublic(BaseModel):
    """One line of a report's timeline."""

    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    note: str
    public: bool = Field(description="told to the reporter and followers")


class PhotoPublic(BaseModel):
    """A photo the resident sent; `url` is set once it is stored."""

    position: int
    status: str = Field(description="pending, stored or failed")
    content_type: str | None
    size: int | None
    url: str | None
    error: str | None


class FollowUp(BaseModel):
    """The 回访: when the reporter was asked whether it is fixed, and what they said."""

    asked_at: datetime | None
    answered_at: datetime | None
    solved: bool | None
    rating: int | None


class ReportDetail(ReportSummary):
    """A report with its answers, timeline and photos."""

    answers: list[dict[str, Any]]
    place_text: str
    lat: float | None
    lng: float | None
    referred_to: str | None
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    reopened: int
    followers: int
    follow_up: FollowUp
    timeline: list[EventPublic]
    photos: list[PhotoPublic]


class ReportPage(Page):
    """A page of reports."""

    items: list[ReportSummary]


class ActionIn(BaseModel):
    """A step in the report's lifecycle."""

    action: Literal["accept", "start", "resolve", "close", "reject", "refer", "reopen"]
    note: str = Field(
        default="", max_length=2000, pattern=TEXT,
        description="told to the reporter and followers; required to "
        + ", ".join(reports.NOTE_REQUIRED),
    )  # fmt: skip
    referred_to: str | None = Field(
        default=None, max_length=200, pattern=TEXT, description="required to refer"
    )


class NoteIn(BaseModel):
    """A note on the timeline; a public one is told to the reporter and followers."""

    text: str = Field(min_length=1, max_length=2000, pattern=NAME)
    public: bool = False


class AssignIn(BaseModel):
    """Who handles the report (staff of its committee)."""

    staff_id: Id


# -- shaping ---------------------------------------------------------------------------------


def _summary(content: Content, item: ReportFacts) -> dict[str, Any]:
    report = item.report
    return {
        "reference": report.reference,
        "committee_id": report.committee_id,
        "category": report.category,
        "category_name": display.category_name(content, report.category),
        "urgent": report.urgent,
        "status": report.status,
        "status_name": display.status_name(content, report.status),
        "description": report.description,
        "place_id": report.place_id,
        "place": display.place_name(content, report, item.place),
        "assignee_id": report.assignee_id,
        "assignee": display.handler_name(content, item.handler),
        "source": report.source,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
    }


def summary(content: Content, item: ReportFacts) -> ReportSummary:
    """A report as lists show it, from its batched facts (store.reports.facts)."""
    return ReportSummary(**_summary(content, item))


def photo_url(reference: str, position: int) -> str:
    """Where staff fetch a stored photo."""
    return f"{PREFIX}/{reference}/photos/{position}"


def _photo(reference: str, photo: ReportPhoto) -> PhotoPublic:
    stored = photo.status == report_photos.STORED
    return PhotoPublic(
        position=photo.position, status=photo.status, content_type=photo.content_type,
        size=photo.size, url=photo_url(reference, photo.position) if stored else None,
        error=photo.error,
    )  # fmt: skip


def detail(session: Session, content: Content, report: Report) -> ReportDetail:
    """A report with its answers, timeline and photos, as the API shows it."""
    report_id = report.id or 0
    item = report_facts.facts_of(session, report)
    return ReportDetail(
        **_summary(content, item),
        answers=list(report.answers),
        place_text=report.place_text,
        lat=report.lat,
        lng=report.lng,
        referred_to=report.referred_to,
        accepted_at=report.accepted_at,
        resolved_at=report.resolved_at,
        closed_at=report.closed_at,
        reminded_at=report.reminded_at,
        escalated_at=report.escalated_at,
        reopened=report.reopened,
        followers=item.followers,
        follow_up=FollowUp(
            asked_at=report.follow_up_asked_at,
            answered_at=report.follow_up_answered_at,
            solved=report.follow_up_solved,
            rating=report.follow_up_rating,
        ),
        timeline=[
            EventPublic.model_validate(event, from_attributes=True)
            for event in reports.timeline(session, report_id)
        ],
        photos=[_photo(report.reference, p) for p in reports.photos(session, report_id)],
    )
