"""`linli export PROFILE` and `linli registry compare`: what an operator types and gets."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli.main import app as cli
from tests.chat import DATA_KEY
from tests.report_helpers import COMMITTEE, Neighbourhood
from tests.store.test_registry_import import census, person, write_xlsx

PEOPLE = 12


@pytest.fixture
def linli(database: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LINLI_DATA_KEY", DATA_KEY)
    return CliRunner()


@pytest.fixture
def imported(linli: CliRunner, place: Neighbourhood, tmp_path: Path) -> None:
    sheet = write_xlsx(tmp_path / "居民.xlsx", census(PEOPLE))
    done = linli.invoke(cli, ["import", "residents", str(sheet), "--committee", COMMITTEE])
    assert done.exit_code == 0, done.output


def exports_logged(database: Engine) -> list[tuple[str, str]]:
    with database.connect() as connection:
        query = "SELECT actor, object_id FROM audit_entry WHERE action = 'resident.export'"
        return [tuple(row) for row in connection.execute(text(query))]


@pytest.mark.usefixtures("imported")
def test_the_roster_is_exported_masked_and_full_only_with_a_reason(
    linli: CliRunner, database: Engine, tmp_path: Path
) -> None:
    masked = tmp_path / "花名册.xlsx"
    done = linli.invoke(cli, ["export", "roster", "--committee", COMMITTEE, "--output",
                              str(masked)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"exported {PEOPLE} residents (numbers masked)" in done.output
    rows = list(load_workbook(masked, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + PEOPLE and rows[1][1] == "居民0000"
    id_card = str(person(0)[3])
    assert rows[1][5] == f"{id_card[:6]}********{id_card[-4:]}"

    full = tmp_path / "名单.csv"
    command = ["export", "elderly", "--format", "csv", "--output", str(full), "--full"]
    refused = linli.invoke(cli, command)
    assert refused.exit_code == 1
    assert "refused: why: say why the full numbers are needed" in refused.output
    assert not full.exists()
    done = linli.invoke(cli, [*command, "--reason", "独生子女年审"])
    assert done.exit_code == 0, done.output
    lines = list(csv.reader(full.open(encoding="utf-8-sig")))
    assert lines[1][5] == id_card
    assert exports_logged(database) == [("cli", "roster"), ("cli", "elderly")]


def test_an_unknown_profile_or_committee_is_refused(
    linli: CliRunner, place: Neighbourhood, tmp_path: Path
) -> None:
    wrong = linli.invoke(cli, ["export", "everybody"])
    assert wrong.exit_code == 1
    assert "refused: profile: not one of roster, elderly, census" in wrong.output
    nobody = linli.invoke(cli, ["export", "roster", "--committee", "没有这个居委会", "--output",
                                str(tmp_path / "x.xlsx")])  # fmt: skip
    assert nobody.exit_code == 1 and "no committee named 没有这个居委会" in nobody.output


@pytest.mark.usefixtures("imported")
def test_this_years_sheet_is_compared_and_written_for_staff_to_check(
    linli: CliRunner, database: Engine, tmp_path: Path
) -> None:
    rows = census(PEOPLE)
    rows[5][1] = "居民0005（更正）"
    this_year = write_xlsx(tmp_path / "2026.xlsx", [rows[0], *rows[2:], person(500)])
    output = tmp_path / "比对.xlsx"
    done = linli.invoke(cli, ["registry", "compare", str(this_year), "--committee", COMMITTEE,
                              "--output", str(output)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "新增 1 · 减少 1 · 变更 1 · 无效 5" in done.output
    book = load_workbook(output, read_only=True)
    assert book.sheetnames == ["新增", "减少", "变更", "无效"]
    added = list(book["新增"].iter_rows(values_only=True))
    assert added[0][:4] == ("行号", "姓名", "性别", "公民身份号码")
    assert added[1][1] == "居民0500"
    changed = list(book["变更"].iter_rows(values_only=True))
    # Names are compared as the import stores them: full-width brackets folded (NFKC).
    assert changed[1][4:] == ("姓名", "居民0005", "居民0005(更正)")
    invalid = list(book["无效"].iter_rows(values_only=True))
    assert invalid[1][3] == "身份证号校验位不对，可能有数字抄错（身份证号）"
    with database.connect() as connection:  # a comparison imports nothing
        assert connection.execute(text("SELECT count(*) FROM resident")).scalar_one() == PEOPLE


def test_numbers_in_the_notes_stay_masked_and_the_files_are_the_operators_alone(
    linli: CliRunner, place: Neighbourhood, tmp_path: Path
) -> None:
    rows = [person(i) for i in range(3)]
    rows[0][13] = "女儿电话13912345678"
    sheet = write_xlsx(tmp_path / "居民.xlsx", rows)
    done = linli.invoke(cli, ["import", "residents", str(sheet), "--committee", COMMITTEE])
    assert done.exit_code == 0, done.output

    roster = tmp_path / "花名册.csv"
    done = linli.invoke(cli, ["export", "roster", "--format", "csv", "--output", str(roster)])
    assert done.exit_code == 0, done.output
    lines = list(csv.reader(roster.open(encoding="utf-8-sig")))
    assert dict(zip(lines[0], lines[1], strict=True))["备注"] == "女儿电话139****5678"
    assert "13912345678" not in roster.read_text(encoding="utf-8-sig")
    assert roster.stat().st_mode & 0o777 == 0o600

    rows[0][13] = "女儿电话13987654321"
    output = tmp_path / "比对.xlsx"
    done = linli.invoke(cli, ["registry", "compare", str(write_xlsx(tmp_path / "2026.xlsx", rows)),
                              "--committee", COMMITTEE, "--output", str(output)])  # fmt: skip
    assert done.exit_code == 0, done.output
    changed = list(load_workbook(output, read_only=True)["变更"].iter_rows(values_only=True))
    assert changed[1][4:] == ("备注", "女儿电话139****5678", "女儿电话139****4321")
    assert output.stat().st_mode & 0o777 == 0o600


def test_a_broken_sheet_is_refused_as_unreadable(
    linli: CliRunner, place: Neighbourhood, tmp_path: Path
) -> None:
    broken = tmp_path / "普查.xlsx"
    with zipfile.ZipFile(broken, "w") as book:
        book.writestr("[Content_Types].xml", "<Types><Override")
    done = linli.invoke(cli, ["registry", "compare", str(broken), "--committee", COMMITTEE])
    assert done.exit_code == 1
    assert "refused: file: the sheet cannot be read" in done.output
