"""registry.yaml: the residents registry's codes in words, its tag vocabulary, cohorts, reasons."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.registry_quality import Quality
from config.wording import words_for_every

# The codes the database stores, named once here; registry.yaml must word every one of them.
GENDERS = ("male", "female")
OCCUPANCIES = ("owner", "rented", "vacant")  # 自住 / 出租 / 空置
ROLES = ("self", "family", "tenant")  # 本人 / 家庭成员 / 租客
RELATIONS = (
    "head", "spouse", "child", "parent", "grandparent", "grandchild", "sibling", "child_in_law",
    "other",
)  # fmt: skip
HUKOU_STATUSES = ("consistent", "away", "absent")  # 人户一致 / 人在户不在 / 户在人不在
RESIDENCE_STATUSES = ("registered", "resident", "floating", "moved_out", "deceased")
SOURCE_KINDS = ("import", "staff", "resident")
CODES: dict[str, tuple[str, ...]] = {
    "gender": GENDERS,
    "occupancy": OCCUPANCIES,
    "role": ROLES,
    "relation_to_head": RELATIONS,
    "hukou_status": HUKOU_STATUSES,
    "residence_status": RESIDENCE_STATUSES,
    "source": SOURCE_KINDS,
}
# A resident's fields as the change history names them.
FIELDS = (
    "name", "gender", "birth_date", "id_card", "mobile", "landline", "relation_to_head",
    "household_id", "hukou_status", "residence_status", "notes",
)  # fmt: skip
# What a resident's history names besides the fields: their set of tags (store/registry/edits.py)
# and their home when they report a move in WeChat (store/binding/self_reports.py).
HISTORY_FIELDS = (*FIELDS, "tags", "dwelling")
# Why a value was not taken (flows/identity.py and the registry service give these).
REASONS = (
    "missing", "too_long", "unknown_code", "date_format", "id_card_length", "id_card_format",
    "id_card_birth_date", "id_card_check_digit", "birth_date_mismatch", "gender_mismatch",
    "mobile_format", "landline_format", "landline_area_code", "household_unknown",
    "resident_unknown",
)  # fmt: skip
_KEY = re.compile(r"[a-z][a-z0-9_]*")
# What a row of an imported sheet comes to, and why (registry.yaml `import` words them).
IMPORT_OUTCOMES = ("new", "changed", "unchanged", "conflicting", "invalid")
IMPORT_REASONS = (
    "not_registered", "differs", "same", "edited_by_staff", "edited_by_resident",
    "several_matches", "no_id_card", "duplicate_in_file", "unknown_building", "room_missing",
    "flag_accepted",
)  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tag(_Strict):
    """One tag of the vocabulary: its words, and whether it carries a certificate."""

    name: str = Field(min_length=1)
    certificate: bool = False


class Cohort(_Strict):
    """A group of residents derived from the date of birth (and gender): never typed."""

    name: str = Field(min_length=1)
    gender: Literal["male", "female"] | None = None
    min_age: int = Field(ge=0, le=150)
    max_age: int | None = Field(default=None, ge=0, le=150)

    @model_validator(mode="after")
    def _range(self) -> Cohort:
        if self.max_age is not None and self.max_age < self.min_age:
            raise ValueError("max_age must not be below min_age")
        return self


class Codes(_Strict):
    """The words of every stored code, one mapping per kind of code."""

    gender: dict[str, str]
    occupancy: dict[str, str]
    role: dict[str, str]
    relation_to_head: dict[str, str]
    hukou_status: dict[str, str]
    residence_status: dict[str, str]
    source: dict[str, str]

    @field_validator("*")
    @classmethod
    def _every_code_worded(cls, words: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        kind = info.field_name or ""
        words_for_every(words, CODES[kind], f"{kind} code")
        return words


class ImportColumns(_Strict):
    """The sheet headings read as each field of an imported row (several per field)."""

    name: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()
    birth_date: tuple[str, ...] = ()
    id_card: tuple[str, ...] = ()
    mobile: tuple[str, ...] = ()
    landline: tuple[str, ...] = ()
    building: tuple[str, ...] = ()
    unit: tuple[str, ...] = ()
    room: tuple[str, ...] = ()
    relation_to_head: tuple[str, ...] = ()
    household_number: tuple[str, ...] = ()
    hukou_status: tuple[str, ...] = ()
    residence_status: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _once(self) -> ImportColumns:
        seen: dict[str, str] = {}
        for field, headings in self:
            for heading in headings:
                if not heading.strip():
                    raise ValueError(f"an empty heading for {field}")
                if heading in seen:
                    raise ValueError(f"heading {heading} is given for {seen[heading]} and {field}")
                seen[heading] = field
        if not self.name or not self.id_card:
            raise ValueError("name and id_card need at least one heading each")
        return self

    def field_of(self) -> dict[str, str]:
        """Each heading and the field it is read as."""
        return {heading: field for field, headings in self for heading in headings}


class ImportText(_Strict):
    """The import's column presets, and the words of its outcomes, reasons and report."""

    columns: ImportColumns
    outcomes: dict[str, str]
    reasons: dict[str, str]
    report: dict[str, str]

    @field_validator("outcomes")
    @classmethod
    def _every_outcome_worded(cls, outcomes: dict[str, str]) -> dict[str, str]:
        words_for_every(outcomes, IMPORT_OUTCOMES, "import outcome")
        return outcomes

    @field_validator("reasons")
    @classmethod
    def _every_import_reason_worded(cls, reasons: dict[str, str]) -> dict[str, str]:
        words_for_every(reasons, IMPORT_REASONS, "import reason")
        return reasons

    @field_validator("report")
    @classmethod
    def _every_heading_worded(cls, report: dict[str, str]) -> dict[str, str]:
        wanted = ("sheet", "line", "outcome", "reason", "name", "id_card", "template_sheet",
                  "template_choices")  # fmt: skip
        words_for_every(report, wanted, "report heading")
        return report


class RegistryContent(_Strict):
    """Everything of registry.yaml."""

    codes: Codes
    fields: dict[str, str]
    tags: dict[str, Tag] = Field(min_length=1)
    cohorts: dict[str, Cohort] = Field(min_length=1)
    reasons: dict[str, str]
    imports: ImportText = Field(alias="import")
    quality: Quality

    @field_validator("fields")
    @classmethod
    def _every_field_worded(cls, fields: dict[str, str]) -> dict[str, str]:
        words_for_every(fields, HISTORY_FIELDS, "field")
        return fields

    @field_validator("reasons")
    @classmethod
    def _every_reason_worded(cls, reasons: dict[str, str]) -> dict[str, str]:
        words_for_every(reasons, REASONS, "reason")
        return reasons

    @field_validator("tags", "cohorts")
    @classmethod
    def _keys(cls, keyed: dict[str, object]) -> dict[str, object]:
        bad = sorted(key for key in keyed if not _KEY.fullmatch(key))
        if bad:
            raise ValueError(f"key {bad[0]} must be lower-case letters, digits and _")
        return keyed

    def word(self, kind: str, code: str) -> str:
        """A stored code in the committee's words (the code itself if it is not worded)."""
        return getattr(self.codes, kind, {}).get(code, code)

    def reason(self, code: str) -> str:
        """Why a value was not taken, in words."""
        return self.reasons.get(code, code)
