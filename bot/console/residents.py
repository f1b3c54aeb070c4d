"""/console/residents: find a resident, read every field with its source, edit with checks,
reveal a number (audited), a household, and the data-quality report."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.api.residents import today_of
from bot.console import resident_views as views
from bot.console.inputs import ConsoleRoute, PathId, QueryId, clean_input
from bot.console.routes import Csrf, page
from bot.registry.quality_sheet import detail_text, workbook
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.context import context_of
from bot.web.db import WriteSession
from config.registry_quality import KINDS
from store.places import service as places
from store.registry import edits, search
from store.registry import quality as report
from store.registry import reveal as revealing
from store.registry.models import Resident
from store.staff import audit
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LONG = 4000  # longer than any field takes: the service says which one is too long


def _not_found(field: str) -> HTTPException:
    return HTTPException(404, detail=[{"field": field, "reason": "not found"}])


def _resident(session: Session, who: Principal, resident_id: int) -> Resident:
    found = search.visible_resident(session, who.scope, resident_id)
    if found is None:
        raise _not_found("resident_id")
    return found


@router.get("/residents", response_class=HTMLResponse)
def search_page(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """Find residents by name (or part), building and room, tag, age, or an exact number."""
    services = context_of(request)
    t, words = services.content.console, services.content.registry
    committees = scopes.committees(session, who.scope)
    buildings = {p.id: p.name for p in places.listed(session, who.scope)
                 if p.kind == "building" and p.id is not None}  # fmt: skip
    tags = {code: tag.name for code, tag in words.tags.items()}
    asked = views.read_search(request.query_params, t, committees=committees,
                              buildings=buildings, tags=tags)  # fmt: skip
    today = today_of(services)
    found = search.one_page(
        session, who.scope, asked.wanted, sealer=services.sealer, today=today,
        page=asked.page, per_page=views.PER_PAGE,
    )  # fmt: skip
    pages = max(1, -(-found.total // views.PER_PAGE))
    query = {k: v for k, v in asked.typed.items() if v and k not in asked.problems}
    return page(
        request, "residents.html", who, asked=asked, total=found.total, more=found.more,
        pages=pages, query=query,
        results=views.rows(session, services.content, services.sealer, found.rows, today),
        committees=committees, buildings=buildings, tags=tags,
    )  # fmt: skip


def _detail_page(
    request: Request, who: Principal, session: Session, resident: Resident, **context: Any
) -> HTMLResponse:
    services = context_of(request)
    shown = views.detail(session, services.content, services.sealer, resident,
                         today_of(services), views.when_local(services.settings.tz))  # fmt: skip
    return page(request, "resident.html", who, r=shown,
                can_reveal=revealing.can_reveal(who.scope, resident),
                numbers=views.NUMBERS, **context)  # fmt: skip


@router.get("/residents/{resident_id}", response_class=HTMLResponse)
def resident_page(
    request: Request, who: Staff, session: WriteSession, resident_id: PathId, saved: str = ""
) -> HTMLResponse:
    """One resident: every field with its source and date, homes, household and history."""
    t = context_of(request).content.console
    notice = {"1": t.res_saved, "0": t.res_unchanged}.get(saved)
    return _detail_page(request, who, session, _resident(session, who, resident_id),
                        notice=notice)  # fmt: skip


@router.post("/residents/{resident_id}/reveal", response_class=HTMLResponse)
def reveal(
    request: Request,
    who: Staff,
    session: WriteSession,
    resident_id: PathId,
    field: Annotated[str, Form(max_length=LONG)] = "",
    why: Annotated[str, Form(max_length=LONG)] = "",
    token: Csrf = None,
) -> HTMLResponse:
    """A number in full, once, on its own page; the reveal and its reason are audited."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    resident = _resident(session, who, resident_id)
    if not revealing.can_reveal(who.scope, resident):
        refused = _detail_page(request, who, session, resident, problem=t.res_reveal_refused)
        refused.status_code = 403
        return refused
    problem = None
    if field not in revealing.SEALED:
        problem = t.res_reveal_bad_field
    elif not why.strip():
        problem = t.res_reveal_need_why
    elif len(why.strip()) > revealing.MAX_WHY:
        problem = t.res_too_long
    if problem is not None:
        return _detail_page(request, who, session, resident, problem=problem,
                            typed={"field": field, "why": why})  # fmt: skip
    value = revealing.reveal(
        session, services.sealer, resident, field=field, why=why, scope=who.scope,
        actor=audit.Actor.of(who.staff), now=services.clock(),
    )  # fmt: skip
    label = services.content.registry.fields[field]
    return page(request, "resident_reveal.html", who, resident=resident, label=label,
                revealed=value)  # fmt: skip


