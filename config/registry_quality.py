"""registry.yaml's `quality`: what the data-quality report checks, and how it words its lines."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.wording import words_for_every

# The kinds of finding the report gives, in the order it lists them.
# accepted_flag: a flagged value staff accepted as it was on import (store/registry/flags.py).
KINDS = ("shared_mobile", "placeholder", "missing", "too_old", "unconfirmed", "accepted_flag")
# What may be required: a resident's fields (not the free notes), and a current home.
REQUIRABLE = (
    "name", "gender", "birth_date", "id_card", "mobile", "landline", "relation_to_head",
    "household_id", "hukou_status", "residence_status", "dwelling",
)  # fmt: skip
# The report sheet's columns; its headings also name the sheet and the on-screen count.
COLUMNS = ("kind", "resident_id", "name", "numbers", "detail")
HEADINGS = (*COLUMNS, "sheet", "count")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class Quality(BaseModel):
    """The checks' settings (required fields, placeholder values, limits) and their words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required: tuple[str, ...] = Field(min_length=1)
    placeholder_mobiles: tuple[str, ...]
    placeholder_texts: tuple[str, ...]
    max_age: int = Field(ge=1, le=150)
    unconfirmed_days: int = Field(ge=1)
    # Residents who left or died are not chased for their details.
    ignore_residence_statuses: tuple[str, ...] = ()
    kinds: dict[str, str]
    details: dict[str, str]
    never_confirmed: str = Field(min_length=1)
    dwelling: str = Field(min_length=1)
    headings: dict[str, str]

    @field_validator("required")
    @classmethod
    def _requirable(cls, required: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(required) - set(REQUIRABLE))
        if unknown:
            raise ValueError(f"cannot require {unknown[0]} (one of {', '.join(REQUIRABLE)})")
        return required

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, kinds: dict[str, str]) -> dict[str, str]:
        words_for_every(kinds, KINDS, "kind")
        return kinds

    @field_validator("details")
    @classmethod
    def _details(cls, details: dict[str, str]) -> dict[str, str]:
        words_for_every(details, KINDS, "detail of kind")
        for kind, words in details.items():
            bad = sorted(set(_PLACEHOLDER.findall(words)) - {"value"})
            if bad:
                raise ValueError(f"detail of {kind}: unknown placeholder {{{bad[0]}}}")
        return details

    @field_validator("headings")
    @classmethod
    def _headings(cls, headings: dict[str, str]) -> dict[str, str]:
        words_for_every(headings, HEADINGS, "heading")
        return headings
