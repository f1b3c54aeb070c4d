"""The census comparison: this year's sheet read against the registry, writing nothing.

Rows are matched to residents by the keyed hash of their ID number. A row without a match is new;
a living resident no row names is gone; a matched row whose values differ is changed, field by
field (a blank cell never counts as a change, as in an import); a row that fails its checks is
invalid, with the reason. Numbers are masked in everything this module returns, notes included."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from config.registry_content import RegistryContent
from flows.identity import Flagged, age_on, born_on, check_id_card, cohorts_of, gender_of
from flows.inputs import normalise
from flows.masking import mask_id_card, mask_numbers_in
from store.errors import Refused
from store.registry.checks import (
    CheckedRow,
    Invalid,
    check_row,
    code_words,
    committee_buildings,
    who,
)
from store.registry.exports import Record, address, batches, masked, records_of
from store.registry.models import Dwelling, Household, Residence, Resident
from store.registry.sheet import Sheet
from store.sealing import Sealer
from store.staff.models import Committee

BATCH = 500
# Residents who no longer live here are not expected in this year's sheet.
GONE_STATUSES = ("moved_out", "deceased")
# The fields a row is compared on, in the order a change list shows them.
COMPARED = (
    "name", "gender", "birth_date", "mobile", "landline", "relation_to_head", "household_number",
    "dwelling", "hukou_status", "residence_status", "notes",
)  # fmt: skip
_SEALED = {"mobile": "mobile_sealed", "landline": "landline_sealed"}


@dataclass(frozen=True)
class Change:
    """One field that differs: the registry's value and the sheet's, numbers masked."""

    field: str
    registry: Any
    sheet: Any


@dataclass(frozen=True)
class Added:
    """A row of the sheet nobody in the registry matches."""

    line: int
    record: Record


@dataclass(frozen=True)
class Removed:
    """A living resident of the registry no row of the sheet names."""

    resident_id: int
    record: Record


@dataclass(frozen=True)
class Changed:
    """A row matched to a resident whose values differ."""

    line: int
    resident_id: int
    name: str
    id_card: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class InvalidRow:
    """A row that failed its checks: the field and the reason code (registry.yaml words it)."""

    line: int
    field: str
    reason: str
    name: str
    id_card: str


@dataclass
class Comparison:
    """What the sheet and the registry disagree on."""

    added: list[Added] = dataclasses.field(default_factory=list)
    removed: list[Removed] = dataclasses.field(default_factory=list)
    changed: list[Changed] = dataclasses.field(default_factory=list)
    invalid: list[InvalidRow] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    ignored_headings: list[str] = dataclasses.field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many rows (or residents) of each kind."""
        return {"added": len(self.added), "removed": len(self.removed),
                "changed": len(self.changed), "invalid": len(self.invalid),
                "unchanged": self.unchanged}  # fmt: skip


