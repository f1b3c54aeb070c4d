"""Apply a flow's effects through store services, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.delivery.wecom import notice
from bot.reports import service as reporting
from bot.services import effects as service_effects
from bot.webhook import binding, campaign, reviews
from config.content import Content
from flows import place_names
from flows.effects import (
    AnswerCampaign,
    AnswerFollowUp,
    BindResident,
    BookVisit,
    CancelVisit,
    CheckedDocuments,
    Effect,
    FileReport,
    FollowReport,
    GiveChecklist,
    NotUnderstood,
    RegisterResident,
    ReportReviewDone,
    RequestHuman,
    RequestProxy,
    ResumeReminders,
    StopReminders,
    SubmitApplication,
    SubmitSelfReport,
    Unbind,
)
from flows.inputs import mask_numbers_in
from flows.masking import mask_openid
from flows.reports import FOLLOW_UP, FOLLOW_UP_LATE
from store.outbox import messages as outbox
from store.places import lookup as place_lookup
from store.places.models import Place
from store.reports import due as report_due
from store.reports import service as reports
from store.residents import human
from store.sealing import Sealer
from store.staff import installation
from store.understanding import unmatched

# What an applier learnt that the reply may mention, e.g. {"reference": "BS-20261128-0042"}.
Facts = dict[str, str]


@dataclass(frozen=True)
class Context:
    """What appliers may need besides the session."""

    now: datetime
    content: Content
    tz: ZoneInfo
    sealer: Sealer


def _request_human(session: Session, effect: RequestHuman, context: Context) -> None:
    # What the resident said rests masked; the message itself is kept sealed (inbound).
    text = mask_numbers_in(effect.text)
    request = human.add(
        session,
        openid=effect.openid,
        text=text,
        flow=effect.flow,
        step=effect.step,
        now=context.now,
    )
    # Staff hear about it through the outbox, in this same transaction: both or neither.
    wording = context.content.notifications.staff_texts.human_request
    outbox.enqueue(
        session,
        key=f"human-request:{request.id}",
        audience=outbox.STAFF,
        recipient="staff",
        kind="staff_notice",
        payload={"text": notice(wording, resident=mask_openid(effect.openid), text=text)},
        now=context.now,
    )


def _file_report(session: Session, effect: FileReport, context: Context) -> Facts:
    place = place_lookup.get(session, effect.place_id) if effect.place_id else None
    new = reports.NewReport(
        category=effect.category,
        description=effect.description,
        source="wechat",
        answers=[dict(a) for a in effect.answers],
        reporter_openid=effect.openid,
        # A report at no known place goes to the installation's only committee, if it has one.
        committee_id=place.committee_id if place else installation.sole_committee(session),
        sub_district_id=installation.sole_sub_district(session),
        place_id=place.id if place else None,
        place_text=effect.place_text,
        lat=effect.lat,
        lng=effect.lng,
        photos=effect.photos,
    )
    report = reporting.submit(
        session, context.content, new, now=context.now, tz=context.tz, sealer=context.sealer,
        place=place,
    )  # fmt: skip
    return {"reference": report.reference}


def _follow_report(session: Session, effect: FollowReport, context: Context) -> Facts:
    report = reports.by_reference(session, effect.reference, lock=True)
    if report is not None:
        reporting.follow(session, context.content, report, effect.openid, context.now)
    return {"reference": effect.reference}


def _answer_follow_up(session: Session, effect: AnswerFollowUp, context: Context) -> Facts:
    report = reports.by_reference(session, effect.reference, lock=True)
    if report is not None and report.reporter_openid == effect.openid:
        reporting.answer_follow_up(
            session, context.content, report, solved=effect.solved, rating=effect.rating,
            now=context.now,
        )  # fmt: skip
    return {"reference": effect.reference}


def _not_understood(session: Session, effect: NotUnderstood, context: Context) -> None:
    # Kept for staff to group and add as a synonym (没看懂的话); numbers masked on the way in.
    unmatched.record(session, openid=effect.openid, text=effect.text, now=context.now)


APPLIERS: dict[type[Effect], Callable[[Session, Any, Context], Facts | None]] = {
    RequestHuman: _request_human,
    FileReport: _file_report,
    FollowReport: _follow_report,
    AnswerFollowUp: _answer_follow_up,
    BindResident: binding.bind_resident,
    RequestProxy: binding.request_proxy,
    Unbind: binding.unbind,
    RegisterResident: binding.register_resident,
    SubmitSelfReport: binding.submit_self_report,
    AnswerCampaign: campaign.answer_campaign,
    GiveChecklist: service_effects.give_checklist,
    SubmitApplication: service_effects.submit_application,
    NotUnderstood: _not_understood,
    BookVisit: reviews.book_visit,
    CancelVisit: reviews.cancel_visit,
    ReportReviewDone: reviews.report_review_done,
    CheckedDocuments: reviews.checked_documents,
    StopReminders: reviews.stop_reminders,
    ResumeReminders: reviews.resume_reminders,
}


def apply(session: Session, effect: Effect, context: Context) -> Facts:
    """Write one effect and return what it learnt; an unknown effect is a programming error."""
    return APPLIERS[type(effect)](session, effect, context) or {}


def fill(reply: str, facts: Facts) -> str:
    """Put what the effects learnt ({reference}) into a reply the flow wrote before knowing."""
    for name, value in facts.items():
        reply = reply.replace("{" + name + "}", value)
    return reply


class StorePort:
    """The read-only port flows see, backed by the current session."""

    def __init__(
        self,
        session: Session,
        content: Content,
        now: datetime,
        openid: str,
        *,
        sealer: Sealer | None = None,
        tz: ZoneInfo | None = None,
    ) -> None:
        self.session = session
        self.openid = openid
        self.content = content
        self.now = now
        self._places: list[Place] | None = None
        self._binding = (
            binding.BindingReads(session, content, sealer, tz, now) if sealer and tz else None
        )
        self._reviews = (
            reviews.ReviewReads(session, content, tz, now, self._binding) if self._binding and tz
            else None
        )  # fmt: skip

    def human_request_open(self, openid: str) -> bool:
        """True when the resident already waits for a person."""
        return human.is_open(self.session, openid)

    def invitation(self, openid: str) -> tuple[str, dict[str, Any]] | None:
        """An unanswered 回访 question, while a late answer is still welcome; else a campaign's
        message (核对信息) the resident was sent and has not answered."""
        late = timedelta(days=self.content.reports.policy.follow_up_late_days)
        report = report_due.awaiting_follow_up_answer(self.session, openid, self.now - late)
        if report is None:
            if self._binding is None:
                return None
            return campaign.invitation(
                self.session, self.content, self.now, openid, self._binding.people_of
            )
        category = reporting.category_name(self.content, report.category)
        data = {"reference": report.reference, "category": category}
        closes = timedelta(days=self.content.reports.policy.follow_up_close_days)
        # A bare 1 or 2 answers only a question the resident has seen, while it is fresh.
        key = reporting.follow_up_key(report.reference, report.reopened)
        seen = outbox.status_of(self.session, key) == outbox.SENT
        on_time = seen and report.follow_up_asked_at >= self.now - closes
        return (FOLLOW_UP if on_time else FOLLOW_UP_LATE), data

    def places(self) -> list[Place]:
        """Every known place (loaded once per message)."""
        if self._places is None:
            self._places = place_lookup.every(self.session)
        return self._places

    def match_place(self, text: str) -> dict[str, Any] | None:
        """The place a typed text names."""
        return _place(place_names.match(text, self.places()))

    def nearest_place(self, lat: float, lng: float) -> dict[str, Any] | None:
        """The known place close enough to a shared location."""
        within = self.content.reports.policy.nearest_place_meters
        return _place(place_names.nearest(lat, lng, self.places(), within))

    def open_duplicate(
        self, category: str, place_id: int | None, lat: float | None, lng: float | None
    ) -> dict[str, Any] | None:
        """An open report of the same category at the place or nearby, recently made."""
        policy = self.content.reports.policy
        found = reports.find_duplicate(
            self.session,
            category=category,
            place_id=place_id,
            lat=lat,
            lng=lng,
            since=self.now - timedelta(hours=policy.duplicate_hours),
            meters=policy.duplicate_meters,
        )
        if found is None:
            return None
        return {
            "reference": found.reference,
            "description": mask_numbers_in(found.description[:60]),
            "status": self.content.reports.status(found.status),
            "own": found.reporter_openid == self.openid,
        }

    def reports_of(self, openid: str) -> list[dict[str, Any]]:
        """The resident's own and followed reports, newest first."""
        return [
            {
                "reference": item.report.reference,
                "category": item.report.category,
                "status": item.report.status,
                "followed": item.followed,
                "note": item.latest_note,
            }
            for item in reports.of_resident(self.session, openid)
        ]

    def _reads(self) -> binding.BindingReads:
        if self._binding is None:
            raise RuntimeError("StorePort needs the sealer and time zone for binding reads")
        return self._binding

    def people_of(self, openid: str) -> list[dict[str, Any]]:
        """The residents the openid may see and act for, each named masked."""
        return self._reads().people_of(openid)

    def details_of(self, openid: str) -> list[dict[str, Any]]:
        """Each of those residents' details, masked."""
        return self._reads().details_of(openid)

    def bindings_of(self, openid: str) -> list[dict[str, Any]]:
        """The openid's pending and active bindings; a pending one names nobody."""
        return self._reads().bindings_of(openid)

    def _review_reads(self) -> reviews.ReviewReads:
        if self._reviews is None:
            raise RuntimeError("StorePort needs the sealer and time zone for review reads")
        return self._reviews

    def reviews_of(self, openid: str) -> list[dict[str, Any]]:
        """The open review records of the residents the openid acts for."""
        return self._review_reads().reviews_of(openid)

    def visit_days(self, committee_id: int) -> list[dict[str, Any]]:
        """The next days a visit can be booked at the committee."""
        return self._review_reads().visit_days(committee_id)

    def visit_times(self, committee_id: int, day: str) -> list[dict[str, Any]]:
        """One day's free visit times."""
        return self._review_reads().visit_times(committee_id, day)

    def reminders_stopped(self, openid: str) -> list[str]:
        """The programmes whose reminders the openid stopped ("*": all)."""
        return self._review_reads().reminders_stopped(openid)


def _place(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"id": place.id, "name": place.name, "lat": place.lat, "lng": place.lng}
