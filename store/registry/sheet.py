"""Reading a residents sheet (XLSX streamed, CSV in UTF-8 or GB18030): headings found by presets."""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
    from store.registry.xlsx_rows import xlsx_rows  # streamed: flat memory for a large sheet

    return xlsx_rows(path)


REQUIRED = ("name", "id_card")  # a row is matched by its ID number and shown by its name


@dataclass(frozen=True)
class Headings:
    """A sheet's heading row: its line, each heading as written, and which field each column
    holds (by the presets, then by staff's mapping)."""

    line: int
    names: list[str]
    found: dict[int, str]

    @property
    def missing(self) -> list[str]:
        """The required fields no heading is read as."""
        return [field for field in REQUIRED if field not in self.found.values()]


def _chosen(columns: ImportColumns, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Staff's mapping of headings the presets do not read; Refused for a field that is none."""
    wanted = columns.field_of()
    chosen = {h: f for h, f in (mapping or {}).items() if f and h not in wanted}
    unknown = sorted(set(chosen.values()) - set(ImportColumns.model_fields))
    if unknown:
        raise Refused("mapping", f"not a field: {unknown[0]}", code="mapping")
    return chosen


def _heading_row(
    raw: Iterator[tuple[Any, ...]], wanted: Mapping[str, str]
) -> tuple[int, list[str], list[tuple[Any, ...]]]:
    """The heading row's line and headings, and the rows read below it (still to be read).

    The first row with two preset headings; failing that (a sheet of unknown headings), the one
    of the first few rows with the most preset headings, then the most headings."""
    seen: list[tuple[int, list[str], tuple[Any, ...]]] = []
    for line, cells in enumerate(raw, start=1):
        seen.append((line, [str(_cell(c) or "") for c in cells], cells))
        if sum(h in wanted for h in seen[-1][1]) >= 2 or line >= HEADING_ROWS:
            break
    if not seen:
        return 0, [], []
    if sum(h in wanted for h in seen[-1][1]) >= 2:
        best = len(seen) - 1
    else:
        score = [(sum(h in wanted for h in names), sum(bool(h) for h in names))
                 for _, names, _ in seen]  # fmt: skip
        best = score.index(max(score))
    line, names, _ = seen[best]
    return line, names, [cells for _, _, cells in seen[best + 1 :]]


def _found(
    names: list[str], wanted: Mapping[str, str], chosen: Mapping[str, str]
) -> dict[int, str]:
    found = {i: wanted[h] for i, h in enumerate(names) if h in wanted}
    # Headings staff mapped, each to a field no preset heading of the sheet reads already.
    for i, heading in enumerate(names):
        if heading in chosen and chosen[heading] not in found.values():
            found[i] = chosen[heading]
    return found


def _raw_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise Refused("file", "an .xlsx or .csv file is needed", code="file_type")
    return iter(_xlsx_rows(path) if suffix == ".xlsx" else _csv_rows(path))


def headings_of(
    path: Path, columns: ImportColumns, mapping: Mapping[str, str] | None = None
) -> Headings:
    """A sheet's headings and what they are read as, without refusing a required one missing
    (for the mapping step)."""
    raw = _raw_rows(path)
    try:
        wanted = columns.field_of()
        line, names, _ = _heading_row(raw, wanted)
        return Headings(line, names, _found(names, wanted, _chosen(columns, mapping)))
    finally:
        close = getattr(raw, "close", None)
        if close is not None:
            close()


class Sheet:
    """A sheet's rows as {field: value}, the headings found by the column presets."""

    def __init__(
        self, path: Path, columns: ImportColumns, mapping: Mapping[str, str] | None = None
    ) -> None:
        """`mapping` reads more headings ({heading: field}); a field of "" skips the heading.

        Refused (code "columns") when no heading is read as 姓名 or 身份证号."""
        raw = _raw_rows(path)
        self.path = path
        wanted = columns.field_of()
        chosen = _chosen(columns, mapping)
        line, headings, rest = _heading_row(raw, wanted)
        found = _found(headings, wanted, chosen)
        missing = Headings(line, headings, found).missing
        if missing:
            named = " and ".join(getattr(columns, field)[0] for field in missing)
            plural = "headings" if len(missing) > 1 else "heading"
            raise Refused("file", f"no {named} {plural}", code="columns")
        self.ignored_headings = [h for i, h in enumerate(headings) if h and i not in found]
        # Headings neither a preset nor staff's mapping reads (a heading mapped to "" is skipped).
        self.unknown_headings = [
            h for h in self.ignored_headings if h not in (mapping or {}) and h not in wanted
        ]
        self._raw, self._found, self._first = itertools.chain(rest, raw), found, line + 1

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(line, {field: cell}) for each row below the headings that is not blank."""
        for line, cells in enumerate(self._raw, start=self._first):
            values = {f: _cell(cells[i]) for i, f in self._found.items() if i < len(cells)}
            values = {f: v for f, v in values.items() if v is not None}
            if values:
                yield line, values
