"""/console/registry/exports: the export profiles, each downloadable masked, or with full numbers
by the roles allowed to, for a reason written to the audit log."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlmodel import Session
from starlette.background import BackgroundTask

from bot.console.inputs import ConsoleRoute, clean_input, form_id
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from bot.web.export_sheets import FORMATS, MEDIA_TYPES, write_export
from store.errors import Refused
from store.registry.exports import MAX_WHY, can_export_full
from store.staff import audit
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
ProfileKey = Annotated[str, Query(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
TEXT = r"^[^\x00]*$"


def committee_of(who: Principal, value: str) -> int | None:
    """The committee a form chose: None (every committee of the scope) when blank; 404 when it
    names none the staff member may see."""
    if not value.strip():
        return None
    chosen = form_id(value)
    if chosen is None or not who.scope.allows(chosen):
        raise HTTPException(404, detail=[{"field": "committee_id", "reason": "not found"}])
    return chosen


def exports_page(
    request: Request, who: Principal, session: Session, **context: Any
) -> HTMLResponse:
    """The profiles with their download forms (the full-number form only for allowed roles)."""
    services = context_of(request)
    return page(
        request, "registry_exports.html", who,
        profiles=services.content.registry_exports.profiles,
        committees=scopes.committees(session, who.scope), formats=FORMATS,
        full_allowed=can_export_full(who.scope), max_why=MAX_WHY, **context,
    )  # fmt: skip


@router.get("/registry/exports", response_class=HTMLResponse)
def exports_list(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """Every export profile of registry_exports.yaml, ready to download."""
    return exports_page(request, who, session)


def _download(
    request: Request, who: Principal, session: Session, *, profile: str,
    committee_id: int | None, file_format: str, full: bool, why: str,
) -> FileResponse:  # fmt: skip
    """Write the export to a temporary file and send it; the file goes once it is sent."""
    services = context_of(request)
    if profile not in services.content.registry_exports.profiles:
        raise HTTPException(404, detail=[{"field": "profile", "reason": "not found"}])
    if file_format not in FORMATS:
        raise HTTPException(422, detail=[{"field": "format", "reason": "xlsx or csv"}])
    handle, name = tempfile.mkstemp(suffix=f".{file_format}")
    os.close(handle)
    path = Path(name)
    try:
        write_export(
            session, services.sealer, services.content, profile=profile, path=path,
            file_format=file_format, scope=who.scope, actor=audit.Actor.of(who.staff),
            committee_id=committee_id, full=full, why=why, now=services.clock(),
            tz=services.settings.tz,
        )  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    day = services.clock().astimezone(services.settings.tz).strftime("%Y%m%d")
    kind = "full" if full else "masked"
    return FileResponse(
        path, media_type=MEDIA_TYPES[file_format],
        filename=f"residents-{profile}-{kind}-{day}.{file_format}",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )  # fmt: skip


@router.get("/registry/exports/download", response_model=None)
def download_masked(
    request: Request,
    who: Staff,
    session: WriteSession,
    profile: ProfileKey,
    committee_id: Annotated[str, Query(max_length=20)] = "",
    file_format: Annotated[str, Query(alias="format", max_length=8)] = "xlsx",
) -> FileResponse:
    """A profile's residents with numbers masked (the export is in the audit log)."""
    chosen = committee_of(who, committee_id)
    return _download(request, who, session, profile=profile, committee_id=chosen,
                     file_format=file_format, full=False, why="")  # fmt: skip


@router.post("/registry/exports/download", response_model=None)
def download_full(
    request: Request,
    who: Staff,
    session: WriteSession,
    profile: Annotated[str, Form(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")],
    committee_id: Annotated[str, Form(max_length=20)] = "",
    file_format: Annotated[str, Form(alias="format", max_length=8)] = "xlsx",
    why: Annotated[str, Form(max_length=MAX_WHY, pattern=TEXT)] = "",
    token: Csrf = None,
) -> FileResponse | HTMLResponse:
    """A profile's residents with full numbers: allowed roles only, with the reason, audited."""
    check_csrf(request, who, token)
    t = context_of(request).content.console
    if not can_export_full(who.scope):
        refused = exports_page(request, who, session, problem=t.export_refused_reveal)
        refused.status_code = 403
        return refused
    chosen = committee_of(who, committee_id)
    if not why.strip():
        return exports_page(request, who, session, problem=t.export_refused_why,
                            typed={"profile": profile, "why": why})  # fmt: skip
    try:
        return _download(request, who, session, profile=profile, committee_id=chosen,
                         file_format=file_format, full=True, why=why)  # fmt: skip
    except Refused as refused:  # the role or the reason, refused by the store itself
        problem = t.export_refused_why if refused.field == "why" else t.export_refused_reveal
        return exports_page(request, who, session, problem=problem,
                            typed={"profile": profile, "why": why})  # fmt: skip
