"""The service catalogue (services/*.yaml): one file per service a committee handles, with its
conditions, documents and sources. The flow's words and the checklist as the resident reads it
are in config/service_checklist.py.

A fact is stated only with a source; a blank fact the committee must fill in is listed under
`committee_fill` and read out as "not filled in yet".
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

NonEmpty = Field(min_length=1)
Key = Field(pattern=r"^[a-z][a-z0-9_]*$")
# The top-level facts of a service, in the order the checklist reads them out.
FACTS = ("purpose", "who", "where", "when", "online", "fees")
# What `committee_fill` may name besides the facts.
FILLABLE = (*FACTS, "documents", "conditions", "notes", "apply")


def placeholders(text: str) -> set[str]:
    """The {names} a sentence uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Strict(BaseModel):
    """Content models refuse unknown keys, so a typo is reported rather than ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """Where a fact comes from: publisher, title, document number, date and address."""

    key: str = Key
    publisher: str = NonEmpty
    title: str = ""  # 《…》 when the source has a title
    number: str = ""  # 文号, e.g. 穗民规字〔2021〕6号
    date: str = Field(default="", pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")  # "" when undated
    url: str = NonEmpty

    @field_validator("date", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value


class Fact(Strict):
    """A sentence the checklist states, and the key of its source; blank until filled in."""

    text: str = ""
    source: str = ""

    @property
    def stated(self) -> bool:
        """True when the fact says something."""
        return bool(self.text.strip())


class Choice(Strict):
    """One answer to a condition: its words, the documents it adds or removes, and a note."""

    key: str = Key
    title: str = NonEmpty
    words: tuple[str, ...] = ()
    # For a yes/no question (户籍在广州吗？): this option is its yes or its no, so the
    # committee's yes/no words answer it (是, 对, 不是, 没有 …) without listing them here.
    means: Literal["", "yes", "no"] = ""
    adds: tuple[str, ...] = ()
    removes: tuple[str, ...] = ()
    note: Fact = Fact()


class Condition(Strict):
    """A question the checklist asks (本人还是代办？) whose answer changes the documents."""

    key: str = Key
    question: str = NonEmpty
    options: tuple[Choice, ...] = Field(min_length=2)

    @field_validator("options")
    @classmethod
    def _unique(cls, options: tuple[Choice, ...]) -> tuple[Choice, ...]:
        _refuse_twice("option", [o.key for o in options])
        return options


Form = Literal["", "original", "copy", "original_and_copy"]


class Document(Strict):
    """One thing to bring: original or copy, how many, where to get it, and when it is needed.

    `when` lists condition options ("agent.proxy") under which it is needed; a document no
    option adds and with no `when` is always needed."""

    key: str = Key
    name: str = NonEmpty
    form: Form = ""  # "" while unconfirmed: the checklist then names only the document
    count: int | None = Field(default=None, ge=1)
    get_it: Fact = Fact()  # where to get it when it is missing
    note: Fact = Fact()
    when: tuple[str, ...] = ()
    source: str = NonEmpty


class ApplyField(Strict):
    """One thing the resident tells when applying in chat."""

    key: str = Key
    label: str = NonEmpty
    prompt: str = NonEmpty
    kind: Literal["text", "mobile", "date"] = "text"


class Apply(Strict):
    """A service the committee handles itself, applied for in chat (开具居住证明)."""

    # Shipped as an example: the committee confirms it handles this before relying on it.
    example: bool = False
    offer: str = NonEmpty
    fields: tuple[ApplyField, ...] = NonEmpty
    bring: str = ""  # what to bring when it is ready; blank: the service's documents

    @field_validator("fields")
    @classmethod
    def _unique(cls, fields: tuple[ApplyField, ...]) -> tuple[ApplyField, ...]:
        _refuse_twice("field", [f.key for f in fields])
        return fields


def _refuse_twice(what: str, keys: list[str]) -> None:
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"{what} key {twice[0]} is used twice")


def _known_source(fact: Fact, sources: set[str], where: str) -> None:
    if fact.stated and not fact.source:
        raise ValueError(f"{where} states a fact without a source")
    if fact.source and fact.source not in sources:
        raise ValueError(f"{where}: unknown source {fact.source}")


def _source_keys(info: ValidationInfo) -> set[str]:
    return {s.key for s in info.data.get("sources", ())}


class Service(Strict):
    """One catalogue service; `key` is its file's name, `version` what a resident received."""

    key: str = Key
    version: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}\.\d+$")
    sources: tuple[Source, ...] = NonEmpty
    name: str = NonEmpty
    synonyms: tuple[str, ...] = ()
    purpose: Fact = Fact()
    who: Fact = Fact()
    where: Fact = Fact()
    when: Fact = Fact()
    online: Fact = Fact()
    fees: Fact = Fact()
    documents: tuple[Document, ...] = ()
    # Said in place of (or before) the list, e.g. "no documents: it is paid without applying".
    documents_note: Fact = Fact()
    conditions: tuple[Condition, ...] = ()
    notes: tuple[Fact, ...] = ()
    committee_fill: tuple[str, ...] = ()
    apply: Apply | None = None

    @model_validator(mode="before")
    @classmethod
    def _key_is_the_file_name(cls, data: Any, info: ValidationInfo) -> Any:
        stem = (info.context or {}).get("key")
        if isinstance(data, dict) and stem:
            if data.get("key", stem) != stem:
                raise ValueError(f"key {data['key']} is not the file's name ({stem})")
            data = {**data, "key": stem}
        return data

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, sources: tuple[Source, ...]) -> tuple[Source, ...]:
        _refuse_twice("source", [s.key for s in sources])
        return sources

    @field_validator(*FACTS, "documents_note")
    @classmethod
    def _fact_sourced(cls, fact: Fact, info: ValidationInfo) -> Fact:
        _known_source(fact, _source_keys(info), info.field_name or "")
        return fact

    @field_validator("synonyms")
    @classmethod
    def _no_blank_synonym(cls, synonyms: tuple[str, ...]) -> tuple[str, ...]:
        if any(not s.strip() for s in synonyms):
            raise ValueError("a synonym is empty")
        return synonyms

    @field_validator("documents")
    @classmethod
    def _documents_sourced(
        cls, documents: tuple[Document, ...], info: ValidationInfo
    ) -> tuple[Document, ...]:
        _refuse_twice("document", [d.key for d in documents])
        sources = _source_keys(info)
        for d in documents:
            if d.source not in sources:
                raise ValueError(f"document {d.key}: unknown source {d.source}")
            _known_source(d.get_it, sources, f"document {d.key} get_it")
            _known_source(d.note, sources, f"document {d.key} note")
        return documents

    @field_validator("conditions")
    @classmethod
    def _conditions_known(
        cls, conditions: tuple[Condition, ...], info: ValidationInfo
    ) -> tuple[Condition, ...]:
        _refuse_twice("condition", [c.key for c in conditions])
        documents = {d.key for d in info.data.get("documents", ())}
        sources = _source_keys(info)
        for c in conditions:
            for o in c.options:
                for key in (*o.adds, *o.removes):
                    if key not in documents:
                        raise ValueError(f"condition {c.key}.{o.key}: unknown document {key}")
                _known_source(o.note, sources, f"condition {c.key}.{o.key} note")
        return conditions

    @field_validator("notes")
    @classmethod
    def _notes_sourced(cls, notes: tuple[Fact, ...], info: ValidationInfo) -> tuple[Fact, ...]:
        for number, note in enumerate(notes, 1):
            if not note.stated:
                raise ValueError(f"note {number} is empty")
            _known_source(note, _source_keys(info), f"note {number}")
        return notes

    @field_validator("committee_fill")
    @classmethod
    def _fillable(cls, fill: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        documents = {f"documents.{d.key}" for d in info.data.get("documents", ())}
        for entry in fill:
            if entry not in FILLABLE and entry not in documents:
                raise ValueError(f"committee_fill: unknown item {entry}")
        return fill

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Service:
        options = {f"{c.key}.{o.key}" for c in self.conditions for o in c.options}
        for d in self.documents:
            unknown = [w for w in d.when if w not in options]
            if unknown:
                raise ValueError(f"document {d.key}: when names unknown option {unknown[0]}")
        fill = set(self.committee_fill)
        for fact in ("who", "where"):  # a checklist must say these, or say they are not filled
            if not getattr(self, fact).stated and fact not in fill:
                raise ValueError(f"{fact} is blank: list it under committee_fill")
        if not self.documents and not self.documents_note.stated and "documents" not in fill:
            raise ValueError("no documents: list documents under committee_fill")
        check = (info.context or {}).get("check")
        if callable(check):  # the checklist's words are in another file: the loader passes them
            check(self)
        return self

    def every_answer(self) -> Iterator[dict[str, str]]:
        """Every combination of answers to the conditions."""
        keys = [c.key for c in self.conditions]
        for picked in itertools.product(*([o.key for o in c.options] for c in self.conditions)):
            yield dict(zip(keys, picked, strict=True))

    def source(self, key: str) -> Source | None:
        """A source by its key."""
        return next((s for s in self.sources if s.key == key), None)

    def option(self, condition: str, key: str) -> Choice | None:
        """A condition's option by keys."""
        found = next((c for c in self.conditions if c.key == condition), None)
        return next((o for o in found.options if o.key == key), None) if found else None
