"""/console/broadcasts: 发通知 — staff write a notice to a building and/or a tag of their
committee, save it, see how many residents it names and how many WeChat reaches with the notice
as residents read it, confirm those counts (sent once, audited), then follow its delivery and
phone those on the call list (each number masked; a reveal is audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.console import broadcast_views as views
from bot.console.inputs import ConsoleRoute, PathId, clean_input
from bot.console.resident_views import when_local
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from store.broadcasts import progress as following
from store.broadcasts import service as broadcasts
from store.broadcasts.models import Broadcast
from store.errors import Refused
from store.paging import MAX_ID
from store.places import service as places
from store.registry import reveal as revealing
from store.reports.facts import staff_names
from store.staff import audit
from store.staff import scope as scopes
from store.staff.scope import Scope

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
Typed = Annotated[str, Form(max_length=4000)]  # longer than allowed: the page says how long
Count = Annotated[int, Form(ge=0, le=MAX_ID)]
PER_PAGE = 50
MAX_PAGE = 100_000
# The store's refusal codes, in the console's words.
_REFUSALS = {"committee_unknown": "bc_choose_again", "place_unknown": "bc_choose_again",
             "no_range": "bc_need_range", "title_missing": "bc_need_title",
             "text_missing": "bc_need_text", "sent": "bc_already_sent", "nobody": "bc_nobody",
             "changed": "bc_changed"}  # fmt: skip


def may_send(scope: Scope) -> bool:
    """Committee staff and sub-district admins send notices; grid workers follow them."""
    return scope.admin or scope.committee_staff


def _sender(who: Principal) -> None:
    if not may_send(who.scope):
        raise HTTPException(404, detail=[{"field": "page", "reason": "not found"}])


def _broadcast(session: Session, who: Principal, broadcast_id: int) -> Broadcast:
    found = broadcasts.visible(session, who.scope, broadcast_id)
    if found is None:
        raise HTTPException(404, detail=[{"field": "broadcast_id", "reason": "not found"}])
    return found


def _refusal(services: AppContext, refused: Refused) -> str:
    t = services.content.console
    key = _REFUSALS.get(refused.code)
    return t.bc_refused.format(reason=t[key] if key else refused.reason)


def _choices(session: Session, services: AppContext, scope: Scope) -> dict[str, Any]:
    """What the form offers: the scope's committees, their buildings, the tag vocabulary."""
    committees = scopes.committees(session, scope)
    several = len(committees) > 1
    buildings = {
        p.id: (p.committee_id, f"{committees.get(p.committee_id, '')} · {p.name}" if several
               else p.name)
        for p in places.listed(session, scope) if p.kind == "building" and p.id is not None
    }  # fmt: skip
    tags = {code: tag.name for code, tag in services.content.registry.tags.items()}
    return {"committees": committees, "buildings": buildings, "tags": tags, "several": several}


# -- the list ----------------------------------------------------------------------------------