class _Registry:
    """The committee's side of the comparison: residents matched a batch of rows at a time."""

    def __init__(self, session: Session, sealer: Sealer, committee_id: int,
                 content: RegistryContent, today: date) -> None:  # fmt: skip
        self.session, self.sealer, self.committee_id = session, sealer, committee_id
        self.content, self.today = content, today
        self.buildings = committee_buildings(session, committee_id)
        self.building_names = {p.id: p.name for p in self.buildings}

    def compare(self, rows: Sequence[CheckedRow], result: Comparison) -> None:
        """Each row of the batch: new, changed, unchanged, or invalid when it matches several."""
        matched: dict[str, list[Resident]] = {}
        query = select(Resident).where(
            Resident.committee_id == self.committee_id,
            col(Resident.id_card_hash).in_([row.id_hash for row in rows]),
        )
        for resident in self.session.exec(query.order_by(col(Resident.id))):
            matched.setdefault(resident.id_card_hash or "", []).append(resident)
        found = [r for row in rows for r in matched.get(row.id_hash, [])[:1]]
        homes = self._homes([r.id or 0 for r in found])
        numbers = self._household_numbers({r.household_id for r in found} - {None})
        for row in rows:
            residents = matched.get(row.id_hash, [])
            if not residents:
                result.added.append(Added(row.line, self._record_of(row)))
            elif len(residents) > 1:
                masked = mask_id_card(row.values["id_card"])
                result.invalid.append(InvalidRow(row.line, "id_card", "several_matches",
                                                 row.values["name"], masked))  # fmt: skip
            else:
                resident = residents[0]
                changes = self._changes(row, resident, homes, numbers)
                if changes:
                    result.changed.append(Changed(
                        row.line, resident.id or 0, resident.name,
                        mask_id_card(row.values["id_card"]), changes,
                    ))  # fmt: skip
                else:
                    result.unchanged += 1

    def _changes(self, row: CheckedRow, resident: Resident, homes: Mapping[int, Any],
                 numbers: Mapping[int, str]) -> tuple[Change, ...]:  # fmt: skip
        sheet = self._values_of(row)
        changes = []
        for field in COMPARED:
            if field not in sheet:
                continue  # a blank cell says nothing
            if field in _SEALED:
                old = self._opened(getattr(resident, _SEALED[field]))
            elif field == "household_number":
                old = numbers.get(resident.household_id or 0)
            elif field == "dwelling":
                home = homes.get(resident.id or 0)
                old = None if home is None else self._address(home)
            else:
                old = getattr(resident, field)
            new = sheet[field]
            if new != old:
                changes.append(Change(field, self._masked(field, old), self._masked(field, new)))
        return tuple(changes)

    def _values_of(self, row: CheckedRow) -> dict[str, Any]:
        values = {k: v for k, v in row.values.items() if k != "id_card"}
        if row.household_number is not None:
            values["household_number"] = row.household_number
        if row.dwelling is not None:
            values["dwelling"] = self._address(row.dwelling)
        return values

    def _address(self, home: tuple[int, str, str]) -> str:
        place_id, unit, room = home
        return address(self.building_names.get(place_id, "?"), unit, room) or ""

    def _opened(self, sealed: str | None) -> str | None:
        return None if sealed is None else self.sealer.open(sealed)

    def _masked(self, field: str, value: Any) -> Any:
        if value is None:
            return None
        if field in _SEALED:
            return masked(field, value)
        # Notes are free text: a number typed into them is masked like any other.
        return mask_numbers_in(value) if field == "notes" else value

    def _homes(self, ids: Sequence[int]) -> dict[int, tuple[int, str, str]]:
        living = or_(col(Residence.moved_out).is_(None), col(Residence.moved_out) > self.today)
        query = (
            select(Residence.resident_id, Dwelling.place_id, Dwelling.unit, Dwelling.room)
            .join(Dwelling, col(Dwelling.id) == Residence.dwelling_id)
            .where(col(Residence.resident_id).in_(ids), living)
            .order_by(col(Residence.id))
        )
        found: dict[int, tuple[int, str, str]] = {}
        for resident_id, place_id, unit, room in self.session.exec(query):
            found.setdefault(resident_id, (place_id, unit, room))
        return found

    def _household_numbers(self, ids: set[int | None]) -> dict[int, str]:
        query = select(Household.id, Household.number).where(col(Household.id).in_(ids))
        return {household_id: number for household_id, number in self.session.exec(query)}

    def _record_of(self, row: CheckedRow) -> Record:
        """A new row as an export's record: the sheet's values, numbers masked."""
        values = row.values
        id_card = values["id_card"]
        born = values.get("birth_date") or born_on(id_card)
        gender = values.get("gender") or gender_of(id_card)
        building, unit, room = None, None, None
        if row.dwelling is not None:
            building = self.building_names.get(row.dwelling[0])
            unit, room = row.dwelling[1], row.dwelling[2]
        return {
            "resident_id": None, "committee": "", "name": values["name"], "gender": gender,
            "birth_date": born, "age": age_on(born, self.today),
            "id_card": masked("id_card", id_card),
            "mobile": self._masked("mobile", values.get("mobile")),
            "landline": self._masked("landline", values.get("landline")),
            "building": building, "unit": unit, "room": room,
            "address": address(building, unit, room), "role": None, "occupancy": None,
            "household_number": row.household_number,
            "relation_to_head": values.get("relation_to_head"),
            "hukou_status": values.get("hukou_status"),
            "residence_status": values.get("residence_status"), "tags": (),
            "cohorts": cohorts_of(born, gender, self.today, self.content.cohorts),
            "certificate_number": None, "certificate_date": None,
            "notes": mask_numbers_in(values.get("notes", "")), "last_confirmed_at": None,
        }  # fmt: skip


