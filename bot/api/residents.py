"""/api/v1/residents: search the registry, read one resident (masked), reveal a number (audited)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from bot.api import resident_schemas as schemas
from bot.api.paging import MAX_ID, TEXT, PageRequest, declared_only, only, page_request
from bot.api.problems import problems
from bot.api.resident_patch import ResidentPatch
from bot.web.auth import Principal, require_staff
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from store.registry import edits, search
from store.registry import reveal as revealing
from store.registry.models import Resident
from store.staff import audit

router = APIRouter(
    prefix="/api/v1/residents", tags=["residents"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401, 422),
)  # fmt: skip
Caller = Annotated[Principal, Depends(require_staff)]
ResidentId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_AGE = 150
PAGING = ("page", "per_page", "sort")
FILTERS = ("committee_id", "name", "place_id", "unit", "room", "tag", "min_age", "max_age",
           "id_card", "mobile")  # fmt: skip


def today_of(services: AppContext) -> date:
    """Today where the committee is (ages are counted in full years on this day)."""
    return services.clock().astimezone(services.settings.tz).date()


def _visible(session: WriteSession, caller: Principal, resident_id: int) -> Resident:
    resident = search.visible_resident(session, caller.scope, resident_id)
    if resident is None:
        raise HTTPException(404, detail=[{"field": "resident_id", "reason": "not found"}])
    return resident


@router.get(
    "", response_model=schemas.ResidentPage, dependencies=[Depends(only(*PAGING, *FILTERS))]
)
def list_residents(
    request: Request,
    caller: Caller,
    session: WriteSession,
    paging: Annotated[PageRequest, Depends(page_request(*search.SORTABLE))],
    committee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    name: Annotated[
        str | None, Query(max_length=100, pattern=TEXT, description="or a part")
    ] = None,
    place_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="the building they live in")
    ] = None,
    unit: Annotated[str | None, Query(max_length=16, pattern=TEXT)] = None,
    room: Annotated[str | None, Query(max_length=16, pattern=TEXT)] = None,
    tag: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")] = None,
    min_age: Annotated[int | None, Query(ge=0, le=MAX_AGE)] = None,
    max_age: Annotated[int | None, Query(ge=0, le=MAX_AGE)] = None,
    id_card: Annotated[
        str | None, Query(max_length=32, pattern=TEXT, description="the exact ID number")
    ] = None,
    mobile: Annotated[
        str | None, Query(max_length=32, pattern=TEXT, description="the exact mobile number")
    ] = None,
) -> schemas.ResidentPage:
    """Residents of the committees the caller may see, numbers masked."""
    services = context_of(request)
    today = today_of(services)
    wanted = search.ResidentFilter(
        committee_id=committee_id, name=name, place_id=place_id, unit=unit, room=room, tag=tag,
        min_age=min_age, max_age=max_age, id_card=id_card, mobile=mobile,
    )  # fmt: skip
    found = search.one_page(
        session, caller.scope, wanted, sealer=services.sealer, today=today, page=paging.page,
        per_page=paging.per_page, sort=paging.sort,
    )  # fmt: skip
    ids = [row.id for row in found.rows if row.id is not None]
    tags, homes = search.tags_of(session, ids), search.homes_of(session, ids, today=today)
    words = services.content.registry
    items = [
        schemas.summary(
            words,
            services.sealer,
            row,
            today=today,
            tags=tags.get(row.id or 0, []),
            homes=homes.get(row.id or 0, []),
        )
        for row in found.rows
    ]
    return schemas.ResidentPage(items=items, page=paging.page, per_page=paging.per_page,
                                total=found.total, more=found.more)  # fmt: skip


@router.get(
    "/{resident_id}", response_model=schemas.ResidentDetail, responses=problems(404),
    dependencies=[Depends(only())],
)  # fmt: skip
def get_resident(
    request: Request, caller: Caller, session: WriteSession, resident_id: ResidentId
) -> schemas.ResidentDetail:
    """One resident: every field masked, tags, dwellings, household and the change history."""
    return _detail(context_of(request), session, caller, _visible(session, caller, resident_id))


def _detail(services: AppContext, session: WriteSession, caller: Principal,
            resident: Resident) -> schemas.ResidentDetail:  # fmt: skip
    resident_id = resident.id or 0
    household = None
    if resident.household_id is not None:
        household = search.visible_household(session, caller.scope, resident.household_id)
    return schemas.detail(
        services.content.registry, services.sealer, resident, today=today_of(services),
        tags=search.tags_of(session, [resident_id]).get(resident_id, []),
        homes=search.homes_of(session, [resident_id]).get(resident_id, []),
        household=household, history=search.history_of(session, resident_id),
    )  # fmt: skip


@router.patch(
    "/{resident_id}", response_model=schemas.ResidentDetail, responses=problems(404),
    dependencies=[Depends(only())],
)  # fmt: skip
def edit_resident(
    request: Request,
    caller: Caller,
    session: WriteSession,
    resident_id: ResidentId,
    body: ResidentPatch,
) -> schemas.ResidentDetail:
    """Change the given fields (null clears one; `tags` replaces the tags); every bad value is
    named with its reason (422) and nothing is written; the edit is audited."""
    services = context_of(request)
    _visible(session, caller, resident_id)
    try:
        edited = edits.edit_resident(
            session, services.sealer, caller.scope, resident_id, body.changes(),
            actor=audit.Actor.of(caller.staff), now=services.clock(), tags=body.tags,
            vocabulary=services.content.registry.tags,
        )  # fmt: skip
    except edits.EditRefused as refused:
        detail = [{"field": p.field, "reason": p.reason} for p in refused.problems]
        raise HTTPException(422, detail=detail) from refused
    return _detail(services, session, caller, edited.resident)


@router.post(
    "/{resident_id}/reveal", response_model=schemas.Revealed, responses=problems(400, 403, 404),
    dependencies=[Depends(only())],
)  # fmt: skip
def reveal(
    request: Request,
    response: Response,
    caller: Caller,
    session: WriteSession,
    resident_id: ResidentId,
    body: schemas.RevealIn,
) -> schemas.Revealed:
    """A number in full, with the reason: admins and the committee's staff; audited."""
    services = context_of(request)
    resident = _visible(session, caller, resident_id)
    if not revealing.can_reveal(caller.scope, resident):
        detail = [{"field": "resident_id", "reason": "your role may not reveal numbers"}]
        raise HTTPException(403, detail=detail)
    value = revealing.reveal(
        session, services.sealer, resident, field=body.field, why=body.why, scope=caller.scope,
        actor=audit.Actor.of(caller.staff), now=services.clock(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return schemas.Revealed(resident_id=resident_id, field=body.field, value=value)
