"""registry_exports.yaml: the profiles residents are exported in (filter, columns, headings,
value formats) and the words of the census comparison sheet."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from config.registry_content import (
    GENDERS,
    HUKOU_STATUSES,
    OCCUPANCIES,
    RELATIONS,
    RESIDENCE_STATUSES,
    ROLES,
)
from config.wording import words_for_every

# Every field a column may be filled from (one row per resident).
FIELDS = (
    "number", "resident_id", "committee", "name", "gender", "birth_date", "age", "id_card",
    "mobile", "landline", "building", "unit", "room", "address", "role", "occupancy",
    "household_number", "relation_to_head", "hukou_status", "residence_status", "tags",
    "cohorts", "certificate_number", "certificate_date", "notes", "last_confirmed_at",
)  # fmt: skip
# Fields holding a code: registry.yaml words them, and a column's `values` may word them otherwise.
CODES: dict[str, tuple[str, ...]] = {
    "gender": GENDERS,
    "relation_to_head": RELATIONS,
    "hukou_status": HUKOU_STATUSES,
    "residence_status": RESIDENCE_STATUSES,
    "role": ROLES,
    "occupancy": OCCUPANCIES,
}
DATES = ("birth_date", "certificate_date", "last_confirmed_at")
# Personal numbers: masked unless a full export is asked for, allowed and audited.
NUMBERS = ("id_card", "mobile", "landline", "certificate_number")
COMPARISON_SHEETS = ("added", "removed", "changed", "invalid")
COMPARISON_HEADINGS = ("line", "resident_id", "name", "id_card", "field", "registry", "sheet",
                       "reason")  # fmt: skip
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _sheet_name(name: str) -> str:
    if _SHEET_FORBIDDEN.search(name):
        raise ValueError("a sheet name cannot hold [ ] : * ? / \\")
    return name


class Column(_Strict):
    """One column: its heading, the field that fills it, and how its value is written."""

    heading: str = Field(min_length=1)
    field: str
    values: dict[str, str] = {}  # a code's words, instead of registry.yaml's
    format: str = ""  # a date's format (strftime), e.g. %Y年%m月%d日; blank: an Excel date

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
        if not values or field is None:
            return values
        if field not in CODES:
            raise ValueError(f"{field} has no codes to word")
        unknown = sorted(set(values) - set(CODES[field]))
        if unknown:
            known = ", ".join(CODES[field])
            raise ValueError(f"unknown {field} code {unknown[0]} (one of {known})")
        return values

    @field_validator("format")
    @classmethod
    def _date_format(cls, given: str, info: ValidationInfo) -> str:
        field = info.data.get("field")
        if not given or field is None:
            return given
        if field not in DATES:
            raise ValueError(f"{field} is not a date: only {', '.join(DATES)} take a format")
        if "%" not in given:
            raise ValueError("a date format needs %Y, %m or %d")
        date(2000, 1, 2).strftime(given)  # a bad directive fails here, at start-up
        return given


class Filter(_Strict):
    """Which residents a profile lists; each given part must match (any of its values)."""

    residence_statuses: tuple[str, ...] = ()  # codes of registry.yaml; none: every status
    # Residents of these statuses are left out (a resident of no status stays in).
    exclude_residence_statuses: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()  # keys of registry.yaml `cohorts`; none: every age
    tags: tuple[str, ...] = ()  # keys of registry.yaml `tags`; none: tagged or not

    @field_validator("residence_statuses", "exclude_residence_statuses")
    @classmethod
    def _known_statuses(cls, statuses: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(statuses) - set(RESIDENCE_STATUSES))
        if unknown:
            raise ValueError(f"unknown residence status {unknown[0]}")
        return statuses

    @field_validator("cohorts", "tags")
    @classmethod
    def _keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        bad = sorted(key for key in keys if not _KEY.fullmatch(key))
        if bad:
            raise ValueError(f"{bad[0]} is not a key of registry.yaml")
        return keys


class Profile(_Strict):
    """One export profile: the name staff pick it by, its sheet, filter and columns."""

    title: str = Field(min_length=1)
    description: str = ""
    sheet: str = Field(min_length=1, max_length=31)
    filter: Filter = Filter()
    columns: tuple[Column, ...] = Field(min_length=1)

    @field_validator("sheet")
    @classmethod
    def _sheet(cls, sheet: str) -> str:
        return _sheet_name(sheet)

    @field_validator("columns")
    @classmethod
    def _unique_headings(cls, columns: tuple[Column, ...]) -> tuple[Column, ...]:
        headings = [c.heading for c in columns]
        twice = sorted({h for h in headings if headings.count(h) > 1})
        if twice:
            raise ValueError(f"heading {twice[0]} is used twice")
        return columns


class Comparison(_Strict):
    """The census comparison sheet: the profile listing residents, sheet names and headings."""

    profile: str
    sheets: dict[str, str]
    headings: dict[str, str]

    @field_validator("sheets")
    @classmethod
    def _every_sheet(cls, sheets: dict[str, str]) -> dict[str, str]:
        words_for_every(sheets, COMPARISON_SHEETS, "sheet")
        for name in sheets.values():
            _sheet_name(name)
            if len(name) > 31:
                raise ValueError(f"sheet name {name} is longer than 31 characters")
        return sheets

    @field_validator("headings")
    @classmethod
    def _every_heading(cls, headings: dict[str, str]) -> dict[str, str]:
        words_for_every(headings, COMPARISON_HEADINGS, "heading")
        return headings


class RegistryExports(_Strict):
    """Everything of registry_exports.yaml."""

    profiles: dict[str, Profile] = Field(min_length=1)
    comparison: Comparison

    @field_validator("profiles")
    @classmethod
    def _profile_keys(cls, profiles: dict[str, Profile]) -> dict[str, Profile]:
        bad = sorted(k for k in profiles if not _KEY.fullmatch(k) or len(k) > 32)
        if bad:
            raise ValueError(f"profile name {bad[0]} must be lower-case letters, digits and _")
        return profiles

    @field_validator("comparison")
    @classmethod
    def _comparison_profile(cls, comparison: Comparison, info: ValidationInfo) -> Comparison:
        profiles = info.data.get("profiles")
        if profiles is not None and comparison.profile not in profiles:
            raise ValueError(f"profile: no profile named {comparison.profile}")
        return comparison
