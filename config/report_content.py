"""reports.yaml: report categories, routing, the report loop's numbers and its sentences."""

from __future__ import annotations

import string
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NonEmpty = Field(min_length=1)
Key = Field(pattern=r"^[a-z][a-z0-9_]*$")
STATUSES = ("submitted", "accepted", "in_progress", "resolved", "closed", "rejected", "referred")
# The category a report of a retired or unknown category reads as; reports.yaml must have it.
OTHER = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Worded(_Strict):
    """Sentences whose {placeholders} are checked against ALLOWED at load time."""

    ALLOWED: ClassVar[dict[str, set[str]]] = {}

    @model_validator(mode="after")
    def _known_placeholders(self) -> _Worded:
        for name, allowed in self.ALLOWED.items():
            value = getattr(self, name)
            unknown = _placeholders(value) - allowed
            if unknown:
                raise ValueError(f"{name}: unknown placeholder {{{sorted(unknown)[0]}}}")
        return self


class Policy(_Strict):
    """The numbers of the report loop."""

    reference_prefix: str = Field(default="BS", pattern=r"^[A-Z]{1,6}$")
    duplicate_meters: float = Field(default=150, ge=0)
    duplicate_hours: float = Field(default=72, ge=0)
    accept_minutes: int = Field(default=60, ge=1)
    escalate_minutes: int = Field(default=180, ge=1)
    follow_up_days: float = Field(default=3, ge=0)
    follow_up_close_days: float = Field(default=4, gt=0)
    follow_up_late_days: float = Field(default=30, gt=0)
    nearest_place_meters: float = Field(default=200, ge=0)
    max_photos: int = Field(default=3, ge=0, le=9)

    @model_validator(mode="after")
    def _escalate_after_reminder(self) -> Policy:
        if self.escalate_minutes <= self.accept_minutes:
            raise ValueError("escalate_minutes must be longer than accept_minutes")
        return self


class Question(_Strict):
    """A question a category asks beyond the basics."""

    key: str = Key
    ask: str = NonEmpty
    kind: Literal["text", "yes_no"] = "text"


class Override(_Strict):
    """A different handler for one grid area or one place."""

    grid: str | None = None
    place: str | None = None
    person: str = NonEmpty

    @model_validator(mode="after")
    def _one_target(self) -> Override:
        if (self.grid is None) == (self.place is None):
            raise ValueError("an override names either a grid or a place")
        return self


class Route(_Strict):
    """Who handles a new report: a role, or a named member of staff."""

    role: Literal["grid_worker", "committee_staff"] | None = None
    person: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Route:
        if (self.role is None) == (self.person is None):
            raise ValueError("route names either a role or a person")
        return self


class Category(_Strict):
    """One kind of problem residents report."""

    key: str = Key
    name: str = NonEmpty
    keywords: tuple[str, ...] = ()
    # Everyday sentences that mean this category (the front door matches them loosely).
    phrases: tuple[str, ...] = ()
    examples: str = ""
    urgent: bool = False
    # Said to the resident as soon as an urgent category is known, and again on submitting.
    advice: str = ""
    questions: tuple[Question, ...] = ()
    route: Route = Route(role="committee_staff")
    overrides: tuple[Override, ...] = ()

    @model_validator(mode="after")
    def _urgent_has_advice(self) -> Category:
        if self.urgent and not self.advice.strip():
            raise ValueError(f"urgent category {self.key} needs its safety advice (advice)")
        return self


class FlowText(_Worded):
    """The 我要报事 conversation."""

    ALLOWED = {
        "category_item": {"number", "name"},
        "confirm_category": {"name"},
        "place_unknown": {"place"},
        "duplicate_prompt": {"place", "reference", "description", "status"},
        "duplicate_own_prompt": {"place", "reference", "description", "status"},
        "repeated": {"reference"},
        "photos_prompt": {"max"},
        "photo_received": {"count", "left"},
        "summary": {"category", "place", "description", "answers", "photos"},
        "summary_answer": {"question", "answer"},
        "submitted": {"reference"},
        "followed": {"reference"},
    }

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    category_prompt: str = NonEmpty
    category_item: str = NonEmpty
    category_hint: str = NonEmpty
    confirm_category: str = NonEmpty
    confirm_yes: str = NonEmpty
    confirm_no: str = NonEmpty
    pick_category: str = NonEmpty
    description_prompt: str = NonEmpty
    place_prompt: str = NonEmpty
    place_hint: str = NonEmpty
    place_unknown: str = NonEmpty
    place_keep: str = NonEmpty
    place_retry: str = NonEmpty
    duplicate_prompt: str = NonEmpty
    duplicate_own_prompt: str = NonEmpty
    duplicate_yes: str = NonEmpty
    duplicate_no: str = NonEmpty
    photos_prompt: str = NonEmpty
    photo_received: str = NonEmpty
    photos_done_words: tuple[str, ...] = NonEmpty
    summary: str = NonEmpty
    summary_answer: str = NonEmpty
    submit: str = NonEmpty
    discard: str = NonEmpty
    submitted: str = NonEmpty
    discarded: str = NonEmpty
    followed: str = NonEmpty
    repeated: str = NonEmpty
    yes_word: str = NonEmpty
    no_word: str = NonEmpty