def _edit_page(
    request: Request, who: Principal, resident: Resident, values: dict[str, str],
    tags: list[str], **context: Any,
) -> HTMLResponse:  # fmt: skip
    services = context_of(request)
    words = services.content.registry
    choices = {name: getattr(words.codes, name) for name in views.CODED}
    current = {name: views.masked_number(services.sealer, resident, name)
               for name in views.NUMBERS}  # fmt: skip
    notes_editable = revealing.can_reveal(who.scope, resident)
    if not notes_editable:  # shown as stored, masked: never what a form sent back
        values = {**values, "notes": views.edit_values(resident, full_notes=False)["notes"]}
    return page(request, "resident_edit.html", who, resident=resident, values=values,
                chosen_tags=tags, choices=choices, current=current, words=words,
                all_tags={code: tag.name for code, tag in words.tags.items()},
                numbers=views.NUMBERS, coded=views.CODED, notes_editable=notes_editable,
                **context)  # fmt: skip


@router.get("/residents/{resident_id}/edit", response_class=HTMLResponse)
def edit_page(
    request: Request, who: Staff, session: WriteSession, resident_id: PathId
) -> HTMLResponse:
    """The edit form, filled with what is stored (numbers stay masked; the notes too, read-only,
    for roles that may not reveal)."""
    resident = _resident(session, who, resident_id)
    tags = edits.tag_codes(session, resident_id)
    values = views.edit_values(resident, full_notes=revealing.can_reveal(who.scope, resident))
    return _edit_page(request, who, resident, values, tags)


@router.post("/residents/{resident_id}/edit", response_class=HTMLResponse, response_model=None)
def edit(
    request: Request,
    who: Staff,
    session: WriteSession,
    resident_id: PathId,
    name: Annotated[str, Form(max_length=LONG)] = "",
    gender: Annotated[str, Form(max_length=LONG)] = "",
    birth_date: Annotated[str, Form(max_length=LONG)] = "",
    id_card: Annotated[str, Form(max_length=LONG)] = "",
    mobile: Annotated[str, Form(max_length=LONG)] = "",
    landline: Annotated[str, Form(max_length=LONG)] = "",
    relation_to_head: Annotated[str, Form(max_length=LONG)] = "",
    hukou_status: Annotated[str, Form(max_length=LONG)] = "",
    residence_status: Annotated[str, Form(max_length=LONG)] = "",
    notes: Annotated[str, Form(max_length=LONG)] = "",
    tags: Annotated[list[str] | None, Form(max_length=50)] = None,
    clear: Annotated[list[str] | None, Form(max_length=3)] = None,
    token: Csrf = None,
) -> HTMLResponse | RedirectResponse:
    """Save the edit; a bad value shows the form again with the reason by the field."""
    check_csrf(request, who, token)
    services = context_of(request)
    t, words = services.content.console, services.content.registry
    resident = _resident(session, who, resident_id)
    typed = {"name": name, "gender": gender, "birth_date": birth_date, "id_card": id_card,
             "mobile": mobile, "landline": landline, "relation_to_head": relation_to_head,
             "hukou_status": hukou_status, "residence_status": residence_status,
             "notes": notes}  # fmt: skip
    try:
        edited = edits.edit_resident(
            session, services.sealer, who.scope, resident_id,
            views.changes_of(typed, clear or [], notes=revealing.can_reveal(who.scope, resident)),
            actor=audit.Actor.of(who.staff),
            now=services.clock(), tags=tags or [], vocabulary=words.tags,
        )  # fmt: skip
    except edits.EditRefused as refused:
        problems = {p.field: words.reason(p.code) for p in refused.problems}
        return _edit_page(request, who, resident, typed, tags or [], problems=problems,
                          problem=t.res_edit_refused)  # fmt: skip
    saved = "1" if edited.changed else "0"
    return RedirectResponse(f"/console/residents/{resident_id}?saved={saved}", status_code=303)


