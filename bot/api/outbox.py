"""/api/v1/outbox: the staff call list as JSON, scoped like reports and masked (staff only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from bot.api.paging import declared_only
from bot.api.problems import problems
from bot.web.auth import Principal, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from flows.masking import mask_numbers_in, mask_openid
from store.outbox import call_list

router = APIRouter(
    prefix="/api/v1/outbox", tags=["outbox"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401),
)  # fmt: skip


class CallListItem(BaseModel):
    """One resident message that could not be delivered (openid and numbers masked)."""

    openid: str
    kind: str
    message: str
    reason: str
    error_code: int | None
    queued_at: str
    last_message_at: str | None


class CallList(BaseModel):
    """The call list, newest first."""

    items: list[CallListItem]
    count: int


@router.get("/unreachable", response_model=CallList)
def unreachable(
    request: Request, caller: Annotated[Principal, Depends(require_staff)], session: WriteSession
) -> dict[str, Any]:
    """Residents of the caller's committees WeChat could not reach, with why, to phone or visit."""
    wording = context_of(request).content.notifications.call_list
    rows = call_list.rows(session, caller.scope)
    items = [
        {
            "openid": mask_openid(row.openid),
            "kind": row.kind,
            "message": mask_numbers_in(row.message),
            "reason": wording.reason(row.reason, row.error_code),
            "error_code": row.error_code,
            "queued_at": row.queued_at.isoformat(),
            "last_message_at": row.last_message_at.isoformat() if row.last_message_at else None,
        }
        for row in rows
    ]
    return {"items": items, "count": len(items)}
