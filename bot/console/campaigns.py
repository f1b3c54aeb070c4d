"""/console/registry/campaigns: confirmation campaigns (信息核对) instead of phone calls — choose
residents, preview how many and the message, save, start (once, audited), then follow the
answers and phone those on the call list (each number masked; a reveal is audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.campaigns.letters import letter
from bot.console import campaign_views as views
from bot.console.inputs import ConsoleRoute, PathId, clean_input
from bot.console.resident_views import when_local
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from store.campaigns import service as campaigns
from store.campaigns.audience import Audience
from store.campaigns.models import Campaign
from store.errors import Refused
from store.places import service as places
from store.registry import reveal as revealing
from store.reports.facts import staff_names
from store.staff import audit
from store.staff import scope as scopes
from store.staff.scope import Scope

router = APIRouter(
    prefix="/console/registry", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
Typed = Annotated[str, Form(max_length=4000)]  # longer than allowed: the page says how long
PER_PAGE = 50
MAX_PAGE = 100_000
# The store's refusal codes, in the console's words.
_REFUSALS = {"committee_unknown": "cp_choose_again", "place_unknown": "cp_choose_again",
             "title_missing": "cp_need_title", "remind_days": "cp_bad_days",
             "started": "cp_already_started", "nobody": "cp_nobody"}  # fmt: skip


def may_start(scope: Scope) -> bool:
    """Committee staff and sub-district admins start campaigns; grid workers follow them."""
    return scope.admin or scope.committee_staff


def _starter(who: Principal) -> None:
    if not may_start(who.scope):
        raise HTTPException(404, detail=[{"field": "page", "reason": "not found"}])


def _campaign(session: Session, who: Principal, campaign_id: int) -> Campaign:
    found = campaigns.visible(session, who.scope, campaign_id)
    if found is None:
        raise HTTPException(404, detail=[{"field": "campaign_id", "reason": "not found"}])
    return found


def _refusal(services: AppContext, refused: Refused) -> str:
    t = services.content.console
    key = _REFUSALS.get(refused.code)
    return t.cp_refused.format(reason=t[key] if key else refused.reason)


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


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """The scope's campaigns, newest first, each with its answers so far."""
    services = context_of(request)
    t = services.content.console
    when = when_local(services.settings.tz)
    found = campaigns.listed(session, who.scope)
    counted = campaigns.progress(session, [c.id for c in found if c.id is not None])
    committees = scopes.committees(session, who.scope)
    rows = [
        {"id": c.id, "title": c.title, "committee": committees.get(c.committee_id, ""),
         "state": t.cp_state_started.format(when=when(c.started_at)) if c.started_at
         else t.cp_state_draft,
         "progress": counted.get(c.id or 0, campaigns.Progress())}
        for c in found
    ]  # fmt: skip
    return page(request, "campaigns.html", who, rows=rows, several=len(committees) > 1,
                may_start=may_start(who.scope))  # fmt: skip


# -- a new campaign ----------------------------------------------------------------------------


