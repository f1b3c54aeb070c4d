"""Importing a residents sheet (XLSX or CSV): rows streamed, each planned, then applied.

Each row comes to one outcome (new, changed, unchanged, conflicting, invalid) with a reason code
registry.yaml words. A row is matched to a resident by the keyed hash of its ID number; an
import never overwrites a field whose latest change came from staff or the resident.
"""

from __future__ import annotations

import dataclasses
import heapq
import io
import itertools
import pickle
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session, col, select

from config.registry_content import IMPORT_OUTCOMES, RegistryContent
from flows.inputs import normalise
from flows.masking import mask_id_card
from store.errors import Refused
from store.places.models import Place
from store.registry.bulk import (
    analyse,
    dwellings_at,
    households_numbered,
    insert_dwellings,
    insert_households,
    insert_residences,
    set_heads,
)
from store.registry.checks import (
    CheckedRow,
    Invalid,
    building_named,
    check_row,
    code_words,
    committee_buildings,
    who,
)
from store.registry.history import Source
from store.registry.models import Dwelling, Residence, Resident, ResidentChange
from store.registry.residents import add_residents, update_field
from store.registry.seen import SeenHashes
from store.registry.sheet import Sheet
from store.sealing import Sealer

WRITTEN = ("new", "changed")
BATCH = 500  # rows matched with one query, and written before the next are read
FIRST_ANALYSE = 2000  # rows written before the tables' statistics are first refreshed
KEEP_IN_MEMORY = 2000  # outcomes kept in memory before they are spilled to a temporary file
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
    flags: tuple[str, ...] = ()  # fields whose flagged values staff accepted as given


@dataclass(frozen=True)
class ImportOptions:
    """Staff's decisions for one import: headings mapped, flagged rows accepted, buildings to be
    created, and what to do with each conflict and accepted row when applying."""

    mapping: Mapping[str, str] = dataclasses.field(default_factory=dict)
    accept: frozenset[int] = frozenset()  # lines whose flagged values are kept as given
    accept_all: bool = False
    # Buildings staff chose to create: a dry run reads them as if they existed already.
    new_buildings: tuple[str, ...] = ()
    on_conflict: Callable[[CheckedRow, RowOutcome, Resident], None] | None = None
    on_flags: Callable[[CheckedRow, int], None] | None = None  # the row, its resident's id


class Outcomes:
    """The rows that are not unchanged, in line order: the first few thousand in memory, the rest
    spilled to an unnamed temporary file, so a 100k-row sheet's outcomes do not fill memory."""

    def __init__(self, keep: int = KEEP_IN_MEMORY) -> None:
        self._keep, self._spilled = keep, 0
        self._memory: list[RowOutcome] = []
        self._file: IO[bytes] | None = None

    def append(self, outcome: RowOutcome) -> None:
        """Add the next row's outcome (rows come in line order)."""
        self._memory.append(outcome)
        if len(self._memory) >= self._keep:
            if self._file is None:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the result
            self._file.seek(0, io.SEEK_END)
            pickle.dump([dataclasses.astuple(o) for o in self._memory], self._file)
            self._spilled += len(self._memory)
            self._memory = []

    def __len__(self) -> int:
        return self._spilled + len(self._memory)

    def __iter__(self) -> Iterator[RowOutcome]:
        if self._file is not None:
            self._file.seek(0)
            done = 0
            while done < self._spilled:
                chunk = pickle.load(self._file)  # our own file, written above
                done += len(chunk)
                yield from (RowOutcome(*values) for values in chunk)
        yield from list(self._memory)

    def page(self, offset: int, limit: int) -> list[RowOutcome]:
        """`limit` outcomes from the `offset`-th on (0-based), for a paged view."""
        return list(itertools.islice(self, offset, offset + limit))

    def close(self) -> None:
        """Drop the spilled rows' file (it also goes when the result is garbage-collected)."""
        if self._file is not None:
            self._file.close()
            self._file, self._spilled = None, 0


@dataclass
class ImportResult:
    """Counts per outcome, the rows that are not unchanged, and headings nobody reads."""

    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(IMPORT_OUTCOMES, 0)
    )
    rows: Outcomes = dataclasses.field(default_factory=lambda: Outcomes())
    ignored_headings: list[str] = dataclasses.field(default_factory=list)
    applied: bool = False
    unknown_headings: list[str] = dataclasses.field(default_factory=list)
    # Building names the committee does not have, with how many rows name each.
    unknown_buildings: dict[str, int] = dataclasses.field(default_factory=dict)


