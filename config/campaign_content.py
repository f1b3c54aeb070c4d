"""campaigns.yaml: confirmation campaigns (核对信息) — the message a resident is sent with their
details masked, the reminder, the words that answer it, and when to remind."""

from __future__ import annotations

import string
import unicodedata
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonEmpty = Field(min_length=1)
ANSWERS = ("confirmed", "changed")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _fold(word: str) -> str:
    """A word as the flows compare it: NFKC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFKC", word).split()).casefold()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Worded(_Strict):
    """Sentences whose {placeholders} are checked at load time: only ALLOWED ones, and every
    NEEDED one (a message without {details} would ask about nothing)."""

    ALLOWED: ClassVar[dict[str, set[str]]] = {}
    NEEDED: ClassVar[dict[str, set[str]]] = {}

    @model_validator(mode="after")
    def _known_placeholders(self) -> _Worded:
        for name, value in self:
            if isinstance(value, str):
                found = _placeholders(value)
                unknown = found - self.ALLOWED.get(name, set())
                if unknown:
                    raise ValueError(f"{name}: unknown placeholder {{{sorted(unknown)[0]}}}")
                missing = self.NEEDED.get(name, set()) - found
                if missing:
                    raise ValueError(f"{name}: needs the placeholder {{{sorted(missing)[0]}}}")
        return self


class Letter(_Worded):
    """The message and the reminder: a greeting (to the resident, or to the family member who
    acts for them), the details, and how to answer."""

    ALLOWED = {
        "message": {"greeting", "details"},
        "reminder": {"greeting", "details"},
        "greeting_self": {"committee"},
        "greeting_proxy": {"committee", "name"},
        "reminder_self": {"committee"},
        "reminder_proxy": {"committee", "name"},
        "details": {"name", "id_card", "mobile", "address", "residence_status", "confirmed"},
        "confirmed": {"date"},
        "date": {"year", "month", "day"},
        "address": {"building", "unit", "room"},
        "address_no_unit": {"building", "room"},
    }
    NEEDED = {"message": {"details"}, "reminder": {"details"}}

    message: str = NonEmpty
    greeting_self: str = NonEmpty
    greeting_proxy: str = NonEmpty
    reminder: str = NonEmpty
    reminder_self: str = NonEmpty
    reminder_proxy: str = NonEmpty
    details: str = NonEmpty
    confirmed: str = NonEmpty
    never_confirmed: str = NonEmpty
    blank: str = NonEmpty
    date: str = NonEmpty
    address: str = NonEmpty
    address_no_unit: str = NonEmpty


class Answer(_Strict):
    """One answer to the message: its name, and the words (and digit) a resident says for it."""

    name: str = NonEmpty
    words: tuple[str, ...] = NonEmpty


class Replies(_Worded):
    """What Linli says back to an answer."""

    ALLOWED = {"confirmed": {"name"}, "changed": {"name"}}

    confirmed: str = NonEmpty
    changed: str = NonEmpty
    hint: str = NonEmpty


class CampaignContent(_Strict):
    """Everything of campaigns.yaml."""

    # Days after the message with no answer before the one reminder (staff may change it).
    remind_after_days: int = Field(default=3, ge=1, le=60)
    # Days a 1 or 2 still answers a campaign's message (after that it means what it always does).
    answer_within_days: int = Field(default=30, ge=1, le=365)
    letter: Letter
    answers: dict[str, Answer]
    replies: Replies

    @model_validator(mode="after")
    def _answers(self) -> CampaignContent:
        unknown = sorted(set(self.answers) - set(ANSWERS))
        if unknown:
            raise ValueError(f"answers: unknown answer {unknown[0]} (one of {', '.join(ANSWERS)})")
        missing = [code for code in ANSWERS if code not in self.answers]
        if missing:
            raise ValueError(f"answers: no words for {missing[0]}")
        seen: dict[str, str] = {}
        for code, answer in self.answers.items():
            for word in (answer.name, *answer.words):
                folded = _fold(word)
                if seen.get(folded, code) != code:
                    raise ValueError(f"answers: 「{word}」 answers both {seen[folded]} and {code}")
                seen[folded] = code
        return self

    def answer_of(self, said: str) -> str | None:
        """The answer a resident's words give ("confirmed" or "changed"), or None."""
        folded = _fold(said).rstrip("。.！!")
        for code, answer in self.answers.items():
            if folded in {_fold(word) for word in (answer.name, *answer.words)}:
                return code
        return None
