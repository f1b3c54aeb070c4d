"""/console/visits: 今日预约 — one day's booked 年审 visits at the committee, by time, and at the
desk: 到了并办结 (the record completes), 到了未办完 (something was missing: still to be done) or
没来. Every mark is audited by the appointments service."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.console.campaign_views import read_day
from bot.console.inputs import ConsoleRoute, PathId, clean_input
from bot.console.resident_views import masked_number
from bot.console.routes import Csrf, page
from bot.reviews.actions import may_act
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.errors import Refused
from store.reviews import appointments, records
from store.reviews.models import BOOKED_VISIT
from store.reviews.visits import ATTEND_FROM, NO_SHOW_FROM
from store.staff import audit

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
Day = Annotated[str, Query(max_length=20)]
# What staff mark at the desk: came and done, came but not done, did not come.
DONE, CAME, NO_SHOW = "done", "came", "no_show"
OUTCOMES = (DONE, CAME, NO_SHOW)
# The visit states each mark starts from: a no-show marked by mistake may still be attended.
STARTS = {DONE: ATTEND_FROM, CAME: ATTEND_FROM, NO_SHOW: NO_SHOW_FROM}


def _day_page(request: Request, who: Principal, session: Session, day: date,
              **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    content, tz = services.content, services.settings.tz
    t, words = content.console, content.reviews
    labels = words.words.labels
    found = appointments.day_list(session, who.scope, day, tz=tz)
    rows = []
    for row in found:
        programme = words.by_key.get(row.record.programme)
        rows.append({
            "id": row.appointment.id, "record_id": row.record.id,
            "time": labels.of_time(row.slot.starts_at.astimezone(tz)),
            "programme": programme.name if programme else row.record.programme,
            "name": row.name, "mobile": masked_number(services.sealer, row.resident, "mobile"),
            "state": t[f"vs_state_{row.appointment.state}"],
            "outcomes": [(o, t[f"vs_do_{o}"]) for o in OUTCOMES
                         if row.appointment.state in STARTS[o]],
            "may_act": programme is not None and may_act(who.scope, programme),
        })  # fmt: skip
    today = today_of(services)
    return page(
        request, "visits.html", who, day=day.isoformat(), day_words=labels.of_day(day),
        is_today=day == today, today=today.isoformat(), rows=rows,
        waiting=sum(1 for row in found if row.appointment.state == BOOKED_VISIT),
        previous=(day - timedelta(days=1)).isoformat(), next=(day + timedelta(days=1)).isoformat(),
        **context,
    )  # fmt: skip


@router.get("/visits", response_class=HTMLResponse)
def day_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    day: Day = "",
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    """The day's visits by time (today when no day is named), with the desk's buttons."""
    services = context_of(request)
    t = services.content.console
    chosen = read_day(day) if day else today_of(services)
    problem = None
    if chosen is None:
        chosen, problem = today_of(services), t.vs_bad_day
    notice = t[f"vs_done_{done}"] if done in OUTCOMES else None
    return _day_page(request, who, session, chosen, notice=notice, problem=problem)


@router.post("/visits/{appointment_id}", response_class=HTMLResponse, response_model=None)
def mark(
    request: Request,
    who: Staff,
    session: WriteSession,
    appointment_id: PathId,
    outcome: Annotated[str, Form(max_length=16)] = "",
    day: Annotated[str, Form(max_length=20)] = "",
    token: Csrf = None,
) -> Response:
    """Mark one visit (audited): done (the record completes), came but not done, or no-show.
    A visit marked already (a colleague was quicker) is explained on the day's page."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    shown = read_day(day) or today_of(services)
    if outcome not in OUTCOMES:
        return _day_page(request, who, session, shown, problem=t.vs_choose)
    seen = appointments.visible(session, who.scope, appointment_id)
    record = records.visible(session, who.scope, seen.record_id) if seen else None
    programme = services.content.reviews.by_key.get(record.programme) if record else None
    if programme is None or not may_act(who.scope, programme):
        raise HTTPException(404, detail=[{"field": "appointment_id", "reason": "not found"}])
    actor, now = audit.Actor.of(who.staff), services.clock()
    try:
        with session.begin_nested():
            if outcome == NO_SHOW:
                appointments.no_show(session, who.scope, appointment_id, actor=actor, now=now)
            else:
                appointments.attend(session, who.scope, appointment_id, complete=outcome == DONE,
                                    actor=actor, now=now)  # fmt: skip
    except Refused:
        return _day_page(request, who, session, shown, problem=t.vs_already)
    return RedirectResponse(f"/console/visits?day={shown.isoformat()}&done={outcome}",
                            status_code=303)  # fmt: skip
