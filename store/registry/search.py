"""Finding the registry's residents and households within a staff member's scope, a page at a
time, with what a page shows looked up in batches (never a query per row)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Text, and_, exists, false, func, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from flows.identity import Flagged, check_id_card, check_mobile
from store import paging
from store.places.models import Place
from store.registry.models import (
    Dwelling,
    Household,
    Residence,
    Resident,
    ResidentChange,
    ResidentTag,
)
from store.sealing import Sealer
from store.staff.scope import Scope

SORTABLE: dict[str, Any] = {
    "id": Resident.id,
    "name": Resident.name,
    "birth_date": Resident.birth_date,
    "committee_id": Resident.committee_id,
}
HOUSEHOLD_SORTABLE: dict[str, Any] = {
    "id": Household.id,
    "number": Household.number,
    "committee_id": Household.committee_id,
}


# Matches counted at most: a wider search says "more than 1,000" (staff narrow it down; counting
# 6,000 residents of one surname across a district costs 60 ms, 1,000 of them 20 ms).
COUNT_UP_TO = 1_000


@dataclass(frozen=True)
class Found:
    """One page of a search, how many match (at most COUNT_UP_TO), and whether more do."""

    rows: Sequence[Resident]
    total: int
    more: bool


@dataclass(frozen=True)
class ResidentFilter:
    """What a search asks for; every given part must match (ID and mobile exactly, by hash)."""

    committee_id: int | None = None
    name: str | None = None  # the name or a part of it
    place_id: int | None = None  # the building the resident lives in now
    unit: str | None = None
    room: str | None = None
    tag: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    id_card: str | None = None
    mobile: str | None = None


@dataclass(frozen=True)
class Home:
    """A dwelling a resident lives or lived in, as a page shows it."""

    dwelling_id: int
    place_id: int
    building: str
    unit: str
    room: str
    occupancy: str | None
    role: str
    moved_in: date | None
    moved_out: date | None


def years_before(day: date, years: int) -> date:
    """The same day `years` years earlier (29 February becomes the 28th in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class _has_chars(FunctionElement[bool]):
    """True when a text holds every character of another (in any order): on PostgreSQL the
    test migration 0008's GIN index answers, so LIKE '%…%' checks only those rows; elsewhere
    it is left out and LIKE alone decides."""

    type = Boolean()
    inherit_cache = True


@compiles(_has_chars)
def _no_index(element: _has_chars, compiler: Any, **kw: Any) -> str:
    return "1"  # compared with 1 where booleans are numbers


@compiles(_has_chars, "postgresql")
def _by_characters(element: _has_chars, compiler: Any, **kw: Any) -> str:
    name, part = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"string_to_array({name}, NULL) @> string_to_array({part}, NULL)"


def _living_now(today: date) -> Any:
    return or_(col(Residence.moved_out).is_(None), col(Residence.moved_out) > today)


def _hash_of(sealer: Sealer, number: str, check: Any) -> str | None:
    """The look-up hash of a number as typed, None when it is not a valid number."""
    checked = check(number)
    return None if isinstance(checked, Flagged) else sealer.lookup_hash(checked.value)


def filtered(scope: Scope, wanted: ResidentFilter, *, sealer: Sealer, today: date) -> Any:
    """The query of the scope's residents matching the filter (ages as of `today`)."""
    query = scope.filter(select(Resident), Resident.committee_id)
    if wanted.committee_id is not None:
        query = query.where(Resident.committee_id == wanted.committee_id)
    if wanted.name:
        part = wanted.name.strip()
        query = query.where(
            _has_chars(col(Resident.name), literal(part, Text())),
            col(Resident.name).contains(part, autoescape=True),
        )
    if wanted.place_id is not None or wanted.unit or wanted.room:
        where = [Residence.resident_id == Resident.id, _living_now(today)]
        if wanted.place_id is not None:
            where.append(Dwelling.place_id == wanted.place_id)
        if wanted.unit:
            where.append(Dwelling.unit == wanted.unit.strip())
        if wanted.room:
            where.append(Dwelling.room == wanted.room.strip())
        lives = select(Residence.id).join(Dwelling, Dwelling.id == Residence.dwelling_id)
        query = query.where(exists(lives.where(and_(*where))))
    if wanted.tag:
        tagged = select(ResidentTag.id).where(
            ResidentTag.resident_id == Resident.id, ResidentTag.tag == wanted.tag
        )
        query = query.where(exists(tagged))
    # Ages become bounds on the date of birth, so the database compares plain dates.
    if wanted.min_age is not None:
        query = query.where(col(Resident.birth_date) <= years_before(today, wanted.min_age))
    if wanted.max_age is not None:
        query = query.where(col(Resident.birth_date) > years_before(today, wanted.max_age + 1))
    for number, check, column in (
        (wanted.id_card, check_id_card, Resident.id_card_hash),
        (wanted.mobile, check_mobile, Resident.mobile_hash),
    ):
        if number:
            wanted_hash = _hash_of(sealer, number, check)
            query = query.where(false() if wanted_hash is None else column == wanted_hash)
    return query


def one_page(
    session: Session,
    scope: Scope,
    wanted: ResidentFilter,
    *,
    sealer: Sealer,
    today: date,
    page: int,
    per_page: int,
    sort: str | None = None,
) -> Found:
    """One page of the matching residents (by id unless sorted) and how many match."""
    order = paging.ordering(SORTABLE, sort, [Resident.id])
    query = filtered(scope, wanted, sealer=sealer, today=today)
    rows, total = paging.page_of(session, query, page=page, per_page=per_page, order=order,
                                 count_up_to=COUNT_UP_TO)  # fmt: skip
    return Found(rows, min(total, COUNT_UP_TO), total > COUNT_UP_TO)


def visible_resident(session: Session, scope: Scope, resident_id: int) -> Resident | None:
    """One resident of the scope's committees, or None (another committee's is not found)."""
    query = scope.filter(select(Resident), Resident.committee_id)
    return session.exec(query.where(Resident.id == resident_id)).first()


def tags_of(session: Session, resident_ids: Sequence[int]) -> dict[int, list[ResidentTag]]:
    """Each resident's tags, in one query."""
    found: dict[int, list[ResidentTag]] = defaultdict(list)
    if resident_ids:
        query = select(ResidentTag).where(col(ResidentTag.resident_id).in_(resident_ids))
        for tag in session.exec(query.order_by(ResidentTag.tag)):
            found[tag.resident_id].append(tag)
    return found


def homes_of(
    session: Session, resident_ids: Sequence[int], *, today: date | None = None
) -> dict[int, list[Home]]:
    """Each resident's dwellings with their building's name, in one query (with `today`: only
    where they live now)."""
    found: dict[int, list[Home]] = defaultdict(list)
    if not resident_ids:
        return found
    query = (
        select(Residence, Dwelling, Place.name)
        .join(Dwelling, Dwelling.id == Residence.dwelling_id)
        .join(Place, Place.id == Dwelling.place_id)
        .where(col(Residence.resident_id).in_(resident_ids))
    )
    if today is not None:
        query = query.where(_living_now(today))
    for residence, dwelling, building in session.exec(query.order_by(Residence.id)):
        found[residence.resident_id].append(
            Home(
                dwelling_id=dwelling.id or 0,
                place_id=dwelling.place_id,
                building=building,
                unit=dwelling.unit,
                room=dwelling.room,
                occupancy=dwelling.occupancy,
                role=residence.role,
                moved_in=residence.moved_in,
                moved_out=residence.moved_out,
            )
        )
    return found


def history_of(session: Session, resident_id: int) -> Sequence[ResidentChange]:
    """A resident's changes, oldest first (values already masked)."""
    query = select(ResidentChange).where(ResidentChange.resident_id == resident_id)
    return session.exec(query.order_by(col(ResidentChange.at), col(ResidentChange.id))).all()


# -- households ------------------------------------------------------------------------------


def households_page(
    session: Session,
    scope: Scope,
    *,
    committee_id: int | None,
    number: str | None,
    page: int,
    per_page: int,
    sort: str | None = None,
) -> tuple[Sequence[Household], int]:
    """One page of the scope's households (by id unless sorted) and how many there are."""
    query = scope.filter(select(Household), Household.committee_id)
    if committee_id is not None:
        query = query.where(Household.committee_id == committee_id)
    if number:
        query = query.where(col(Household.number).contains(number.strip(), autoescape=True))
    order = paging.ordering(HOUSEHOLD_SORTABLE, sort, [Household.id])
    return paging.page_of(session, query, page=page, per_page=per_page, order=order)


def visible_household(session: Session, scope: Scope, household_id: int) -> Household | None:
    """One household of the scope's committees, or None."""
    query = scope.filter(select(Household), Household.committee_id)
    return session.exec(query.where(Household.id == household_id)).first()


def members_of(session: Session, household_ids: Sequence[int]) -> dict[int, list[Resident]]:
    """Each household's members (its residents), in one query."""
    found: dict[int, list[Resident]] = defaultdict(list)
    if household_ids:
        query = select(Resident).where(col(Resident.household_id).in_(household_ids))
        for resident in session.exec(query.order_by(Resident.id)):
            assert resident.household_id is not None
            found[resident.household_id].append(resident)
    return found


def member_counts(session: Session, household_ids: Sequence[int]) -> dict[int, int]:
    """How many residents each household has, in one query."""
    if not household_ids:
        return {}
    query = (
        select(Resident.household_id, func.count())
        .where(col(Resident.household_id).in_(household_ids))
        .group_by(Resident.household_id)
    )
    return {household_id: count for household_id, count in session.exec(query) if household_id}
