"""Importing a residents sheet (XLSX or CSV): rows streamed, each planned, then applied.

Each row comes to one outcome (new, changed, unchanged, conflicting, invalid) with a reason code
registry.yaml words. A row is matched to a resident by the keyed hash of its ID number; an
import never overwrites a field whose latest change came from staff or the resident.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from config.registry_content import IMPORT_OUTCOMES, RegistryContent
from flows.masking import mask_id_card
from store.errors import Refused
from store.registry.checks import (
    CheckedRow,
    Invalid,
    check_row,
    code_words,
    committee_buildings,
    who,
)
from store.registry.history import Source
from store.registry.models import Dwelling, Household, Residence, Resident, ResidentChange
from store.registry.residents import add_resident, update_field
from store.registry.sheet import Sheet
from store.sealing import Sealer

WRITTEN = ("new", "changed")
BATCH = 500  # rows matched with one query, and written before the next are read
_SEALED = {"id_card": "id_card_sealed", "mobile": "mobile_sealed", "landline": "landline_sealed"}
# Sources whose values an import never overwrites.
_PROTECTED = {"staff": "edited_by_staff", "resident": "edited_by_resident"}


@dataclass(frozen=True)
class RowOutcome:
    """What one row of the sheet came to, and why; numbers masked."""

    line: int
    outcome: str  # one of IMPORT_OUTCOMES
    reason: str  # a code of registry.yaml `import.reasons` or `reasons`
    field: str = ""  # the field an invalid value was found in
    fields: tuple[str, ...] = ()  # the fields that differ or conflict
    name: str = ""
    id_card: str = ""


@dataclass
class ImportResult:
    """Counts per outcome, the rows that are not unchanged, and headings nobody reads."""

    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(IMPORT_OUTCOMES, 0)
    )
    rows: list[RowOutcome] = dataclasses.field(default_factory=list)
    ignored_headings: list[str] = dataclasses.field(default_factory=list)
    applied: bool = False


# ---- matching and writing ----------------------------------------------------------------------


class _Importer:
    """One import's state: the committee's dwellings and households, and IDs already seen."""

    def __init__(self, session: Session, sealer: Sealer, committee_id: int,
                 content: RegistryContent, file_name: str, now: datetime) -> None:  # fmt: skip
        self.session, self.sealer, self.committee_id = session, sealer, committee_id
        self.file_name, self.now = file_name, now
        self.words = code_words(content)
        self.buildings = committee_buildings(session, committee_id)
        dwellings = session.exec(select(Dwelling).where(Dwelling.committee_id == committee_id))
        self.dwellings = {(d.place_id, d.unit, d.room): d.id or 0 for d in dwellings}
        self.dwelling_keys = {v: k for k, v in self.dwellings.items()}
        households = session.exec(select(Household).where(Household.committee_id == committee_id))
        self.households = {h.number: h for h in households}
        self.seen: set[str] = set()

    def check(self, line: int, raw: dict[str, object]) -> CheckedRow | RowOutcome:
        """The checked row, or its invalid outcome."""
        try:
            row = check_row(raw, words=self.words, buildings=self.buildings, sealer=self.sealer,
                           line=line)  # fmt: skip
        except Invalid as bad:
            return RowOutcome(line, "invalid", bad.reason, bad.field, (bad.field,),
                              **who(raw))  # fmt: skip
        if row.id_hash in self.seen:
            return RowOutcome(line, "invalid", "duplicate_in_file", "id_card", ("id_card",),
                              **who(raw))  # fmt: skip
        self.seen.add(row.id_hash)
        return row

    def plan(self, rows: list[CheckedRow]) -> list[tuple[CheckedRow, RowOutcome, list[Resident]]]:
        """Each checked row matched by its ID hash and compared with the registry."""
        hashes = [row.id_hash for row in rows]
        query = select(Resident).where(
            Resident.committee_id == self.committee_id, col(Resident.id_card_hash).in_(hashes)
        )
        matched: dict[str, list[Resident]] = {}
        for resident in self.session.exec(query.order_by(col(Resident.id))):
            matched.setdefault(resident.id_card_hash or "", []).append(resident)
        ids = [r.id for found in matched.values() for r in found]
        latest: dict[tuple[int, str], str] = {}
        changes = select(ResidentChange).where(col(ResidentChange.resident_id).in_(ids))
        for change in self.session.exec(changes.order_by(col(ResidentChange.id))):
            latest[(change.resident_id, change.field)] = change.source_kind
        living: dict[int, int] = {}
        residences = select(Residence).where(
            col(Residence.resident_id).in_(ids), col(Residence.moved_out).is_(None)
        )
        for residence in self.session.exec(residences.order_by(col(Residence.id))):
            living[residence.resident_id] = residence.dwelling_id
        planned = []
        for row in rows:
            found = matched.get(row.id_hash, [])
            planned.append((row, self._compare(row, found, latest, living), found))
        return planned

    def _compare(self, row: CheckedRow, found: list[Resident], latest: dict[tuple[int, str], str],
                 living: dict[int, int]) -> RowOutcome:  # fmt: skip
        who = {"name": row.values["name"], "id_card": mask_id_card(row.values["id_card"])}
        if not found:
            return RowOutcome(row.line, "new", "not_registered", **who)
        if len(found) > 1:
            return RowOutcome(row.line, "conflicting", "several_matches", "id_card", **who)
        resident = found[0]
        differ = [f for f, v in row.values.items() if v != self._current(resident, f)]
        if row.household_number is not None:
            household = self.households.get(row.household_number)
            if household is None or household.id != resident.household_id:
                differ.append("household_id")
        if row.dwelling is not None:
            current = living.get(resident.id or 0)
            if current is None or self.dwelling_keys.get(current) != row.dwelling:
                differ.append("dwelling")
        if not differ:
            return RowOutcome(row.line, "unchanged", "same", **who)
        kinds = {f: latest.get((resident.id or 0, f)) for f in differ}
        conflicts = tuple(f for f in differ if kinds[f] in _PROTECTED)
        if conflicts:
            reason = _PROTECTED["staff" if "staff" in kinds.values() else "resident"]
            return RowOutcome(row.line, "conflicting", reason, fields=conflicts, **who)
        return RowOutcome(row.line, "changed", "differs", fields=tuple(differ), **who)

    def _current(self, resident: Resident, field: str) -> Any:
        if field in _SEALED:
            sealed = getattr(resident, _SEALED[field])
            return None if sealed is None else self.sealer.open(sealed)
        return getattr(resident, field)

    def write(self, row: CheckedRow, outcome: RowOutcome, found: list[Resident]) -> RowOutcome:
        """Write a new or changed row; a value the store refuses makes the row invalid."""
        source = Source.imported(self.file_name, row.line)
        values = dict(row.values)
        try:
            if outcome.outcome == "new":
                if row.household_number is not None:
                    values["household_id"] = self._household(row.household_number).id
                resident = add_resident(self.session, self.sealer, committee_id=self.committee_id,
                                        values=values, source=source, now=self.now)  # fmt: skip
                self._head(resident, row)
                if row.dwelling is not None:
                    self._move_in(resident, row, None)
                return outcome
            resident = found[0]
            for name in outcome.fields:
                if name == "dwelling":
                    self._move_in(resident, row, resident.id)
                    continue
                if name == "household_id":
                    values[name] = self._household(row.household_number or "").id
                update_field(self.session, self.sealer, committee_id=self.committee_id,
                             resident_id=resident.id or 0, field=name, value=values[name],
                             source=source, now=self.now)  # fmt: skip
            self._head(resident, row)
        except Refused as refused:
            return RowOutcome(row.line, "invalid", refused.code or refused.reason, refused.field,
                              (refused.field,), outcome.name, outcome.id_card)  # fmt: skip
        return outcome

    def prepare(self, rows: list[CheckedRow]) -> None:
        """Create the households and dwellings a batch's rows need, with one flush."""
        for number in {row.household_number for row in rows} - {None} - set(self.households):
            household = Household(committee_id=self.committee_id, number=number)
            self.session.add(household)
            self.households[number] = household
        new = {row.dwelling for row in rows} - {None} - set(self.dwellings)
        dwellings = {key: Dwelling(committee_id=self.committee_id, place_id=key[0], unit=key[1],
                                   room=key[2]) for key in new if key is not None}  # fmt: skip
        self.session.add_all(dwellings.values())
        self.session.flush()
        for key, dwelling in dwellings.items():
            self.dwellings[key], self.dwelling_keys[dwelling.id or 0] = dwelling.id or 0, key

    def _household(self, number: str) -> Household:
        household = self.households.get(number)
        if household is None:
            household = Household(committee_id=self.committee_id, number=number)
            self.session.add(household)
            self.session.flush()
            self.households[number] = household
        return household

    def _head(self, resident: Resident, row: CheckedRow) -> None:
        """A head of household (户主) becomes its head when it has none yet."""
        if row.household_number is None or row.values.get("relation_to_head") != "head":
            return
        household = self.households[row.household_number]
        if household.head_resident_id is None:
            household.head_resident_id = resident.id
            self.session.add(household)

    def _move_in(self, resident: Resident, row: CheckedRow, moving_from: int | None) -> None:
        """The resident lives in the row's dwelling from today (created if new); older ends."""
        assert row.dwelling is not None
        dwelling_id = self.dwellings.get(row.dwelling)
        if dwelling_id is None:
            place_id, unit, room = row.dwelling
            dwelling = Dwelling(committee_id=self.committee_id, place_id=place_id, unit=unit,
                                room=room)  # fmt: skip
            self.session.add(dwelling)
            self.session.flush()
            dwelling_id = dwelling.id or 0
            self.dwellings[row.dwelling], self.dwelling_keys[dwelling_id] = (
                dwelling_id,
                row.dwelling,
            )
        today = self.now.date()
        if moving_from is not None:
            current = select(Residence).where(
                Residence.resident_id == moving_from, col(Residence.moved_out).is_(None)
            )
            for residence in self.session.exec(current):
                residence.moved_out = today
                self.session.add(residence)
        role = "self" if row.values.get("relation_to_head") == "head" else "family"
        self.session.add(Residence(resident_id=resident.id or 0, dwelling_id=dwelling_id,
                                   role=role, moved_in=today))  # fmt: skip


