"""What the 年审 pages show: the tracker's counters, the per-building table and the list, one
record's history and the actions its state allows, the call list, and the list as a sheet —
every word from console.yaml and reviews/_reviews.yaml, every number masked."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.console.resident_views import home_text, masked_number
from config.content import ConsoleText, Content
from config.review_content import Programme
from flows.masking import mask_name
from store.registry import search
from store.reviews import records
from store.reviews.models import (
    BOOKED,
    COMPLETED,
    DUE,
    EXEMPT,
    MOVED_AWAY,
    OVERDUE,
    PLANNER,
    REMINDED,
    RESIDENT,
    SELF_REPORTED,
    STATES,
    Appointment,
    AppointmentSlot,
    ReviewRecord,
    ReviewTransition,
)
from store.sealing import Sealer

# The per-building table's columns: each sums some states.
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rv_col_open", (DUE, REMINDED, OVERDUE)),
    ("rv_col_booked", (BOOKED,)),
    ("rv_col_self_reported", (SELF_REPORTED,)),
    ("rv_col_completed", (COMPLETED,)),
    ("rv_col_closed", (EXEMPT, MOVED_AWAY)),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Tally:
    """One counter: its words, its figure, and the list's filter it opens (if any)."""

    label: str
    count: int
    state: str = ""


def read_note(t: ConsoleText, note: str, *, needed: bool) -> str | None:
    """What is wrong with a typed reason (missing where one is needed, too long), or None."""
    if needed and not note.strip():
        return t.rv_need_note
    if len(note.strip()) > records.MAX_NOTE:
        return t.rv_note_too_long.format(count=records.MAX_NOTE)
    return None


def tallies(t: ConsoleText, states: Mapping[str, str], counts: Mapping[str, int]) -> list[Tally]:
    """The large counters: everyone, each state, then those nobody reaches and those who said
    no more reminders."""
    shown = [Tally(t.rv_count_total, counts.get("total", 0))]
    shown += [Tally(states[s], counts.get(s, 0), s) for s in STATES]
    shown += [Tally(t.rv_count_unreachable, counts.get("unreachable", 0)),
              Tally(t.rv_count_opted_out, counts.get("opted_out", 0))]  # fmt: skip
    return shown


def building_rows(t: ConsoleText, found: Iterable[Any]) -> list[dict[str, Any]]:
    """The per-building table: each building's total and its states summed into columns."""
    rows = []
    for row in found:
        counts: Mapping[str, int] = row.counts
        rows.append({
            "place_id": row.place_id, "name": row.name or t.rv_no_building,
            "total": sum(counts.values()),
            "columns": [sum(counts.get(s, 0) for s in states) for _, states in COLUMNS],
        })  # fmt: skip
    return rows


def window_text(t: ConsoleText, content: Content, record: ReviewRecord) -> str:
    """From when to when the resident may do it ("no closing day" when none is known)."""
    labels = content.reviews.words.labels
    opens = labels.of_date(record.opens_on)
    if record.closes_on is None:
        return t.rv_window_open.format(opens=opens)
    return t.rv_window.format(opens=opens, closes=labels.of_date(record.closes_on))


def slot_of(visit: tuple[Appointment, AppointmentSlot] | None) -> AppointmentSlot | None:
    """The slot of a listed record's booked visit, None when none is booked."""
    return visit[1] if visit else None


def visit_text(content: Content, slot: AppointmentSlot | None, tz: ZoneInfo) -> str:
    """A booked visit's day and time as residents read it, "" when none is booked."""
    if slot is None:
        return ""
    return content.reviews.words.labels.of_visit(slot.starts_at.astimezone(tz))


def list_rows(content: Content, sealer: Sealer, found: Sequence[Any], tz: ZoneInfo
              ) -> list[dict[str, Any]]:  # fmt: skip
    """A page of the tracker's list: resident, building, state, window and visit."""
    t, states = content.console, content.reviews.words.states
    return [
        {
            "id": row.record.id, "record": row.record, "name": mask_name(row.resident.name),
            "mobile": masked_number(sealer, row.resident, "mobile"),
            "building": row.building or t.rv_no_building,
            "state": states.get(row.record.state, row.record.state),
            "window": window_text(t, content, row.record),
            "visit": visit_text(content, slot_of(row.visit), tz),
        }
        for row in found
    ]  # fmt: skip


