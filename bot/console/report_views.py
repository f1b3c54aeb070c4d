"""What the 报事 pages show: the inbox's filters and rows, one report, and the dashboard."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException
from sqlmodel import Session

from bot.reports import display
from bot.reports.display import category_name
from bot.web.context import AppContext
from config.content import ConsoleText, Content
from store.places.service import listed as places_listed
from store.reports import facts as report_facts
from store.reports import inbox as report_inbox
from store.reports import service as reports
from store.reports import stats as report_stats
from store.reports.facts import ReportFacts
from store.reports.inbox import ReportFilter
from store.reports.models import OPEN, STATUSES, SUBMITTED, Report
from store.staff.models import GRID_WORKER, StaffUser
from store.staff.scope import Scope

PER_PAGE = 50
STATS_DAYS = 30
MAX_WAITING_HOURS = 24 * 365
OPEN_ONLY, EVERY = "open", "all"
STATUS_FILTERS = (OPEN_ONLY, EVERY, *STATUSES)


def _refuse(name: str, reason: str) -> HTTPException:
    return HTTPException(422, detail=[{"field": name, "reason": reason}])


def duration(t: ConsoleText, minutes: float | None) -> str:
    """A span of time in words: 45分钟, 3小时, 2天5小时 (— when unknown)."""
    if minutes is None:
        return "—"
    whole = max(0, math.floor(minutes))
    if whole < 60:
        return t.duration_minutes.format(minutes=whole)
    hours = whole // 60
    if hours < 24:
        return t.duration_hours.format(hours=hours)
    return t.duration_days.format(days=hours // 24, hours=hours % 24)


def local_time(when: datetime, tz: Any) -> str:
    """A moment in the committee's time zone, to the minute."""
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# -- the inbox's filters -------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's filters as asked (kept for the form and links) and as the store reads them."""

    wanted: ReportFilter
    mine: bool
    status: str = OPEN_ONLY
    category: str | None = None
    place_id: int | None = None
    asked: dict[str, str] = field(default_factory=dict)

    def link(self, **changes: Any) -> str:
        """The query string of these filters with some values changed."""
        values = {**self.asked, "mine": "1" if self.mine else "0", **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _whole(name: str, value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise _refuse(name, "a whole number")
    return int(value)


def _statuses(status: str, waiting: bool) -> tuple[str, ...] | None:
    """The statuses a filter means; "waiting" is still open, whatever else was asked."""
    chosen = OPEN if status == OPEN_ONLY else None if status == EVERY else (status,)
    if waiting:
        chosen = tuple(s for s in chosen or STATUSES if s in OPEN)
    return chosen


def read_filters(
    content: Content, me: StaffUser, params: Mapping[str, str], now: datetime
) -> InboxQuery:
    """The inbox filters from the query string (422 for values that cannot be meant)."""
    asked = {k: params.get(k, "").strip() for k in ("status", "category", "place", "handler")}
    asked["waiting"] = params.get("waiting", "").strip()
    status = asked["status"] or OPEN_ONLY
    if status not in STATUS_FILTERS:
        raise _refuse("status", f"one of {', '.join(STATUS_FILTERS)}")
    category = asked["category"] or None
    if category and category not in {c.key for c in content.reports.categories}:
        raise _refuse("category", "not a category of reports.yaml")
    waiting = None
    if asked["waiting"]:
        try:
            waiting = float(asked["waiting"])
        except ValueError:
            raise _refuse("waiting", "a number of hours") from None
        if not 0 <= waiting <= MAX_WAITING_HOURS:
            raise _refuse("waiting", f"between 0 and {MAX_WAITING_HOURS} hours")
    # Grid workers mostly want what is theirs: 我的报事 unless they ask for everything.
    mine_asked = params.get("mine", "")
    mine = mine_asked == "1" if mine_asked else me.role == GRID_WORKER
    handler = asked["handler"]
    unassigned = handler == "none" and not mine
    assignee = me.id if mine else (None if handler in ("", "none") else _whole("handler", handler))
    place_id = _whole("place", asked["place"])
    wanted = ReportFilter(
        statuses=_statuses(status, waiting is not None),
        categories=(category,) if category else (), place_id=place_id, assignee_id=assignee,
        unassigned=unassigned,
        made_before=None if waiting is None else now - timedelta(hours=waiting),
    )  # fmt: skip
    return InboxQuery(wanted, mine, status, category, place_id, asked)


# -- the inbox -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox."""

    reference: str
    category: str
    place: str
    status: str
    handler: str
    age: str
    urgent: bool
    # Still not accepted after the planner's reminder (accept_minutes).
    overdue: bool
    followers: int


@dataclass(frozen=True)
class Inbox:
    """A page of the inbox with what its filter form offers."""

    rows: list[InboxRow]
    total: int
    page: int
    pages: int
    categories: dict[str, str]
    statuses: dict[str, str]
    places: dict[int, str]
    handlers: dict[int, str]
    layouts: dict[str, str]


def _row(content: Content, item: ReportFacts, now: datetime) -> InboxRow:
    report, t = item.report, content.console
    # Open reports show how long they have waited; finished ones how long they took.
    end = now if report.status in OPEN else report.closed_at or report.resolved_at or now
    return InboxRow(
        reference=report.reference,
        category=category_name(content, report.category),
        place=display.place_name(content, report, item.place),
        status=display.status_name(content, report.status),
        handler=display.handler_name(content, item.handler),
        age=duration(t, (end - report.created_at).total_seconds() / 60),
        urgent=report.urgent,
        overdue=report.status == SUBMITTED and report.reminded_at is not None,
        followers=item.followers,
    )


def inbox(
    session: Session, services: AppContext, scope: Scope, asked: InboxQuery, page: int
) -> Inbox:
    """One page of the scope's reports matching the filters, newest first."""
    content, now = services.content, services.clock()
    t = content.console
    found, total = report_inbox.one_page(session, scope, asked.wanted, page=page, per_page=PER_PAGE)
    rows = [_row(content, item, now) for item in report_facts.facts(session, found)]
    places = {p.id or 0: p.name for p in places_listed(session, scope)}
    people = report_inbox.handlers(session, scope)
    statuses = {OPEN_ONLY: t.status_open, EVERY: t.status_all}
    statuses |= content.reports.statuses
    return Inbox(
        rows=rows, total=total, page=page, pages=max(1, math.ceil(total / PER_PAGE)),
        categories={c.key: c.name for c in content.reports.categories}, statuses=statuses,
        places=places, handlers={p.id or 0: p.display_name for p in people},
        layouts={k: v.title for k, v in content.report_exports.layouts.items()},
    )  # fmt: skip


# -- one report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoView:
    """A photo's place on the page: shown when stored, a word while pending or failed."""

    position: int
    stored: bool
    state: str


@dataclass(frozen=True)
class EventView:
    """One line of the timeline as staff read it."""

    when: str
    who: str
    what: str
    note: str
    public: bool


@dataclass(frozen=True)
class Detail:
    """One report and everything its page shows."""

    report: Report
    created: str
    committee: str
    category: str
    place: str
    grid_area: str
    status: str
    handler: str
    reporter: str
    source: str
    followers: int
    follow_up: str
    photos: list[PhotoView]
    timeline: list[EventView]
    actions: list[str]
    assignable: dict[int, str]
    note_required: tuple[str, ...] = ()
    can_reveal: bool = False


def _event(content: Content, tz: Any, names: dict[int, str], event: Any) -> EventView:
    t = content.console
    who = names.get(event.actor_id or 0) or {
        content.reports.staff.resident: t.actor_resident, reports.SYSTEM.label: t.actor_system,
    }.get(event.actor, event.actor)  # fmt: skip
    return EventView(
        when=local_time(event.at, tz),
        who=who,
        what=getattr(t, f"event_{event.kind}", event.kind),
        note=event.note,
        public=event.public and event.kind != "created",
    )


def _follow_up(t: ConsoleText, report: Report) -> str:
    if report.follow_up_answered_at is None:
        return t.follow_up_waiting if report.follow_up_asked_at else "—"
    said = t.follow_up_solved if report.follow_up_solved else t.follow_up_not_solved
    rating = report.follow_up_rating
    return t.follow_up_rated.format(answer=said, rating=rating) if rating else said


def detail(session: Session, services: AppContext, scope: Scope, report: Report) -> Detail:
    """Everything the page of one report shows."""
    content, tz = services.content, services.settings.tz
    t = content.console
    item = report_facts.facts_of(session, report)
    events = reports.timeline(session, report.id or 0)
    names = report_facts.staff_names(session, (e.actor_id for e in events))
    words = {"pending": t.photo_pending, "failed": t.photo_failed, "stored": ""}
    photos = [
        PhotoView(p.position, p.status == "stored", words.get(p.status, p.status))
        for p in reports.photos(session, report.id or 0)
    ]
    people = report_inbox.assignable(session, scope, report)
    return Detail(
        report=report,
        created=local_time(report.created_at, tz),
        committee=item.committee,
        category=category_name(content, report.category),
        place=display.place_name(content, report, item.place),
        grid_area=(item.place.grid_area or "") if item.place else "",
        status=display.status_name(content, report.status),
        handler=display.handler_name(content, item.handler),
        reporter=display.reporter(report),
        source=getattr(t, f"source_{report.source}", report.source),
        followers=item.followers,
        follow_up=_follow_up(t, report),
        photos=photos,
        timeline=[_event(content, tz, names, e) for e in events],
        actions=reports.allowed_actions(report),
        assignable={p.id or 0: p.display_name for p in people},
        note_required=tuple(reports.NOTE_REQUIRED),
        can_reveal=reports.can_reveal(scope, report),
    )


# -- the dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The dashboard's figures in words."""

    days: int
    total: int
    categories: list[tuple[str, int]]
    statuses: list[tuple[str, int]]
    to_accept: str
    to_resolve: str
    follow_up: str


def summary(session: Session, services: AppContext, scope: Scope) -> Summary:
    """Figures over the scope's reports of the last STATS_DAYS days."""
    content = services.content
    t = content.console
    since = services.clock() - timedelta(days=STATS_DAYS)
    stats = report_stats.summary(session, scope, since=since)
    asked = stats.satisfaction
    share = asked.solved_share
    follow_up = t.stats_follow_up_line.format(
        asked=asked.asked, answered=asked.answered,
        solved="—" if share is None else f"{share:.0%}",
        rating="—" if asked.average_rating is None else f"{asked.average_rating:.1f}",
    )  # fmt: skip
    return Summary(
        days=STATS_DAYS,
        total=stats.total,
        categories=[(category_name(content, k), n) for k, n in stats.by_category.items()],
        statuses=[(display.status_name(content, k), n) for k, n in stats.by_status.items()],
        to_accept=duration(t, stats.median_minutes_to_accept),
        to_resolve=duration(t, stats.median_minutes_to_resolve),
        follow_up=follow_up,
    )
