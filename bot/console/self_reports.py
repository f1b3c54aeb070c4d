"""/console/registry/self-reports: changes residents (or their family proxies) asked for in
WeChat, each as what the registry holds against what they asked for, both masked; approved into
the registry as the resident's own report, or rejected with a reason (audited, the asker told)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.binding import notices
from bot.console.bindings import (
    APPROVE,
    MAX_REASON,
    Decision,
    Reason,
    not_found,
    reason_problem,
    refusal_words,
    residents_by_id,
    reviewer,
)
from bot.console.inputs import ConsoleRoute, PathId, clean_input
from bot.console.resident_views import home_text, masked_number, when_local
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from store.binding import self_reports
from store.binding.models import SelfReport
from store.errors import Refused
from store.registry import search
from store.registry.models import Resident
from store.staff import audit
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console/registry", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
_DECIDED = ("not_pending", "reason_missing")


def _current(services: AppContext, report: SelfReport, person: Resident,
             homes: dict[int, list[search.Home]]) -> str:  # fmt: skip
    """What the registry holds now for the reported field, masked, in words."""
    t, words = services.content.console, services.content.registry
    if report.field == "mobile":
        value = masked_number(services.sealer, person, "mobile")
    elif report.field == "dwelling":
        value = "、".join(home_text(home) for home in homes.get(person.id or 0, []))
    else:
        code = getattr(person, report.field, None)
        value = words.word(report.field, code) if code else ""
    return value or t.res_blank


def _self_reports_page(request: Request, who: Principal, session: Session,
                       **context: Any) -> HTMLResponse:  # fmt: skip
    reviewer(who)
    services = context_of(request)
    t = services.content.console
    when = when_local(services.settings.tz)
    committees = scopes.committees(session, who.scope)
    waiting = self_reports.pending(session, who.scope)
    people = residents_by_id(session, who.scope, {r.resident_id for r in waiting})
    homes = search.homes_of(session, list(people), today=today_of(services))
    rows = [
        {"id": r.id, "resident": people[r.resident_id],
         "committee": committees.get(people[r.resident_id].committee_id, ""),
         "field": notices.field_word(services.content, r.field),
         "current": _current(services, r, people[r.resident_id], homes),
         "new": notices.shown_value(services.content, r) or t.res_blank,
         "by": t.sr_by_proxy if r.by_proxy else t.sr_by_self,
         "channel": t[f"channel_{r.channel}"] if r.channel == "wechat" else r.channel,
         "at": when(r.created_at)}
        for r in waiting
        if r.resident_id in people
    ]  # fmt: skip
    return page(request, "self_reports.html", who, reports=rows, several=len(committees) > 1,
                max_reason=MAX_REASON, **context)  # fmt: skip


@router.get("/self-reports", response_class=HTMLResponse)
def self_reports_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    """Changes waiting for staff, oldest first: the resident, the field, now and asked for."""
    t = context_of(request).content.console
    notice = {"approved": t.sr_approved, "rejected": t.sr_rejected}.get(done or "")
    return _self_reports_page(request, who, session, notice=notice)


@router.post("/self-reports/{self_report_id}", response_class=HTMLResponse, response_model=None)
def decide(
    request: Request,
    who: Staff,
    session: WriteSession,
    self_report_id: PathId,
    decision: Decision = "",
    reason: Reason = "",
    token: Csrf = None,
) -> Response:
    """Approve a change into the registry, or reject it with a reason (audited, once); whoever
    asked is told."""
    check_csrf(request, who, token)
    reviewer(who)
    services = context_of(request)
    t = services.content.console
    typed = {"id": str(self_report_id), "reason": reason}
    problem = reason_problem(t, decision, reason)
    if problem is not None:
        return _self_reports_page(request, who, session, problem=problem, typed=typed)
    now, actor = services.clock(), audit.Actor.of(who.staff)
    try:
        with session.begin_nested():  # a refusal keeps nothing of the decision
            if decision == APPROVE:
                report = self_reports.approve(session, services.sealer, report_id=self_report_id,
                                              actor=actor, now=now, scope=who.scope)  # fmt: skip
            else:
                report = self_reports.reject(session, report_id=self_report_id,
                                             reason=reason.strip(), actor=actor, now=now,
                                             scope=who.scope)  # fmt: skip
            person = residents_by_id(session, who.scope, {report.resident_id})
            committee_id = person[report.resident_id].committee_id if person else None
            notices.self_report_decided(session, services.content, report,
                                        committee_id=committee_id, now=now)  # fmt: skip
    except Refused as refused:
        if not_found(refused):
            raise HTTPException(404, detail=[{"field": "self_report", "reason": "not found"}]
                                ) from None  # fmt: skip
        if refused.code in _DECIDED:
            problem = refusal_words(services, refused)
        else:  # the new value fails the registry's checks: its reason in words
            words = services.content.registry.reason(refused.code or refused.reason)
            problem = t.sr_value_refused.format(reason=words)
        return _self_reports_page(request, who, session, problem=problem, typed=typed)
    done = "approved" if decision == APPROVE else "rejected"
    return RedirectResponse(f"/console/registry/self-reports?done={done}", status_code=303)
