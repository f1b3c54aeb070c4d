"""/console/reviews: 年审 — for one programme and cycle, how many residents are at each state and
in each building, the list (filtered, paged, exported as a sheet), several records marked 免办 or
已迁出 at once with a reason, and the call list of those WeChat cannot reach. Every change goes
through store/reviews/records.py `move`, one record at a time, each audited."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.console import review_views as views
from bot.console.inputs import ConsoleRoute, QueryId, clean_input, form_id
from bot.console.review_record import programme_of
from bot.console.review_views import read_note
from bot.console.routes import Csrf, page
from bot.reviews import actions
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from config.review_content import Programme
from store.places import service as places
from store.registry import reveal as revealing
from store.reviews import records, tracker
from store.reviews.models import STATES
from store.staff import audit

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
ProgrammeKey = Annotated[str, Query(max_length=40)]
Cycle = Annotated[int | None, Query(ge=2000, le=2100)]
State = Annotated[str, Query(max_length=16)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000)]
Typed = Annotated[str, Form(max_length=4000)]  # longer than allowed: the page says how long
PER_PAGE = 50
SHEET_PAGE = 1000
MAX_ROWS = 100_000
MAX_BULK = 200


def _chosen(services: AppContext, key: str) -> Programme:
    """The programme asked for, the first one when none is; an unknown one is refused."""
    catalogue = services.content.reviews
    if not key and catalogue.programmes:
        return catalogue.programmes[0]
    return programme_of(services, key)


def _cycle(session: Session, services: AppContext, who: Principal, programme: Programme,
           asked: int | None) -> tuple[int, list[int]]:  # fmt: skip
    """The cycle shown (the one asked for; else this year's, or the latest there is) and the
    cycles to choose from."""
    known = tracker.cycles(session, who.scope, programme.key)
    this_year = today_of(services).year
    chosen = asked or (this_year if this_year in known or not known else max(known))
    return chosen, sorted({*known, chosen}, reverse=True)


def _state(state: str) -> str | None:
    if state and state not in STATES:
        raise HTTPException(422, detail=[{"field": "state", "reason": "not a state"}])
    return state or None


def _buildings(session: Session, who: Principal) -> dict[int, str]:
    return {p.id: p.name for p in places.listed(session, who.scope)
            if p.kind == "building" and p.id is not None}  # fmt: skip


def _address(programme: str, cycle: int, **more: object) -> str:
    query = {"programme": programme, "cycle": cycle}
    query.update({k: v for k, v in more.items() if v not in (None, "")})
    return f"/console/reviews?{urlencode(query)}"


def _tracker(
    request: Request, who: Principal, session: Session, programme: Programme,
    cycle_asked: int | None, state: str | None, place_id: int | None, page_number: int,
    **context: Any,
) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    content, tz = services.content, services.settings.tz
    t, states = content.console, content.reviews.words.states
    cycle, cycles = _cycle(session, services, who, programme, cycle_asked)
    key = programme.key
    counts = tracker.counts(session, who.scope, programme=key, cycle=cycle)
    by_building = tracker.by_building(session, who.scope, programme=key, cycle=cycle)
    found, total = tracker.listed(
        session, who.scope, programme=key, cycle=cycle, state=state, place_id=place_id,
        page=page_number, per_page=PER_PAGE,
    )  # fmt: skip
    filters = {"state": state or "", "place_id": place_id or ""}
    return page(
        request, "reviews.html", who, programme=programme, cycle=cycle, cycles=cycles,
        programmes=content.reviews.programmes, states=states, state_keys=STATES,
        tallies=views.tallies(t, states, counts), columns=[t[k] for k, _ in views.COLUMNS],
        buildings=views.building_rows(t, by_building), places=_buildings(session, who),
        rows=views.list_rows(content, services.sealer, found, tz), total=total,
        page_number=page_number, pages=max(1, -(-total // PER_PAGE)), filters=filters,
        here=_address(key, cycle, **filters), may_act=actions.may_act(who.scope, programme),
        export="/console/reviews/export.xlsx?" + urlencode({"programme": key, "cycle": cycle,
                                                           **filters}),
        bulk=[(change, t[f"rv_do_{change}"]) for change in actions.BULK], max_note=records.MAX_NOTE,
        **context,
    )  # fmt: skip


@router.get("/reviews", response_class=HTMLResponse)
def tracker_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    programme: ProgrammeKey = "",
    cycle: Cycle = None,
    state: State = "",
    place_id: QueryId = None,
    page_number: PageNumber = 1,
    done: Annotated[str, Query(max_length=16)] = "",
    count: Annotated[int, Query(ge=0, le=MAX_BULK)] = 0,
    skipped: Annotated[int, Query(ge=0, le=MAX_BULK)] = 0,
) -> HTMLResponse:
    """The programme's counters, its buildings, and the filtered list, a page at a time."""
    services = context_of(request)
    t = services.content.console
    notice = None
    if done in actions.BULK:
        notice = t.rv_bulk_done.format(count=count, state=t[f"rv_do_{done}"])
        if skipped:
            notice += t.rv_bulk_skipped.format(count=skipped)
    return _tracker(request, who, session, _chosen(services, programme), cycle, _state(state),
                    place_id, page_number, notice=notice)  # fmt: skip


@router.get("/reviews/export.xlsx")
def export(
    request: Request,
    who: Staff,
    session: WriteSession,
    programme: ProgrammeKey = "",
    cycle: Cycle = None,
    state: State = "",
    place_id: QueryId = None,
) -> Response:
    """The filtered list (every page) as an Excel sheet with Chinese headings; audited."""
    services = context_of(request)
    content, tz, now = services.content, services.settings.tz, services.clock()
    chosen = _chosen(services, programme)
    wanted = _state(state)
    year, _ = _cycle(session, services, who, chosen, cycle)
    rows: list[dict[str, Any]] = []
    number = 1
    while len(rows) < MAX_ROWS:
        found, total = tracker.listed(session, who.scope, programme=chosen.key, cycle=year,
                                      state=wanted, place_id=place_id, page=number,
                                      per_page=SHEET_PAGE)  # fmt: skip
        rows += views.list_rows(content, services.sealer, found, tz)
        if not found or number * SHEET_PAGE >= total:
            break
        number += 1
    audit.record(
        session, actor=audit.Actor.of(who.staff), action="review.export",
        object_type="review_programme", object_id=chosen.key, now=now,
        after={"cycle": year, "state": wanted, "place_id": place_id, "rows": len(rows)},
    )  # fmt: skip
    name = views.sheet_name(content.console, chosen, year, today_of(services))
    disposition = f"attachment; filename=\"reviews-{year}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(views.workbook(content.console, rows, tz), media_type=views.XLSX,
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.post("/reviews/bulk", response_class=HTMLResponse, response_model=None)
def bulk(
    request: Request,
    who: Staff,
    session: WriteSession,
    programme: Typed = "",
    cycle: Typed = "",
    state: Typed = "",
    place_id: Typed = "",
    change: Typed = "",
    note: Typed = "",
    record_id: Annotated[list[str] | None, Form()] = None,
    token: Csrf = None,
) -> Response:
    """Mark the chosen records 免办 or 已迁出 with one reason: each record moved and audited on
    its own; one whose state no longer allows it is left as it is and counted."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    chosen = programme_of(services, programme)
    year = form_id(cycle)
    year = year if year and 2000 <= year <= 2100 else None
    kept_state = state if state in STATES else None
    kept_place = form_id(place_id) if place_id else None
    if not actions.may_act(who.scope, chosen):
        raise HTTPException(404, detail=[{"field": "programme", "reason": "not found"}])
    ids = [form_id(value) for value in (record_id or [])[: MAX_BULK + 1]]
    found = [records.visible(session, who.scope, i, lock=True) if i else None for i in ids]
    if any(r is None or r.programme != chosen.key for r in found):
        raise HTTPException(404, detail=[{"field": "record_id", "reason": "not found"}])
    problem = read_note(t, note, needed=True)
    if change not in actions.BULK:
        problem = t.rv_bulk_choose
    elif not found:
        problem = t.rv_bulk_none
    elif len(found) > MAX_BULK:
        problem = t.rv_bulk_too_many.format(count=MAX_BULK)
    if problem:
        return _tracker(request, who, session, chosen, year, kept_state, kept_place, 1,
                        problem=problem, typed_note=note, typed_change=change,
                        ticked={r.id for r in found if r})  # fmt: skip
    actor, now = audit.Actor.of(who.staff), services.clock()
    moved = skipped = 0
    for record in found:
        assert record is not None
        if record.state not in records.CHANGES[change][0]:
            skipped += 1
            continue
        actions.change(session, who.scope, record, change, note=note, actor=actor, now=now)
        moved += 1
    address = _address(chosen.key, year or found[0].cycle, state=kept_state, place_id=kept_place,
                       done=change, count=moved, skipped=skipped)  # fmt: skip
    return RedirectResponse(address, status_code=303)


@router.get("/reviews/calls", response_class=HTMLResponse)
def calls_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    programme: ProgrammeKey = "",
    cycle: Cycle = None,
    page_number: PageNumber = 1,
) -> HTMLResponse:
    """呼叫名单: residents still to do it whom WeChat cannot reach, why, and the mobile masked
    (an audited reveal shows it whole)."""
    services = context_of(request)
    content = services.content
    chosen = _chosen(services, programme)
    year, cycles = _cycle(session, services, who, chosen, cycle)
    found, total = tracker.call_list(session, who.scope, programme=chosen.key, cycle=year,
                                     page=page_number, per_page=PER_PAGE)  # fmt: skip
    where = views.homes(session, [r.resident.id or 0 for r in found], today_of(services))
    return page(
        request, "reviews_calls.html", who, programme=chosen, cycle=year, cycles=cycles,
        programmes=content.reviews.programmes, calls=views.call_rows(content, services.sealer,
                                                                      found, where),
        total=total, page_number=page_number, pages=max(1, -(-total // PER_PAGE)),
        can_reveal={r.resident.id: revealing.can_reveal(who.scope, r.resident) for r in found},
        why=content.console.rv_reveal_why_default.format(name=chosen.name),
        back=_address(chosen.key, year),
    )  # fmt: skip
