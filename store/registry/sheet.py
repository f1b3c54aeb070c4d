"""Reading a residents sheet (XLSX streamed, CSV in UTF-8 or GB18030): headings found by presets."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from config.registry_content import ImportColumns
from store.errors import Refused

HEADING_ROWS = 10  # a title or two above the headings is common in committee sheets


def _cell(value: object) -> object:
    """A cell as text (or a date), blank as None; numbers Excel stored as numbers kept whole."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM) if the whole file decodes as it, else GB18030."""
    with path.open("rb") as raw:
        if raw.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        raw.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: raw.read(1 << 16), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _csv_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    with path.open(encoding=_csv_encoding(path), newline="") as text:
        yield from (tuple(row) for row in csv.reader(text))


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


class Sheet:
    """A sheet's rows as {field: value}, the headings found by the column presets."""

    def __init__(self, path: Path, columns: ImportColumns) -> None:
        suffix = path.suffix.lower()
        if suffix not in (".xlsx", ".csv"):
            raise Refused("file", "an .xlsx or .csv file is needed", code="file_type")
        self.path = path
        raw = iter(_xlsx_rows(path) if suffix == ".xlsx" else _csv_rows(path))
        wanted = columns.field_of()
        for line, cells in enumerate(raw, start=1):
            headings = [str(_cell(c) or "") for c in cells]
            if sum(h in wanted for h in headings) >= 2 or line >= HEADING_ROWS:
                break
        else:
            headings, line = [], 0
        found = {i: wanted[h] for i, h in enumerate(headings) if h in wanted}
        if "name" not in found.values() or "id_card" not in found.values():
            raise Refused("file", "no 姓名 and 身份证号 headings", code="columns")
        self.ignored_headings = [h for i, h in enumerate(headings) if h and i not in found]
        self._raw, self._found, self._first = raw, found, line + 1

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(line, {field: cell}) for each row below the headings that is not blank."""
        for line, cells in enumerate(self._raw, start=self._first):
            values = {f: _cell(cells[i]) for i, f in self._found.items() if i < len(cells)}
            values = {f: v for f, v in values.items() if v is not None}
            if values:
                yield line, values
