"""Reports as an Excel sheet in one of report_exports.yaml's layouts (never with openids)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.reports import display
from bot.web.sheet_cells import keep_as_text
from config.content import Content
from config.report_exports import Layout
from store.reports import facts as report_facts
from store.reports import inbox as report_inbox
from store.reports.facts import ReportFacts
from store.reports.inbox import ReportFilter
from store.staff.scope import Scope

MAX_ROWS = 100_000
DATE_FORMAT = "yyyy-mm-dd hh:mm"
WIDE = {"description": 48, "answers": 32, "outcome": 32, "latest_note": 32, "place": 20}


def _local(when: datetime | None, tz: ZoneInfo) -> datetime | None:
    # Excel has no time zones: write the committee's wall-clock time.
    return when.astimezone(tz).replace(tzinfo=None) if when else None


def _minutes(start: datetime, end: datetime | None) -> int | None:
    return round((end - start).total_seconds() / 60) if end else None


def _answer(answer: dict[str, Any]) -> str:
    return f"{answer.get('question', '')} {answer.get('answer', '')}".strip()


def _fields(
    content: Content, tz: ZoneInfo, item: ReportFacts, outcome: str, latest: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """A report's value for every field, and the codes `values` may translate."""
    report, t = item.report, content.console
    answered = report.follow_up_answered_at is not None
    solved = "solved" if report.follow_up_solved else "not_solved"
    values: dict[str, Any] = {
        "reference": report.reference,
        "committee": item.committee,
        "category": display.category_name(content, report.category),
        "urgent": t.word_yes if report.urgent else t.word_no,
        "description": report.description,
        "answers": "；".join(_answer(a) for a in report.answers),
        "source": getattr(t, f"source_{report.source}", report.source),
        "place": display.place_name(content, report, item.place),
        "grid_area": item.place.grid_area if item.place else None,
        "lat": report.lat,
        "lng": report.lng,
        "status": display.status_name(content, report.status),
        "handler": display.handler_name(content, item.handler),
        "referred_to": report.referred_to,
        "created_at": _local(report.created_at, tz),
        "accepted_at": _local(report.accepted_at, tz),
        "resolved_at": _local(report.resolved_at, tz),
        "closed_at": _local(report.closed_at, tz),
        "minutes_to_accept": _minutes(report.created_at, report.accepted_at),
        "minutes_to_resolve": _minutes(report.created_at, report.resolved_at),
        "outcome": outcome,
        "latest_note": latest,
        "follow_up_asked_at": _local(report.follow_up_asked_at, tz),
        "follow_up_answered_at": _local(report.follow_up_answered_at, tz),
        "follow_up": (t.follow_up_solved if report.follow_up_solved else t.follow_up_not_solved)
        if answered
        else None,
        "rating": report.follow_up_rating if answered else None,
        "followers": item.followers,
        "photos": item.photos,
        "reopened": report.reopened,
    }
    codes = {
        "status": report.status,
        "category": report.category,
        "source": report.source,
        "urgent": "yes" if report.urgent else "no",
        "follow_up": solved if answered else "",
        "rating": str(report.follow_up_rating) if answered and report.follow_up_rating else "",
    }
    return values, codes


def rows(
    session: Session,
    content: Content,
    tz: ZoneInfo,
    scope: Scope,
    wanted: ReportFilter,
    layout: Layout,
) -> list[list[Any]]:
    """The sheet's rows (no heading) for the scope's reports matching the filter, newest
    first."""
    found = report_inbox.newest(session, scope, wanted, MAX_ROWS)
    table = []
    for chunk in report_facts.chunks(found):
        notes = report_facts.latest_notes(session, [r.id or 0 for r in chunk])
        for item in report_facts.facts(session, chunk):
            key = item.report.id or 0
            outcome, latest = notes.outcome.get(key, ""), notes.public.get(key, "")
            values, codes = _fields(content, tz, item, outcome, latest)
            table.append([
                column.values.get(codes.get(column.field, ""), values[column.field])
                for column in layout.columns
            ])  # fmt: skip
    return table


def workbook(layout: Layout, table: Sequence[Sequence[Any]]) -> bytes:
    """An .xlsx file: the layout's headings, then the rows."""
    # openpyxl takes a tenth of a second to import: only an export pays for it, not start-up.
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    def cell_value(value: Any) -> Any:
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = layout.sheet
    sheet.append([column.heading for column in layout.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for line in table:
        sheet.append([cell_value(v) for v in line])
        keep_as_text(sheet[sheet.max_row])  # a resident's "=…" is text, never a formula
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = DATE_FORMAT
    for number, column in enumerate(layout.columns, start=1):
        width = WIDE.get(column.field, max(10, 2 * len(column.heading) + 2))
        sheet.column_dimensions[get_column_letter(number)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