def run_import(
    session: Session,
    sealer: Sealer,
    *,
    committee_id: int,
    path: Path,
    content: RegistryContent,
    apply: bool,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Plan every row of a sheet and, with apply, write the new and changed ones (flushed)."""
    sheet = Sheet(path, content.imports.columns)
    importer = _Importer(session, sealer, committee_id, content, path.name, now)
    result = ImportResult(ignored_headings=sheet.ignored_headings, applied=apply)

    def settle(outcome: RowOutcome) -> None:
        result.counts[outcome.outcome] += 1
        if outcome.outcome != "unchanged":
            result.rows.append(outcome)

    def flush(batch: list[CheckedRow]) -> None:
        planned = importer.plan(batch)
        if apply:
            importer.prepare([row for row, outcome, _ in planned if outcome.outcome in WRITTEN])
        for row, outcome, found in planned:
            if apply and outcome.outcome in WRITTEN:
                outcome = importer.write(row, outcome, found)
            settle(outcome)
        session.flush()
        if progress is not None:
            progress(len(batch))

    batch: list[CheckedRow] = []
    for line, raw in sheet.rows():
        checked = importer.check(line, raw)
        if isinstance(checked, RowOutcome):
            settle(checked)
            continue
        batch.append(checked)
        if len(batch) >= BATCH:
            flush(batch)
            batch = []
    flush(batch)
    result.rows.sort(key=lambda outcome: outcome.line)
    return result


def plan_import(session: Session, sealer: Sealer, *, committee_id: int, path: Path,
                content: RegistryContent, now: datetime) -> ImportResult:  # fmt: skip
    """The dry run: what each row would come to; nothing is written."""
    return run_import(session, sealer, committee_id=committee_id, path=path, content=content,
                      apply=False, now=now)  # fmt: skip


def apply_import(session: Session, sealer: Sealer, *, committee_id: int, path: Path,
                 content: RegistryContent, now: datetime) -> ImportResult:  # fmt: skip
    """Write the new and changed rows; invalid and conflicting rows are left for staff."""
    return run_import(session, sealer, committee_id=committee_id, path=path, content=content,
                      apply=True, now=now)  # fmt: skip