@router.get("/broadcasts", response_class=HTMLResponse)
def broadcasts_page(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """The scope's notices, newest first, each with how far its delivery has come."""
    services = context_of(request)
    t = services.content.console
    when = when_local(services.settings.tz)
    found = broadcasts.listed(session, who.scope)
    counted = following.progress(session, [b.id for b in found if b.id is not None])
    committees = scopes.committees(session, who.scope)
    rows = [
        {"id": b.id, "title": b.title, "committee": committees.get(b.committee_id, ""),
         "state": t.bc_state_sent.format(when=when(b.sent_at)) if b.sent_at
         else t.bc_state_draft,
         "progress": counted.get(b.id or 0, following.Progress())}
        for b in found
    ]  # fmt: skip
    return page(request, "broadcasts.html", who, rows=rows, several=len(committees) > 1,
                may_send=may_send(who.scope))  # fmt: skip


# -- a new notice ------------------------------------------------------------------------------


def _new_page(request: Request, who: Principal, session: Session, asked: views.Asked | None,
              **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    if asked is None:
        asked = views.Asked({name: "" for name in views.FIELDS}, None)
    return page(request, "broadcast_new.html", who, asked=asked,
                max_title=broadcasts.MAX_TITLE, max_text=broadcasts.MAX_TEXT,
                **_choices(session, services, who.scope), **context)  # fmt: skip


@router.get("/broadcasts/new", response_class=HTMLResponse)
def new_page(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """The form: whom (a building, a tag), the title and the text."""
    _sender(who)
    return _new_page(request, who, session, None)


@router.post("/broadcasts", response_class=HTMLResponse, response_model=None)
def save(
    request: Request,
    who: Staff,
    session: WriteSession,
    committee_id: Typed = "",
    place_id: Typed = "",
    tag: Typed = "",
    title: Typed = "",
    text: Typed = "",
    token: Csrf = None,
) -> Response:
    """Save the notice (audited; nothing is sent yet) and show its preview."""
    check_csrf(request, who, token)
    _sender(who)
    services = context_of(request)
    values = {"committee_id": committee_id, "place_id": place_id, "tag": tag, "title": title,
              "text": text}  # fmt: skip
    choices = _choices(session, services, who.scope)
    asked = views.read_form(values, services.content.console, committees=choices["committees"],
                            buildings=choices["buildings"], tags=choices["tags"])  # fmt: skip
    if asked.audience is None:
        return _new_page(request, who, session, asked,
                         problem=services.content.console.bc_fix_form)  # fmt: skip
    try:
        with session.begin_nested():
            saved = broadcasts.create(
                session, who.scope, audience=asked.audience, title=asked.typed["title"],
                text=asked.typed["text"], actor=audit.Actor.of(who.staff), now=services.clock(),
            )  # fmt: skip
    except Refused as refused:
        return _new_page(request, who, session, asked, problem=_refusal(services, refused))
    return RedirectResponse(f"/console/broadcasts/{saved.id}?saved=1", status_code=303)


# -- one notice --------------------------------------------------------------------------------


def _broadcast_page(request: Request, who: Principal, session: Session, broadcast: Broadcast,
                    page_number: int = 1, **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    content, t = services.content, services.content.console
    when = when_local(services.settings.tz)
    today = today_of(services)
    choices = _choices(session, services, who.scope)
    names = {pid: name for pid, (_, name) in choices["buildings"].items()}
    committee = choices["committees"].get(broadcast.committee_id, "")
    creator = staff_names(session, [broadcast.created_by]).get(broadcast.created_by or 0,
                                                               t.bc_someone)  # fmt: skip
    values: dict[str, Any] = {
        "broadcast": broadcast,
        "committee": committee,
        "range": views.range_words(t, content, broadcast.filter, names),
        "created": t.bc_created.format(who=creator, when=when(broadcast.created_at)),
        "several": choices["several"],
        "may_send": may_send(who.scope),
    }
    if broadcast.sent_at is None:
        values["preview"] = broadcasts.preview(
            session, who.scope, broadcasts.audience_of(broadcast), sealer=services.sealer,
            today=today, tz=services.settings.tz,
            letter=views.letter(t, committee, broadcast),
        )  # fmt: skip
        values["count_fields"] = views.COUNTS
    else:
        assert broadcast.id is not None
        counted = following.progress(session, [broadcast.id])
        progress = counted.get(broadcast.id, following.Progress())
        rows, total = following.call_list(session, broadcast.id, page=page_number,
                                          per_page=PER_PAGE)  # fmt: skip
        values.update(
            progress=progress, sent=when(broadcast.sent_at), calls_total=total,
            calls=views.call_rows(session, content, services.sealer, rows, today),
            page_number=page_number, pages=max(1, -(-total // PER_PAGE)),
            sent_counts=t.bc_sent_counts.format(total=broadcast.total, sent=broadcast.sent,
                                                opted_out=broadcast.opted_out,
                                                not_bound=broadcast.not_bound),
            can_reveal={r.resident.id: revealing.can_reveal(who.scope, r.resident) for r in rows},
        )  # fmt: skip
    return page(request, "broadcast.html", who, **values, **context)


@router.get("/broadcasts/{broadcast_id}", response_class=HTMLResponse)
def broadcast_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    broadcast_id: PathId,
    saved: Annotated[str, Query(max_length=8)] = "",
    sent: Annotated[str, Query(max_length=8)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """A saved notice (its preview and the confirmation), or a sent one: progress, call list."""
    t = context_of(request).content.console
    found = _broadcast(session, who, broadcast_id)
    notice = t.bc_saved if saved and found.sent_at is None else None
    if sent and found.sent_at is not None:
        notice = t.bc_sent_notice
    return _broadcast_page(request, who, session, found, page_number, notice=notice)


@router.post("/broadcasts/{broadcast_id}/send", response_class=HTMLResponse, response_model=None)
def send(
    request: Request,
    who: Staff,
    session: WriteSession,
    broadcast_id: PathId,
    total: Count,
    reachable: Count,
    opted_out: Count,
    not_bound: Count,
    token: Csrf = None,
) -> Response:
    """Send the notice as previewed: refused, and the new counts shown, if they have changed."""
    check_csrf(request, who, token)
    found = _broadcast(session, who, broadcast_id)
    _sender(who)
    services = context_of(request)
    t = services.content.console
    committee = scopes.committees(session, who.scope).get(found.committee_id, "")
    try:
        with session.begin_nested():
            broadcasts.send(
                session, services.sealer, broadcast_id=broadcast_id, scope=who.scope,
                expected=broadcasts.Counts(total, reachable, opted_out, not_bound),
                letter=views.letter(t, committee, found), actor=audit.Actor.of(who.staff),
                now=services.clock(), tz=services.settings.tz,
            )  # fmt: skip
    except Refused as refused:
        return _broadcast_page(request, who, session, _broadcast(session, who, broadcast_id),
                               problem=_refusal(services, refused))  # fmt: skip
    return RedirectResponse(f"/console/broadcasts/{broadcast_id}?sent=1", status_code=303)
