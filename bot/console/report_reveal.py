"""/console/reports/{reference}/reveal: a report's description with its numbers, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from bot.console.inputs import ConsoleRoute, clean_input
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.reports import service as reports
from store.staff import audit

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip


@router.post("/reports/{reference}/reveal", response_class=HTMLResponse)
def reveal(
    request: Request,
    who: Annotated[Principal, Depends(require_staff)],
    session: WriteSession,
    reference: str,
    token: Csrf = None,
) -> HTMLResponse:
    """Show the description as the resident wrote it; the reveal goes in the audit log."""
    check_csrf(request, who, token)
    services = context_of(request)
    report = None if "\x00" in reference else reports.get_visible(session, who.scope, reference)
    if report is None:
        raise HTTPException(404, detail=[{"field": "reference", "reason": "not found"}])
    if not reports.can_reveal(who.scope, report):
        refused = page(request, "report_reveal.html", who, report=report, revealed=None)
        refused.status_code = 403
        return refused
    text = reports.reveal_description(
        session, report, scope=who.scope, sealer=services.sealer,
        actor=audit.Actor.of(who.staff), now=services.clock(),
    )  # fmt: skip
    return page(request, "report_reveal.html", who, report=report, revealed=text)
