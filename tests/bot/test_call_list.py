"""`linli outbox unreachable` writes the call list staff phone from, in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli import app as cli
from store import outbox, users
from store.db import unit_of_work
from tests.staff_helpers import create_staff, token_for


def test_the_call_list_names_each_unreached_resident_and_why(
    database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    with unit_of_work(database) as session:
        users.seen(session, "o_grandma", now, own_message=True)
        for key, recipient, status, reason, code in [
            ("a", "o_grandma", "unreachable", "window_closed", None),
            ("b", "o_gone", "unreachable", "errcode 43004", 43004),
            ("c", "o_fine", "sent", None, None),
        ]:
            message_id = outbox.enqueue(session, key=key, audience="resident", recipient=recipient,
                                        kind="reminder", payload={"text": f"年审提醒{key}"},
                                        now=now)  # fmt: skip
            assert message_id is not None
            outcome = outbox.Outcome(status, error=reason, error_code=code)
            outbox.settle(session, message_id, outcome, now)
    monkeypatch.setenv("LINLI_DATABASE_URL", database.url.render_as_string(hide_password=False))
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


def test_the_call_list_api_lists_the_same_residents(database: Engine) -> None:
    from starlette.testclient import TestClient

    from bot.main import create_app
    from tests.chat import settings_for

    now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    with unit_of_work(database) as session:
        message_id = outbox.enqueue(
            session, key="k", audience="resident", recipient="o_gone", kind="reminder",
            payload={"text": "年审提醒"}, now=now,
        )  # fmt: skip
        assert message_id is not None
        outcome = outbox.Outcome("unreachable", error="errcode 43004", error_code=43004)
        outbox.settle(session, message_id, outcome, now)
    client = TestClient(create_app(settings_for(database), database=database))
    assert client.get("/api/v1/outbox/unreachable").status_code == 401
    headers = token_for(database, create_staff(database, "clerk"))
    body = client.get("/api/v1/outbox/unreachable", headers=headers).json()
    assert body["count"] == 1
    assert body["items"][0]["reason"] == "居民已取消关注公众号"
