"""/console/registry/bindings: proxy requests and registrations from WeChat, approved or rejected
with a reason (audited, the requester told), and the WeChat users who failed to bind again and
again today, masked."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.binding import notices
from bot.console.inputs import ConsoleRoute, PathId, clean_input
from bot.console.resident_views import when_local
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from config.console_content import ConsoleText
from flows.masking import mask_mobile, mask_openid
from store.binding import bindings, registrations
from store.binding.models import ATTEMPT_REASONS, ResidentBinding
from store.errors import Refused
from store.places import service as places
from store.registry import search
from store.registry.models import Resident
from store.staff import audit
from store.staff import scope as scopes
from store.staff.scope import Scope

router = APIRouter(
    prefix="/console/registry", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
Decision = Annotated[str, Form(max_length=16)]
Reason = Annotated[str, Form(max_length=4000)]  # longer than allowed: the page says how long
Done = Annotated[str | None, Query(max_length=16)]
MAX_REASON = 200  # a rejection's reason goes to the resident in one WeChat message
APPROVE, REJECT = "approve", "reject"
# The store's refusal codes, in the console's words.
_REFUSALS = {"not_pending": "bd_already_decided", "reason_missing": "bd_need_reason",
             "unmatched": "bd_cannot_approve_unmatched",
             "committee_unknown": "bd_no_committee"}  # fmt: skip
_NOT_FOUND = ("binding_unknown", "registration_unknown", "self_report_unknown")


def may_review(scope: Scope) -> bool:
    """Committee staff and sub-district admins decide what residents ask for in WeChat; grid
    workers do not."""
    return scope.admin or scope.committee_staff


def reviewer(who: Principal) -> None:
    """Refuse (404, as for a page that is not there) a caller who may not review."""
    if not may_review(who.scope):
        raise HTTPException(404, detail=[{"field": "page", "reason": "not found"}])


def reason_problem(t: ConsoleText, decision: str, reason: str) -> str | None:
    """What is wrong with a decision as typed, in words; None when it may go ahead."""
    if decision not in (APPROVE, REJECT):
        return t.bd_bad_decision
    if decision == REJECT and not reason.strip():
        return t.bd_need_reason
    if len(reason.strip()) > MAX_REASON:
        return t.bd_reason_too_long.format(count=MAX_REASON)
    return None


def refusal_words(services: AppContext, refused: Refused) -> str:
    """A store refusal as the page says it (404s are handled before)."""
    t = services.content.console
    key = _REFUSALS.get(refused.code)
    words = t[key] if key else services.content.registry.reason(refused.code or refused.reason)
    return t.bd_refused.format(reason=words)


def not_found(refused: Refused) -> bool:
    """True when the store found nothing the caller may see by that id."""
    return refused.code in _NOT_FOUND


def residents_by_id(session: Session, scope: Scope, ids: set[int]) -> dict[int, Resident]:
    """The residents named by a page's rows (a queue is short: one look-up each)."""
    found = {rid: search.visible_resident(session, scope, rid) for rid in sorted(ids)}
    return {rid: person for rid, person in found.items() if person is not None}


def start_of_day(services: AppContext) -> datetime:
    """Midnight today where the committee is, as an aware UTC time."""
    return datetime.combine(today_of(services), time(), services.settings.tz).astimezone(UTC)


def _attempt_reason(t: ConsoleText, reason: str) -> str:
    return t[f"bd_reason_{reason}"] if reason in ATTEMPT_REASONS else t.bd_reason_no_match


def _proxy_row(binding: ResidentBinding, person: Resident | None, relation: str,
               committee: str, when: Any) -> dict[str, Any]:  # fmt: skip
    return {"id": binding.id, "resident": person, "given_name": binding.given_name or "",
            "relation": relation, "openid": mask_openid(binding.openid),
            "at": when(binding.requested_at), "committee": committee}  # fmt: skip


def _bindings_page(request: Request, who: Principal, session: Session,
                   **context: Any) -> HTMLResponse:  # fmt: skip
    reviewer(who)
    services = context_of(request)
    content, sealer = services.content, services.sealer
    when = when_local(services.settings.tz)
    committees = scopes.committees(session, who.scope)
    proxies = bindings.pending_proxies(session, who.scope)
    people = residents_by_id(session, who.scope,
                             {b.resident_id for b in proxies if b.resident_id})  # fmt: skip
    shown_proxies = [
        _proxy_row(b, people.get(b.resident_id or 0),
                   notices.relation_word(content, b.relation),
                   committees.get(b.committee_id or 0, ""), when)
        for b in proxies
    ]  # fmt: skip
    buildings = {p.id: p.name for p in places.listed(session, who.scope)}
    shown_registrations = [
        {"id": r.id, "name": r.name, "mobile": mask_mobile(sealer.open(r.mobile_sealed)),
         "address": r.address, "openid": mask_openid(r.openid), "at": when(r.created_at),
         "place": " ".join(part for part in (buildings.get(r.place_id or 0, ""), r.unit, r.room)
                           if part) if r.place_id else "",
         "committee": committees.get(r.committee_id or 0, "")}
        for r in registrations.pending(session, who.scope)
    ]  # fmt: skip
    at_least = content.binding.failures_alert
    failed = bindings.failures(session, who.scope, since=start_of_day(services),
                               at_least=at_least)  # fmt: skip
    shown_failures = [
        {"openid": mask_openid(f.openid), "count": f.failed, "at": when(f.last_at),
         "reason": _attempt_reason(content.console, f.last_reason)}
        for f in failed
    ]  # fmt: skip
    return page(request, "bindings.html", who, proxies=shown_proxies,
                registrations=shown_registrations, failures=shown_failures, at_least=at_least,
                several=len(committees) > 1, max_reason=MAX_REASON, **context)  # fmt: skip


