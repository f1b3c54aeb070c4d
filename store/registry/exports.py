"""Exporting residents in a profile of registry_exports.yaml: the scope's residents matching the
profile's filter, read a batch at a time (never the whole registry at once), numbers masked
unless a full export is allowed and given a reason; one audit entry per export."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from config.registry_content import Cohort
from config.registry_exports import Filter
from flows.identity import age_on, cohorts_of
from flows.masking import mask_id_card, mask_mobile, mask_numbers_in
from store.errors import Refused
from store.places.models import Place
from store.registry.models import Dwelling, Household, Residence, Resident, ResidentTag
from store.registry.search import years_before
from store.sealing import Sealer, SealError
from store.staff import audit
from store.staff.models import Committee
from store.staff.scope import Scope

BATCH = 500
MAX_WHY = 200
# A resident's values as a profile's columns read them (see config/registry_exports.FIELDS).
Record = dict[str, Any]


def can_export_full(scope: Scope) -> bool:
    """Who may export full numbers: as for one reveal, sub-district admins and committee staff."""
    return scope.admin or scope.committee_staff


def _mask_certificate(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:] if len(number) > 4 else "*" * len(number)


MASKS: dict[str, Callable[[str], str]] = {
    "id_card": mask_id_card,
    "mobile": mask_mobile,
    "landline": mask_numbers_in,
    "certificate_number": _mask_certificate,
}


def shown(sealer: Sealer, field: str, sealed: str | None, *, full: bool) -> str | None:
    """A sealed number opened, masked unless `full`; '?' if no key can open it."""
    if sealed is None:
        return None
    try:
        value = sealer.open(sealed)
    except SealError:
        return "?"
    return value if full else masked(field, value)


def masked(field: str, value: str) -> str:
    """A personal number as every screen and export shows it."""
    hidden = MASKS[field](value)
    # A landline not in a form the text masker knows is still never shown whole.
    return hidden if hidden != value else _mask_certificate(value)


def _cohort_condition(cohort: Cohort, today: date) -> Any:
    where = [col(Resident.birth_date) <= years_before(today, cohort.min_age)]
    if cohort.max_age is not None:
        where.append(col(Resident.birth_date) > years_before(today, cohort.max_age + 1))
    if cohort.gender is not None:
        where.append(Resident.gender == cohort.gender)
    return and_(*where)


def matching(
    scope: Scope,
    wanted: Filter,
    *,
    committee_id: int | None,
    cohorts: Mapping[str, Cohort],
    today: date,
) -> Any:
    """The query of the scope's residents (of one committee if given) the filter lets through."""
    query = scope.filter(select(Resident), Resident.committee_id)
    if committee_id is not None:
        query = query.where(Resident.committee_id == committee_id)
    if wanted.residence_statuses:
        query = query.where(col(Resident.residence_status).in_(wanted.residence_statuses))
    if wanted.exclude_residence_statuses:
        left_out = wanted.exclude_residence_statuses
        query = query.where(
            or_(col(Resident.residence_status).is_(None),
                col(Resident.residence_status).not_in(left_out))
        )  # fmt: skip
    if wanted.cohorts:
        unknown = sorted(set(wanted.cohorts) - set(cohorts))
        if unknown:
            raise Refused("profile", f"no cohort {unknown[0]} in registry.yaml", code="profile")
        query = query.where(or_(*(_cohort_condition(cohorts[k], today) for k in wanted.cohorts)))
    if wanted.tags:
        tagged = select(ResidentTag.id).where(
            ResidentTag.resident_id == Resident.id, col(ResidentTag.tag).in_(wanted.tags)
        )
        query = query.where(exists(tagged))
    return query


def batches(session: Session, query: Any) -> Iterator[list[Resident]]:
    """The query's residents by id, BATCH at a time (keyset paging: memory stays flat)."""
    after = 0
    while True:
        page = query.where(col(Resident.id) > after).order_by(col(Resident.id)).limit(BATCH)
        batch = list(session.exec(page))
        if not batch:
            return
        yield batch
        after = batch[-1].id or 0


def _homes(session: Session, ids: Sequence[int], today: date) -> dict[int, tuple[Any, ...]]:
    """Each resident's current home (the first, if several): building, unit, room, role,
    occupancy."""
    living = or_(col(Residence.moved_out).is_(None), col(Residence.moved_out) > today)
    query = (
        select(
            Residence.resident_id,
            Place.name,
            Dwelling.unit,
            Dwelling.room,
            Residence.role,
            Dwelling.occupancy,
        )
        .join(Dwelling, col(Dwelling.id) == Residence.dwelling_id)
        .join(Place, col(Place.id) == Dwelling.place_id)
        .where(col(Residence.resident_id).in_(ids), living)
        .order_by(col(Residence.id))
    )
    found: dict[int, tuple[Any, ...]] = {}
    for resident_id, *home in session.exec(query):
        found.setdefault(resident_id, tuple(home))
    return found