class MineText(_Worded):
    """我的报事: the resident's own and followed reports."""

    ALLOWED = {
        "header": {"count"},
        "item": {"reference", "category", "status"},
        "followed_item": {"reference", "category", "status"},
        "latest_note": {"note"},
    }

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    none: str = NonEmpty
    header: str = NonEmpty
    item: str = NonEmpty
    followed_item: str = NonEmpty
    latest_note: str = NonEmpty


class FollowUpText(_Worded):
    """回访: asking the reporter whether the problem is really fixed."""

    ALLOWED = {
        "question": {"reference", "category"},
        "thanks": {"reference"},
        "reopened": {"reference"},
        "answered_rated": {"answer", "rating"},
    }

    question: str = NonEmpty
    solved: str = NonEmpty
    not_solved: str = NonEmpty
    solved_words: tuple[str, ...] = ()
    not_solved_words: tuple[str, ...] = ()
    late_hint: str = NonEmpty
    rating_prompt: str = NonEmpty
    rating_hint: str = NonEmpty
    thanks: str = NonEmpty
    reopened: str = NonEmpty
    # The answer as the report's timeline keeps it, with the rating given.
    answered_rated: str = NonEmpty


_PUSH = {"reference", "category", "note"}


class Pushes(_Worded):
    """What reporters and followers are told when their report changes."""

    ALLOWED = {
        "accepted": _PUSH,
        "in_progress": _PUSH,
        "resolved": _PUSH,
        "closed": _PUSH,
        "rejected": _PUSH,
        "referred": _PUSH | {"to"},
        "reopened": _PUSH,
        "note": _PUSH,
    }

    accepted: str = NonEmpty
    in_progress: str = NonEmpty
    resolved: str = NonEmpty
    closed: str = NonEmpty
    rejected: str = NonEmpty
    referred: str = NonEmpty
    reopened: str = NonEmpty
    note: str = NonEmpty


_STAFF = {"reference", "category", "place", "description", "handler"}


class StaffNotices(_Worded):
    """What staff read in the WeCom group about reports."""

    ALLOWED = {
        "new_report": _STAFF,
        "urgent_report": _STAFF,
        "reminder": _STAFF | {"minutes"},
        "escalated": _STAFF | {"minutes"},
        "reopened": _STAFF,
        "reopened_by_staff": _STAFF,
    }

    new_report: str = NonEmpty
    urgent_report: str = NonEmpty
    reminder: str = NonEmpty
    escalated: str = NonEmpty
    reopened: str = NonEmpty
    reopened_by_staff: str = NonEmpty
    unassigned: str = NonEmpty
    no_place: str = NonEmpty
    # Who a resident's step is by, on the report's timeline (console and API).
    resident: str = NonEmpty


class Open311Text(_Worded):
    """What Open311 (GeoReport v2) clients show: service groups, hints and the receipt."""

    ALLOWED = {"received": {"reference"}, "referred": {"status", "to"}}

    group: str = NonEmpty
    urgent_group: str = NonEmpty
    yes_no_hint: str = NonEmpty
    received: str = NonEmpty
    referred: str = NonEmpty


class ReportContent(_Strict):
    """Everything of reports.yaml."""

    policy: Policy = Policy()
    categories: tuple[Category, ...] = NonEmpty
    statuses: dict[str, str]
    flow: FlowText
    mine: MineText
    follow_up: FollowUpText
    pushes: Pushes
    staff: StaffNotices
    open311: Open311Text

    @field_validator("categories")
    @classmethod
    def _unique_keys(cls, categories: tuple[Category, ...]) -> tuple[Category, ...]:
        keys = [c.key for c in categories]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"category key {duplicates[0]} is used twice")
        if OTHER not in keys:
            raise ValueError(
                f"no category with key {OTHER}: reports of a retired category are shown as it"
            )
        return categories

    @field_validator("statuses")
    @classmethod
    def _every_status(cls, statuses: dict[str, str]) -> dict[str, str]:
        missing = [s for s in STATUSES if not statuses.get(s, "").strip()]
        if missing:
            raise ValueError(f"missing status {missing[0]}")
        unknown = sorted(set(statuses) - set(STATUSES))
        if unknown:
            raise ValueError(f"unknown status {unknown[0]}")
        return statuses

    def category(self, key: str) -> Category:
        """The category with this key (KeyError for an unknown one)."""
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(key)

    def status(self, key: str) -> str:
        """A status in the committee's words."""
        return self.statuses.get(key, key)
