"""The data-quality report as staff read it: each finding's detail in words, and the XLSX sheet
the console and `linli registry quality --output` both hand out (numbers masked)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from bot.web.sheet_cells import keep_as_text
from config.registry_content import RegistryContent
from config.registry_quality import COLUMNS
from store.registry.quality import Line


def detail_text(registry: RegistryContent, kind: str, detail: str) -> str:
    """A finding's detail in the committee's words."""
    rules = registry.quality
    if kind in ("missing", "placeholder", "accepted_flag"):
        value = rules.dwelling if detail == "dwelling" else registry.fields.get(detail, detail)
    elif kind == "unconfirmed" and not detail:
        value = rules.never_confirmed
    else:
        value = detail
    return rules.details[kind].replace("{value}", value)


def write_sheet(target: Path | IO[bytes], registry: RegistryContent, lines: Sequence[Line]) -> None:
    """The report's lines in one sheet, headed in the committee's words; numbers masked."""
    rules = registry.quality
    book = Workbook(write_only=True)
    sheet = book.create_sheet(rules.headings["sheet"])
    sheet.append([rules.headings[key] for key in COLUMNS])
    for line in lines:
        finding = line.finding
        numbers = " / ".join(number for number in (line.id_card, line.mobile) if number)
        values = [
            rules.kinds[finding.kind], finding.resident_id, line.name, numbers,
            detail_text(registry, finding.kind, finding.detail),
        ]  # fmt: skip
        cells = [WriteOnlyCell(sheet, value=value) for value in values]
        keep_as_text(cells)  # a name typed as "=…" stays text, never a formula
        sheet.append(cells)
    book.save(target)


def workbook(registry: RegistryContent, lines: Sequence[Line]) -> bytes:
    """The report's sheet as the bytes of an XLSX file."""
    buffer = io.BytesIO()
    write_sheet(buffer, registry, lines)
    return buffer.getvalue()
