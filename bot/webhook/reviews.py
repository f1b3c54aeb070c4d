"""The 年审 flows' side of the webhook: what StorePort reads for them (the open review records of
the people an openid acts for, the days and times a visit can be booked, the opt-outs) and the
appliers of their effects, through the store/reviews services.

Every applier checks the record again: it must belong to a resident the openid acts for now
(itself, or an approved proxy's parent) — what the conversation kept is never trusted."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.webhook.binding import BindingReads
from config.content import Content
from flows.effects import (
    BookVisit,
    CancelVisit,
    CheckedDocuments,
    ReportReviewDone,
    ResumeReminders,
    StopReminders,
)
from flows.masking import mask_name
from flows.review_visits import BOOKING, VISIT_CANCELLED
from flows.reviews import REVIEW_DONE_RESULT
from store.binding import bindings
from store.errors import Refused
from store.registry.residents import get_resident
from store.reviews import appointments, opt_outs, records
from store.reviews.models import BOOKED, SELF_REPORTED, ReviewRecord
from store.services import checklists

if TYPE_CHECKING:
    from bot.webhook.effects import Context, Facts

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # a visit's local start as flows keep it


class ReviewReads:
    """What the 年审 flows read, for one openid's message."""

    def __init__(
        self, session: Session, content: Content, tz: ZoneInfo, now: datetime, people: BindingReads
    ) -> None:
        self.session = session
        self.content = content
        self.tz = tz
        self.now = now
        self.people = people

    def reviews_of(self, openid: str) -> list[dict[str, Any]]:
        """The open records of the residents the openid acts for, soonest deadline first."""
        people = {p["resident_id"]: p for p in self.people.people_of(openid)}
        known = self.content.reviews.by_key
        found = [r for r in records.open_of(self.session, list(people)) if r.programme in known]
        visits = appointments.current(self.session, [r.id or 0 for r in found])
        labels = self.content.reviews.words.labels
        rows = []
        for record in sorted(found, key=lambda r: (r.closes_on or date.max, r.id or 0)):
            person = people[record.resident_id]
            visit = visits.get(record.id or 0)
            shown = None
            if visit is not None:
                starts = visit[1].starts_at.astimezone(self.tz)
                shown = {
                    "starts_at": starts.strftime(LOCAL_MINUTE),
                    "label": labels.of_visit(starts),
                }
            rows.append(
                {
                    "record_id": record.id,
                    "programme": record.programme,
                    "name_masked": person["name_masked"],
                    "kind": person["kind"],
                    "state": record.state,
                    "opens_on": record.opens_on.isoformat() if record.opens_on else None,
                    "closes_on": record.closes_on.isoformat() if record.closes_on else None,
                    "committee_id": record.committee_id,
                    "visit": shown,
                }
            )
        return rows

    def visit_days(self, committee_id: int) -> list[dict[str, Any]]:
        """The next days with places left at the committee; each also names the local day it
        was read on ("today"), so that "明天" in the answer counts from it."""
        words = self.content.reviews.words
        offers = appointments.offered_days(
            self.session, committee_id, words.appointments, now=self.now, tz=self.tz
        )
        today = self.now.astimezone(self.tz).date().isoformat()
        return [
            {"day": o.day.isoformat(), "label": words.labels.of_day(o.day), "left": o.left,
             "today": today}
            for o in offers
        ]  # fmt: skip

    def visit_times(self, committee_id: int, day: str) -> list[dict[str, Any]]:
        """One day's times with places left, earliest first."""
        words = self.content.reviews.words
        offers = appointments.offered_times(
            self.session, committee_id, words.appointments, date.fromisoformat(day),
            now=self.now, tz=self.tz,
        )  # fmt: skip
        return [
            {
                "starts_at": o.starts_at.astimezone(self.tz).strftime(LOCAL_MINUTE),
                "label": words.labels.of_time(o.starts_at.astimezone(self.tz)),
                "left": o.left,
            }
            for o in offers
        ]

    def reminders_stopped(self, openid: str) -> list[str]:
        """The programmes whose reminders the openid stopped ("*": all)."""
        return opt_outs.stopped(self.session, openid)


