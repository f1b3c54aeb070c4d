"""/api/v1/places: buildings and public places (read by staff, written by admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from bot.api.paging import Page, PageRequest, page_request, paginate
from bot.auth import Principal, require_admin, require_staff
from store import audit, places
from store.db import unit_of_work
from store.staff_models import Place

router = APIRouter(prefix="/api/v1/places", tags=["places"], dependencies=[Depends(require_staff)])
Caller = Annotated[Principal, Depends(require_staff)]
Admin = Annotated[Principal, Depends(require_admin)]


class PlacePublic(BaseModel):
    """A place as the API shows it."""

    id: int
    committee_id: int
    kind: str
    name: str
    grid_area: str | None
    lat: float | None
    lng: float | None


class PlaceIn(BaseModel):
    """A place to add (or update, when the name exists in that committee)."""

    committee_id: int
    kind: str = Field(description="building (楼栋) or public (公共场所)")
    name: str = Field(min_length=1, max_length=100)
    grid_area: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)


def _public(place: Place) -> PlacePublic:
    return PlacePublic(
        id=place.id or 0, committee_id=place.committee_id, kind=place.kind, name=place.name,
        grid_area=place.grid_area, lat=place.lat, lng=place.lng,
    )  # fmt: skip


@router.get("", response_model=Page)
def list_places(
    request: Request,
    caller: Caller,
    paging: Annotated[PageRequest, Depends(page_request)],
    committee_id: int | None = None,
    kind: str | None = None,
) -> Page:
    """Places of the committees the caller may see."""
    query = places.visible(caller.scope)
    if committee_id is not None:
        query = query.where(Place.committee_id == committee_id)
    if kind:
        query = query.where(Place.kind == kind)
    sortable = {"name": Place.name, "id": Place.id, "committee_id": Place.committee_id}
    with Session(request.app.state.services.database) as session:
        rows, total = paginate(session, query, paging, sortable=sortable, default=Place.id)
        items = [_public(place) for place in rows]
    return Page(items=items, page=paging.page, per_page=paging.per_page, total=total)


@router.post("", response_model=PlacePublic, status_code=201)
def save_place(request: Request, caller: Admin, body: PlaceIn) -> PlacePublic:
    """Add a place (admins), or update the one with the same name."""
    services = request.app.state.services
    try:
        with unit_of_work(services.database) as session:
            place, _ = places.save(
                session, caller.scope, actor=audit.Actor.of(caller.staff),
                committee_id=body.committee_id, kind=body.kind, name=body.name,
                grid_area=body.grid_area, lat=body.lat, lng=body.lng, now=services.clock(),
            )  # fmt: skip
            return _public(place)
    except places.PlaceError as refused:
        status = 404 if refused.field == "committee_id" else 422
        raise HTTPException(
            status, detail=[{"field": refused.field, "reason": refused.reason}]
        ) from refused
