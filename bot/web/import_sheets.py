"""The residents import's sheets: the dry-run report and the blank template (CLI and console)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from bot.web.sheet_cells import keep_as_text
from config.registry_content import RegistryContent
from store.registry.checks import CODED
from store.registry.imports import RowOutcome

TEMPLATE_ROWS = 5000  # rows below the headings that get the drop-downs


def write_report(
    rows: Iterable[RowOutcome], content: RegistryContent, target: str | IO[bytes]
) -> None:
    """An XLSX of every row that is not unchanged: line, outcome, reason, name, masked ID."""
    words = content.imports
    book = Workbook(write_only=True)
    sheet = book.create_sheet(words.report["sheet"])
    sheet.append([words.report[k] for k in ("line", "outcome", "reason", "name", "id_card")])
    for row in rows:
        values = (row.line, words.outcomes[row.outcome], reason_words(row, content), row.name,
                  row.id_card)  # fmt: skip
        cells = [WriteOnlyCell(sheet, value=value) for value in values]
        keep_as_text(cells)
        sheet.append(cells)
    book.save(target)


def reason_words(row: RowOutcome, content: RegistryContent) -> str:
    """Why a row came to its outcome, in words: the reason, and the fields it concerns."""
    words = content.imports.reasons.get(row.reason) or content.reason(row.reason)
    named = [field_words(field, content) for field in row.fields]
    text = f"{words}（{'、'.join(named)}）" if named else words
    if row.flags and row.reason != "flag_accepted":
        flagged = "、".join(field_words(field, content) for field in row.flags)
        text += f"；{content.imports.reasons['flag_accepted']}（{flagged}）"
    return text


def field_words(field: str, content: RegistryContent) -> str:
    """A field as staff name it: its words, or the sheet heading it is read from."""
    columns = content.imports.columns
    if field == "dwelling":  # the sheet's own headings, 楼栋/单元/房号
        return "/".join(columns.building[:1] + columns.unit[:1] + columns.room[:1])
    if field in content.fields:
        return content.fields[field]
    headings = getattr(columns, field, ())
    return headings[0] if headings else field


def write_template(
    content: RegistryContent, buildings: Sequence[str], target: str | IO[bytes]
) -> None:
    """A blank sheet with the preset headings, and drop-downs for the coded columns and buildings.

    The choices live on a second sheet: a list typed into the validation itself is limited to
    255 characters, which a committee's buildings soon exceed.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = content.imports.report["template_sheet"]
    choices = book.create_sheet(content.imports.report["template_choices"])
    columns = content.imports.columns
    fields = [field for field, headings in columns if headings]
    sheet.append([getattr(columns, field)[0] for field in fields])
    lists = {kind: list(getattr(content.codes, kind).values()) for kind in CODED}
    lists["building"] = list(buildings)
    for place, field in enumerate(fields, start=1):
        letter = get_column_letter(place)
        sheet.column_dimensions[letter].width = 14
        sheet[f"{letter}1"].number_format = "@"
        if field in ("id_card", "mobile", "landline", "household_number", "room", "unit"):
            for row in range(2, TEMPLATE_ROWS + 2):  # kept as text: no 4.4E+17 for an ID number
                sheet.cell(row=row, column=place).number_format = "@"
        words = lists.get(field)
        if not words:
            continue
        choices.append([getattr(columns, field)[0], *words])
        row = choices.max_row
        last = get_column_letter(len(words) + 1)
        rule = DataValidation(type="list", allow_blank=True,
                              formula1=f"'{choices.title}'!$B${row}:${last}${row}")  # fmt: skip
        rule.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(rule)
    choices.sheet_state = "hidden"
    book.save(target)
