"""PATCH /api/v1/residents/{id}: the body of a staff edit (only the fields given change)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.api.paging import NAME, TEXT
from config.registry_content import GENDERS, HUKOU_STATUSES, RELATIONS, RESIDENCE_STATUSES

Number = Annotated[str, Field(max_length=32, pattern=TEXT)]
TagCode = Annotated[str, Field(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


class ResidentPatch(BaseModel):
    """The fields to change; null clears one (the name cannot be cleared). Numbers as typed:
    ID number (15 or 18 digits), mobile, landline with its area code. `tags` replaces them all."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=200, pattern=NAME)] | None = None
    gender: Literal[GENDERS] | None = None  # type: ignore[valid-type]
    birth_date: date | None = None
    id_card: Number | None = None
    mobile: Number | None = None
    landline: Number | None = None
    relation_to_head: Literal[RELATIONS] | None = None  # type: ignore[valid-type]
    hukou_status: Literal[HUKOU_STATUSES] | None = None  # type: ignore[valid-type]
    residence_status: Literal[RESIDENCE_STATUSES] | None = None  # type: ignore[valid-type]
    notes: Annotated[str, Field(max_length=4000, pattern=TEXT)] | None = None
    tags: Annotated[list[TagCode], Field(max_length=50)] | None = None

    def changes(self) -> dict[str, Any]:
        """The resident fields the body gives (null included), without the tags."""
        return {field: getattr(self, field) for field in self.model_fields_set if field != "tags"}
