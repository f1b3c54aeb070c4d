"""Issue 11's census test: a sheet of 2,000 residents with a handful of bad rows is planned,
applied and re-imported unchanged; a staff edit survives an older import as a conflict; and
this year's changed sheet, compared with the registry, lists exactly who came, who went and
what changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from config.content import load_content
from config.registry_content import RegistryContent
from store.db import unit_of_work
from store.registry import flags
from store.registry.census import Comparison, compare
from store.registry.checks import CheckedRow
from store.registry.history import Source
from store.registry.imports import ImportOptions, run_import
from store.registry.residents import find_by_id_card, update_field
from tests.chat import SEALER
from tests.report_helpers import Neighbourhood
from tests.store.test_registry_import import census, counts, person, run, write_xlsx

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)
PEOPLE = 2000
GONE = range(10, 15)  # not in this year's sheet
MOVED_OUT = 15  # not in this year's sheet either, but staff recorded the move: not "gone"
COMERS = range(PEOPLE, PEOPLE + 7)  # new in this year's sheet
BAD = ["id_card_check_digit", "unknown_building", "mobile_format", "no_id_card",
       "duplicate_in_file"]  # fmt: skip


def this_years_rows() -> list[list[object]]:
    """Last year's sheet with some residents gone, some come and some details changed."""
    rows = census(PEOPLE)
    people, bad = rows[:PEOPLE], rows[PEOPLE:]
    changed = [list(row) for row in people]
    changed[20][5] = "13700000020"  # a new mobile
    changed[21][8] = "2808"  # moved to another room
    changed[22][1] = "居民0022改"  # a corrected name
    changed[23][11] = "人在户不在"  # works elsewhere now
    kept = [row for i, row in enumerate(changed) if i not in GONE and i != MOVED_OUT]
    return kept + [person(i) for i in COMERS] + bad


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Last year's sheet and this year's, generated once for the module."""
    folder = tmp_path_factory.mktemp("census")
    last = write_xlsx(folder / "2025年居民基本信息.xlsx", census(PEOPLE))
    return last, write_xlsx(folder / "2026年人口普查.xlsx", this_years_rows())


@pytest.fixture
def registry(content_dir: Path) -> RegistryContent:
    return load_content(content_dir).registry


def compared(database: Engine, place: Neighbourhood, registry: RegistryContent,
             sheet: Path) -> Comparison:  # fmt: skip
    with unit_of_work(database) as session:
        return compare(session, SEALER, committee_id=place.committee_id, path=sheet,
                       content=registry, today=TODAY)  # fmt: skip


def staff_edit(database: Engine, place: Neighbourhood, index: int, field: str, value: str) -> None:
    with unit_of_work(database) as session:
        [resident] = find_by_id_card(session, SEALER, place.committee_id, str(person(index)[3]))
        update_field(session, SEALER, committee_id=place.committee_id,
                     resident_id=resident.id or 0, field=field, value=value,
                     source=Source.staff(1), now=NOW + timedelta(days=1))  # fmt: skip


def test_a_census_sheet_is_imported_then_this_years_sheet_compared(
    database: Engine, place: Neighbourhood, registry: RegistryContent, sheets: tuple[Path, Path]
) -> None:
    last, this = sheets
    planned = run(database, place, registry, last, apply=False)
    assert planned.counts == counts(new=PEOPLE, invalid=5)
    assert [r.reason for r in planned.rows if r.outcome == "invalid"] == BAD
    assert run(database, place, registry, last, apply=True).counts == planned.counts
    later = NOW + timedelta(days=30)
    again = run(database, place, registry, last, apply=True, now=later)
    assert again.counts == counts(unchanged=PEOPLE, invalid=5)

    # Staff correct a mobile and record a move; last year's sheet, imported again, keeps both.
    staff_edit(database, place, 0, "mobile", "13512345678")
    staff_edit(database, place, MOVED_OUT, "residence_status", "moved_out")
    older = run(database, place, registry, last, apply=True, now=later)
    assert older.counts == counts(unchanged=PEOPLE - 1, conflicting=1, invalid=5)
    assert [(r.line, r.reason, r.fields) for r in older.rows if r.outcome == "conflicting"] == [
        (3, "edited_by_staff", ("mobile",))
    ]

    result = compared(database, place, registry, this)
    names = {f"居民{i:04d}" for i in COMERS}
    assert {row.record["name"] for row in result.added} == names
    assert {row.record["name"] for row in result.removed} == {f"居民{i:04d}" for i in GONE}
    assert {row.name: [(c.field, c.registry, c.sheet) for c in row.changes]
            for row in result.changed} == {
        "居民0000": [("mobile", "135****5678", "139****0000")],
        "居民0020": [("mobile", "139****0020", "137****0020")],
        "居民0021": [("dwelling", f"3栋 2单元 {person(21)[8]}", "3栋 2单元 2808")],
        "居民0022": [("name", "居民0022", "居民0022改")],
        "居民0023": [("hukou_status", "consistent", "away")],
    }  # fmt: skip
    assert [row.reason for row in result.invalid] == BAD
    assert result.counts == {"added": 7, "removed": 5, "changed": 5, "invalid": 5,
                             "unchanged": PEOPLE - 5 - 1 - 5}  # fmt: skip
    # Numbers are masked in everything the comparison holds.
    shown = repr(result)
    assert not any(str(person(i)[3]) in shown or str(person(i)[5]) in shown
                   for i in [*range(30), *COMERS])  # fmt: skip

    # The comparison wrote nothing: comparing again gives the same answer.
    assert compared(database, place, registry, this).counts == result.counts


def test_a_resident_whose_flagged_number_staff_accepted_is_invalid_but_not_gone(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    rows = [person(i) for i in range(3)]
    rows[1][3] = str(rows[1][3])[:17] + ("0" if str(rows[1][3])[17] != "0" else "1")
    sheet = write_xlsx(tmp_path / "2025.xlsx", rows)
    with unit_of_work(database) as session:

        def keep(row: CheckedRow, resident_id: int) -> None:
            flags.keep(session, SEALER, resident_id=resident_id, row=row, accepted_by=1,
                       source=Source.imported(sheet.name, row.line), now=NOW)  # fmt: skip

        options = ImportOptions(accept=frozenset({4}), on_flags=keep)
        accepted = run_import(session, SEALER, committee_id=place.committee_id, path=sheet,
                              content=registry, apply=True, now=NOW, options=options)  # fmt: skip
    assert accepted.counts == counts(new=3)
    result = compared(database, place, registry, sheet)
    assert [(row.line, row.reason) for row in result.invalid] == [(4, "id_card_check_digit")]
    assert (result.removed, result.added, result.changed) == ([], [], [])


def test_a_row_invalid_for_a_reason_staff_cannot_accept_is_invalid_but_not_gone(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    rows = [person(i) for i in range(3)]
    run(database, place, registry, write_xlsx(tmp_path / "2025.xlsx", rows), apply=True)
    this_year = [list(row) for row in rows]
    this_year[1][9] = "邻居"  # no such 与户主关系
    this_year[2][6] = "7栋"  # no such building
    result = compared(database, place, registry, write_xlsx(tmp_path / "2026.xlsx", this_year))
    invalid = [(row.line, row.field, row.reason) for row in result.invalid]
    assert invalid == [(4, "relation_to_head", "unknown_code"), (5, "building", "unknown_building")]
    assert (result.removed, result.added, result.changed) == ([], [], [])
    assert result.counts["unchanged"] == 1


def test_numbers_in_the_notes_are_masked_in_the_comparison(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    rows = [person(i) for i in range(3)]
    rows[0][13] = "女儿电话13912345678"
    rows[1][13] = "儿子身份证440106198001010012"
    run(database, place, registry, write_xlsx(tmp_path / "2025.xlsx", rows), apply=True)
    comer = person(3)
    comer[13] = "邻居电话13812345678"
    this_year = [list(rows[0]), list(rows[2]), comer]
    this_year[0][13] = "女儿电话13987654321"
    result = compared(database, place, registry, write_xlsx(tmp_path / "2026.xlsx", this_year))
    [changed] = result.changed
    assert [(c.field, c.registry, c.sheet) for c in changed.changes] == [
        ("notes", "女儿电话139****5678", "女儿电话139****4321")
    ]
    assert [row.record["notes"] for row in result.added] == ["邻居电话138****5678"]
    assert [row.record["notes"] for row in result.removed] == ["儿子身份证440106********0012"]
    shown = repr(result)
    for number in ("13912345678", "13987654321", "13812345678", "440106198001010012"):
        assert number not in shown
