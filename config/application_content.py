"""applications.yaml: applications made in chat (办事申请) — the statuses and fields in the
committee's words, and what the resident is told when staff move one along."""

from __future__ import annotations

import string
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NonEmpty = Field(min_length=1)
# The statuses the store keeps (store/services/models.py); applications.yaml words each.
STATUSES = ("submitted", "accepted", "ready", "collected", "rejected")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pushes(_Strict):
    """What the resident hears when staff accept, ready or reject an application."""

    ALLOWED: ClassVar[dict[str, set[str]]] = {
        "accepted": {"reference", "service", "note"},
        "ready": {"reference", "service", "bring", "note"},
        "rejected": {"reference", "service", "reason"},
    }

    accepted: str = NonEmpty
    ready: str = NonEmpty
    rejected: str = NonEmpty
    # What to bring when the service's own file says nothing of it.
    bring_default: str = NonEmpty

    @model_validator(mode="after")
    def _known_placeholders(self) -> Pushes:
        for name, allowed in self.ALLOWED.items():
            unknown = _placeholders(getattr(self, name)) - allowed
            if unknown:
                raise ValueError(f"{name}: unknown placeholder {{{sorted(unknown)[0]}}}")
        return self


class ApplicationContent(_Strict):
    """applications.yaml."""

    statuses: dict[str, str] = NonEmpty
    fields: dict[str, str] = NonEmpty  # a submitted field's key → its label
    other_field: str = NonEmpty
    unknown_service: str = NonEmpty
    pushes: Pushes

    @field_validator("statuses")
    @classmethod
    def _every_status(cls, statuses: dict[str, str]) -> dict[str, str]:
        missing = [code for code in STATUSES if not (statuses.get(code) or "").strip()]
        if missing:
            raise ValueError(f"no words for status {missing[0]}")
        return statuses

    def status(self, code: str) -> str:
        """A status in the committee's words."""
        return self.statuses.get(code, code)

    def field(self, key: str) -> str:
        """A submitted field's label (an unknown one reads as 其他)."""
        return self.fields.get(key, self.other_field)
