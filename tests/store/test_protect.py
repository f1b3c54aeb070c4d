"""Upgrading a database that kept numbers in clear: they are masked and sealed, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from store.db import make_engine, unit_of_work
from store.inbound.models import InboundMessage
from store.migrate import upgrade
from store.protect import protect_existing
from store.reports.models import Report
from store.residents.models import Conversation, HumanRequest
from tests.chat import DATA_KEY, SEALER

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
SAID = "漏水了，电话13812345678"
MASKED = "漏水了，电话138****5678"


def _legacy_rows(database: Engine) -> None:
    with unit_of_work(database) as session:
        session.add(Report(reference="BS-20261101-0001", category="other", description=SAID,
                           answers=[{"key": "k", "question": "q", "answer": SAID}],
                           source="wechat", status="submitted", created_at=NOW,
                           updated_at=NOW))  # fmt: skip
        session.add(Report(reference="BS-20261101-0002", category="other", description="灯坏了",
                           source="wechat", status="submitted", created_at=NOW,
                           updated_at=NOW))  # fmt: skip
        session.add(InboundMessage(dedup_key="msg:1", openid="o_old", msg_type="text",
                                   wechat_created_at=NOW, fields={"Content": SAID},
                                   raw=f"<xml><Content>{SAID}</Content></xml>", mode="plain",
                                   reply=f"请核对 {SAID}"))  # fmt: skip
        session.add(Conversation(openid="o_old", flow="report", step="place",
                                 data={"description": SAID}, updated_at=NOW))  # fmt: skip
        session.add(HumanRequest(openid="o_old", text=SAID, created_at=NOW))


def test_rows_kept_in_clear_are_masked_and_sealed_once(database: Engine) -> None:
    _legacy_rows(database)
    with unit_of_work(database) as session:
        counts = protect_existing(session, SEALER)
    assert counts == {"reports": 1, "messages": 1, "conversations": 1, "requests": 1}
    with unit_of_work(database) as session:
        assert protect_existing(session, SEALER) == dict.fromkeys(counts, 0)
    with Session(database) as session:
        report = session.exec(select(Report).where(Report.reference == "BS-20261101-0001")).one()
        assert (report.description, report.answers[0]["answer"]) == (MASKED, MASKED)
        assert SEALER.open(report.description_sealed or "") == SAID
        message = session.exec(select(InboundMessage)).one()
        assert (message.fields["Content"], message.reply) == (MASKED, f"请核对 {MASKED}")
        assert SAID in SEALER.open(message.raw)
        conversation = session.exec(select(Conversation)).one()
        assert SEALER.open_json(conversation.data["sealed"]) == {"description": SAID}
        assert session.exec(select(HumanRequest)).one().text == MASKED


def test_linli_db_upgrade_protects_what_an_older_version_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    _legacy_rows(engine)
    monkeypatch.setenv("LINLI_ENV", "dev")
    monkeypatch.setenv("LINLI_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("LINLI_DATA_KEY", DATA_KEY)
    first = CliRunner().invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())  # rich wraps long lines
    assert "1 reports, 1 messages, 1 conversations, 1 requests" in said
    again = CliRunner().invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "masked and sealed" not in again.output
    with Session(engine) as session:
        assert session.exec(select(HumanRequest)).one().text == MASKED
