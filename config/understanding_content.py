"""understanding.yaml and faq.yaml: the front door's words, synonyms, small talk and answers."""

from __future__ import annotations

import string
import unicodedata
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NonEmpty = Field(min_length=1)
Key = Field(pattern=r"^[a-z][a-z0-9_]*$")
# An FAQ answer ends with this, so no resident takes it for the final word on a rule.
FAQ_CLOSING = "请以现行规定为准"
FAQ_LONGEST = 300


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _fold(word: str) -> str:
    return "".join(unicodedata.normalize("NFKC", word).split()).casefold()


def _words(values: tuple[str, ...], where: str) -> tuple[str, ...]:
    """Words as written, refusing an empty one or one written twice."""
    seen: set[str] = set()
    for value in values:
        folded = _fold(value)
        if not folded:
            raise ValueError(f"{where}: a word is empty")
        if folded in seen:
            raise ValueError(f"{where}: 「{value}」 is written twice")
        seen.add(folded)
    return values


def _unique_keys(keys: list[str], what: str) -> None:
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"{what} key {duplicates[0]} is used twice")


class SmallTalk(_Strict):
    """A friendly answer to 你好, 谢谢, 在吗… (the menu follows it)."""

    key: str = Key
    title: str = NonEmpty  # how it is named when offered by number or chosen in the console
    variants: tuple[str, ...] = NonEmpty
    answer: str = NonEmpty

    @field_validator("variants")
    @classmethod
    def _clean(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _words(value, "variants")


class Thresholds(_Strict):
    """How sure the matcher must be: scores run from 0 (nothing shared) to 1 (said exactly)."""

    confident: float = Field(ge=0, le=1)  # the best acts at once when it scores this …
    margin: float = Field(ge=0, le=1)  # … and leads the next intent by this much
    candidate: float = Field(ge=0, le=1)  # others this good are offered by number
    most_candidates: int = Field(ge=2, le=5)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.candidate > self.confident:
            raise ValueError("candidate must not be above confident")
        return self


class Choice(_Strict):
    """The numbered choice offered when two or three intents are close."""

    prompt: str = NonEmpty
    item: str = NonEmpty
    footer: str = NonEmpty
    hint: str = NonEmpty

    @model_validator(mode="after")
    def _known_placeholders(self) -> Choice:
        allowed = {"prompt": set(), "item": {"number", "title"}, "footer": set(), "hint": set()}
        for name, known in allowed.items():
            unknown = _placeholders(getattr(self, name)) - known
            if unknown:
                raise ValueError(f"{name}: unknown placeholder {{{sorted(unknown)[0]}}}")
        return self


class UnderstandingContent(_Strict):
    """understanding.yaml: how a resident's free text is read at the front door."""

    # Dropped before matching (请问, 一下, 呢…): they say nothing about what is wanted.
    filler_words: tuple[str, ...] = NonEmpty
    # The usual word: the ways residents also write it (miswritings, brands, dialect).
    synonyms: dict[str, tuple[str, ...]] = NonEmpty
    small_talk: tuple[SmallTalk, ...] = NonEmpty
    human_title: str = NonEmpty
    human: tuple[str, ...] = NonEmpty  # asking for a person in everyday words
    status: tuple[str, ...] = NonEmpty  # asking how one's report is going (我的报事)
    choice: Choice
    thresholds: Thresholds
    # A general meaning gives way to a specific one said with it: label → labels ("kind:*").
    yields: dict[str, tuple[str, ...]] = {}

    @field_validator("filler_words", "human", "status")
    @classmethod
    def _clean(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _words(value, "words")

    @field_validator("synonyms")
    @classmethod
    def _synonyms(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        owner: dict[str, str] = {}
        for usual, others in value.items():
            if not _fold(usual):
                raise ValueError("a synonym's usual word is empty")
            if not others:
                raise ValueError(f"{usual}: no other wording given")
            for other in _words(others, usual):
                folded = _fold(other)
                if folded == _fold(usual):
                    raise ValueError(f"{usual}: 「{other}」 is the word itself")
                if folded in owner:
                    raise ValueError(f"「{other}」 stands for both {owner[folded]} and {usual}")
                owner[folded] = usual
        return value

    @field_validator("small_talk")
    @classmethod
    def _small_talk_keys(cls, value: tuple[SmallTalk, ...]) -> tuple[SmallTalk, ...]:
        _unique_keys([s.key for s in value], "small talk")
        return value


class Question(_Strict):
    """A common question: the ways residents ask it, and its sourced answer."""

    key: str = Key
    title: str = NonEmpty
    variants: tuple[str, ...] = NonEmpty
    answer: str = NonEmpty
    source: str = NonEmpty  # the fact's source key and publisher (domain research)
    date: date

    @field_validator("variants")
    @classmethod
    def _clean(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _words(value, "variants")

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str) -> str:
        text = value.strip()
        if len(text) > FAQ_LONGEST:
            raise ValueError(f"the answer is {len(text)} characters; at most {FAQ_LONGEST}")
        if not text.rstrip("。.").endswith(FAQ_CLOSING):
            raise ValueError(f"the answer must end with 「{FAQ_CLOSING}」")
        return value


class FaqContent(_Strict):
    """faq.yaml: common questions answered from the same matcher as everything else."""

    after_answer: str = NonEmpty
    questions: tuple[Question, ...] = NonEmpty

    @field_validator("questions")
    @classmethod
    def _keys(cls, value: tuple[Question, ...]) -> tuple[Question, ...]:
        _unique_keys([q.key for q in value], "question")
        return value
