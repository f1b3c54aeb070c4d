"""/console/registry/import: upload a residents sheet, see its dry run, decide, apply or cancel,
follow."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.console.inputs import ConsoleRoute, FormId, PathId, QueryId, clean_input
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from bot.web.import_sheets import field_words, reason_words, write_report, write_template
from config.registry_content import ImportColumns
from store.errors import Refused
from store.registry import import_files, import_jobs
from store.registry.checks import committee_buildings
from store.registry.import_models import IMPORT_STATUSES, RegistryImport
from store.staff import audit
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console/registry", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=1_000_000)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _not_found() -> HTTPException:
    return HTTPException(404, detail=[{"field": "import", "reason": "not found"}])


def _committees(session: Session, who: Principal) -> dict[int, str]:
    """The committees the caller may import for."""
    listed = scopes.committees(session, who.scope)
    return {cid: name for cid, name in listed.items() if import_jobs.may_import(who.scope, cid)}


def _refusal(request: Request, refused: Refused) -> str:
    t = context_of(request).content.console
    return t.ri_refused.format(reason=t[f"ri_refused_{refused.code or 'unreadable'}"])


def _start_page(request: Request, who: Principal, session: Session, chosen: int | None,
                **context: Any) -> HTMLResponse:  # fmt: skip
    committees = _committees(session, who)
    if not committees:
        raise _not_found()
    chosen = chosen if chosen in committees else next(iter(committees))
    t = context_of(request).content.console
    statuses = {s: t[f"ri_status_{s}"] for s in IMPORT_STATUSES}
    return page(request, "registry_import.html", who, committees=committees, chosen=chosen,
                imports=import_jobs.recent(session, who.scope), statuses=statuses,
                max_mb=import_jobs.MAX_BYTES // (1024 * 1024), **context)  # fmt: skip


@router.get("/import", response_class=HTMLResponse)
def import_page(
    request: Request, who: Staff, session: WriteSession, committee_id: QueryId = None
) -> HTMLResponse:
    """The upload form, the template link and the latest imports."""
    return _start_page(request, who, session, committee_id)


@router.get("/import/template.xlsx")
def template(
    request: Request, who: Staff, session: WriteSession, committee_id: QueryId = None
) -> Response:
    """A blank sheet with the preset headings and drop-downs (the committee's buildings too)."""
    committees = _committees(session, who)
    chosen = committee_id if committee_id in committees else next(iter(committees), None)
    if chosen is None:
        raise _not_found()
    content = context_of(request).content.registry
    buildings = [p.name for p in committee_buildings(session, chosen)]
    target = io.BytesIO()
    write_template(content, buildings, target)
    name = "residents-template.xlsx"
    return Response(target.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _plan_later(request: Request, background: BackgroundTasks, record: RegistryImport) -> None:
    """Run the dry run once the answer is sent (after this request's transaction is committed)."""
    services = context_of(request)
    background.add_task(
        import_jobs.plan_in_background, services.database, services.sealer, record.id or 0,
        content=services.content.registry, media_dir=services.settings.media_dir,
        now=services.clock(),
    )  # fmt: skip


@router.post("/import", response_class=HTMLResponse)
def upload(
    request: Request,
    who: Staff,
    session: WriteSession,
    committee_id: FormId,
    file: UploadFile,
    background: BackgroundTasks,
    token: Csrf = None,
) -> Response:
    """Store the sheet; its dry run follows, and the page shows it (or why it cannot be read)."""
    check_csrf(request, who, token)
    services = context_of(request)
    if not import_jobs.may_import(who.scope, committee_id):
        raise _not_found()
    # One byte past the limit is enough to know the file is too large.
    raw = file.file.read(import_jobs.MAX_BYTES + 1)
    now, media = services.clock(), services.settings.media_dir
    try:
        with session.begin_nested():  # a refused sheet leaves no import behind
            record = import_jobs.upload(
                session, who.scope, actor=audit.Actor.of(who.staff), committee_id=committee_id,
                file_name=file.filename or "", raw=raw, media_dir=media, now=now,
            )  # fmt: skip
    except Refused as refused:
        return _start_page(request, who, session, committee_id,
                           problem=_refusal(request, refused))  # fmt: skip
    _plan_later(request, background, record)
    return RedirectResponse(f"/console/registry/import/{record.id}", status_code=303)


def _record(session: Session, who: Principal, import_id: int) -> RegistryImport:
    try:
        return import_jobs.get(session, who.scope, import_id)
    except Refused:
        raise _not_found() from None


def _import_page(request: Request, who: Principal, session: Session, record: RegistryImport,
                 number: int, **context: Any) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    content, t = services.content.registry, services.content.console
    rows = import_files.page_of(record, services.settings.media_dir, number)
    shown = sum(n for outcome, n in record.counts.items() if outcome != "unchanged")
    fields = {f: field_words(f, content) for f in ImportColumns.model_fields}
    missing = {f: fields[f] for f in record.decisions.get("missing", ())}
    failure = record.decisions.get("problem") if record.status == "failed" else None
    if failure:
        context.setdefault("problem", t.ri_refused.format(reason=t[f"ri_refused_{failure}"]))
    return page(
        request, "registry_import_run.html", who, run=record, rows=rows, page_number=number,
        pages=max(1, -(-shown // import_files.PAGE)), outcomes=content.imports.outcomes,
        reason=lambda row: reason_words(row, content), fields=fields,
        done=import_jobs.progress(record), committee=scopes.committees(session, who.scope).get(
            record.committee_id, ""), status=t[f"ri_status_{record.status}"], missing=missing,
        **context,
    )  # fmt: skip


@router.get("/import/{import_id}", response_class=HTMLResponse)
def import_run(
    request: Request, who: Staff, session: WriteSession, import_id: PathId, number: PageNumber = 1
) -> HTMLResponse:
    """An import: its dry run with staff's choices, its progress, or its result."""
    return _import_page(request, who, session, _record(session, who, import_id), number)


@router.get("/import/{import_id}/report.xlsx")
def report(request: Request, who: Staff, session: WriteSession, import_id: PathId) -> Response:
    """The dry run's rows that are not unchanged, as an XLSX (numbers masked); audited."""
    services = context_of(request)
    record = _record(session, who, import_id)
    target = io.BytesIO()
    write_report(import_files.planned_rows(record, services.settings.media_dir),
                 services.content.registry, target)  # fmt: skip
    audit.record(session, actor=audit.Actor.of(who.staff), action="registry_import.report",
                 object_type="registry_import", object_id=record.id,
                 committee_id=record.committee_id, now=services.clock())  # fmt: skip
    name = f"import-{record.id}-report.xlsx"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(target.getvalue(), media_type=XLSX, headers=headers)


@router.post("/import/{import_id}/plan", response_class=HTMLResponse)
def replan(
    request: Request,
    who: Staff,
    session: WriteSession,
    import_id: PathId,
    background: BackgroundTasks,
    heading: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    field: Annotated[list[str], Form()] = [],  # noqa: B006
    accept: Annotated[list[int], Form()] = [],  # noqa: B006
    shown: Annotated[list[int], Form()] = [],  # noqa: B006 (the page's lines: ticked or not)
    building: Annotated[list[str], Form()] = [],  # noqa: B006
    token: Csrf = None,
) -> Response:
    """Keep staff's choices (headings, accepted rows, buildings to create) and plan again."""
    check_csrf(request, who, token)
    services = context_of(request)
    record = _record(session, who, import_id)
    mapping = {h: f for h, f in zip(heading, field, strict=False) if h}
    try:
        with session.begin_nested():
            import_jobs.decide(session, actor=audit.Actor.of(who.staff), record=record,
                               mapping=mapping, accept=accept, buildings=building,
                               shown=shown, now=services.clock())  # fmt: skip
    except Refused as refused:
        session.refresh(record)
        return _import_page(request, who, session, record, 1, problem=_refusal(request, refused))
    _plan_later(request, background, record)
    return RedirectResponse(f"/console/registry/import/{record.id}", status_code=303)


@router.post("/import/{import_id}/apply", response_class=HTMLResponse)
def apply(
    request: Request,
    who: Staff,
    session: WriteSession,
    import_id: PathId,
    background: BackgroundTasks,
    token: Csrf = None,
) -> Response:
    """Start writing the sheet; it runs after this answer, and the page shows its progress."""
    check_csrf(request, who, token)
    services = context_of(request)
    record = _record(session, who, import_id)
    actor = audit.Actor.of(who.staff)
    try:
        import_jobs.start(session, actor=actor, record=record, now=services.clock())
    except Refused as refused:
        return _import_page(request, who, session, record, 1, problem=_refusal(request, refused))
    # Runs once the answer is sent, so after this request's transaction is committed.
    background.add_task(
        import_jobs.apply_in_background, services.database, services.sealer, record.id or 0,
        content=services.content.registry, media_dir=services.settings.media_dir, actor=actor,
        now=services.clock(),
    )  # fmt: skip
    return RedirectResponse(f"/console/registry/import/{record.id}", status_code=303)


@router.post("/import/{import_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, who: Staff, session: WriteSession, import_id: PathId, token: Csrf = None
) -> Response:
    """Drop an import that was not applied: its stored sheet is deleted (audited)."""
    check_csrf(request, who, token)
    services = context_of(request)
    record = _record(session, who, import_id)
    try:
        import_jobs.cancel(session, actor=audit.Actor.of(who.staff), record=record,
                           media_dir=services.settings.media_dir, now=services.clock())  # fmt: skip
    except Refused as refused:
        return _import_page(request, who, session, record, 1, problem=_refusal(request, refused))
    return RedirectResponse(f"/console/registry/import/{record.id}", status_code=303)