def _new_page(request: Request, who: Principal, session: Session, asked: views.Asked | None,
              **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    t = services.content.console
    choices = _choices(session, services, who.scope)
    shown = None
    if asked is not None and asked.audience is not None:
        shown = views.preview(session, services.content, services.sealer, who.scope,
                              asked.audience, services.content.campaigns.letter.message,
                              today=today_of(services), tz=services.settings.tz)  # fmt: skip
    if asked is None:
        default = t.cp_default_title.format(date=today_of(services).strftime("%Y-%m-%d"))
        typed = {name: "" for name in views.FIELDS}
        typed.update(
            title=default, reminder_after_days=str(services.content.campaigns.remind_after_days)
        )
        asked = views.Asked(typed, None, default, services.content.campaigns.remind_after_days)
    return page(request, "campaign_new.html", who, asked=asked, preview=shown,
                fields=views.FIELDS, max_title=campaigns.MAX_TITLE, **choices,
                **context)  # fmt: skip


def _read(request: Request, session: Session, who: Principal,
          values: dict[str, str]) -> views.Asked:  # fmt: skip
    services = context_of(request)
    choices = _choices(session, services, who.scope)
    return views.read_form(values, services.content.console, committees=choices["committees"],
                           buildings=choices["buildings"], tags=choices["tags"],
                           default_days=services.content.campaigns.remind_after_days)  # fmt: skip


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_page(request: Request, who: Staff, session: WriteSession,
             preview: Annotated[str, Query(max_length=8)] = "") -> HTMLResponse:  # fmt: skip
    """The form; with `preview`, how many residents it names and the message they would get."""
    _starter(who)
    if not preview:
        return _new_page(request, who, session, None)
    values = {name: request.query_params.get(name, "")[:200] for name in views.FIELDS}
    return _new_page(request, who, session, _read(request, session, who, values))


@router.post("/campaigns", response_class=HTMLResponse, response_model=None)
def save(
    request: Request,
    who: Staff,
    session: WriteSession,
    committee_id: Typed = "",
    title: Typed = "",
    place_id: Typed = "",
    tag: Typed = "",
    unconfirmed_since: Typed = "",
    reminder_after_days: Typed = "",
    token: Csrf = None,
) -> Response:
    """Save the campaign (audited; nothing is sent yet) and show it, ready to start."""
    check_csrf(request, who, token)
    _starter(who)
    services = context_of(request)
    values = {"committee_id": committee_id, "title": title, "place_id": place_id, "tag": tag,
              "unconfirmed_since": unconfirmed_since,
              "reminder_after_days": reminder_after_days}  # fmt: skip
    asked = _read(request, session, who, values)
    if asked.audience is None:
        return _new_page(request, who, session, asked,
                         problem=services.content.console.cp_fix_form)  # fmt: skip
    try:
        with session.begin_nested():
            saved = campaigns.create(
                session, who.scope, audience=asked.audience, title=asked.title,
                message=services.content.campaigns.letter.message,
                reminder_after_days=asked.days, actor=audit.Actor.of(who.staff),
                now=services.clock(),
            )  # fmt: skip
    except Refused as refused:
        return _new_page(request, who, session, asked, problem=_refusal(services, refused))
    return RedirectResponse(f"/console/registry/campaigns/{saved.id}?saved=1", status_code=303)


# -- one campaign ------------------------------------------------------------------------------


def _campaign_page(request: Request, who: Principal, session: Session, campaign: Campaign,
                   page_number: int = 1, **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    content, t = services.content, services.content.console
    when = when_local(services.settings.tz)
    today = today_of(services)
    choices = _choices(session, services, who.scope)
    names = {pid: name for pid, (_, name) in choices["buildings"].items()}
    creator = staff_names(session, [campaign.created_by]).get(campaign.created_by or 0,
                                                              t.cp_someone)  # fmt: skip
    facts = {
        "committee": choices["committees"].get(campaign.committee_id, ""),
        "range": views.range_words(t, content, campaign.filter, names),
        "created": t.cp_created.format(who=creator, when=when(campaign.created_at)),
        "remind": t.cp_remind_plan.format(days=campaign.reminder_after_days),
    }
    values: dict[str, Any] = {
        "campaign": campaign,
        "facts": facts,
        "several": choices["several"],
        "may_start": may_start(who.scope),
    }
    if campaign.started_at is None:
        audience = Audience.of(campaign.committee_id, campaign.filter)
        values["preview"] = views.preview(session, content, services.sealer, who.scope,
                                          audience, campaign.message, today=today,
                                          tz=services.settings.tz)  # fmt: skip
    else:
        assert campaign.id is not None
        progress = campaigns.progress(session, [campaign.id]).get(campaign.id, campaigns.Progress())
        rows, total = campaigns.call_list(session, campaign.id, page=page_number,
                                          per_page=PER_PAGE)  # fmt: skip
        values.update(
            progress=progress, started=when(campaign.started_at), calls_total=total,
            calls=views.call_rows(session, content, services.sealer, rows, today),
            page_number=page_number, pages=max(1, -(-total // PER_PAGE)),
            reminded=t.cp_reminded.format(when=when(campaign.reminded_at),
                                          count=progress.reminded)
            if campaign.reminded_at else None,
            can_reveal={r.resident.id: revealing.can_reveal(who.scope, r.resident)
                        for r in rows},
        )  # fmt: skip
    return page(request, "campaign.html", who, **values, **context)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    campaign_id: PathId,
    saved: Annotated[str, Query(max_length=8)] = "",
    started: Annotated[str, Query(max_length=8)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """A saved campaign ready to start (its preview), or a started one: progress, call list."""
    t = context_of(request).content.console
    found = _campaign(session, who, campaign_id)
    notice = t.cp_saved if saved and found.started_at is None else None
    if started and found.started_at is not None:
        notice = t.cp_started_notice
    return _campaign_page(request, who, session, found, page_number, notice=notice)


@router.post("/campaigns/{campaign_id}/start", response_class=HTMLResponse, response_model=None)
def start(
    request: Request, who: Staff, session: WriteSession, campaign_id: PathId, token: Csrf = None
) -> Response:
    """Start the campaign: one message to each resident reachable in WeChat (once, audited)."""
    check_csrf(request, who, token)
    _campaign(session, who, campaign_id)
    _starter(who)
    services = context_of(request)
    try:
        with session.begin_nested():
            campaigns.start(
                session, services.sealer, campaign_id=campaign_id, scope=who.scope,
                actor=audit.Actor.of(who.staff), now=services.clock(), tz=services.settings.tz,
                letter=letter(services.content, services.settings.tz),
            )  # fmt: skip
    except Refused as refused:
        return _campaign_page(request, who, session, _campaign(session, who, campaign_id),
                              problem=_refusal(services, refused))  # fmt: skip
    return RedirectResponse(f"/console/registry/campaigns/{campaign_id}?started=1",
                            status_code=303)  # fmt: skip
