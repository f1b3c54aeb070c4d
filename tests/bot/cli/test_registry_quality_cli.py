"""`linli registry quality` counts each kind on screen and writes every finding to an XLSX with
the numbers masked: no plaintext number anywhere in the file."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli.main import app as cli
from store.db import unit_of_work
from store.registry import homes
from store.registry.history import Source
from store.registry.residents import add_resident
from tests.chat import DATA_KEY, SEALER
from tests.flows.test_identity import MAN_1955, WOMAN_1962
from tests.report_helpers import COMMITTEE, Neighbourhood

SHARED = "13912340000"


def _seed(database: Engine, place: Neighbourhood) -> None:
    now = datetime.now(UTC)
    rows = (
        ("李建国", MAN_1955, place.building_3, now),
        ('=HYPERLINK("x")', WOMAN_1962, place.building_5, now - timedelta(days=800)),
    )
    with unit_of_work(database) as session:
        for name, id_card, building, at in rows:
            resident = add_resident(
                session, SEALER, committee_id=place.committee_id,
                values={"name": name, "id_card": id_card, "mobile": SHARED},
                source=Source.imported("普查.xlsx", 1), now=at,
            )  # fmt: skip
            dwelling = homes.dwelling(session, place.committee_id, building, "1", "101", "owner")
            homes.move_in(session, resident.id or 0, dwelling.id or 0, "self", None)


def test_the_report_counts_each_kind_and_its_sheet_masks_every_number(
    database: Engine, place: Neighbourhood, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _seed(database, place)
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LINLI_DATA_KEY", DATA_KEY)
    output = tmp_path / "质量.xlsx"
    result = CliRunner().invoke(
        cli, ["registry", "quality", "--committee", COMMITTEE, "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "多户共用手机号" in result.output and "超过一年未核实" in result.output
    rows = list(load_workbook(output).active.iter_rows(values_only=True))
    assert rows[0] == ("问题", "居民编号", "姓名", "身份证号 / 手机（已遮盖）", "说明")
    assert [(row[0], row[2], row[4]) for row in rows[1:]] == [
        ("多户共用手机号", "李建国", "同一个手机号登记在 2 个不同的户"),
        ("多户共用手机号", '=HYPERLINK("x")', "同一个手机号登记在 2 个不同的户"),
        ("超过一年未核实", '=HYPERLINK("x")',
         f"上次核实：{(datetime.now(UTC) - timedelta(days=800)).date().isoformat()}"),
    ]  # fmt: skip
    assert rows[1][3] == f"{MAN_1955[:6]}{'*' * 8}{MAN_1955[-4:]} / 139****0000"
    # No number in clear anywhere in the file, and the resident's "=…" stays text.
    with zipfile.ZipFile(output) as book:
        raw = b"".join(book.read(name) for name in book.namelist())
    for number in (MAN_1955, WOMAN_1962, SHARED, MAN_1955[6:14]):
        assert number.encode() not in raw
    assert b"<f>" not in raw


def test_an_unknown_committee_is_refused(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(cli, ["registry", "quality", "--committee", "没有的居委会"])
    assert result.exit_code == 1
    assert "no committee named 没有的居委会" in result.output
