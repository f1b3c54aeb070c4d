"""/console/registry/conflicts: what an import left for staff, kept or taken one by one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.console.inputs import ConsoleRoute, PathId, QueryId, clean_input
from bot.console.resident_views import source_text, value_text
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from bot.web.import_sheets import field_words
from store.errors import Refused
from store.registry import conflicts, import_jobs
from store.registry.models import ResidentChange
from store.staff import audit
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console/registry", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=1_000_000)]


def _conflicts_page(request: Request, who: Principal, session: Session, chosen: int | None,
                    number: int = 1, **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    listed = scopes.committees(session, who.scope)
    committees = {c: n for c, n in listed.items() if import_jobs.may_import(who.scope, c)}
    if not committees:
        raise HTTPException(404, detail=[{"field": "committee_id", "reason": "not found"}])
    chosen = chosen if chosen in committees else next(iter(committees))
    shown, total = conflicts.open_conflicts(session, services.sealer, who.scope, chosen,
                                            page=number)  # fmt: skip
    content, t = services.content.registry, services.content.console

    def source(detail: str) -> str:
        """Where the sheet's value came from, as the resident's page says it (numbers masked)."""
        return source_text(t, content, ResidentChange(source_kind="import", source_detail=detail),
                           {})  # fmt: skip

    return page(request, "registry_conflicts.html", who, committees=committees, chosen=chosen,
                conflicts=shown, total=total, page_number=number,
                pages=max(1, -(-total // conflicts.PAGE)),
                field=lambda name: field_words(name, content),
                value=lambda name, shown: value_text(content, t, name, shown), source=source,
                **context)  # fmt: skip


@router.get("/conflicts", response_class=HTMLResponse)
def conflicts_page(
    request: Request,
    who: Staff,
    session: WriteSession,
    committee_id: QueryId = None,
    number: PageNumber = 1,
    done: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    """A committee's open conflicts: the current value and the sheet's, both masked."""
    t = context_of(request).content.console
    notice = {"kept": t.ri_conflict_kept, "taken": t.ri_conflict_taken}.get(done or "")
    return _conflicts_page(request, who, session, committee_id, number, notice=notice)


@router.post("/conflicts/{conflict_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    who: Staff,
    session: WriteSession,
    conflict_id: PathId,
    decision: Annotated[str, Form(max_length=8)],
    token: Csrf = None,
) -> Response:
    """Keep the current value or take the sheet's (audited); back to the list."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    try:
        with session.begin_nested():
            conflict = conflicts.decide(session, services.sealer, who.scope,
                                        actor=audit.Actor.of(who.staff), conflict_id=conflict_id,
                                        decision=decision, now=services.clock())  # fmt: skip
    except Refused as refused:
        if refused.code == "not_found":
            raise HTTPException(
                404, detail=[{"field": "conflict", "reason": "not found"}]
            ) from None
        if refused.code in ("decided", "decision"):
            words = t[f"ri_refused_{refused.code}"]
        else:  # the sheet's value is refused by the registry's checks: its reason in words
            words = services.content.registry.reason(refused.code or refused.reason)
        problem = t.ri_refused.format(reason=words)
        return _conflicts_page(request, who, session, None, problem=problem)
    return RedirectResponse(
        f"/console/registry/conflicts?committee_id={conflict.committee_id}&done={conflict.status}",
        status_code=303,
    )
