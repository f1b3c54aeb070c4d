"""/api/v1/me and /api/v1/staff: who is signed in, and the staff they may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel

from bot.api.paging import (
    MAX_ID,
    Page,
    PageRequest,
    declared_only,
    one_of,
    only,
    page_request,
    paginate,
)
from bot.api.problems import problems
from bot.web.auth import Principal, require_staff
from bot.web.db import WriteSession
from store.staff import accounts as staff_service
from store.staff.models import ROLES, StaffUser

router = APIRouter(
    prefix="/api/v1", tags=["staff"], dependencies=[Depends(declared_only)],
    responses=problems(401, 422),
)  # fmt: skip
SORTABLE = {"username": StaffUser.username, "id": StaffUser.id, "role": StaffUser.role}
Caller = Annotated[Principal, Depends(require_staff)]


class StaffPublic(BaseModel):
    """A staff member as the API shows them (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    committee_id: int | None
    disabled: bool


def _public(staff: StaffUser) -> StaffPublic:
    return StaffPublic(
        id=staff.id or 0, username=staff.username, display_name=staff.display_name,
        role=staff.role, committee_id=staff.committee_id, disabled=staff.disabled,
    )  # fmt: skip


@router.get("/me", response_model=StaffPublic)
def me(caller: Caller) -> StaffPublic:
    """The signed-in staff member."""
    return _public(caller.staff)


@router.get(
    "/staff", response_model=Page, dependencies=[Depends(only("page", "per_page", "sort", "role"))]
)
def list_staff(
    caller: Caller,
    session: WriteSession,
    paging: Annotated[PageRequest, Depends(page_request(*SORTABLE))],
    role: Annotated[str | None, Query(pattern=one_of(ROLES))] = None,
) -> Page:
    """Staff of the committees the caller may see."""
    query = staff_service.visible(caller.scope, role=role)
    rows, total = paginate(session, query, paging, sortable=SORTABLE, default=StaffUser.id)
    items = [_public(staff) for staff in rows]
    return Page(items=items, page=paging.page, per_page=paging.per_page, total=total)


@router.get("/staff/{staff_id}", response_model=StaffPublic, responses=problems(404))
def get_staff(
    caller: Caller, session: WriteSession, staff_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> StaffPublic:
    """One staff member; 404 when they belong to a committee the caller may not see."""
    staff = staff_service.get_visible(session, caller.scope, staff_id)
    if staff is None:
        raise HTTPException(404, detail=[{"field": "staff_id", "reason": "not found"}])
    return _public(staff)