def compare(
    session: Session,
    sealer: Sealer,
    *,
    committee_id: int,
    path: Path,
    content: RegistryContent,
    today: date,
) -> Comparison:
    """This year's sheet against the committee's registry: added, removed, changed and invalid
    rows (nothing is written)."""
    sheet = _opened(path, content)
    registry = _Registry(session, sealer, committee_id, content, today)
    words = code_words(content)
    result = Comparison(ignored_headings=sheet.ignored_headings)
    seen: set[str] = set()
    batch: list[CheckedRow] = []
    for line, raw in _read(sheet):
        try:
            row = check_row(raw, words=words, buildings=registry.buildings, sealer=sealer,
                            line=line)  # fmt: skip
        except Invalid as bad:
            result.invalid.append(InvalidRow(line, bad.field, bad.reason, **who(raw)))
            # The row still names its resident (an unknown building, a flagged number staff
            # accepted at import …): listed as invalid, never also as gone.
            seen.update(_id_hash(raw, sealer))
            continue
        if row.id_hash in seen:
            result.invalid.append(InvalidRow(line, "id_card", "duplicate_in_file", **who(raw)))
            continue
        seen.add(row.id_hash)
        batch.append(row)
        if len(batch) >= BATCH:
            registry.compare(batch, result)
            batch = []
    if batch:
        registry.compare(batch, result)
    result.invalid.sort(key=lambda row: row.line)
    _gone(session, sealer, committee_id, content, today, seen, result)
    return result


def _unreadable() -> Refused:
    return Refused("file", "the sheet cannot be read", code="unreadable")


def _opened(path: Path, content: RegistryContent) -> Sheet:
    """The sheet with its headings found; a broken file is refused as unreadable."""
    try:
        return Sheet(path, content.imports.columns)
    except Refused:
        raise
    except Exception as bad:  # a broken XLSX or CSV fails in many ways inside its reader
        raise _unreadable() from bad


def _read(sheet: Sheet) -> Iterator[tuple[int, dict[str, object]]]:
    """The sheet's rows; a file broken further down is refused as unreadable too."""
    rows = sheet.rows()
    while True:
        try:
            found = next(rows)
        except StopIteration:
            return
        except Refused:
            raise
        except Exception as bad:
            raise _unreadable() from bad
        yield found


def _id_hash(raw: dict[str, object], sealer: Sealer) -> set[str]:
    """The ID hash of an invalid row, whatever else is wrong with it: the checked number, or a
    flagged one as the import stores it when staff accept it (as typed, spaces aside)."""
    text = raw.get("id_card")
    if text is None:
        return set()
    checked = check_id_card(str(text))
    if isinstance(checked, Flagged):
        given = normalise(str(text)).replace(" ", "").upper()
        return {sealer.lookup_hash(given)} if given else set()
    return {sealer.lookup_hash(checked.value)}


def _gone(session: Session, sealer: Sealer, committee_id: int, content: RegistryContent,
          today: date, seen: set[str], result: Comparison) -> None:  # fmt: skip
    """The committee's living residents whose ID number no row of the sheet gave."""
    living = select(Resident).where(
        Resident.committee_id == committee_id,
        or_(col(Resident.residence_status).is_(None),
            col(Resident.residence_status).not_in(GONE_STATUSES)),
    )  # fmt: skip
    committee = session.get(Committee, committee_id)
    names = {committee_id: committee.name if committee else ""}
    for batch in batches(session, living):
        missing = [r for r in batch if r.id_card_hash is None or r.id_card_hash not in seen]
        if not missing:
            continue
        records = records_of(session, sealer, missing, full=False, today=today,
                             cohorts=content.cohorts, committees=names)  # fmt: skip
        result.removed += [Removed(r["resident_id"], r) for r in records]