# ---- matching and writing ----------------------------------------------------------------------


class _Importer:
    """One import's state: the IDs already seen, and the households and dwellings the batch in
    hand names (only those: a committee-wide map would grow with every new household)."""

    def __init__(self, session: Session, sealer: Sealer, committee_id: int,
                 content: RegistryContent, file_name: str, now: datetime,
                 options: ImportOptions | None = None) -> None:  # fmt: skip
        self.session, self.sealer, self.committee_id = session, sealer, committee_id
        self.file_name, self.now = file_name, now
        self.options = options or ImportOptions()
        self.words = code_words(content)
        self.buildings = committee_buildings(session, committee_id)
        # Not stored yet (a dry run): ids below zero match no dwelling, so their rows read as moves.
        self.buildings += [Place(id=-i, committee_id=committee_id, name=name, kind="building")
                           for i, name in enumerate(self._to_create(), start=1)]  # fmt: skip
        self.unknown_buildings: dict[str, int] = {}
        self.dwellings: dict[tuple[int, str, str], int] = {}
        self.households: dict[str, _Known] = {}
        self.heads: list[tuple[int, int]] = []  # (household, resident) heads not yet written
        self.seen = SeenHashes()
        self.created: dict[int, int] = {}  # line → the resident its row just created
        self.written, self.analyse_at = 0, FIRST_ANALYSE

    def grew(self, rows: int) -> None:
        """Count rows written; refresh the statistics each time the count doubles (2k, 4k, …)."""
        self.written += rows
        if self.written >= self.analyse_at:
            analyse(self.session)
            self.analyse_at = 2 * self.written

    def check(self, line: int, raw: dict[str, object]) -> CheckedRow | RowOutcome:
        """The checked row, or its invalid outcome."""
        accept = self.options.accept_all or line in self.options.accept
        try:
            row = check_row(raw, words=self.words, buildings=self.buildings, sealer=self.sealer,
                           line=line, accept=accept)  # fmt: skip
        except Invalid as bad:
            if bad.reason == "unknown_building":
                name = normalise(str(raw.get("building") or ""))
                self.unknown_buildings[name] = self.unknown_buildings.get(name, 0) + 1
            return RowOutcome(line, "invalid", bad.reason, bad.field, (bad.field,),
                              **who(raw))  # fmt: skip
        if row.id_hash in self.seen:
            return RowOutcome(line, "invalid", "duplicate_in_file", "id_card", ("id_card",),
                              **who(raw))  # fmt: skip
        self.seen.add(row.id_hash)
        return row

    def plan(self, rows: list[CheckedRow]) -> list[tuple[CheckedRow, RowOutcome, list[Resident]]]:
        """Each checked row matched by its ID hash and compared with the registry."""
        self._load(rows)
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
        living: dict[int, tuple[int, str, str]] = {}  # resident → where they live now
        residences = (
            select(Residence.resident_id, Dwelling.place_id, Dwelling.unit, Dwelling.room)
            .join(Dwelling, col(Dwelling.id) == col(Residence.dwelling_id))
            .where(col(Residence.resident_id).in_(ids), col(Residence.moved_out).is_(None))
        )
        for resident_id, *key in self.session.exec(residences.order_by(col(Residence.id))):
            living[resident_id] = tuple(key)  # type: ignore[assignment]
        planned = []
        for row in rows:
            found = matched.get(row.id_hash, [])
            planned.append((row, self._compare(row, found, latest, living), found))
        return planned

    def _load(self, rows: list[CheckedRow]) -> None:
        """The households and dwellings the batch's rows name, as the store has them now."""
        numbers = [row.household_number for row in rows if row.household_number is not None]
        self.households = {number: _Known(i, head) for number, (i, head)
                           in households_numbered(self.session, self.committee_id,
                                                  numbers).items()}  # fmt: skip
        keys = [row.dwelling for row in rows if row.dwelling is not None]
        self.dwellings = dwellings_at(self.session, self.committee_id, keys)

    def _to_create(self) -> list[str]:
        """The buildings staff chose to create that the committee does not have yet."""
        return [name for name in self.options.new_buildings
                if building_named(name, self.buildings) is None]  # fmt: skip

    def _compare(self, row: CheckedRow, found: list[Resident], latest: dict[tuple[int, str], str],
                 living: dict[int, tuple[int, str, str]]) -> RowOutcome:  # fmt: skip
        id_card = row.values.get("id_card") or row.flags["id_card"][0]
        who = {"name": row.values["name"], "id_card": mask_id_card(id_card),
               "flags": tuple(row.flags)}  # fmt: skip
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
        if row.dwelling is not None and living.get(resident.id or 0) != row.dwelling:
            differ.append("dwelling")
        flagged = [f for f, (given, _) in row.flags.items() if given != self._current(resident, f)]
        if not differ and flagged:  # an accepted value is written even when nothing else differs
            return RowOutcome(row.line, "changed", "flag_accepted", **who)
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
        if outcome.outcome == "new":
            return self.write_new([(row, outcome)])[0]
        source = Source.imported(self.file_name, row.line)
        values = dict(row.values)
        resident = found[0]
        try:
            for name in outcome.fields:
                if name == "dwelling":
                    self._move_in(resident.id or 0, row, moving=True)
                    continue
                if name == "household_id":
                    values[name] = self._household(row.household_number or "").id
                update_field(self.session, self.sealer, committee_id=self.committee_id,
                             resident_id=resident.id or 0, field=name, value=values[name],
                             source=source, now=self.now)  # fmt: skip
            self._head(resident.id or 0, row)
        except Refused as refused:
            return _refused(row, outcome, refused)
        set_heads(self.session, self.heads)
        self.heads = []
        return outcome

    def write_new(self, rows: list[tuple[CheckedRow, RowOutcome]]) -> list[RowOutcome]:
        """Write a batch's new rows with a few statements (residents, their history, where they
        live, heads); each row's outcome, invalid where the store refused a value."""
        batch = []
        for row, _ in rows:
            values = dict(row.values)
            if row.household_number is not None:
                values["household_id"] = self._household(row.household_number).id
            batch.append((values, Source.imported(self.file_name, row.line)))
        written = add_residents(self.session, self.sealer, committee_id=self.committee_id,
                                batch=batch, now=self.now)  # fmt: skip
        outcomes, residences = [], []
        for (row, outcome), resident in zip(rows, written, strict=True):
            if isinstance(resident, Refused):
                outcomes.append(_refused(row, outcome, resident))
                continue
            if row.flags:  # for on_flags, which stores them on this resident
                self.created[row.line] = resident
            self._head(resident, row)
            if row.dwelling is not None:
                residences.append(self._residence(resident, row))
            outcomes.append(outcome)
        insert_residences(self.session, residences)
        set_heads(self.session, self.heads)
        self.heads = []
        return outcomes

    def prepare(self, rows: list[CheckedRow]) -> None:
        """Create the households and dwellings a batch's rows need, a statement for each kind."""
        numbers = sorted({row.household_number for row in rows} - {None} - set(self.households))
        ids = insert_households(self.session, self.committee_id, numbers)  # type: ignore[arg-type]
        for number, household_id in zip(numbers, ids, strict=True):
            self.households[number] = _Known(household_id, None)  # type: ignore[index]
        keys = sorted({row.dwelling for row in rows} - {None} - set(self.dwellings))
        ids = insert_dwellings(self.session, self.committee_id, keys)  # type: ignore[arg-type]
        for key, dwelling_id in zip(keys, ids, strict=True):
            self.dwellings[key] = dwelling_id  # type: ignore[index]

    def _household(self, number: str) -> _Known:
        if number not in self.households:
            [household_id] = insert_households(self.session, self.committee_id, [number])
            self.households[number] = _Known(household_id, None)
        return self.households[number]

    def _head(self, resident_id: int, row: CheckedRow) -> None:
        """A head of household (户主) becomes its head when it has none yet."""
        if row.household_number is None or row.values.get("relation_to_head") != "head":
            return
        household = self.households[row.household_number]
        if household.head_resident_id is None:
            household.head_resident_id = resident_id
            self.heads.append((household.id, resident_id))

    def _residence(self, resident_id: int, row: CheckedRow) -> dict[str, Any]:
        """The row's resident lives in its dwelling (created if new) from today."""
        assert row.dwelling is not None
        if row.dwelling not in self.dwellings:
            self.prepare([row])
        role = "self" if row.values.get("relation_to_head") == "head" else "family"
        return {"resident_id": resident_id, "dwelling_id": self.dwellings[row.dwelling],
                "role": role, "moved_in": self.now.date()}  # fmt: skip

    def _move_in(self, resident_id: int, row: CheckedRow, *, moving: bool) -> None:
        """The resident lives in the row's dwelling from today; where they lived before ends."""
        if moving:
            current = select(Residence).where(
                Residence.resident_id == resident_id, col(Residence.moved_out).is_(None)
            )
            for residence in self.session.exec(current):
                residence.moved_out = self.now.date()
                self.session.add(residence)
            self.session.flush()
        insert_residences(self.session, [self._residence(resident_id, row)])


