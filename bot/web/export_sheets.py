"""Residents exported in a profile of registry_exports.yaml, as XLSX or CSV (CLI and console):
rows streamed into the file as the store reads them, cells kept as text where a spreadsheet
would run them as formulas, the file readable by its owner only (0600)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.web.sheet_cells import csv_row, keep_as_text
from config.content import Content
from config.registry_content import RegistryContent
from config.registry_exports import CODES, DATES, Column
from store.errors import Refused
from store.registry import exports
from store.registry.exports import Record
from store.sealing import Sealer
from store.staff import audit
from store.staff.scope import Scope

FORMATS = ("xlsx", "csv")
DATE_FORMAT = "yyyy-mm-dd"
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def cell_value(column: Column, record: Record, registry: RegistryContent, tz: ZoneInfo) -> Any:
    """A record's value for a column: codes in words, dates in the column's format."""
    value = record.get(column.field)
    if value is None or value == "" or value == ():
        return None
    field = column.field
    if field in CODES:
        return column.values.get(value) or registry.word(field, value)
    if field == "tags":
        return "、".join(registry.tags[k].name if k in registry.tags else k for k in value)
    if field == "cohorts":
        return "、".join(registry.cohorts[k].name if k in registry.cohorts else k for k in value)
    if field in DATES:
        day = value.astimezone(tz).date() if isinstance(value, datetime) else value
        return day.strftime(column.format) if column.format else day
    return value


def _owner_only_fd(path: Path) -> int:
    # Personal data: only the service's own user may read the file, whatever the umask.
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(handle, 0o600)
    return handle


@contextmanager
def owner_only(path: Path) -> Iterator[IO[bytes]]:
    """A file opened for writing that only its owner may read (0600); gone again if the writing
    fails."""
    try:
        with open(_owner_only_fd(path), "wb") as out:
            yield out
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class SheetWriter:
    """One sheet written row by row to a file: XLSX (openpyxl write-only) or CSV (UTF-8 with
    a BOM, so Excel reads the Chinese)."""

    def __init__(self, path: Path, file_format: str, sheet: str, headings: Sequence[str]) -> None:
        if file_format not in FORMATS:
            raise Refused("format", f"one of {', '.join(FORMATS)}", code="format")
        self.path, self.format = path, file_format
        handle = _owner_only_fd(path)
        if file_format == "csv":
            self._file: IO[Any] = os.fdopen(handle, "w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._file)
        else:
            self._file = os.fdopen(handle, "wb")
            # openpyxl takes a tenth of a second to import: only an export pays for it.
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet(sheet)
        self.row(headings)

    def row(self, values: Sequence[Any]) -> None:
        """Append one row."""
        if self.format == "csv":
            shown = [v.isoformat() if isinstance(v, date) else v for v in values]
            self._csv.writerow(csv_row(shown))
            return
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        cells = []
        for value in values:
            text = ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
            cell = WriteOnlyCell(self._sheet, value=text)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
            cells.append(cell)
        keep_as_text(cells)  # a name typed as "=…" stays text, never a formula
        self._sheet.append(cells)

    def close(self) -> None:
        """Finish the file."""
        if self.format == "xlsx":
            self._book.save(self._file)
        self._file.close()

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        if kind is None:
            self.close()
        else:
            self._file.close()


def write_export(
    session: Session,
    sealer: Sealer,
    content: Content,
    *,
    profile: str,
    path: Path,
    file_format: str,
    scope: Scope,
    actor: audit.Actor,
    committee_id: int | None,
    full: bool,
    why: str,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """Write the profile's residents to `path` (audited by the store); how many were written."""
    chosen = content.registry_exports.profiles.get(profile)
    if chosen is None:
        raise Refused("profile", "not a known profile", code="profile")
    registry = content.registry
    with SheetWriter(path, file_format, chosen.sheet, [c.heading for c in chosen.columns]) as out:
        return exports.export(
            session, sealer, scope=scope, actor=actor, profile=profile, wanted=chosen.filter,
            committee_id=committee_id, cohorts=registry.cohorts, full=full, why=why,
            file_format=file_format, now=now, today=now.astimezone(tz).date(),
            write=lambda record: out.row(
                [cell_value(c, record, registry, tz) for c in chosen.columns]
            ),
        )  # fmt: skip
