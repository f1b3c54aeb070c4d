"""/console/reviews/records/{id}: one resident's 年审 record — who (numbers masked), which
programme, the window, the state, every change with who and when, the booked visit — and the
changes its state allows (确认已办, 不对，还没办, 现场办结, 免办, 已迁出, 撤销), each audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.console import review_views as views
from bot.console.inputs import ConsoleRoute, PathId, clean_input
from bot.console.resident_views import masked_number, when_local
from bot.console.routes import Csrf, page
from bot.reviews import actions
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from config.review_content import Programme
from flows.masking import mask_name
from store.errors import Refused
from store.registry import reveal as revealing
from store.registry import search
from store.reports.facts import staff_names
from store.reviews import appointments, records
from store.reviews.models import ReviewRecord
from store.staff import audit

router = APIRouter(
    prefix="/console/reviews/records", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
Note = Annotated[str, Form(max_length=4000)]  # longer than allowed: the page says how long


def programme_of(services: AppContext, key: str) -> Programme:
    """The programme by its key; one the configuration does not hold is refused (422)."""
    found = services.content.reviews.by_key.get(key)
    if found is None:
        raise HTTPException(422, detail=[{"field": "programme", "reason": "not a programme"}])
    return found


def _record(session: Session, who: Principal, record_id: int, *, lock: bool = False
            ) -> ReviewRecord:  # fmt: skip
    found = records.visible(session, who.scope, record_id, lock=lock)
    if found is None:
        raise HTTPException(404, detail=[{"field": "record_id", "reason": "not found"}])
    return found


def _page(request: Request, who: Principal, session: Session, record: ReviewRecord,
          **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    content, tz = services.content, services.settings.tz
    t, states = content.console, content.reviews.words.states
    programme = content.reviews.by_key.get(record.programme)
    resident = search.visible_resident(session, who.scope, record.resident_id)
    if resident is None:  # the record is the committee's, so is its resident
        raise HTTPException(404, detail=[{"field": "record_id", "reason": "not found"}])
    changes = records.history(session, record.id or 0)
    names = staff_names(session, [c.staff_id for c in changes])
    visit = appointments.current(session, [record.id or 0]).get(record.id or 0)
    slot = visit[1] if visit else None
    acting = programme is not None and actions.may_act(who.scope, programme)
    return page(
        request, "reviews_record.html", who, record=record, resident=resident,
        masked=mask_name(resident.name),
        programme_name=programme.name if programme else record.programme,
        state=states.get(record.state, record.state),
        window=views.window_text(t, content, record),
        mobile=masked_number(services.sealer, resident, "mobile"),
        id_card=masked_number(services.sealer, resident, "id_card"),
        homes=views.homes(session, [resident.id or 0], today_of(services)).get(resident.id or 0),
        history=views.history_rows(t, states, changes, names, when_local(tz),
                                   content.reviews.words.visit_notes),
        visit=views.visit_text(content, slot, tz),
        visit_day=slot.starts_at.astimezone(tz).date().isoformat() if slot else "",
        completed=when_local(tz)(record.completed_at) if record.completed_at else "",
        via=t[f"rv_via_{record.completed_via}"] if record.completed_via else "",
        steps=[{"change": c, "label": t[f"rv_do_{c}"], "note_needed": c in actions.NEEDS_NOTE}
               for c in actions.allowed(record)] if acting else [],
        can_reveal=revealing.can_reveal(who.scope, resident),
        why=t.rv_reveal_why_default.format(name=programme.name if programme else ""),
        back=f"/console/reviews?programme={record.programme}&cycle={record.cycle}",
        max_note=records.MAX_NOTE, **context,
    )  # fmt: skip


@router.get("/{record_id}", response_class=HTMLResponse)
def record_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    record_id: PathId,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    """The record: the resident, the programme, the window, the state, the history, the visit,
    and the changes its state allows."""
    t = context_of(request).content.console
    notice = t.rv_done.format(change=t[f"rv_do_{done}"]) if done in actions.ACTIONS else None
    return _page(request, who, session, _record(session, who, record_id), notice=notice)


@router.post("/{record_id}/{step}", response_class=HTMLResponse, response_model=None)
def change_record(
    request: Request,
    who: Staff,
    session: WriteSession,
    record_id: PathId,
    step: str,
    note: Note = "",
    token: Csrf = None,
) -> Response:
    """One change of the record (row locked, audited). A change its state no longer allows (a
    colleague was quicker) or a missing reason is explained on the page; nothing changes."""
    check_csrf(request, who, token)
    services = context_of(request)
    t, states = services.content.console, services.content.reviews.words.states
    if step not in actions.ACTIONS:
        raise HTTPException(404, detail=[{"field": "step", "reason": "not found"}])
    record = _record(session, who, record_id, lock=True)
    programme = services.content.reviews.by_key.get(record.programme)
    if programme is None or not actions.may_act(who.scope, programme):
        raise HTTPException(404, detail=[{"field": "record_id", "reason": "not found"}])
    problem = views.read_note(t, note, needed=step in actions.NEEDS_NOTE)
    if problem is None and step not in actions.allowed(record):
        problem = t.rv_refused_state.format(state=states.get(record.state, record.state),
                                            change=t[f"rv_do_{step}"])  # fmt: skip
    if problem is None:
        try:
            with session.begin_nested():
                actions.change(
                    session,
                    who.scope,
                    record,
                    step,
                    note=note,
                    actor=audit.Actor.of(who.staff),
                    now=services.clock(),
                )
        except Refused:
            session.refresh(record)
            problem = t.rv_refused_state.format(state=states.get(record.state, record.state),
                                                change=t[f"rv_do_{step}"])  # fmt: skip
    if problem is not None:
        return _page(request, who, session, record, problem=problem, typed_note=note,
                     tried=step)  # fmt: skip
    return RedirectResponse(f"/console/reviews/records/{record.id}?done={step}", status_code=303)
