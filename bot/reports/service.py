"""Report operations every entry point shares (webhook, console, API, Open311, scheduler):
the store change plus who hears about it, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.delivery.wecom import notice
from bot.reports.display import category as _category
from bot.reports.display import category_name, handler_name, place_name, status_name
from config.content import Content
from flows.inputs import mask_numbers_in
from store.errors import Refused
from store.outbox import messages as outbox
from store.places.models import Place
from store.reports import due as report_due
from store.reports import facts as report_facts
from store.reports import service as reports
from store.reports.models import Report, ReportEvent
from store.sealing import Sealer
from store.staff import accounts as staff_accounts
from store.staff import audit
from store.staff.scope import Scope

STATUS_KIND = "status_update"
NOTE_PUSHED = 300  # characters of a staff note told to residents (the timeline keeps it all)
STAFF_KIND = "staff_notice"


def resident(content: Content) -> audit.Actor:
    """Who a resident's step is by, as the timeline names them."""
    return audit.Actor(None, content.reports.staff.resident)


def _tell_staff(
    session: Session,
    content: Content,
    report: Report,
    wording: str,
    key: str,
    now: datetime,
    *,
    urgent: bool = False,
    minutes: int | None = None,
) -> None:
    item = report_facts.facts_of(session, report)
    values = {
        "reference": report.reference,
        "category": category_name(content, report.category),
        "place": place_name(content, report, item.place),
        # The WeCom group is wider than the console: numbers residents typed stay masked.
        "description": mask_numbers_in(report.description[:120]),
        "handler": handler_name(content, item.handler),
    }
    if minutes is not None:
        values["minutes"] = str(minutes)
    outbox.enqueue(
        session,
        key=key,
        audience=outbox.STAFF,
        recipient="staff",
        kind=STAFF_KIND,
        payload={"text": notice(wording, **values), "report": report.reference},
        urgent=urgent,
        now=now,
        committee_id=report.committee_id,
        sub_district_id=report.sub_district_id,
    )


def tell_residents(
    session: Session, content: Content, report: Report, event: ReportEvent, now: datetime
) -> int:
    """Push a public change to the reporter and every follower; how many were queued."""
    pushes = content.reports.pushes
    # Every status has its own sentence; anything else (a public note) reads as progress.
    wording = getattr(pushes, event.kind if event.kind in pushes.ALLOWED else "note")
    category = _category(content, report.category).name
    # WeChat refuses a customer-service text over 2,048 bytes: a long note is cut for the push.
    note = event.note if len(event.note) <= NOTE_PUSHED else event.note[: NOTE_PUSHED - 1] + "…"
    text = wording.format(
        reference=report.reference,
        category=category,
        note=note,
        to=report.referred_to or "",
    ).strip()
    status = status_name(content, report.status)
    queued = 0
    for openid in reports.audience(session, report):
        key = f"report-event:{event.id}:{openid}"
        queued += _push(session, report, openid, key, text, category, status, note, now)
    return queued


def _push(
    session: Session,
    report: Report,
    openid: str,
    key: str,
    text: str,
    category: str,
    status: str,
    note: str,
    now: datetime,
) -> bool:
    """Queue one status message; `data` fills a template when the 48-hour window is closed."""
    data = {"reference": report.reference, "category": category, "status": status, "note": note}
    # The message is the report's committee's (or sub-district's): the call list is scoped so.
    added = outbox.enqueue(
        session, key=key, audience=outbox.RESIDENT, recipient=openid, kind=STATUS_KIND,
        payload={"text": text, "report": report.reference, "data": data}, now=now,
        committee_id=report.committee_id, sub_district_id=report.sub_district_id,
    )  # fmt: skip
    return added is not None


def submit(
    session: Session,
    content: Content,
    new: reports.NewReport,
    *,
    now: datetime,
    tz: ZoneInfo,
    sealer: Sealer,
    place: Place | None = None,
) -> Report:
    """Number, route and save a new report, and tell its handler (at once when urgent)."""
    category = _category(content, new.category)
    if place is not None and new.committee_id is None:
        new = replace(new, committee_id=place.committee_id)
    new = replace(new, category=category.key, urgent=new.urgent or category.urgent)
    overrides = [reports.Override(o.person, o.grid, o.place) for o in category.overrides]
    handler = reports.pick_handler(
        session,
        committee_id=new.committee_id,
        place=place,
        role=category.route.role,
        person=category.route.person,
        overrides=overrides,
        sub_district_id=new.sub_district_id,
    )
    policy = content.reports.policy
    reference = reports.next_reference(session, policy.reference_prefix, now.astimezone(tz).date())
    report = reports.create(
        session, new, reference=reference, assignee_id=handler.id if handler else None, now=now,
        sealer=sealer, resident=resident(content),
    )  # fmt: skip
    staff = content.reports.staff
    wording = staff.urgent_report if report.urgent else staff.new_report
    _tell_staff(
        session, content, report, wording, f"report-new:{report.reference}", now,
        urgent=report.urgent,
    )  # fmt: skip
    return report