@router.get("/households/{household_id}", response_class=HTMLResponse)
def household_page(
    request: Request, who: Staff, session: WriteSession, household_id: PathId
) -> HTMLResponse:
    """A 户籍户: its number, head, members (numbers masked) and where they live."""
    services = context_of(request)
    found = search.visible_household(session, who.scope, household_id)
    if found is None:
        raise _not_found("household_id")
    members = search.members_of(session, [household_id]).get(household_id, [])
    today = today_of(services)
    rows = views.rows(session, services.content, services.sealer, members, today)
    words = services.content.registry
    for row, member in zip(rows, members, strict=True):
        row["relation"] = words.word("relation_to_head", member.relation_to_head or "")
        row["id_card"] = views.masked_number(services.sealer, member, "id_card")
    head = next((m for m in members if m.id == found.head_resident_id), None)
    homes = search.homes_of(session, [m.id for m in members if m.id], today=today)
    dwellings = sorted({views.home_text(h) for found_homes in homes.values()
                        for h in found_homes})  # fmt: skip
    return page(request, "household.html", who, household=found, head=head, members=rows,
                dwellings=dwellings)  # fmt: skip


def _quality(request: Request, who: Principal, session: Session, committee_id: int | None
             ) -> tuple[dict[int, str], int | None, list[report.Line]]:  # fmt: skip
    services = context_of(request)
    committees = scopes.committees(session, who.scope)
    chosen = committee_id if committee_id in committees else next(iter(committees), None)
    if chosen is None:
        return committees, None, []
    found = report.findings(session, services.sealer, committee_id=chosen,
                            rules=services.content.registry.quality,
                            now=services.clock())  # fmt: skip
    return committees, chosen, report.lines(session, services.sealer, found)


@router.get("/registry/quality", response_class=HTMLResponse)
def quality_page(
    request: Request, who: Staff, session: WriteSession, committee_id: QueryId = None
) -> HTMLResponse:
    """The data-quality report of a committee: counts per kind, each line linked."""
    registry = context_of(request).content.registry
    committees, chosen, lines = _quality(request, who, session, committee_id)
    counts = Counter(line.finding.kind for line in lines)
    groups = [
        {"kind": kind, "name": registry.quality.kinds[kind], "count": counts[kind],
         "lines": [{"line": line,
                    "detail": detail_text(registry, kind, line.finding.detail)}
                   for line in lines if line.finding.kind == kind]}
        for kind in KINDS
    ]  # fmt: skip
    return page(request, "registry_quality.html", who, committees=committees, chosen=chosen,
                groups=groups, total=len(lines), headings=registry.quality.headings)  # fmt: skip


@router.get("/registry/quality.xlsx")
def quality_sheet(
    request: Request, who: Staff, session: WriteSession, committee_id: QueryId = None
) -> Response:
    """The same report as an Excel sheet (numbers masked), written as the CLI writes it."""
    services = context_of(request)
    _, chosen, lines = _quality(request, who, session, committee_id)
    if chosen is None:
        raise _not_found("committee_id")
    day = services.clock().astimezone(services.settings.tz).strftime("%Y%m%d")
    headers = {"Content-Disposition": f'attachment; filename="quality-{chosen}-{day}.xlsx"'}
    body = workbook(services.content.registry, lines)
    return Response(body, media_type=XLSX, headers=headers)
