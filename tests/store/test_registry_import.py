"""Importing a census-shaped residents sheet: a dry run first, then apply; nothing twice."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.content import ContentError, load_content
from config.registry_content import RegistryContent
from store.db import unit_of_work
from store.registry.history import Source
from store.registry.imports import ImportResult, apply_import, plan_import
from store.registry.models import Dwelling, Household, Residence, Resident
from store.registry.residents import find_by_id_card, update_field
from tests.chat import SEALER
from tests.flows.test_identity import valid_id
from tests.report_helpers import Neighbourhood

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
HEADINGS = ["序号", "姓名", "性别", "公民身份号码", "出生日期", "手机号码", "楼栋", "单元", "房号",
            "与户主关系", "户号", "人户状态", "户籍地址", "备注"]  # fmt: skip
ALL_OUTCOMES = ("new", "changed", "unchanged", "conflicting", "invalid")


def person(i: int) -> list[object]:
    """The i-th resident of a generated census: a valid ID, a mobile, a room of 3栋 or 5栋."""
    born = date(1940, 1, 1) + timedelta(days=9 * i)
    male = i % 2 == 0
    id_card = valid_id(f"440106{born:%Y%m%d}{i % 100:02d}{1 if male else 2}")
    birth: object = datetime(born.year, born.month, born.day) if i % 3 else f"{born:%Y-%m-%d}"
    return [i + 1, f"居民{i:04d}", "男" if male else "女", id_card, birth, f"139{i:08d}",
            "3栋" if i % 2 else "5号楼", str(i % 2 + 1), f"{(i // 4) % 30 + 1}0{i % 4 + 1}",
            "户主" if i % 3 == 0 else "配偶", f"H{i // 3:04d}", "人户一致", "广州市越秀区某路1号",
            ""]  # fmt: skip


def bad_rows(first: list[object]) -> list[list[object]]:
    """A handful of rows a census sheet typically has wrong, each invalid for its own reason."""
    wrong_check = str(first[3])[:17] + ("0" if str(first[3])[17] != "0" else "1")
    rows = [list(first) for _ in range(5)]
    rows[0][1:4] = ["校验位错", "男", wrong_check]
    rows[1][1], rows[1][3], rows[1][6] = "没有楼", valid_id("44010619800101001"), "9栋"
    rows[2][1], rows[2][3], rows[2][5] = "手机错", valid_id("44010619800101011"), "1391234567"
    rows[3][1], rows[3][3] = "没身份证", ""
    rows[4][1] = "重复"  # the same ID number as the first resident
    rows[1][2] = rows[2][2] = "男"
    rows[1][4] = rows[2][4] = "1980-01-01"
    return rows


BAD_REASONS = ["id_card_check_digit", "unknown_building", "mobile_format", "no_id_card",
               "duplicate_in_file"]  # fmt: skip


def census(count: int) -> list[list[object]]:
    """Rows of a generated census: the residents, then the bad rows."""
    people = [person(i) for i in range(count)]
    return people + bad_rows(people[0])


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """A sheet as committees keep it: a title row, then the headings, then the rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民基本信息")
    sheet.append(["东风社区居民基本信息表"])
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADINGS)
        for row in rows:
            writer.writerow([f"{v:%Y/%m/%d}" if isinstance(v, datetime) else v for v in row])
    return path


@pytest.fixture
def registry(content_dir: Path) -> RegistryContent:
    return load_content(content_dir).registry


def run(database: Engine, place: Neighbourhood, registry: RegistryContent, path: Path, *,
        apply: bool, now: datetime = NOW) -> ImportResult:  # fmt: skip
    with unit_of_work(database) as session:
        act = apply_import if apply else plan_import
        return act(session, SEALER, committee_id=place.committee_id, path=path,
                   content=registry, now=now)  # fmt: skip


def counts(**given: int) -> dict[str, int]:
    return {outcome: given.get(outcome, 0) for outcome in ALL_OUTCOMES}


def count(database: Engine, table: type) -> int:
    with Session(database) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_a_census_of_2000_is_planned_applied_and_reimported_unchanged(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "2026年人口普查.xlsx", census(2000))
    planned = run(database, place, registry, sheet, apply=False)
    assert planned.counts == counts(new=2000, invalid=5)
    assert [(r.line, r.reason) for r in planned.rows if r.outcome == "invalid"] == list(
        zip(range(2003, 2008), BAD_REASONS, strict=True)
    )
    assert planned.ignored_headings == ["序号", "户籍地址"]
    assert count(database, Resident) == 0  # the dry run wrote nothing

    applied = run(database, place, registry, sheet, apply=True)
    assert applied.counts == planned.counts
    assert count(database, Resident) == 2000
    assert count(database, Residence) == 2000
    assert count(database, Household) == 667
    with Session(database) as session:
        [first] = find_by_id_card(session, SEALER, place.committee_id, str(person(0)[3]))
        assert (first.name, first.gender, first.birth_date) == (
            "居民0000",
            "male",
            date(1940, 1, 1),
        )
        assert SEALER.open(first.mobile_sealed or "") == "13900000000"
        residence = session.exec(select(Residence).where(Residence.resident_id == first.id)).one()
        dwelling = session.get(Dwelling, residence.dwelling_id)
        assert dwelling is not None
        assert (dwelling.place_id, dwelling.unit, dwelling.room, residence.role) == (
            place.building_5, "1", "101", "self",
        )  # fmt: skip
        household = session.get(Household, first.household_id)
        assert household is not None
        assert (household.number, household.head_resident_id) == ("H0000", first.id)

    again = run(database, place, registry, sheet, apply=True, now=NOW + timedelta(days=30))
    assert again.counts == counts(unchanged=2000, invalid=5)
    assert count(database, Resident) == 2000
    assert count(database, Residence) == 2000


