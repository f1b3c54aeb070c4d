"""binding.yaml: binding in WeChat (self and family proxy), 我的信息, registering as a new
resident and 更新信息 — their sentences, everyday words and policy."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.wording import words_for_every

NonEmpty = Field(min_length=1)
# The codes the store keeps (store/binding/models.py); binding.yaml must word each of them.
RELATIONS = ("child", "spouse", "parent", "grandchild", "other")
FIELDS = ("mobile", "dwelling", "residence_status")
KINDS = ("self", "proxy")
# The residence statuses a resident may report in WeChat (registry codes); deceased: proxy only.
REPORTED_STATUSES = ("moved_out", "deceased")
CHOICES = ("self", "proxy", "unbind")
# Failed bind tries one name may get in a day, from every WeChat user together (store default).
NAME_ATTEMPTS_PER_DAY = 10
Field_ = Literal["mobile", "dwelling", "residence_status"]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _fold(word: str) -> str:
    """A word as the flows compare it: NFKC, spaces collapsed, case folded."""
    return " ".join(unicodedata.normalize("NFKC", word).split()).casefold()


def _each_word_once(lists: Iterable[tuple[str, tuple[str, ...]]], what: str) -> None:
    """Refuse a word that picks two different codes of one question."""
    seen: dict[str, str] = {}
    for code, words in lists:
        for word in words:
            folded = _fold(word)
            if not folded:
                raise ValueError(f"an empty word for {what} {code}")
            if seen.get(folded, code) != code:
                raise ValueError(f"「{word}」 is a word of both {what} {seen[folded]} and {code}")
            seen[folded] = code


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Worded(_Strict):
    """Sentences whose {placeholders} are checked against ALLOWED at load time (none: none)."""

    ALLOWED: ClassVar[dict[str, set[str]]] = {}

    @model_validator(mode="after")
    def _known_placeholders(self) -> _Worded:
        for name, value in self:
            if isinstance(value, str):
                unknown = _placeholders(value) - self.ALLOWED.get(name, set())
                if unknown:
                    raise ValueError(f"{name}: unknown placeholder {{{sorted(unknown)[0]}}}")
        return self


class Worded(_Strict):
    """A code in words (子女, 已搬走), and the everyday words that also pick it."""

    name: str = NonEmpty
    words: tuple[str, ...] = ()


class Relation(Worded):
    """A proxy's relation to the family member: `words` answer "您是TA的什么人", `called` are
    how one names the family member ("帮我妈绑定": 我妈 → the proxy is a child)."""

    called: tuple[str, ...] = ()


class MyInfoText(_Worded):
    """我的信息: each bound person's details masked, pending requests without any detail."""

    ALLOWED = {
        "person": {"name", "who", "gender", "birth_year", "id_card", "mobile", "address",
                   "residence_status", "confirmed"},
        "proxy_label": {"relation"},
        "confirmed": {"date"},
        "year": {"year"},
        "date": {"year", "month", "day"},
        "pending": {"date", "relation"},
    }  # fmt: skip

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    not_bound: str = NonEmpty
    header: str = NonEmpty
    person: str = NonEmpty
    self_label: str = NonEmpty
    proxy_label: str = NonEmpty
    confirmed: str = NonEmpty
    never_confirmed: str = NonEmpty
    blank: str = NonEmpty
    year: str = NonEmpty
    date: str = NonEmpty
    pending: str = NonEmpty
    footer: str = NonEmpty


class BindText(_Worded):
    """绑定身份: self (name, proof), family proxy (relation, name, proof) and unbinding."""

    ALLOWED = {
        "bound": {"name"},
        "already_bound": {"name"},
        "item_self": {"name"},
        "item_proxy": {"name", "relation"},
        "item_pending": {"date", "relation"},
        "unbind_confirm": {"who"},
    }

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    # Words that start 绑定 and also answer its first question ("帮我妈绑定", "解绑").
    shortcuts: tuple[str, ...] = ()
    who_prompt: str = NonEmpty
    choices: dict[str, Worded]
    name_prompt: str = NonEmpty
    name_hint: str = NonEmpty
    proof_prompt: str = NonEmpty
    proof_hint: str = NonEmpty
    relation_prompt: str = NonEmpty
    family_name_prompt: str = NonEmpty
    family_proof_prompt: str = NonEmpty
    bound: str = NonEmpty
    already_bound: str = NonEmpty
    failed: str = NonEmpty
    limited: str = NonEmpty
    requested: str = NonEmpty
    unbind_prompt: str = NonEmpty
    item_self: str = NonEmpty
    item_proxy: str = NonEmpty
    item_pending: str = NonEmpty
    pick_hint: str = NonEmpty
    unbind_confirm: str = NonEmpty
    unbind_yes: str = NonEmpty
    unbind_no: str = NonEmpty
    unbound: str = NonEmpty
    unbind_gone: str = NonEmpty
    kept: str = NonEmpty
    nothing_to_unbind: str = NonEmpty

    @field_validator("choices")
    @classmethod
    def _every_choice(cls, choices: dict[str, Worded]) -> dict[str, Worded]:
        words_for_every({k: v.name for k, v in choices.items()}, CHOICES, "choice")
        _each_word_once(((k, (v.name, *v.words)) for k, v in choices.items()), "choice")
        return choices