def who_text(t: ConsoleText, change: ReviewTransition, names: Mapping[int, str]) -> str:
    """Who made a change, in words: the daily plan, the resident in WeChat, or staff by name."""
    if change.actor_kind == PLANNER:
        return t.rv_by_planner
    if change.actor_kind == RESIDENT:
        return t.rv_by_resident
    return names.get(change.staff_id or 0, t.rv_by_staff)


def history_rows(
    t: ConsoleText, states: Mapping[str, str], changes: Sequence[ReviewTransition],
    names: Mapping[int, str], when: Any, notes: Mapping[str, str],
) -> list[dict[str, str]]:  # fmt: skip
    """A record's changes, oldest first: when, who, from what to what, and why."""
    rows = []
    for change in changes:
        to = states.get(change.to_state, change.to_state)
        what = to if change.from_state is None else t.rv_moved.format(
            before=states.get(change.from_state, change.from_state), after=to)  # fmt: skip
        note = notes.get(change.note, change.note)
        rows.append({"when": when(change.at), "who": who_text(t, change, names), "what": what,
                     "note": note})  # fmt: skip
    return rows


def homes(session: Session, resident_ids: Sequence[int], today: date) -> dict[int, list[str]]:
    """Where each resident lives now, one line per dwelling."""
    found = search.homes_of(session, resident_ids, today=today)
    return {rid: [home_text(h) for h in found.get(rid, [])] for rid in resident_ids}


def call_rows(content: Content, sealer: Sealer, found: Sequence[Any], where: Mapping[int, list[str]]
              ) -> list[dict[str, Any]]:  # fmt: skip
    """The call list: the resident, where they live, the mobile masked, and why WeChat did not
    reach them."""
    t = content.console
    shown = []
    for row in found:
        if row.reason == "not_bound":
            why = t.rv_why_not_bound
        else:
            reason = content.notifications.call_list.reason(row.error, row.error_code)
            why = t.rv_why_unreachable.format(reason=reason) if reason else t.rv_why_failed
        resident_id = row.resident.id or 0
        shown.append({
            "record_id": row.record.id, "resident_id": resident_id,
            "name": mask_name(row.resident.name),
            "homes": where.get(resident_id, []), "resident": row.resident,
            "mobile": masked_number(sealer, row.resident, "mobile"), "why": why,
        })  # fmt: skip
    return shown


def sheet_name(t: ConsoleText, programme: Programme, cycle: int, today: date) -> str:
    """The export's file name, in Chinese."""
    return t.rv_sheet_file.format(name=programme.name, cycle=cycle,
                                  date=today.strftime("%Y%m%d"))  # fmt: skip


def workbook(t: ConsoleText, rows: Iterable[dict[str, Any]], tz: ZoneInfo) -> bytes:
    """The filtered list as an .xlsx file: a heading row in Chinese, then one row per record."""
    # openpyxl takes a tenth of a second to import: only an export pays for it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from bot.web.sheet_cells import keep_as_text

    book = Workbook(write_only=True)
    sheet = book.create_sheet(t.rv_sheet_title)
    sheet.append([t.rv_col_name, t.rv_col_mobile, t.rv_col_building, t.rv_col_state,
                  t.rv_col_window, t.rv_col_visit, t.rv_col_done_at])  # fmt: skip
    for row in rows:
        done: datetime | None = row["record"].completed_at
        values = [
            row["name"],
            row["mobile"],
            row["building"],
            row["state"],
            row["window"],
            row["visit"],
            done.astimezone(tz).strftime("%Y-%m-%d %H:%M") if done else "",
        ]
        cells = [WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(v))) for v in values]
        keep_as_text(cells)  # a name typed as "=…" stays text, never a formula
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