def change(
    session: Session,
    content: Content,
    report: Report,
    action: str,
    *,
    actor: audit.Actor,
    now: datetime,
    note: str = "",
    referred_to: str | None = None,
) -> ReportEvent:
    """A lifecycle step (accept, start, resolve, close, reject, refer, reopen), told to the
    reporter and followers; a reopened report is told to its handler too."""
    event = reports.change(
        session, report, action, actor=actor, now=now, note=note, referred_to=referred_to
    )
    tell_residents(session, content, report, event, now)
    if action == "reopen":
        staff = content.reports.staff
        # A resident reopens by answering 回访; staff reopen from the console or the API.
        wording = staff.reopened if actor.staff_id is None else staff.reopened_by_staff
        _tell_staff(
            session, content, report, wording, f"report-reopened:{event.id}", now,
            urgent=report.urgent,
        )  # fmt: skip
    return event


def note(
    session: Session,
    content: Content,
    report: Report,
    *,
    actor: audit.Actor,
    text: str,
    public: bool,
    now: datetime,
) -> ReportEvent:
    """A note on the timeline; a public one reaches the reporter and followers."""
    event = reports.add_note(session, report, actor=actor, note=text, public=public, now=now)
    if public:
        tell_residents(session, content, report, event, now)
    return event


def answer_follow_up(
    session: Session,
    content: Content,
    report: Report,
    *,
    solved: bool,
    rating: int | None,
    now: datetime,
) -> None:
    """Record a 回访 answer: solved closes the report, not solved reopens it."""
    words = content.reports.follow_up
    said = words.solved if solved else words.not_solved
    if rating is not None:
        said = words.answered_rated.format(answer=said, rating=rating)
    who = resident(content)
    reports.record_follow_up(
        session, report, solved=solved, rating=rating, now=now, resident=who, said=said
    )
    if solved and report.status == reports.RESOLVED:
        change(session, content, report, "close", actor=who, now=now)
    elif not solved and report.status in (reports.RESOLVED, reports.CLOSED):
        change(session, content, report, "reopen", actor=who, now=now)


def follow(session: Session, content: Content, report: Report, openid: str, now: datetime) -> bool:
    """A resident follows a report (+1); False when they report or follow it already."""
    return reports.follow(session, report, openid, now, resident=resident(content))


# -- what staff do -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffStep:
    """One staff action on a report and what it carries (each action reads what it needs)."""

    action: str
    note: str = ""
    public: bool = False
    referred_to: str | None = None
    staff_id: int | None = None


def act(
    session: Session,
    content: Content,
    scope: Scope,
    report: Report,
    step: StaffStep,
    *,
    actor: audit.Actor,
    now: datetime,
) -> ReportEvent:
    """Do one staff action, as store.reports.RULES allows, from the console and the API alike;
    store.errors.Refused when it does not fit."""
    reports.check(report, step.action)
    if step.action == "note":
        return note(
            session, content, report, actor=actor, text=step.note, public=step.public, now=now
        )
    if step.action == "assign":
        person = None
        if step.staff_id is not None:
            person = staff_accounts.get_visible(session, scope, step.staff_id)
        if person is None:
            raise Refused("staff_id", reports.NOT_ASSIGNABLE, code="assignee")
        # Nothing for residents to hear: who handles it is the committee's business.
        return reports.assign(session, report, actor=actor, staff=person, now=now)
    referred_to = step.referred_to if step.action == "refer" else None
    return change(
        session, content, report, step.action, actor=actor, now=now, note=step.note,
        referred_to=referred_to,
    )  # fmt: skip


# -- what the scheduler plans ------------------------------------------------------------------


def remind_and_escalate(session: Session, content: Content, now: datetime) -> int:
    """Remind the handler of reports waiting too long, then tell the admins; how many notices."""
    policy, staff = content.reports.policy, content.reports.staff
    sent = 0
    stages = (
        ("reminded", policy.accept_minutes, staff.reminder),
        ("escalated", policy.escalate_minutes, staff.escalated),
    )
    for stage, minutes, wording in stages:
        cutoff = now - timedelta(minutes=minutes)
        for report in report_due.unaccepted(session, cutoff, stage=stage):
            reports.mark(session, report, stage, now)
            _tell_staff(
                session, content, report, wording, f"report-{stage}:{report.reference}", now,
                urgent=report.urgent, minutes=minutes,
            )  # fmt: skip
            sent += 1
    return sent


def follow_up_key(reference: str, reopened: int) -> str:
    """The outbox key of a report's 回访 question (asked again after each reopening)."""
    return f"report-follow-up:{reference}:{reopened}"


def ask_follow_ups(session: Session, content: Content, now: datetime) -> int:
    """Ask reporters of reports resolved long enough ago whether the problem is really fixed."""
    policy, words = content.reports.policy, content.reports.follow_up
    cutoff = now - timedelta(days=policy.follow_up_days)
    asked = 0
    for report in report_due.due_for_follow_up(session, cutoff):
        reports.mark(session, report, "follow_up_asked", now)
        if not report.reporter_openid:
            continue  # made through Open311 or the console: nobody to ask in WeChat
        category = category_name(content, report.category)
        text = words.question.format(reference=report.reference, category=category)
        _push(
            session, report, report.reporter_openid,
            follow_up_key(report.reference, report.reopened), text, category,
            status_name(content, report.status), text.splitlines()[0], now,
        )  # fmt: skip
        asked += 1
    return asked


def close_unanswered(session: Session, content: Content, now: datetime) -> int:
    """Close resolved reports whose 回访 question went unanswered too long."""
    cutoff = now - timedelta(days=content.reports.policy.follow_up_close_days)
    closed = 0
    for report in report_due.unanswered_follow_ups(session, cutoff):
        reports.change(session, report, "close", actor=reports.SYSTEM, now=now)
        closed += 1
    return closed