def records_of(
    session: Session,
    sealer: Sealer,
    residents: Sequence[Resident],
    *,
    full: bool,
    today: date,
    cohorts: Mapping[str, Cohort],
    committees: Mapping[int, str],
) -> list[Record]:
    """The residents' records: a handful of queries for the whole batch, never one per row."""
    ids = [r.id or 0 for r in residents]
    homes = _homes(session, ids, today)
    tags: dict[int, list[ResidentTag]] = {}
    for tag in session.exec(
        select(ResidentTag).where(col(ResidentTag.resident_id).in_(ids)).order_by(ResidentTag.tag)
    ):
        tags.setdefault(tag.resident_id, []).append(tag)
    household_ids = {r.household_id for r in residents if r.household_id is not None}
    numbers = {
        h.id: h.number
        for h in session.exec(select(Household).where(col(Household.id).in_(household_ids)))
    }
    found = []
    for resident in residents:
        building, unit, room, role, occupancy = homes.get(resident.id or 0, (None,) * 5)
        own = tags.get(resident.id or 0, [])
        certified = next((t for t in own if t.certificate_number_sealed or t.certificate_date),
                         None)  # fmt: skip
        born = resident.birth_date
        found.append({
            "resident_id": resident.id,
            "committee": committees.get(resident.committee_id, ""),
            "name": resident.name,
            "gender": resident.gender,
            "birth_date": born,
            "age": None if born is None else age_on(born, today),
            "id_card": shown(sealer, "id_card", resident.id_card_sealed, full=full),
            "mobile": shown(sealer, "mobile", resident.mobile_sealed, full=full),
            "landline": shown(sealer, "landline", resident.landline_sealed, full=full),
            "building": building,
            "unit": unit,
            "room": room,
            "address": address(building, unit, room),
            "role": role,
            "occupancy": occupancy,
            "household_number": numbers.get(resident.household_id),
            "relation_to_head": resident.relation_to_head,
            "hukou_status": resident.hukou_status,
            "residence_status": resident.residence_status,
            "tags": tuple(t.tag for t in own),
            "cohorts": cohorts_of(born, resident.gender, today, cohorts),
            "certificate_number": shown(
                sealer, "certificate_number",
                certified.certificate_number_sealed if certified else None, full=full,
            ),
            "certificate_date": certified.certificate_date if certified else None,
            # Free text: a number typed into the notes is masked unless the export is full.
            "notes": resident.notes if full or not resident.notes
            else mask_numbers_in(resident.notes),
            "last_confirmed_at": resident.last_confirmed_at,
        })  # fmt: skip
    return found


def address(building: str | None, unit: str | None, room: str | None) -> str | None:
    """A home as one line: 3栋 2单元 301."""
    if building is None:
        return None
    return " ".join(part for part in (building, unit and f"{unit}单元", room) if part)


def committee_names(session: Session, scope: Scope) -> dict[int, str]:
    """The scope's committees by id, with their names."""
    query = select(Committee).where(col(Committee.id).in_(scope.committee_ids))
    return {c.id: c.name for c in session.exec(query) if c.id is not None}


def export(
    session: Session,
    sealer: Sealer,
    *,
    scope: Scope,
    actor: audit.Actor,
    profile: str,
    wanted: Filter,
    committee_id: int | None,
    cohorts: Mapping[str, Cohort],
    write: Callable[[Record], None],
    full: bool = False,
    why: str = "",
    file_format: str = "xlsx",
    now: datetime,
    today: date,
) -> int:
    """Hand each matching resident's record to `write` (numbers masked unless `full`), write one
    audit entry (who, profile, how many, why) and return how many were exported."""
    reason = why.strip()
    if full and not can_export_full(scope):
        raise Refused("full", "not allowed", code="reveal")
    if full and not reason:
        raise Refused("why", "say why the full numbers are needed", code="why")
    if committee_id is not None and not scope.allows(committee_id):
        raise Refused("committee_id", "not found", code="committee")
    query = matching(scope, wanted, committee_id=committee_id, cohorts=cohorts, today=today)
    committees = committee_names(session, scope)
    count = 0
    for batch in batches(session, query):
        for record in records_of(session, sealer, batch, full=full, today=today, cohorts=cohorts,
                                 committees=committees):  # fmt: skip
            count += 1
            write({**record, "number": count})
    after = {"profile": profile, "residents": count, "full": full, "format": file_format}
    if reason:
        # Numbers typed into the reason are masked: the log is read by every admin of the scope.
        after["why"] = mask_numbers_in(reason[:MAX_WHY])
    # The entry belongs to the committee exported (a clerk's scope is their one committee).
    if committee_id is None and len(scope.committee_ids) == 1:
        [committee_id] = scope.committee_ids
    audit.record(
        session, actor=actor, action="resident.export", object_type="export_profile",
        object_id=profile, committee_id=committee_id, now=now, after=after,
        sub_district_id=scope.sub_district_id or None,
    )  # fmt: skip
    return count


def everything(session: Session) -> Scope:
    """The command line's scope: every committee (the operator holds the whole database)."""
    ids = frozenset(i for i in session.exec(select(Committee.id)) if i is not None)
    return Scope(0, 0, ids, admin=True)