def test_a_staff_edit_survives_an_older_import_as_a_conflict(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    rows = [person(i) for i in range(3)]
    sheet = write_xlsx(tmp_path / "2025.xlsx", rows)
    assert run(database, place, registry, sheet, apply=True).counts == counts(new=3)
    with unit_of_work(database) as session:
        [edited] = find_by_id_card(session, SEALER, place.committee_id, str(rows[0][3]))
        update_field(session, SEALER, committee_id=place.committee_id, resident_id=edited.id or 0,
                     field="mobile", value="13512345678", source=Source.staff(7),
                     now=NOW + timedelta(days=1))  # fmt: skip
    # The next sheet moves the second resident to another room and changes the third's mobile.
    rows[1][8], rows[2][5] = "2808", "13700000002"
    newer = write_xlsx(tmp_path / "2026.xlsx", rows)
    later = NOW + timedelta(days=2)
    result = run(database, place, registry, newer, apply=True, now=later)
    assert result.counts == counts(conflicting=1, changed=2)
    assert [(r.line, r.outcome, r.reason, r.fields) for r in result.rows] == [
        (3, "conflicting", "edited_by_staff", ("mobile",)),
        (4, "changed", "differs", ("dwelling",)),
        (5, "changed", "differs", ("mobile",)),
    ]
    with Session(database) as session:
        [kept] = find_by_id_card(session, SEALER, place.committee_id, str(rows[0][3]))
        assert SEALER.open(kept.mobile_sealed or "") == "13512345678"
        [moved] = find_by_id_card(session, SEALER, place.committee_id, str(rows[1][3]))
        homes = session.exec(select(Residence).where(Residence.resident_id == moved.id)).all()
        assert sorted((h.moved_out is None, h.moved_in) for h in homes) == [
            (False, NOW.date()), (True, later.date()),
        ]  # fmt: skip
    # Staff have not decided yet: the conflict is reported again, the rest is now unchanged.
    assert run(database, place, registry, newer, apply=True).counts == counts(
        conflicting=1, unchanged=2
    )


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_a_csv_sheet_in_gb18030_or_utf8_is_read(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path,
    encoding: str,
) -> None:  # fmt: skip
    rows = census(20)
    sheet = write_csv(tmp_path / "居民.csv", rows, encoding)
    assert run(database, place, registry, sheet, apply=True).counts == counts(new=20, invalid=5)
    with Session(database) as session:
        names = set(session.exec(select(Resident.name)))
    assert {"居民0000", "居民0019"} <= names
    assert run(database, place, registry, sheet, apply=False).counts == counts(
        unchanged=20, invalid=5
    )


def test_a_row_contradicting_its_id_number_is_invalid_and_nothing_is_guessed(
    database: Engine, place: Neighbourhood, registry: RegistryContent, tmp_path: Path
) -> None:
    rows = [person(i) for i in range(4)]
    rows[0][2] = "女"  # the ID number says male
    rows[1][4] = "1999-01-01"
    rows[2][9] = "表哥"  # not a relation registry.yaml knows
    rows[3][6] = "三号楼"  # 3栋 by its number: the committee's building, not a guess
    result = run(database, place, registry, write_xlsx(tmp_path / "s.xlsx", rows), apply=True)
    assert [(r.outcome, r.reason, r.field) for r in result.rows] == [
        ("invalid", "gender_mismatch", "gender"),
        ("invalid", "birth_date_mismatch", "birth_date"),
        ("invalid", "unknown_code", "relation_to_head"),
        ("new", "not_registered", ""),
    ]
    assert count(database, Resident) == 1


def test_an_import_preset_naming_an_unknown_field_is_reported_with_its_line(
    content_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "zh-CN"
    shutil.copytree(content_dir, copy)
    registry_yaml = copy / "registry.yaml"
    text = registry_yaml.read_text(encoding="utf-8")
    text = text.replace("    notes: [备注]\n", "    notes: [备注]\n    hobby: [爱好]\n")
    registry_yaml.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    hobby: [爱好]") + 1
    with pytest.raises(ContentError) as error:
        load_content(copy)
    [problem] = error.value.problems
    assert (problem.file.name, problem.line) == ("registry.yaml", line)
    assert "hobby" in str(problem)
