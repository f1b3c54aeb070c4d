"""What staff do to one report, always through bot.reporting so residents hear about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.reports import service as reporting
from config.content import Content
from store.reports import service as reports
from store.reports.models import Report
from store.reports.service import ReportError
from store.staff import accounts as staff
from store.staff import audit
from store.staff.scope import Scope


@dataclass(frozen=True)
class ActionForm:
    """The fields of an action's form (each action reads the ones it needs)."""

    note: str = ""
    public: bool = False
    referred_to: str = ""
    assignee_id: str = ""


@dataclass(frozen=True)
class Acting:
    """Who acts, on what, when, with which content."""

    session: Session
    content: Content
    scope: Scope
    actor: audit.Actor
    now: datetime


Step = Callable[[Acting, Report, ActionForm], None]


def _lifecycle(action: str) -> Step:
    def step(acting: Acting, report: Report, form: ActionForm) -> None:
        # Which step needs a note is store.reports.NOTE_REQUIRED's rule, as for the API.
        reporting.change(
            acting.session, acting.content, report, action, actor=acting.actor, now=acting.now,
            note=form.note, referred_to=form.referred_to if action == "refer" else None,
        )  # fmt: skip

    return step


def _note(acting: Acting, report: Report, form: ActionForm) -> None:
    reporting.note(
        acting.session, acting.content, report, actor=acting.actor, text=form.note,
        public=form.public, now=acting.now,
    )  # fmt: skip


def _assign(acting: Acting, report: Report, form: ActionForm) -> None:
    person = None
    if form.assignee_id.isdigit() and len(form.assignee_id) <= 9:
        person = staff.get_visible(acting.session, acting.scope, int(form.assignee_id))
    if person is None:
        raise ReportError("assignee", "not an active member of this committee's staff")
    # Nothing for residents to hear: who handles it is the committee's business.
    reports.assign(acting.session, report, actor=acting.actor, staff=person, now=acting.now)


LIFECYCLE = ("accept", "start", "resolve", "reject", "refer", "close")
STEPS: dict[str, Step] = {
    **{action: _lifecycle(action) for action in LIFECYCLE},
    "assign": _assign,
    "note": _note,
}


def act(acting: Acting, report: Report, action: str, form: ActionForm) -> None:
    """Do one staff action on a report (ReportError when it does not fit)."""
    STEPS[action](acting, report, form)


def refusal(content: Content, status: str, action: str, error: ReportError) -> str:
    """Why an action was refused, in the committee's words."""
    t = content.console
    if error.field == "action":
        return t.report_refused_status.format(
            status=content.reports.status(status), action=t[f"action_{action}"]
        )
    words = {
        "note": t.report_need_note,
        "referred_to": t.report_need_where,
        "assignee": t.report_bad_assignee,
    }
    return words.get(error.field) or t.refused.format(field=error.field, reason=error.reason)
