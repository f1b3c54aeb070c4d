"""The call list staff phone from: `linli outbox unreachable` on the server lists every resident
Linli could not reach, in Chinese; the API shows staff only their own residents, masked."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.main import create_app
from bot.reports import service as reporting
from store.db import unit_of_work
from store.outbox import messages as outbox
from store.outbox.models import OutboxMessage
from store.reports.models import Report
from store.residents import users
from store.staff import audit
from tests.bot.delivery.delivery_rig import CONTENT
from tests.chat import settings_for
from tests.staff_helpers import create_staff, token_for

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _unreachable(
    database: Engine, key: str, recipient: str, text: str, **scope: int | None
) -> None:
    with unit_of_work(database) as session:
        message_id = outbox.enqueue(session, key=key, audience="resident", recipient=recipient,
                                    kind="reminder", payload={"text": text}, now=NOW,
                                    **scope)  # fmt: skip
        assert message_id is not None
        outcome = outbox.Outcome("unreachable", error="errcode 43004", error_code=43004)
        outbox.settle(session, message_id, outcome, NOW)


def _cli(monkeypatch: pytest.MonkeyPatch, database: Engine) -> None:
    monkeypatch.setenv("LINLI_ENV", "dev")
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))


def test_the_call_list_names_each_unreached_resident_and_why(
    database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(database) as session:
        users.seen(session, "o_grandma", NOW, own_message=True)
        for key, recipient, status, reason, code in [
            ("a", "o_grandma", "unreachable", "window_closed", None),
            ("b", "o_gone", "unreachable", "errcode 43004", 43004),
            ("c", "o_fine", "sent", None, None),
        ]:
            message_id = outbox.enqueue(session, key=key, audience="resident", recipient=recipient,
                                        kind="reminder", payload={"text": f"年审提醒{key}"},
                                        now=NOW)  # fmt: skip
            assert message_id is not None
            outcome = outbox.Outcome(status, error=reason, error_code=code)
            outbox.settle(session, message_id, outcome, NOW)
    _cli(monkeypatch, database)
    target = tmp_path / "calls.xlsx"
    result = CliRunner().invoke(cli, ["outbox", "unreachable", "--output", str(target)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target)["呼叫名单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("微信用户标识", "通知类型", "通知内容", "未送达原因")
    by_openid = {row[0]: row for row in rows[1:]}
    assert set(by_openid) == {"o_grandma", "o_gone"}
    assert "超过48小时" in by_openid["o_grandma"][3]
    assert by_openid["o_grandma"][6] == "2026-11-28 10:00"  # Guangzhou time
    assert by_openid["o_gone"][3] == "居民已取消关注公众号"

    csv_target = tmp_path / "calls.csv"
    result = CliRunner().invoke(
        cli, ["outbox", "unreachable", "--format", "csv", "--output", str(csv_target)]
    )
    assert result.exit_code == 0, result.output
    assert "居民已取消关注公众号" in csv_target.read_text(encoding="utf-8-sig")


def test_the_server_call_list_keeps_formulas_as_text_in_csv_and_xlsx(
    database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    formula = '=HYPERLINK("http://evil.example","点此")'
    _unreachable(database, "f", "o_formula", formula)
    _unreachable(database, "p", "o_plus", "+1+1")
    _cli(monkeypatch, database)
    csv_target, xlsx_target = tmp_path / "calls.csv", tmp_path / "calls.xlsx"
    for target, sheet_format in ((csv_target, "csv"), (xlsx_target, "xlsx")):
        result = CliRunner().invoke(
            cli, ["outbox", "unreachable", "--format", sheet_format, "--output", str(target)]
        )
        assert result.exit_code == 0, result.output
    with csv_target.open(encoding="utf-8-sig", newline="") as handle:
        texts = {row[0]: row[2] for row in list(csv.reader(handle))[1:]}
    assert texts == {"o_formula": "'" + formula, "o_plus": "'+1+1"}
    sheet = load_workbook(xlsx_target)["呼叫名单"]
    cells = {row[0].value: row[2] for row in sheet.iter_rows(min_row=2)}
    assert (cells["o_formula"].value, cells["o_formula"].data_type) == (formula, "s")


def test_the_call_list_api_shows_staff_only_their_scope_masked(database: Engine) -> None:
    east = create_staff(database, "clerk", committee="东风社区居委会")
    west = create_staff(database, "other", committee="西湖社区居委会")
    far = create_staff(database, "far", committee="远方居委会", district="另一个街道")
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    far_admin = create_staff(database, "far_admin", role="subdistrict_admin", committee=None,
                             district="另一个街道")  # fmt: skip
    _unreachable(
        database,
        "e",
        "o_resident_east1",
        "东风：请回电 020-83001234",
        committee_id=east.committee_id,
    )
    _unreachable(database, "w", "o_resident_west1", "西湖", committee_id=west.committee_id)
    _unreachable(database, "f", "o_resident_far01", "远方", committee_id=far.committee_id)
    _unreachable(database, "d", "o_resident_dist1", "街道", sub_district_id=east.sub_district_id)
    _unreachable(database, "n", "o_resident_none1", "无主")  # a resident of nobody's
    client = TestClient(create_app(settings_for(database), database=database))
    assert client.get("/api/v1/outbox/unreachable").status_code == 401

    def listed(person: object) -> list[tuple[str, str]]:
        headers = token_for(database, person)  # type: ignore[arg-type]
        body = client.get("/api/v1/outbox/unreachable", headers=headers).json()
        assert body["count"] == len(body["items"])
        return sorted((item["openid"], item["message"]) for item in body["items"])

    [(openid, text)] = listed(east)
    assert openid == "…ast1" and "o_resident_east1" not in openid  # masked like the console
    assert text == "东风：请回电 020-****1234"
    assert listed(west) == [("…est1", "西湖")]
    assert listed(admin) == [("…ast1", "东风：请回电 020-****1234"), ("…est1", "西湖"),
                             ("…ist1", "街道")]  # fmt: skip
    assert listed(far_admin) == [("…ar01", "远方")]
    assert listed(far) == [("…ar01", "远方")]
    item = client.get("/api/v1/outbox/unreachable", headers=token_for(database, east)).json()
    assert item["items"][0]["reason"] == "居民已取消关注公众号"


def test_a_report_push_belongs_to_the_reports_committee(database: Engine) -> None:
    clerk = create_staff(database, "clerk", committee="东风社区居委会")
    with unit_of_work(database) as session:
        report = Report(
            reference="BS-20261128-0001", committee_id=clerk.committee_id,
            sub_district_id=clerk.sub_district_id, category="shared_bike", description="单车",
            source="wechat", reporter_openid="o_reporter", status="submitted", created_at=NOW,
            updated_at=NOW,
        )  # fmt: skip
        session.add(report)
        session.flush()
        reporting.change(session, CONTENT, report, "accept", actor=audit.Actor.of(clerk), now=NOW)
    with Session(database) as session:
        messages = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    scopes = {(m.audience, m.committee_id, m.sub_district_id) for m in messages}
    assert scopes == {("resident", clerk.committee_id, clerk.sub_district_id)}
