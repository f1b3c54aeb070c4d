"""What /api/v1/residents and /api/v1/households show: personal numbers masked, codes in words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from bot.api.paging import NAME
from config.registry_content import RegistryContent
from flows.identity import age_on
from flows.masking import mask_id_card, mask_mobile, mask_numbers_in
from store.registry.models import Household, Resident, ResidentChange, ResidentTag
from store.registry.search import COUNT_UP_TO, Home
from store.sealing import Sealer


class TagPublic(BaseModel):
    """A tag of the configured vocabulary, with its words."""

    code: str
    name: str
    certificate_date: date | None = None


class HomePublic(BaseModel):
    """A dwelling the resident lives (or lived) in."""

    dwelling_id: int
    place_id: int
    building: str
    unit: str
    room: str
    occupancy: str | None
    role: str
    role_name: str
    moved_in: date | None
    moved_out: date | None


class ResidentSummary(BaseModel):
    """A resident as lists show it: numbers masked (440***********1234, 138****5678)."""

    id: int
    committee_id: int
    name: str
    gender: str | None
    gender_name: str
    age: int | None
    id_card: str | None
    mobile: str | None
    tags: list[TagPublic]
    homes: list[HomePublic]


class ChangePublic(BaseModel):
    """One change of one field: old and new as the history keeps them (masked)."""

    field: str
    field_name: str
    old: str | None
    new: str | None
    source: str
    source_name: str
    source_detail: str
    at: datetime


class HouseholdRef(BaseModel):
    """The 户籍户 a resident belongs to."""

    id: int
    number: str
    head_resident_id: int | None


class ResidentDetail(ResidentSummary):
    """One resident: every field (numbers masked), tags, dwellings, household and history."""

    birth_date: date | None
    landline: str | None
    relation_to_head: str | None
    relation_to_head_name: str
    hukou_status: str | None
    hukou_status_name: str
    residence_status: str | None
    residence_status_name: str
    notes: str
    household: HouseholdRef | None
    created_at: datetime
    updated_at: datetime
    last_confirmed_at: datetime | None
    history: list[ChangePublic]


class ResidentPage(BaseModel):
    """A page of residents."""

    items: list[ResidentSummary]
    page: int
    per_page: int
    total: int = Field(description=f"how many match, counted up to {COUNT_UP_TO:,}")
    more: bool = Field(description=f"true when more than {COUNT_UP_TO:,} match: narrow the search")


class RevealIn(BaseModel):
    """Which number to show in full, and why (written to the audit log)."""

    field: Literal["id_card", "mobile", "landline"]
    why: str = Field(min_length=1, max_length=200, pattern=NAME)


class Revealed(BaseModel):
    """A personal number in full (null when the resident has none)."""

    resident_id: int
    field: str
    value: str | None


class Member(BaseModel):
    """A household member, numbers masked."""

    id: int
    name: str
    gender: str | None
    gender_name: str
    age: int | None
    relation_to_head: str | None
    relation_to_head_name: str
    id_card: str | None
    mobile: str | None


class HouseholdPublic(BaseModel):
    """A 户籍户 with its members."""

    id: int
    committee_id: int
    number: str
    head_resident_id: int | None
    members: list[Member]


class HouseholdPage(BaseModel):
    """A page of households."""

    items: list[HouseholdPublic]
    page: int
    per_page: int
    total: int


# -- building them ---------------------------------------------------------------------------


def _opened(sealer: Sealer, sealed: str | None) -> str | None:
    return None if sealed is None else sealer.open(sealed)


def masked_landline(number: str) -> str:
    """A landline as staff see it: area code and last four digits only."""
    masked = mask_numbers_in(number)
    return masked if masked != number else "*" * len(number)


def _word(words: RegistryContent, kind: str, code: str | None) -> str:
    return "" if code is None else words.word(kind, code)


def _age(resident: Resident, today: date) -> int | None:
    return None if resident.birth_date is None else age_on(resident.birth_date, today)


def _numbers(sealer: Sealer, resident: Resident) -> tuple[str | None, str | None]:
    id_card = _opened(sealer, resident.id_card_sealed)
    mobile = _opened(sealer, resident.mobile_sealed)
    return (
        None if id_card is None else mask_id_card(id_card),
        None if mobile is None else mask_mobile(mobile),
    )


def tag(words: RegistryContent, row: ResidentTag) -> TagPublic:
    """A tag with its words from registry.yaml."""
    known = words.tags.get(row.tag)
    return TagPublic(code=row.tag, name=known.name if known else row.tag,
                     certificate_date=row.certificate_date)  # fmt: skip


def home(words: RegistryContent, row: Home) -> HomePublic:
    """A dwelling as the API shows it."""
    return HomePublic(
        dwelling_id=row.dwelling_id, place_id=row.place_id, building=row.building,
        unit=row.unit, room=row.room, occupancy=row.occupancy, role=row.role,
        role_name=words.word("role", row.role), moved_in=row.moved_in, moved_out=row.moved_out,
    )  # fmt: skip


def summary(
    words: RegistryContent, sealer: Sealer, resident: Resident, *, today: date,
    tags: Sequence[ResidentTag], homes: Sequence[Home],
) -> ResidentSummary:  # fmt: skip
    """A resident as a list shows it."""
    id_card, mobile = _numbers(sealer, resident)
    return ResidentSummary(
        id=resident.id or 0, committee_id=resident.committee_id, name=resident.name,
        gender=resident.gender, gender_name=_word(words, "gender", resident.gender),
        age=_age(resident, today), id_card=id_card, mobile=mobile,
        tags=[tag(words, row) for row in tags], homes=[home(words, row) for row in homes],
    )  # fmt: skip


def change(words: RegistryContent, row: ResidentChange) -> ChangePublic:
    """One line of the history."""
    return ChangePublic(
        field=row.field, field_name=words.fields.get(row.field, row.field), old=row.old,
        new=row.new, source=row.source_kind, source_name=words.word("source", row.source_kind),
        source_detail=row.source_detail, at=row.at,
    )  # fmt: skip


def detail(
    words: RegistryContent, sealer: Sealer, resident: Resident, *, today: date,
    tags: Sequence[ResidentTag], homes: Sequence[Home], household: Household | None,
    history: Sequence[ResidentChange],
) -> ResidentDetail:  # fmt: skip
    """One resident, every field masked."""
    landline = _opened(sealer, resident.landline_sealed)
    ref = None
    if household is not None:
        ref = HouseholdRef(id=household.id or 0, number=household.number,
                           head_resident_id=household.head_resident_id)  # fmt: skip
    base = summary(words, sealer, resident, today=today, tags=tags, homes=homes)
    return ResidentDetail(
        **base.model_dump(),
        birth_date=resident.birth_date,
        landline=None if landline is None else masked_landline(landline),
        relation_to_head=resident.relation_to_head,
        relation_to_head_name=_word(words, "relation_to_head", resident.relation_to_head),
        hukou_status=resident.hukou_status,
        hukou_status_name=_word(words, "hukou_status", resident.hukou_status),
        residence_status=resident.residence_status,
        residence_status_name=_word(words, "residence_status", resident.residence_status),
        notes=mask_numbers_in(resident.notes),
        household=ref, created_at=resident.created_at, updated_at=resident.updated_at,
        last_confirmed_at=resident.last_confirmed_at,
        history=[change(words, row) for row in history],
    )  # fmt: skip


def member(words: RegistryContent, sealer: Sealer, resident: Resident, today: date) -> Member:
    """A household member, masked."""
    id_card, mobile = _numbers(sealer, resident)
    return Member(
        id=resident.id or 0, name=resident.name, gender=resident.gender,
        gender_name=_word(words, "gender", resident.gender), age=_age(resident, today),
        relation_to_head=resident.relation_to_head,
        relation_to_head_name=_word(words, "relation_to_head", resident.relation_to_head),
        id_card=id_card, mobile=mobile,
    )  # fmt: skip


def household(
    words: RegistryContent, sealer: Sealer, row: Household, members: Sequence[Resident],
    today: date,
) -> HouseholdPublic:  # fmt: skip
    """A household with its members, masked."""
    return HouseholdPublic(
        id=row.id or 0, committee_id=row.committee_id, number=row.number,
        head_resident_id=row.head_resident_id,
        members=[member(words, sealer, person, today) for person in members],
    )  # fmt: skip
