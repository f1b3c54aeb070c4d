"""`linli import residents`: a dry run with counts and an XLSX report, then apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli.main import app as cli
from tests.chat import DATA_KEY
from tests.report_helpers import COMMITTEE, Neighbourhood
from tests.store.test_registry_import import census, write_xlsx


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
    assert invalid[44][1] == "本社区没有这个楼栋，请先在“地点”里添加（楼栋）"
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
