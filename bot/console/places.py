"""/console/places: an admin's buildings and public places, by hand or from a CSV sheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.auth import Principal, check_csrf, require_admin, require_staff
from bot.console.routes import Csrf, page, services_of
from store import audit, places
from store import scope as scopes
from store.db import unit_of_work

router = APIRouter(
    prefix="/console", include_in_schema=False, dependencies=[Depends(require_staff)]
)
Admin = Annotated[Principal, Depends(require_admin)]
MAX_CSV_BYTES = 1024 * 1024


def _places_page(
    request: Request, who: Principal, chosen: int | None, **context: object
) -> HTMLResponse:
    services = services_of(request)
    t = services.content.console
    with Session(services.database) as session:
        committees = scopes.committees(session, who.scope)
        chosen = chosen if chosen in committees else next(iter(committees), None)
        listed = places.listed(session, who.scope, chosen) if chosen else []
    kinds = {"building": t.kind_building, "public": t.kind_public}
    return page(request, "places.html", who, committees=committees, chosen=chosen,
                places=listed, kinds=kinds, **context)  # fmt: skip


@router.get("/places", response_class=HTMLResponse)
def places_page(request: Request, who: Admin, committee_id: int | None = None) -> HTMLResponse:
    """A committee's places and the forms to add or import them."""
    return _places_page(request, who, committee_id)


@router.post("/places", response_class=HTMLResponse)
def add_place(
    request: Request,
    who: Admin,
    committee_id: Annotated[int, Form()],
    name: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    grid_area: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    lng: Annotated[str, Form()] = "",
    token: Csrf = None,
) -> HTMLResponse:
    """Add or update one place."""
    check_csrf(request, who, token)
    services = services_of(request)
    t = services.content.console
    try:
        with unit_of_work(services.database) as session:
            places.save(
                session, who.scope, actor=audit.Actor.of(who.staff), committee_id=committee_id,
                kind=kind, name=name, grid_area=grid_area or None, now=services.clock(),
                lat=float(lat) if lat.strip() else None, lng=float(lng) if lng.strip() else None,
            )  # fmt: skip
    except ValueError as refused:
        field = getattr(refused, "field", "lat")
        reason = getattr(refused, "reason", "must be a number")
        problem = t.refused.format(field=field, reason=reason)
        return _places_page(request, who, committee_id, problem=problem)
    return _places_page(request, who, committee_id, notice=t.place_saved)


@router.post("/places/import", response_class=HTMLResponse)
async def import_places(
    request: Request,
    who: Admin,
    committee_id: Annotated[int, Form()],
    file: UploadFile,
    token: Csrf = None,
) -> HTMLResponse:
    """Load places from an uploaded CSV sheet; bad rows are listed, good ones kept."""
    check_csrf(request, who, token)
    services = services_of(request)
    t = services.content.console
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        problem = t.refused.format(field="file", reason="larger than 1 MiB")
        return _places_page(request, who, committee_id, problem=problem)
    text = raw.decode("utf-8-sig", errors="replace")
    with unit_of_work(services.database) as session:
        result = places.import_csv(
            session,
            who.scope,
            actor=audit.Actor.of(who.staff),
            committee_id=committee_id,
            text=text,
            now=services.clock(),
        )
    notice = t.import_done.format(created=result.created, updated=result.updated)
    problem = "；".join(t.import_problem.format(row=r, reason=why) for r, why in result.problems)
    return _places_page(request, who, committee_id, notice=notice, problem=problem or None)
