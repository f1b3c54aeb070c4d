"""The census comparison as an XLSX for staff to check (CLI and console): sheets 新增, 减少,
变更 and 无效, headings and words from registry_exports.yaml and registry.yaml, numbers masked (in
the notes too); a file written is readable by its owner only."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from bot.web.export_sheets import cell_value, owner_only
from bot.web.sheet_cells import keep_as_text
from config.content import Content
from config.registry_exports import CODES
from store.registry.census import Change, Comparison, InvalidRow


def field_words(content: Content, field: str) -> str:
    """A compared field as staff name it."""
    registry = content.registry
    if field == "dwelling":  # 住址（楼栋房号）: what the sheet compares, not the history's word
        return registry.quality.dwelling
    if field in registry.fields:
        return registry.fields[field]
    columns = registry.imports.columns
    headings = getattr(columns, field, ())
    return headings[0] if headings else field


def change_words(content: Content, change: Change, value: Any) -> Any:
    """One side of a change: a code in words, a date as a date."""
    if value is None:
        return None
    return content.registry.word(change.field, value) if change.field in CODES else value


def reason_words(content: Content, row: InvalidRow) -> str:
    """Why a row is invalid, and the field it concerns, in words."""
    registry = content.registry
    words = registry.imports.reasons.get(row.reason) or registry.reason(row.reason)
    return f"{words}（{field_words(content, row.field)}）" if row.field else words


def write_comparison(
    target: Path | IO[bytes], content: Content, result: Comparison, tz: ZoneInfo
) -> None:
    """The comparison's four sheets: new and gone residents in the census profile's columns,
    each changed field with the registry's and the sheet's value side by side, invalid rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    words = content.registry_exports.comparison
    profile = content.registry_exports.profiles[words.profile]
    heading = words.headings
    book = Workbook(write_only=True)

    def sheet(key: str, headings: list[str], rows: list[list[Any]]) -> None:
        page = book.create_sheet(words.sheets[key])
        page.append(headings)
        for values in rows:
            cells = [WriteOnlyCell(page, value=value) for value in values]
            keep_as_text(cells)
            page.append(cells)

    def columns(record: dict[str, Any]) -> list[Any]:
        return [cell_value(c, record, content.registry, tz) for c in profile.columns]

    titles = [c.heading for c in profile.columns]
    sheet("added", [heading["line"], *titles],
          [[row.line, *columns(row.record)] for row in result.added])  # fmt: skip
    sheet("removed", [heading["resident_id"], *titles],
          [[row.resident_id, *columns(row.record)] for row in result.removed])  # fmt: skip
    changed = [
        [row.line, row.resident_id, row.name, row.id_card, field_words(content, change.field),
         change_words(content, change, change.registry), change_words(content, change,
                                                                        change.sheet)]
        for row in result.changed
        for change in row.changes
    ]  # fmt: skip
    sheet("changed", [heading[k] for k in ("line", "resident_id", "name", "id_card", "field",
                                           "registry", "sheet")], changed)  # fmt: skip
    sheet("invalid", [heading[k] for k in ("line", "name", "id_card", "reason")],
          [[row.line, row.name, row.id_card, reason_words(content, row)]
           for row in result.invalid])  # fmt: skip
    if isinstance(target, Path):
        with owner_only(target) as out:  # masked, yet still about people: 0600
            book.save(out)
    else:
        book.save(target)
