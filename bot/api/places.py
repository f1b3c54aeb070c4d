"""/api/v1/places: buildings and public places (read by staff, written by admins)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.api.paging import (
    MAX_ID,
    NAME,
    TEXT,
    Id,
    Page,
    PageRequest,
    declared_only,
    one_of,
    page_request,
    paginate,
)
from bot.api.problems import problems
from bot.web.auth import Principal, require_admin, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.places import service as places
from store.places.models import Place
from store.staff import audit

router = APIRouter(
    prefix="/api/v1/places", tags=["places"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401, 422),
)  # fmt: skip
KINDS = sorted(set(places.KINDS.values()))  # building, public
SORTABLE = {"name": Place.name, "id": Place.id, "committee_id": Place.committee_id}
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

    # The schema states the one rule across fields: latitude and longitude come together or not
    # at all.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"properties": {"lat": {"type": "number"}, "lng": {"type": "number"}},
         "required": ["lat", "lng"]},
        {"properties": {"lat": {"type": "null"}, "lng": {"type": "null"}}},
    ]})  # fmt: skip

    committee_id: Id
    kind: Literal["building", "public", "楼栋", "公共场所"] = Field(
        description="building (楼栋) or public (公共场所)"
    )
    name: str = Field(min_length=1, max_length=100, pattern=NAME)
    grid_area: str | None = Field(default=None, max_length=100, pattern=TEXT)
    lat: float | None = Field(default=None, ge=-90, le=90, strict=True)
    lng: float | None = Field(default=None, ge=-180, le=180, strict=True)


def _public(place: Place) -> PlacePublic:
    return PlacePublic(
        id=place.id or 0, committee_id=place.committee_id, kind=place.kind, name=place.name,
        grid_area=place.grid_area, lat=place.lat, lng=place.lng,
    )  # fmt: skip


@router.get("", response_model=Page)
def list_places(
    caller: Caller,
    session: WriteSession,
    paging: Annotated[PageRequest, Depends(page_request(*SORTABLE))],
    committee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: Annotated[str | None, Query(pattern=one_of(KINDS))] = None,
) -> Page:
    """Places of the committees the caller may see."""
    query = places.visible(caller.scope, committee_id=committee_id, kind=kind)
    rows, total = paginate(session, query, paging, sortable=SORTABLE, default=Place.id)
    items = [_public(place) for place in rows]
    return Page(items=items, page=paging.page, per_page=paging.per_page, total=total)


@router.post("", response_model=PlacePublic, status_code=201, responses=problems(400, 403, 404))
def save_place(
    request: Request, caller: Admin, session: WriteSession, body: PlaceIn
) -> PlacePublic:
    """Add a place (admins), or update the one with the same name."""
    # A committee outside the caller's scope is not found, like a report of another committee.
    if not caller.scope.allows(body.committee_id):
        raise HTTPException(404, detail=[{"field": "committee_id", "reason": "not found"}])
    services = context_of(request)
    place, _ = places.save(
        session, caller.scope, actor=audit.Actor.of(caller.staff),
        committee_id=body.committee_id, kind=body.kind, name=body.name,
        grid_area=body.grid_area, lat=body.lat, lng=body.lng, now=services.clock(),
    )  # fmt: skip
    return _public(place)