def _own(session: Session, openid: str, record_id: int) -> ReviewRecord | None:
    """The record, locked, when the openid acts for its resident now; else None."""
    record = records.locked(session, record_id)
    if record is None:
        return None
    acting = {p.resident_id for p in bindings.people_of(session, openid)}
    return record if record.resident_id in acting else None


def _names(session: Session, context: Context, record: ReviewRecord) -> dict[str, str]:
    """The programme and the person, as the replies name them."""
    try:
        name = mask_name(get_resident(session, record.committee_id, record.resident_id).name)
    except Refused:  # the resident is now another committee's: the record still names them
        name = ""
    programme = context.content.reviews.by_key.get(record.programme)
    return {"programme": programme.name if programme else record.programme, "name": name}


def _say(context: Context, key: str, **values: str) -> str:
    return context.content.reviews.words.texts[key].format(**values)


def book_visit(session: Session, effect: BookVisit, context: Context) -> Facts:
    """Take the place (or move the visit to it); the reply says whether it was taken."""
    record = _own(session, effect.openid, effect.record_id)
    if record is None:
        return {BOOKING: _say(context, "booking_gone")}
    words = context.content.reviews.words
    starts = datetime.fromisoformat(effect.starts_at).replace(tzinfo=context.tz)
    try:
        booked = appointments.book(
            session, record, starts, words.appointments, now=context.now, tz=context.tz,
            openid=effect.openid,
        )  # fmt: skip
    except Refused as refused:  # checked before anything is written
        gone = refused.code == "review_state"
        return {BOOKING: _say(context, "booking_gone" if gone else "booking_full")}
    if booked is None:
        return {BOOKING: _say(context, "booking_full")}
    when = words.labels.of_visit(starts)
    said = "moved" if effect.move else "booked"
    return {BOOKING: _say(context, said, when=when, **_names(session, context, record))}


def cancel_visit(session: Session, effect: CancelVisit, context: Context) -> Facts:
    """Cancel the record's visit and give the place back."""
    record = _own(session, effect.openid, effect.record_id)
    if record is None or not appointments.cancel(
        session, record, now=context.now, openid=effect.openid
    ):
        return {VISIT_CANCELLED: _say(context, "cancel_nothing")}
    names = _names(session, context, record)
    return {VISIT_CANCELLED: _say(context, "visit_cancelled", programme=names["programme"])}


def report_review_done(session: Session, effect: ReportReviewDone, context: Context) -> Facts:
    """The resident says it is done online: self-reported, for staff to confirm; a visit
    booked is no longer needed, so its place is given back first."""
    record = _own(session, effect.openid, effect.record_id)
    if record is None:
        return {REVIEW_DONE_RESULT: _say(context, "record_gone")}
    names = _names(session, context, record)
    if record.state == SELF_REPORTED:
        return {REVIEW_DONE_RESULT: _say(context, "already_reported", **names)}
    if record.state not in records.CHANGES[records.SELF_REPORT][0]:
        return {REVIEW_DONE_RESULT: _say(context, "record_gone")}
    if record.state == BOOKED:
        appointments.cancel(session, record, now=context.now, openid=effect.openid)
    records.move(session, record, records.SELF_REPORT, now=context.now, openid=effect.openid)
    return {REVIEW_DONE_RESULT: _say(context, "self_reported", **names)}


def checked_documents(session: Session, effect: CheckedDocuments, context: Context) -> None:
    """Keep the one-visit check like a checklist walked through, for the demand figures."""
    record = _own(session, effect.openid, effect.record_id)
    programme = context.content.reviews.by_key.get(record.programme) if record else None
    if record is None or programme is None or programme.service != effect.service:
        return
    given = checklists.GivenChecklist(
        openid=effect.openid, service=effect.service, version=effect.version,
        items=tuple(effect.items), missing=tuple(effect.missing),
        committee_id=record.committee_id, resident_id=record.resident_id,
    )  # fmt: skip
    checklists.record(session, given, now=context.now)


def stop_reminders(session: Session, effect: StopReminders, context: Context) -> None:
    """No more reminders of the programme (or of all) to this WeChat user."""
    opt_outs.stop(session, openid=effect.openid, programme=effect.programme, now=context.now)


def resume_reminders(session: Session, effect: ResumeReminders, context: Context) -> None:
    """Reminders again, every programme."""
    opt_outs.resume(session, openid=effect.openid, now=context.now)
