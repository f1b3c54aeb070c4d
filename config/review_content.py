"""Annual-review programmes (reviews/*.yaml, one file each) and the 年审 flow's words
(reviews/_reviews.yaml): who must do what each year, when, how, and when Linli reminds them.

A fact no public source confirms (a window, a document list, a link) is left blank and listed
under `committee_fill`: a programme whose window is blank is not planned, and the resident reads
the blank as "not filled in yet".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from config.service_content import Source, Strict, placeholders

NonEmpty = Field(min_length=1)
MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
# Reminder stages, in the order a cycle meets them; each names one idempotency key per record.
OPENS, CLOSING, OVERDUE, EVE = "opens", "closing", "overdue", "eve"
STAGES = (OPENS, CLOSING, OVERDUE)
WAYS = ("online", "in_person")
# What each sentence of _reviews.yaml may use; a reminder's {closes} is filled per record.
LETTER_PLACEHOLDERS = {"name", "closes", "how"}


def month_day(text: str) -> tuple[int, int] | None:
    """(month, day) of an "MM-DD" text, or None when blank."""
    if not text:
        return None
    month, day = text.split("-")
    return int(month), int(day)


class AgeRule(Strict):
    """One way to be old enough: a gender (or any) and an age range, in whole years."""

    gender: Literal["male", "female"] | None = None
    min_age: int | None = Field(default=None, ge=0, le=130)
    max_age: int | None = Field(default=None, ge=0, le=130)

    @model_validator(mode="after")
    def _range(self) -> AgeRule:
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ValueError("max_age is below min_age")
        return self


class Eligibility(Strict):
    """Who a programme concerns: any one age rule, every tag, one of the residence statuses."""

    ages: tuple[AgeRule, ...] = ()
    tags: tuple[str, ...] = ()  # registry.yaml tag keys, all required
    residence_status: tuple[str, ...] = ()  # registry.yaml codes; empty: any still living here


class Window(Strict):
    """When in a year the programme is done.

    fixed: every year from `opens` to `closes` ("MM-DD"; closes before opens runs into the next
    year); age is counted on `age_on` ("MM-DD", default the closing day).
    birthday: `days_before` the resident's birthday until `days_after` it; age on the birthday.
    tag_date: the same around each anniversary of a tag's certificate date (a permit's issue).
    A blank window (fixed dates "", or days_before None) is for the committee to fill in; a
    blank days_after means no closing day is known (no deadline, no closing or overdue reminder).
    """

    kind: Literal["fixed", "birthday", "tag_date"]
    opens: str = ""
    closes: str = ""
    age_on: str = ""
    tag: str = ""
    days_before: int | None = Field(default=None, ge=0, le=366)
    days_after: int | None = Field(default=None, ge=0, le=366)

    @field_validator("opens", "closes", "age_on")
    @classmethod
    def _month_day(cls, value: str) -> str:
        if value and not MONTH_DAY.match(value):
            raise ValueError("write a day of the year as MM-DD, e.g. 03-01")
        return value

    @model_validator(mode="after")
    def _kind_fits(self) -> Window:
        if self.kind == "fixed":
            if bool(self.opens) != bool(self.closes):
                raise ValueError("a fixed window needs both opens and closes (or neither)")
            if self.tag or self.days_before is not None or self.days_after is not None:
                raise ValueError("a fixed window takes opens, closes and age_on only")
        else:
            if self.opens or self.closes or self.age_on:
                raise ValueError(f"a {self.kind} window takes days_before and days_after")
            if (self.kind == "tag_date") != bool(self.tag):
                raise ValueError("tag is for a tag_date window (and it needs one)")
        return self

    @property
    def blank(self) -> bool:
        """True while the committee has not filled the window in: nothing is planned."""
        if self.kind == "fixed":
            return not self.opens
        return self.days_before is None

    @property
    def open_ended(self) -> bool:
        """True when no public source gives a closing day (days_after blank): no deadline."""
        return self.kind != "fixed" and self.days_after is None


class Reminders(Strict):
    """When Linli reminds: as the window opens, N days before it closes, N days after."""

    opens: bool = True
    before_close: tuple[int, ...] = Field(default=(), max_length=3)
    overdue_after: int | None = Field(default=None, ge=1, le=90)

    @field_validator("before_close")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(days < 1 or days > 90 for days in value) or len(set(value)) != len(value):
            raise ValueError("days before closing: different numbers from 1 to 90")
        return tuple(sorted(value, reverse=True))


class Online(Strict):
    """Doing it online: the steps as the resident reads them, and a link (blank: not filled)."""

    steps: tuple[str, ...] = ()
    link: str = ""
    source: str = ""


class Programme(Strict):
    """One yearly obligation (the file's name is its key)."""

    key: str = ""
    version: str = NonEmpty
    name: str = NonEmpty
    synonyms: tuple[str, ...] = ()
    purpose: str = ""
    # The service catalogue's entry whose documents and place the in-person visit uses.
    service: str = ""
    owner_role: Literal["committee_staff", "grid_worker", "committee_admin"] = "committee_staff"
    eligibility: Eligibility
    window: Window
    reminders: Reminders = Reminders()
    ways: tuple[Literal["online", "in_person"], ...] = Field(min_length=1)
    online: Online = Online()
    appointments: bool = True
    sources: tuple[Source, ...] = ()
    committee_fill: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _key_from_file(cls, value: object, info: ValidationInfo) -> object:
        key = (info.context or {}).get("key")
        if isinstance(value, dict) and key and "key" not in value:
            return {**value, "key": key}
        return value

    @field_validator("eligibility")
    @classmethod
    def _known_words(cls, value: Eligibility, info: ValidationInfo) -> Eligibility:
        known = info.context or {}
        tags, statuses = known.get("tags"), known.get("statuses")
        if tags is not None and (unknown := [t for t in value.tags if t not in tags]):
            raise ValueError(f"tags {unknown} are not in registry.yaml")
        if statuses is not None and (
            unknown := [s for s in value.residence_status if s not in statuses]
        ):
            raise ValueError(f"residence_status {unknown} is not in registry.yaml")
        return value

    @field_validator("window")
    @classmethod
    def _known_tag(cls, value: Window, info: ValidationInfo) -> Window:
        tags = (info.context or {}).get("tags")
        if value.tag and tags is not None and value.tag not in tags:
            raise ValueError(f"tag {value.tag} is not in registry.yaml")
        return value

    @field_validator("service")
    @classmethod
    def _known_service(cls, value: str, info: ValidationInfo) -> str:
        services = (info.context or {}).get("services")
        if value and services is not None and value not in services:
            raise ValueError(f"service {value} has no file in services/")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Programme:
        if "online" in self.ways and not self.online.steps and "online" not in self.committee_fill:
            raise ValueError("online steps are blank: list 'online' under committee_fill")
        if self.window.blank and "window" not in self.committee_fill:
            raise ValueError("the window is blank: list 'window' under committee_fill")
        if self.window.open_ended and (self.reminders.before_close or self.reminders.overdue_after):
            raise ValueError("a window with no closing day has no closing or overdue reminders")
        if self.appointments and "in_person" not in self.ways:
            raise ValueError("appointments are for a programme done in person")
        known = {s.key for s in self.sources}
        if self.online.source and self.online.source not in known:
            raise ValueError(f"online.source {self.online.source} is not under sources")
        return self

    @property
    def ready(self) -> bool:
        """True when the planner may plan it: the committee has filled in its window."""
        return not self.window.blank


class Hours(Strict):
    """Office hours when visits are booked: weekdays (1 Monday … 7 Sunday) and a time range."""

    weekdays: tuple[int, ...] = Field(min_length=1)
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if any(d < 1 or d > 7 for d in self.weekdays):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        if self.end <= self.start:
            raise ValueError("end is not after start")
        return self


class Appointments(Strict):
    """How visits are booked: slots cut from the office hours, each with a capacity."""

    hours: tuple[Hours, ...] = ()  # blank: the committee has not opened booking yet
    slot_minutes: int = Field(default=30, ge=10, le=240)
    capacity: int = Field(default=4, ge=1, le=100)
    days_ahead: int = Field(default=14, ge=1, le=60)
    closed_days: tuple[date, ...] = ()  # public holidays and other closed days
    open_days: tuple[date, ...] = ()  # weekend days worked instead (调休)
    days_offered: int = Field(default=5, ge=1, le=9)  # days listed at once
    # The day before a visit, Linli reminds with the checklist, at or after this local hour.
    eve_hour: int = Field(default=16, ge=8, le=21)

    @property
    def open(self) -> bool:
        """True when residents can book."""
        return bool(self.hours)


class Letters(Strict):
    """The reminders' words: one per stage, and the day-before-visit reminder."""

    opens: str = NonEmpty
    opens_open: str = NonEmpty  # a window with no closing day
    closing: str = NonEmpty
    overdue: str = NonEmpty
    eve: str = NonEmpty  # {name} {when} {documents}
    how_online: str = NonEmpty
    how_in_person: str = NonEmpty
    how_both: str = NonEmpty

    @field_validator("opens", "opens_open", "closing", "overdue")
    @classmethod
    def _known(cls, value: str) -> str:
        unknown = placeholders(value) - LETTER_PLACEHOLDERS
        if unknown:
            raise ValueError(f"unknown placeholders {sorted(unknown)}")
        return value

    @field_validator("eve")
    @classmethod
    def _known_eve(cls, value: str) -> str:
        unknown = placeholders(value) - {"name", "when", "documents"}
        if unknown:
            raise ValueError(f"unknown placeholders {sorted(unknown)}")
        return value


class OptOut(Strict):
    """Stopping and resuming reminders in chat."""

    stop_words: tuple[str, ...] = Field(min_length=1)
    resume_words: tuple[str, ...] = Field(min_length=1)
    which: str = NonEmpty  # which programme's reminders to stop: numbered list, then 全部
    all_title: str = NonEmpty
    stopped: str = NonEmpty  # {name}
    stopped_all: str = NonEmpty
    resumed: str = NonEmpty
    nothing_to_resume: str = NonEmpty


class Labels(Strict):
    """How days and times read: "12月3日（周四）", "上午9:00"."""

    weekdays: tuple[str, ...] = Field(min_length=7, max_length=7)
    day: str = NonEmpty  # {month} {day} {weekday}
    morning: str = NonEmpty
    afternoon: str = NonEmpty
    time: str = NonEmpty  # {part} {hour} {minute}
    date: str = NonEmpty  # {year} {month} {day}: a deadline

    def of_day(self, day: date) -> str:
        """A day as residents read it."""
        return self.day.format(month=day.month, day=day.day, weekday=self.weekdays[day.weekday()])

    def of_time(self, at: datetime) -> str:
        """A local time as residents read it (12-hour, morning or afternoon)."""
        part = self.morning if at.hour < 12 else self.afternoon
        hour = at.hour if at.hour <= 12 else at.hour - 12
        return self.time.format(part=part, hour=hour, minute=f"{at.minute:02d}")

    def of_visit(self, at: datetime) -> str:
        """A visit's local start: its day and time."""
        return self.of_day(at.date()) + self.of_time(at)

    def of_date(self, day: date) -> str:
        """A deadline."""
        return self.date.format(year=day.year, month=day.month, day=day.day)


class ReviewText(Strict):
    """The 年审 flow's words, the reminders, booking and opting out (reviews/_reviews.yaml)."""

    title: str = NonEmpty
    keywords: tuple[str, ...] = ()
    order: tuple[str, ...] = Field(min_length=1)
    states: dict[str, str]
    stages: dict[str, str]
    letters: Letters
    opt_out: OptOut
    appointments: Appointments
    labels: Labels
    # A visit's outcome as the record's history shows it (the note the change was kept with).
    visit_notes: dict[str, str]
    texts: dict[str, str]

    @field_validator("states")
    @classmethod
    def _every_state(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [s for s in STATES if s not in value]
        if missing:
            raise ValueError(f"name every state: {missing} missing")
        return value

    @field_validator("visit_notes")
    @classmethod
    def _every_outcome(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [k for k in ("cancelled", "attended", "no_show") if not value.get(k)]
        if missing:
            raise ValueError(f"name every visit outcome: {missing} missing")
        return value

    @field_validator("texts")
    @classmethod
    def _every_text(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [k for k in TEXT_KEYS if not value.get(k)]
        if missing:
            raise ValueError(f"these sentences are needed: {missing}")
        for key, sentence in value.items():
            unknown = placeholders(sentence) - TEXT_PLACEHOLDERS.get(key, set())
            if unknown:
                raise ValueError(f"{key}: unknown placeholders {sorted(unknown)}")
        return value


# A record's states (store/reviews/models.py holds the same tuple).
STATES = (
    "due", "reminded", "booked", "self_reported", "completed", "exempt", "moved_away", "overdue",
)  # fmt: skip
# The 年审 flow's sentences (reviews/_reviews.yaml `texts`): the flows (flows/reviews.py,
# review_visits.py) say them, and bot/webhook/reviews.py fills replies with them.
TEXT_KEYS: tuple[str, ...] = (
    "not_bound", "nothing_due", "pick", "pick_item", "pick_hint", "heading", "deadline",
    "no_deadline", "state_open", "state_overdue", "state_booked", "state_self_reported",
    "self_reported_end", "ways", "way_online", "way_online_words", "way_book", "way_book_words",
    "way_in_person", "way_move", "way_move_words", "way_cancel", "way_cancel_words",
    "way_documents", "way_documents_words", "way_hint", "where_committee", "where_service",
    "where_unknown", "check_later", "online_heading", "online_step", "online_link",
    "online_not_filled", "online_ask", "online_done", "online_later", "online_later_reply",
    "done_words", "documents_start", "documents_not_filled", "no_documents", "check_book", "guide",
    "guide_unbound", "guide_yes", "guide_no", "guide_declined", "days", "day_item", "day_hint",
    "day_not_offered", "day_full", "all_full", "times", "time_item", "time_hint", "confirm",
    "confirm_move", "confirm_yes", "confirm_other", "other_words", "confirm_no", "not_booked",
    "booked", "moved", "booking_full", "booking_gone", "cancel_ask", "cancel_yes", "cancel_no",
    "cancel_kept", "visit_cancelled", "cancel_nothing", "done_ask", "done_yes", "done_no",
    "done_not_yet", "done_nothing", "self_reported", "already_reported", "record_gone",
    "all_words",
)  # fmt: skip


@dataclass(frozen=True)
class ReviewCatalogue:
    """Every programme, in _reviews.yaml's order, with the flow's words."""

    words: ReviewText
    programmes: tuple[Programme, ...]
    by_key: Mapping[str, Programme] = field(default_factory=dict)

    @classmethod
    def of(cls, words: ReviewText, programmes: tuple[Programme, ...]) -> ReviewCatalogue:
        """The catalogue in the configured order."""
        known = {p.key: p for p in programmes}
        ordered = tuple(known[k] for k in words.order if k in known)
        return cls(words, ordered, {p.key: p for p in ordered})


# The {names} each sentence of `texts` may use (the flow fills exactly these); others use none.
TEXT_PLACEHOLDERS: dict[str, set[str]] = {
    "nothing_due": {"names"}, "pick_item": {"name", "programme"},
    "heading": {"name", "programme"}, "deadline": {"date"}, "state_booked": {"when"},
    "where_service": {"where"}, "online_step": {"number", "text"}, "online_link": {"link"},
    "guide": {"programme"}, "guide_unbound": {"programme"}, "day_item": {"label", "left"},
    "day_not_offered": {"day"}, "day_full": {"day"}, "times": {"day"},
    "time_item": {"label", "left"}, "confirm": {"name", "programme", "when"},
    "confirm_move": {"old", "when"}, "booked": {"name", "programme", "when"},
    "moved": {"programme", "when"}, "cancel_ask": {"when"}, "cancel_kept": {"when"},
    "visit_cancelled": {"programme"}, "done_ask": {"name", "programme"},
    "self_reported": {"name", "programme"}, "already_reported": {"name", "programme"},
}  # fmt: skip
