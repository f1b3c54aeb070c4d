"""/console/registry/census: this year's census sheet uploaded and compared with the registry
(nothing is imported): a summary on the page, and the comparison as an XLSX to download.

The uploaded sheet holds full ID numbers: it lives only in a temporary file while it is read.
The comparison XLSX holds masked numbers only; it is kept a day under the media directory, named
for the staff member and a random token, so only they can download it, and readable by the
service's own user only."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse
from sqlmodel import Session

from bot.console.inputs import ConsoleRoute, clean_input, form_id
from bot.console.routes import Csrf, page
from bot.web.auth import Principal, check_csrf, require_staff
from bot.web.census_sheet import change_words, field_words, reason_words, write_comparison
from bot.web.context import AppContext, context_of
from bot.web.db import WriteSession
from bot.web.export_sheets import MEDIA_TYPES
from store.errors import Refused
from store.registry.census import Comparison, compare
from store.staff import scope as scopes

router = APIRouter(
    prefix="/console", include_in_schema=False, route_class=ConsoleRoute,
    dependencies=[Depends(require_staff), Depends(clean_input)],
)  # fmt: skip
Staff = Annotated[Principal, Depends(require_staff)]
MAX_SHEET_BYTES = 20 * 1024 * 1024
FIRST = 10  # lines of each kind the page shows; the XLSX has them all
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _folder(services: AppContext) -> Path:
    return services.settings.media_dir / "census"


def _comparison_file(services: AppContext, who: Principal, token: str) -> Path:
    return _folder(services) / f"{who.staff.id}-{token}.xlsx"


def _prune(folder: Path) -> None:
    """Comparisons older than a day go: they were for checking then, not for keeping."""
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _census_page(request: Request, who: Principal, session: Session,
                 **context: Any) -> HTMLResponse:  # fmt: skip
    committees = scopes.committees(session, who.scope)
    return page(request, "census.html", who, committees=committees, **context)


def _summary(services: AppContext, result: Comparison) -> dict[str, Any]:
    """The first lines of each kind, as the page shows them (numbers already masked)."""
    content = services.content

    def home(record: dict[str, Any]) -> str:
        return record.get("address") or ""

    return {
        "counts": result.counts,
        "added": [(r.line, r.record["name"], r.record["id_card"], home(r.record))
                  for r in result.added[:FIRST]],
        "removed": [(r.resident_id, r.record["name"], r.record["id_card"], home(r.record))
                    for r in result.removed[:FIRST]],
        "changed": [(r.line, r.name, "；".join(
            f"{field_words(content, c.field)}：{_text(change_words(content, c, c.registry))}"
            f" → {_text(change_words(content, c, c.sheet))}" for c in r.changes))
            for r in result.changed[:FIRST]],
        "invalid": [(r.line, r.name, reason_words(content, r)) for r in result.invalid[:FIRST]],
    }  # fmt: skip


def _text(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


@router.get("/registry/census", response_class=HTMLResponse)
def census_page(request: Request, who: Staff, session: WriteSession) -> HTMLResponse:
    """The upload form."""
    return _census_page(request, who, session)


@router.post("/registry/census", response_class=HTMLResponse)
def compare_sheet(
    request: Request,
    who: Staff,
    session: WriteSession,
    file: UploadFile,
    committee_id: Annotated[str, Form(max_length=20)] = "",
    token: Csrf = None,
) -> HTMLResponse:
    """Compare the uploaded sheet with the committee's registry; answer with a summary and a
    link to the comparison XLSX. A file that cannot be read is explained, never a 500."""
    check_csrf(request, who, token)
    services = context_of(request)
    t = services.content.console
    committees = scopes.committees(session, who.scope)
    chosen = form_id(committee_id) if committee_id.strip() else next(iter(committees), None)
    if chosen is None or chosen not in committees:
        raise HTTPException(404, detail=[{"field": "committee_id", "reason": "not found"}])
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        return _census_page(request, who, session, problem=t.census_refused_file_type,
                            chosen=chosen)  # fmt: skip
    raw = file.file.read(MAX_SHEET_BYTES + 1)
    if len(raw) > MAX_SHEET_BYTES:
        return _census_page(request, who, session, problem=t.census_refused_too_large,
                            chosen=chosen)  # fmt: skip
    handle, name = tempfile.mkstemp(suffix=suffix)
    sheet = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        del raw
        result = compare(
            session, services.sealer, committee_id=chosen, path=sheet,
            content=services.content.registry,
            today=services.clock().astimezone(services.settings.tz).date(),
        )  # fmt: skip
    except Refused as refused:
        problem = t.census_refused_columns if refused.code == "columns" else t.census_unreadable
        return _census_page(request, who, session, problem=problem, chosen=chosen)
    except Exception:  # a broken XLSX or CSV fails in many ways inside its reader
        return _census_page(request, who, session, problem=t.census_unreadable, chosen=chosen)
    finally:
        sheet.unlink(missing_ok=True)  # it holds full ID numbers
    folder = _folder(services)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _prune(folder)
    download = secrets.token_urlsafe(24)
    write_comparison(_comparison_file(services, who, download), services.content, result,
                     services.settings.tz)  # fmt: skip
    return _census_page(
        request, who, session, chosen=chosen, summary=_summary(services, result),
        download=download, file_name=file.filename or "", first=FIRST,
        words=services.content.registry_exports.comparison,
    )  # fmt: skip


@router.get("/registry/census/download", response_model=None)
def download(
    request: Request,
    who: Staff,
    file: Annotated[str, Query(max_length=64)] = "",
) -> FileResponse:
    """The comparison XLSX this staff member made (404 for anyone else's, or once it is gone)."""
    services = context_of(request)
    path = _comparison_file(services, who, file) if _TOKEN.fullmatch(file) else None
    if path is None or not path.is_file():
        raise HTTPException(404, detail=[{"field": "file", "reason": "not found"}])
    day = services.clock().astimezone(services.settings.tz).strftime("%Y%m%d")
    return FileResponse(path, media_type=MEDIA_TYPES["xlsx"],
                        filename=f"census-comparison-{day}.xlsx")  # fmt: skip
