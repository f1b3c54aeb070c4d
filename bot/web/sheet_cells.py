"""Cells for the CSV and Excel files Linli writes: text a spreadsheet would run as a formula
(a username `=1+1`, a resident's `=HYPERLINK(…)`) always stays text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# What spreadsheets read as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would take as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A CSV cell that stays text: formula-like text gets a leading apostrophe."""
    return "'" + value if formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every cell kept as text where it matters."""
    return [csv_cell(value) for value in values]


def keep_as_text(cells: Iterable[Any]) -> None:
    """Mark an openpyxl row's formula-like cells as text, shown and never run."""
    for cell in cells:
        if formula_like(cell.value):
            cell.data_type = "s"