@dataclass(slots=True)
class _Known:
    """A household the import knows (an ORM object each would weigh ~1 KB; a committee has tens
    of thousands): its id and its head."""

    id: int
    head_resident_id: int | None


def _refused(row: CheckedRow, outcome: RowOutcome, refused: Refused) -> RowOutcome:
    """A row the store refused a value of: invalid, with the store's reason."""
    return RowOutcome(row.line, "invalid", refused.code or refused.reason, refused.field,
                      (refused.field,), outcome.name, outcome.id_card)  # fmt: skip


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
    options: ImportOptions | None = None,
    file_name: str | None = None,
) -> ImportResult:
    """Plan every row of a sheet and, with apply, write the new and changed ones (flushed).

    `file_name` is what sources name (the name staff uploaded, not the stored file's).
    """
    options = options or ImportOptions()
    sheet = Sheet(path, content.imports.columns, options.mapping)
    importer = _Importer(session, sealer, committee_id, content, file_name or path.name, now,
                         options)  # fmt: skip
    result = ImportResult(ignored_headings=sheet.ignored_headings, applied=apply,
                          unknown_headings=sheet.unknown_headings)  # fmt: skip

    def settle(outcome: RowOutcome) -> None:
        result.counts[outcome.outcome] += 1
        if outcome.outcome != "unchanged":
            result.rows.append(outcome)

    def flush(batch: list[CheckedRow], early: list[RowOutcome]) -> None:
        """Plan and write a batch, then settle its outcomes with the batch's invalid rows (read
        while it filled) in line order, so the outcomes need no sorting later."""
        planned = importer.plan(batch)
        written: dict[int, RowOutcome] = {}
        if apply:
            importer.prepare([row for row, outcome, _ in planned if outcome.outcome in WRITTEN])
            new = [(row, outcome) for row, outcome, _ in planned if outcome.outcome == "new"]
            done = importer.write_new(new)
            written = {row.line: outcome for (row, _), outcome in zip(new, done, strict=True)}
        outcomes = []
        for row, outcome, found in planned:
            if apply and outcome.outcome in WRITTEN:
                outcome = written.get(row.line) or importer.write(row, outcome, found)
                if row.flags and outcome.outcome in WRITTEN and options.on_flags:
                    made = importer.created.pop(row.line, None)
                    options.on_flags(row, made if made is not None else found[0].id or 0)
            if apply and outcome.outcome == "conflicting" and found and options.on_conflict:
                options.on_conflict(row, outcome, found[0])
            outcomes.append(outcome)
        for outcome in heapq.merge(outcomes, early, key=lambda outcome: outcome.line):
            settle(outcome)
        session.flush()
        if apply:
            importer.grew(sum(1 for outcome in outcomes if outcome.outcome in WRITTEN))
        if progress is not None:
            progress(len(batch))

    batch: list[CheckedRow] = []
    early: list[RowOutcome] = []
    for line, raw in sheet.rows():
        checked = importer.check(line, raw)
        if isinstance(checked, RowOutcome):
            early.append(checked)
            continue
        batch.append(checked)
        if len(batch) >= BATCH:
            flush(batch, early)
            batch, early = [], []
    flush(batch, early)
    result.unknown_buildings = importer.unknown_buildings
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
