"""/api/v1/reports/{reference}/reveal: the description as the resident wrote it (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel

from bot.api.paging import declared_only
from bot.api.problems import problems
from bot.api.report_schemas import PREFIX
from bot.web.auth import Principal, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from store.reports import service as reports
from store.staff import audit

router = APIRouter(
    prefix=PREFIX, tags=["reports"],
    dependencies=[Depends(require_staff), Depends(declared_only)],
    responses=problems(401, 403, 404, 422),
)  # fmt: skip
REFERENCE = r"^[A-Z]{1,6}-[0-9]{8}-[0-9]{4,9}$"


class Revealed(BaseModel):
    """A report's description with its ID-card and phone numbers in full."""

    reference: str
    description: str


@router.post("/{reference}/reveal", response_model=Revealed)
def reveal(
    request: Request,
    response: Response,
    caller: Annotated[Principal, Depends(require_staff)],
    session: WriteSession,
    reference: Annotated[str, Path(max_length=32, pattern=REFERENCE)],
) -> Revealed:
    """The full description: committee staff and admins, or the report's handler; audited."""
    services = context_of(request)
    report = reports.get_visible(session, caller.scope, reference)
    if report is None:
        raise HTTPException(404, detail=[{"field": "reference", "reason": "not found"}])
    if not reports.can_reveal(caller.scope, report):
        detail = [{"field": "reference", "reason": "your role may not reveal numbers"}]
        raise HTTPException(403, detail=detail)
    text = reports.reveal_description(
        session, report, scope=caller.scope, sealer=services.sealer,
        actor=audit.Actor.of(caller.staff), now=services.clock(),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return Revealed(reference=report.reference, description=text)
