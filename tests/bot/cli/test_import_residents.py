"""`linli import residents`: a dry run with counts and an XLSX report, then apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from store.places.models import Place
from store.registry.import_models import RegistryImport, ResidentFlag
from store.registry.models import Resident
from store.staff.models import AuditEntry
from tests.chat import DATA_KEY, SEALER
from tests.report_helpers import COMMITTEE, Neighbourhood
from tests.store.test_registry_import import census, person, write_xlsx


@pytest.fixture
def linli(database: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LINLI_DATA_KEY", DATA_KEY)
    return CliRunner()


def residents(database: Engine) -> int:
    with database.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM resident")).scalar_one()


def test_a_dry_run_counts_and_reports_then_apply_imports(
    linli: CliRunner, database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    rows = census(40)
    sheet = write_xlsx(tmp_path / "普查.xlsx", rows)
    report = tmp_path / "报告.xlsx"
    command = ["import", "residents", str(sheet), "--committee", COMMITTEE]
    dry = linli.invoke(cli, [*command, "--dry-run", "--report", str(report)])
    assert dry.exit_code == 0, dry.output
    assert (
        "dry run, nothing written: 新增 40 · 有变化 0 · 无变化 0 · 有冲突 0 · 无效 5" in dry.output
    )
    assert "headings not read: 序号, 户籍地址" in dry.output
    assert residents(database) == 0

    lines = list(load_workbook(report, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert lines[0] == ("行号", "结果", "原因", "姓名", "身份证号")
    assert len(lines) == 1 + 45  # every row that is not unchanged
    invalid = {line[0]: line[1:] for line in lines[1:] if line[1] == "无效"}
    assert invalid[43] == ("无效", "身份证号校验位不对，可能有数字抄错（身份证号）", "校验位错",
                           str(rows[40][3])[:6] + "********" + str(rows[40][3])[-4:])  # fmt: skip
    assert invalid[44][1] == "本社区没有这个楼栋，可以勾选“创建楼栋”，或先在“地点”里添加（楼栋）"
    assert invalid[45][1] == "手机号应为11位，以13到19开头（手机）"
    assert invalid[46][1:] == ("没有身份证号，无法核对是谁（身份证号）", "没身份证", None)
    assert invalid[47][1] == "这个身份证号在表里出现了不止一次（身份证号）"
    # Numbers are masked: no ID number or mobile of the sheet is in the report.
    dump = " ".join(str(cell) for line in lines for cell in line)
    assert not any(str(row[3]) in dump or str(row[5]) in dump for row in rows if row[3])

    applied = linli.invoke(cli, command)
    assert applied.exit_code == 0, applied.output
    assert "imported: 新增 40 · 有变化 0 · 无变化 0 · 有冲突 0 · 无效 5" in applied.output
    assert residents(database) == 40
    assert sheet.exists()  # the operator's own file is read where it lies, never deleted
    again = linli.invoke(cli, command)
    assert "imported: 新增 0 · 有变化 0 · 无变化 40 · 有冲突 0 · 无效 5" in again.output
    assert residents(database) == 40


def test_an_unknown_committee_or_a_sheet_without_headings_is_refused(
    linli: CliRunner, database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "s.xlsx", census(1))
    wrong = linli.invoke(cli, ["import", "residents", str(sheet), "--committee", "没有这个居委会"])
    assert wrong.exit_code == 1
    assert "no committee named 没有这个居委会" in wrong.output
    blank = tmp_path / "blank.csv"
    blank.write_text("甲,乙\n1,2\n", encoding="utf-8")
    refused = linli.invoke(cli, ["import", "residents", str(blank), "--committee", COMMITTEE])
    assert refused.exit_code == 1
    assert "refused: file: no 姓名 and 身份证号 headings" in refused.output
    assert residents(database) == 0


def _flags_and_places(database: Engine) -> tuple[list[tuple[str, str]], list[str]]:
    with Session(database) as session:
        flags = [(f.field, f.reason) for f in session.exec(select(ResidentFlag)).all()]
        places = list(session.exec(select(Place.name).where(Place.kind == "building")).all())
    return flags, sorted(places)


def test_staff_accept_a_flagged_line_and_create_a_missing_building(
    linli: CliRunner, database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "普查.xlsx", census(10))
    command = ["import", "residents", str(sheet), "--committee", COMMITTEE]
    # Line 13: a wrong check digit; line 14: a building the committee does not have.
    dry = linli.invoke(cli, [*command, "--dry-run"])
    assert "unknown building 9栋 (1 rows): --create-building 9栋 creates it" in dry.output
    applied = linli.invoke(cli, [*command, "--accept", "13", "--create-building", "9栋"])
    assert applied.exit_code == 0, applied.output
    assert "imported: 新增 12 · 有变化 0 · 无变化 0 · 有冲突 0 · 无效 3" in applied.output
    assert _flags_and_places(database) == ([("id_card", "id_card_check_digit")],
                                           ["3栋", "5栋", "9栋"])  # fmt: skip


def test_accept_all_flagged_keeps_every_acceptable_value_and_nothing_else(
    linli: CliRunner, database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "普查.xlsx", census(10))
    command = ["import", "residents", str(sheet), "--committee", COMMITTEE, "--accept-all-flagged"]
    dry = linli.invoke(cli, [*command, "--dry-run"])
    # The wrong check digit and the short mobile are kept as given; an unknown building, a row
    # without an ID number and a repeated ID number cannot be.
    assert (
        "dry run, nothing written: 新增 12 · 有变化 0 · 无变化 0 · 有冲突 0 · 无效 3" in dry.output
    )
    assert residents(database) == 0
    applied = linli.invoke(cli, command)
    assert applied.exit_code == 0, applied.output
    assert residents(database) == 12
    flags, _ = _flags_and_places(database)
    assert sorted(flags) == [("id_card", "id_card_check_digit"), ("mobile", "mobile_format")]


def test_a_sheet_without_the_usual_headings_is_read_with_map(
    linli: CliRunner, database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    sheet = tmp_path / "名单.csv"
    sheet.write_text(f"名字,证件号码,联系方式\n张三,{person(1)[3]},13912345678\n", encoding="utf-8")
    command = ["import", "residents", str(sheet), "--committee", COMMITTEE]
    refused = linli.invoke(cli, command)
    assert refused.exit_code == 1
    assert "refused: file: no 姓名 and 身份证号 headings" in refused.output
    assert ("give --map 'HEADING=name' --map 'HEADING=id_card' with HEADING one of the sheet's "
            "headings: 名字, 证件号码, 联系方式") in refused.output  # fmt: skip
    half = linli.invoke(cli, [*command, "--map", "名字=name"])
    assert "refused: file: no 身份证号 heading" in half.output
    assert "give --map 'HEADING=id_card' with" in half.output
    mapped = ["--map", "名字=name", "--map", "证件号码=id_card", "--map", "联系方式=mobile"]
    applied = linli.invoke(cli, [*command, *mapped])
    assert applied.exit_code == 0, applied.output
    assert "imported: 新增 1 ·" in applied.output
    with Session(database) as session:
        [resident] = session.exec(select(Resident)).all()
        assert resident.name == "张三"
        assert SEALER.open(resident.mobile_sealed or "") == "13912345678"
    wrong = linli.invoke(cli, [*command, "--map", "名字=nickname"])
    assert wrong.exit_code == 1 and "refused: mapping: not a field: nickname" in wrong.output


def test_the_template_has_the_headings_and_drop_downs_for_coded_columns(
    linli: CliRunner, database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    target = tmp_path / "模板.xlsx"
    made = linli.invoke(cli, ["import", "template", "--output", str(target),
                              "--committee", COMMITTEE])  # fmt: skip
    assert made.exit_code == 0, made.output
    book = load_workbook(target)
    sheet, choices = book["居民基本信息"], book["选项"]
    headings = [cell.value for cell in sheet[1]]
    assert headings[:4] == ["姓名", "性别", "出生日期", "身份证号"]
    assert {"联系电话", "楼栋", "单元", "房号", "与户主关系", "户号", "人户状态"} <= set(headings)
    assert choices.sheet_state == "hidden"
    lists = {row[0]: row[1:] for row in choices.iter_rows(values_only=True)}
    assert lists["性别"][:2] == ("男", "女")
    assert [b for b in lists["楼栋"] if b] == ["3栋", "5栋"]
    # Each coded column has a list validation pointing at its row of choices.
    ruled = {}
    for rule in sheet.data_validations.dataValidation:
        column = str(rule.sqref).split(":")[0].rstrip("0123456789")
        ruled[headings[ord(column) - ord("A")]] = (rule.type, rule.formula1)
    assert set(ruled) == {"性别", "楼栋", "与户主关系", "人户状态", "居住状态"}
    assert all(kind == "list" and "选项" in formula for kind, formula in ruled.values())
    # The number columns are text, so Excel keeps an ID number whole.
    assert sheet.cell(row=2, column=headings.index("身份证号") + 1).number_format == "@"


def test_a_command_line_import_is_audited_as_a_console_one_is(
    linli: CliRunner, database: Engine, place: Neighbourhood, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "普查.xlsx", [person(0), person(1)])
    applied = linli.invoke(cli, ["import", "residents", str(sheet), "--committee", COMMITTEE])
    assert applied.exit_code == 0, applied.output
    with Session(database) as session:
        [record] = session.exec(select(RegistryImport)).all()
        entries = session.exec(select(AuditEntry).where(
            AuditEntry.object_type == "registry_import").order_by(AuditEntry.id)).all()  # fmt: skip
    assert record.status == "applied" and record.counts["new"] == 2
    assert [(e.action, e.actor, e.object_id) for e in entries] == [
        ("registry_import.upload", "cli", str(record.id)),
        ("registry_import.apply", "cli", str(record.id)),
    ]
    assert (entries[1].after or {}).get("status") == "applying"