class RegisterText(_Worded):
    """登记为新居民: address, name, mobile, confirm."""

    ALLOWED = {"confirm_prompt": {"name", "mobile", "address"}}

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    address_prompt: str = NonEmpty
    name_prompt: str = NonEmpty
    mobile_prompt: str = NonEmpty
    confirm_prompt: str = NonEmpty
    submit: str = NonEmpty
    discard: str = NonEmpty
    submitted: str = NonEmpty
    discarded: str = NonEmpty


class UpdateText(_Worded):
    """更新信息: whom, what, the new value, confirm."""

    ALLOWED = {
        "person_self": {"name"},
        "person_proxy": {"name", "relation"},
        "confirm_prompt": {"name", "field", "value"},
        "dwelling_shown": {"building", "unit", "room"},
        "unit_shown": {"unit"},
    }

    title: str = NonEmpty
    keywords: tuple[str, ...] = NonEmpty
    not_bound: str = NonEmpty
    who_prompt: str = NonEmpty
    person_self: str = NonEmpty
    person_proxy: str = NonEmpty
    pick_hint: str = NonEmpty
    what_prompt: str = NonEmpty
    field_words: dict[str, tuple[str, ...]]
    mobile_prompt: str = NonEmpty
    dwelling_prompt: str = NonEmpty
    dwelling_hint: str = NonEmpty
    dwelling_shown: str = NonEmpty
    unit_shown: str = NonEmpty
    status_prompt: str = NonEmpty
    confirm_prompt: str = NonEmpty
    submit: str = NonEmpty
    discard: str = NonEmpty
    pending: str = NonEmpty
    applied: str = NonEmpty
    discarded: str = NonEmpty
    gone: str = NonEmpty
    refused: str = NonEmpty

    @field_validator("field_words")
    @classmethod
    def _every_field(cls, given: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = sorted(set(given) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]} (one of {', '.join(FIELDS)})")
        _each_word_once(given.items(), "field")
        return given


class Notices(_Worded):
    """What a requester hears when staff decide (bot/binding/notices.py queues them)."""

    ALLOWED = {
        "proxy_approved": {"name", "relation"},
        "proxy_rejected": {"reason"},
        "registration_accepted": {"name"},
        "registration_rejected": {"reason"},
        "self_report_approved": {"field", "value"},
        "self_report_rejected": {"field", "reason"},
    }

    proxy_approved: str = NonEmpty
    proxy_rejected: str = NonEmpty
    registration_accepted: str = NonEmpty
    registration_rejected: str = NonEmpty
    self_report_approved: str = NonEmpty
    self_report_rejected: str = NonEmpty


class BindingContent(_Strict):
    """Everything of binding.yaml."""

    # Bind tries (self and proxy together) one WeChat user may make in a day.
    attempts_per_day: int = Field(default=5, ge=1, le=100)
    # Failed tries at one name in a day, whoever made them: the end of an ID number is the day
    # of birth plus four characters every mask shows, so about 31 guesses would find it.
    name_attempts_per_day: int = Field(default=NAME_ATTEMPTS_PER_DAY, ge=1, le=100)
    # The fields whose change staff check before it reaches the registry.
    needs_approval: tuple[Field_, ...] = FIELDS
    # Failed tries in a day that make a WeChat user show up for staff.
    failures_alert: int = Field(default=3, ge=1, le=100)
    kinds: dict[str, str]
    self_words: tuple[str, ...] = Field(min_length=1)  # 本人, 我自己: picking oneself
    relations: dict[str, Relation]
    fields: dict[str, str]
    statuses: dict[str, Worded]
    my_info: MyInfoText
    bind: BindText
    registration: RegisterText
    update: UpdateText
    notices: Notices

    @field_validator("kinds")
    @classmethod
    def _every_kind(cls, kinds: dict[str, str]) -> dict[str, str]:
        words_for_every(kinds, KINDS, "kind")
        return kinds

    @field_validator("relations")
    @classmethod
    def _every_relation(cls, relations: dict[str, Relation]) -> dict[str, Relation]:
        words_for_every({k: v.name for k, v in relations.items()}, RELATIONS, "relation")
        _each_word_once(((k, (v.name, *v.words)) for k, v in relations.items()), "relation")
        _each_word_once(((k, v.called) for k, v in relations.items()), "relation (called)")
        return relations

    @field_validator("fields")
    @classmethod
    def _every_field(cls, fields: dict[str, str]) -> dict[str, str]:
        words_for_every(fields, FIELDS, "field")
        return fields

    @field_validator("statuses")
    @classmethod
    def _every_status(cls, statuses: dict[str, Worded]) -> dict[str, Worded]:
        words_for_every({k: v.name for k, v in statuses.items()}, REPORTED_STATUSES, "status")
        _each_word_once(((k, (v.name, *v.words)) for k, v in statuses.items()), "status")
        return statuses

    def relation(self, code: str | None) -> str:
        """A relation code in the committee's words ("" for none)."""
        found = self.relations.get(code or "")
        return found.name if found else ""