@router.get("/bindings", response_class=HTMLResponse)
def bindings_page(request: Request, who: Staff, session: WriteSession,
                  done: Done = None) -> HTMLResponse:  # fmt: skip
    """Proxy requests and registrations waiting, oldest first; today's repeated failures."""
    t = context_of(request).content.console
    notice = {"approved": t.bd_proxy_approved, "rejected": t.bd_proxy_rejected,
              "accepted": t.bd_registration_accepted,
              "refused": t.bd_registration_rejected}.get(done or "")  # fmt: skip
    return _bindings_page(request, who, session, notice=notice)


def _again(request: Request, who: Principal, session: Session, problem: str,
           typed: dict[str, str]) -> HTMLResponse:  # fmt: skip
    return _bindings_page(request, who, session, problem=problem, typed=typed)


@router.post("/bindings/{binding_id}", response_class=HTMLResponse, response_model=None)
def decide_proxy(
    request: Request,
    who: Staff,
    session: WriteSession,
    binding_id: PathId,
    decision: Decision = "",
    reason: Reason = "",
    token: Csrf = None,
) -> Response:
    """Approve or reject a proxy request (audited, once); the requester is told."""
    check_csrf(request, who, token)
    reviewer(who)
    services = context_of(request)
    typed = {"kind": "proxy", "id": str(binding_id), "reason": reason}
    problem = reason_problem(services.content.console, decision, reason)
    if problem is not None:
        return _again(request, who, session, problem, typed)
    now = services.clock()
    try:
        with session.begin_nested():  # a refusal keeps nothing of the decision
            binding = bindings.decide_proxy(
                session, binding_id=binding_id, approve=decision == APPROVE,
                reason=reason.strip(), actor=audit.Actor.of(who.staff), now=now, scope=who.scope,
            )  # fmt: skip
            person = residents_by_id(session, who.scope, {binding.resident_id or 0})
            name = person[binding.resident_id].name if binding.resident_id in person else ""
            notices.proxy_decided(session, services.content, binding, name=name, now=now)
    except Refused as refused:
        if not_found(refused):
            raise HTTPException(404, detail=[{"field": "binding", "reason": "not found"}]) from None
        return _again(request, who, session, refusal_words(services, refused), typed)
    done = "approved" if decision == APPROVE else "rejected"
    return RedirectResponse(f"/console/registry/bindings?done={done}", status_code=303)


@router.post("/registrations/{registration_id}", response_class=HTMLResponse,
             response_model=None)  # fmt: skip
def decide_registration(
    request: Request,
    who: Staff,
    session: WriteSession,
    registration_id: PathId,
    decision: Decision = "",
    reason: Reason = "",
    token: Csrf = None,
) -> Response:
    """Accept a registration (the resident joins the registry, bound to their WeChat) or reject
    it with a reason (audited, once); the one who registered is told."""
    check_csrf(request, who, token)
    reviewer(who)
    services = context_of(request)
    typed = {"kind": "registration", "id": str(registration_id), "reason": reason}
    problem = reason_problem(services.content.console, decision, reason)
    if problem is not None:
        return _again(request, who, session, problem, typed)
    now, actor = services.clock(), audit.Actor.of(who.staff)
    try:
        with session.begin_nested():
            if decision == APPROVE:
                registration = registrations.accept(
                    session, services.sealer, registration_id=registration_id, actor=actor,
                    now=now, scope=who.scope,
                )  # fmt: skip
            else:
                registration = registrations.reject(
                    session, registration_id=registration_id, reason=reason.strip(),
                    actor=actor, now=now, scope=who.scope,
                )  # fmt: skip
            notices.registration_decided(session, services.content, registration, now=now)
    except Refused as refused:
        if not_found(refused):
            raise HTTPException(
                404, detail=[{"field": "registration", "reason": "not found"}]
            ) from None
        return _again(request, who, session, refusal_words(services, refused), typed)
    done = "accepted" if decision == APPROVE else "refused"
    return RedirectResponse(f"/console/registry/bindings?done={done}", status_code=303)
