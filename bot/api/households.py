"""/api/v1/households: the registry's 户籍户 with their members, numbers masked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from bot.api import resident_schemas as schemas
from bot.api.paging import MAX_ID, TEXT, PageRequest, declared_only, page_request
from bot.api.problems import problems
from bot.api.residents import PAGING, only, today_of
from bot.web.auth import Principal, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.registry import search

router = APIRouter(
    prefix="/api/v1/households", tags=["households"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401, 422),
)  # fmt: skip
Caller = Annotated[Principal, Depends(require_staff)]


@router.get(
    "", response_model=schemas.HouseholdPage,
    dependencies=[Depends(only(*PAGING, "committee_id", "number"))],
)  # fmt: skip
def list_households(
    request: Request,
    caller: Caller,
    session: WriteSession,
    paging: Annotated[PageRequest, Depends(page_request(*search.HOUSEHOLD_SORTABLE))],
    committee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    number: Annotated[
        str | None, Query(max_length=32, pattern=TEXT, description="or a part")
    ] = None,
) -> schemas.HouseholdPage:
    """Households of the committees the caller may see, members masked."""
    services = context_of(request)
    rows, total = search.households_page(
        session, caller.scope, committee_id=committee_id, number=number, page=paging.page,
        per_page=paging.per_page, sort=paging.sort,
    )  # fmt: skip
    members = search.members_of(session, [row.id for row in rows if row.id is not None])
    today = today_of(services)
    items = [
        schemas.household(
            services.content.registry, services.sealer, row, members.get(row.id or 0, []), today
        )
        for row in rows
    ]
    return schemas.HouseholdPage(items=items, page=paging.page, per_page=paging.per_page,
                                 total=total)  # fmt: skip


@router.get(
    "/{household_id}", response_model=schemas.HouseholdPublic, responses=problems(404),
    dependencies=[Depends(only())],
)  # fmt: skip
def get_household(
    request: Request,
    caller: Caller,
    session: WriteSession,
    household_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> schemas.HouseholdPublic:
    """One household with its members, masked."""
    services = context_of(request)
    row = search.visible_household(session, caller.scope, household_id)
    if row is None:
        raise HTTPException(404, detail=[{"field": "household_id", "reason": "not found"}])
    members = search.members_of(session, [household_id]).get(household_id, [])
    return schemas.household(services.content.registry, services.sealer, row, members,
                             today_of(services))  # fmt: skip
