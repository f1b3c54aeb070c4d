"""/console/places: an admin's buildings and public places, by hand or from a CSV sheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from bot.console.inputs import ConsoleRoute, FormId, QueryId, clean_input
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_admin, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from config.content import ConsoleText
from store.errors import Refused
from store.places import service as places
from store.staff import audit
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Admin = Annotated[Principal, Depends(require_admin)]
FIELDS = {"name": "place_name", "kind": "place_kind", "grid_area": "grid_area",
          "lat": "coordinates", "lng": "coordinates", "file": "csv_file",
          "committee_id": "committee"}  # fmt: skip


def _refusal(t: ConsoleText, refused: Refused) -> str:
    """A refused place in the console's words: which field, and what it must be."""
    return t.place_problem.format(
        field=t[FIELDS.get(refused.field, "place_name")],
        reason=t[f"place_refused_{refused.code}"].format(line=refused.line),
    )


def _places_page(
    request: Request, who: Principal, session: Session, chosen: int | None, **context: object
) -> HTMLResponse:
    t = context_of(request).content.console
    committees = scopes.committees(session, who.scope)
    chosen = chosen if chosen in committees else next(iter(committees), None)
    listed = places.listed(session, who.scope, chosen) if chosen else []
    kinds = {"building": t.kind_building, "public": t.kind_public}
    return page(request, "places.html", who, committees=committees, chosen=chosen,
                places=listed, kinds=kinds, **context)  # fmt: skip


@router.get("/places", response_class=HTMLResponse)
def places_page(
    request: Request, who: Admin, session: WriteSession, committee_id: QueryId = None
) -> HTMLResponse:
    """A committee's places and the forms to add or import them."""
    return _places_page(request, who, session, committee_id)


@router.post("/places", response_class=HTMLResponse)
def add_place(
    request: Request,
    who: Admin,
    session: WriteSession,
    committee_id: FormId,
    name: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    grid_area: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    lng: Annotated[str, Form()] = "",
    token: Csrf = None,
) -> HTMLResponse:
    """Add or update one place."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    try:
        with session.begin_nested():  # a refusal keeps nothing of the place
            places.save(
                session, who.scope, actor=audit.Actor.of(who.staff), committee_id=committee_id,
                kind=kind, name=name, grid_area=grid_area or None, now=services.clock(),
                lat=places.number("lat", lat), lng=places.number("lng", lng),
            )  # fmt: skip
    except Refused as refused:
        return _places_page(request, who, session, committee_id, problem=_refusal(t, refused))
    return _places_page(request, who, session, committee_id, notice=t.place_saved)


@router.post("/places/import", response_class=HTMLResponse)
def import_places(
    request: Request,
    who: Admin,
    session: WriteSession,
    committee_id: FormId,
    file: UploadFile,
    token: Csrf = None,
) -> HTMLResponse:
    """Load places from an uploaded CSV sheet; bad rows are listed, good ones kept; a file that
    cannot be read loads nothing and says why."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    # One byte past the limit is enough to know the file is too large. (A plain `def` route
    # runs in a worker thread, so reading the spooled upload and the import block no one.)
    raw = file.file.read(places.MAX_SHEET_BYTES + 1)
    try:
        # A file refused part-way loads nothing: the rows before it go with the savepoint.
        with session.begin_nested():
            result = places.import_csv(
                session, who.scope, actor=audit.Actor.of(who.staff), committee_id=committee_id,
                sheet=raw, now=services.clock(),
            )  # fmt: skip
    except Refused as refused:
        return _places_page(request, who, session, committee_id, problem=_refusal(t, refused))
    notice = t.import_done.format(created=result.created, updated=result.updated)
    problem = "；".join(
        t.import_problem.format(row=row, reason=_refusal(t, why)) for row, why in result.problems
    )
    return _places_page(request, who, session, committee_id, notice=notice, problem=problem or None)
