"""/console/applications/demand: 办事统计 — per service, how many residents asked for its
checklist, walked through their documents, were ready, and applied in chat over a period, and
the documents they lacked most (what to remind people of, and where the window is busiest)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from bot.console.inputs import ConsoleRoute, clean_input
from bot.console.routes import page
from bot.services.catalogue import document_name, service_name
from bot.web.auth import Principal, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.services import checklists

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
PERIODS = (7, 30, 90, 365)


@router.get("/applications/demand", response_class=HTMLResponse)
def demand_page(
    request: Request,
    who: Annotated[Principal, Depends(require_staff)],
    session: WriteSession,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> HTMLResponse:
    """Demand per service over the last `days` days, most asked-about first."""
    services = context_of(request)
    content, t = services.content, services.content.console
    now = services.clock()
    figures = checklists.demand(session, who.scope, since=now - timedelta(days=days), until=now)
    rows = [
        {
            "service": service_name(content, f.service), "checklists": f.checklists,
            "walked": f.walked, "ready": f.ready, "applications": f.applications,
            "missing": [t.sd_missing_item.format(name=document_name(content, f.service, key),
                                                 count=count) for key, count in f.most_missing],
        }
        for f in figures
    ]  # fmt: skip
    periods = sorted({*PERIODS, days})
    return page(request, "service_demand.html", who, rows=rows, days=days, periods=periods)
