"""report_exports.yaml: the spreadsheet layouts reports are exported in, column by column."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from config.report_content import STATUSES

# Every field a column may be filled from (one row per report; openids are never among them).
FIELDS = (
    "reference", "committee", "category", "urgent", "description", "answers", "source",
    "place", "grid_area", "lat", "lng", "status", "handler", "referred_to", "created_at",
    "accepted_at", "resolved_at", "closed_at", "minutes_to_accept", "minutes_to_resolve",
    "outcome", "latest_note", "follow_up_asked_at", "follow_up_answered_at", "follow_up",
    "rating", "followers", "photos", "reopened",
)  # fmt: skip
# Fields holding a code that `values` may translate into another system's words.
CODES: dict[str, frozenset[str] | None] = {
    "status": frozenset(STATUSES),
    "category": None,  # category keys live in reports.yaml
    "source": frozenset({"wechat", "open311", "console"}),
    "urgent": frozenset({"yes", "no"}),
    "follow_up": frozenset({"solved", "not_solved"}),
    "rating": frozenset({"1", "2", "3", "4", "5"}),
}
# Excel refuses these in sheet names.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    """One column: its heading, the field that fills it, and optional words for its codes."""

    heading: str = Field(min_length=1)
    field: str
    values: dict[str, str] = {}

    @field_validator("field")
    @classmethod
    def _known_field(cls, field: str) -> str:
        if field not in FIELDS:
            raise ValueError(f"unknown field {field} (one of {', '.join(FIELDS)})")
        return field

    @field_validator("values")
    @classmethod
    def _known_codes(cls, values: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        field = info.data.get("field")
        if not values or field is None:  # no values, or the field itself was refused
            return values
        if field not in CODES:
            raise ValueError(f"{field} has no codes to translate")
        allowed = CODES[field]
        unknown = sorted(set(values) - allowed) if allowed is not None else []
        if unknown:
            raise ValueError(f"unknown {field} code {unknown[0]}")
        return values


class Layout(_Strict):
    """One export layout: a name staff pick it by, the sheet's name and its columns."""

    title: str = Field(min_length=1)
    sheet: str = Field(min_length=1, max_length=31)
    columns: tuple[Column, ...] = Field(min_length=1)

    @field_validator("sheet")
    @classmethod
    def _sheet_name(cls, sheet: str) -> str:
        if _SHEET_FORBIDDEN.search(sheet):
            raise ValueError("a sheet name cannot hold [ ] : * ? / \\")
        return sheet

    @field_validator("columns")
    @classmethod
    def _unique_headings(cls, columns: tuple[Column, ...]) -> tuple[Column, ...]:
        headings = [c.heading for c in columns]
        twice = sorted({h for h in headings if headings.count(h) > 1})
        if twice:
            raise ValueError(f"heading {twice[0]} is used twice")
        return columns


class ReportExports(_Strict):
    """Everything of report_exports.yaml."""

    layouts: dict[str, Layout] = Field(min_length=1)

    @field_validator("layouts")
    @classmethod
    def _layout_keys(cls, layouts: dict[str, Layout]) -> dict[str, Layout]:
        bad = sorted(k for k in layouts if not re.fullmatch(r"[a-z][a-z0-9_]*", k))
        if bad:
            raise ValueError(f"layout name {bad[0]} must be lower-case letters, digits and _")
        return layouts
