"""ID-card and phone numbers a resident types never rest in clear: not in the database file, not
in its WAL, not in the logs. Staff see them masked; a reveal is for the right people, audited."""

from __future__ import annotations

import logging
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.processes.scheduler import forget_raw_payloads
from store.db import make_engine
from store.inbound.models import InboundMessage
from store.migrate import upgrade
from store.residents.models import Conversation, HumanRequest
from store.staff.models import AuditEntry
from tests.chat import SEALER, WORDS, Answers, Sends, open_chat, run
from tests.report_helpers import COMMITTEE, Neighbourhood, only_report, seed
from tests.staff_helpers import create_staff, token_for

# A well-formed ID number (its check digit is right) and a mobile, as residents type them.
ID_NUMBER = "44010619900101123X"
MOBILE = "13912345678"
SPACED_MOBILE = "139 1234 5678"
SAID = f"楼道灯坏了，我的身份证{ID_NUMBER}，电话{MOBILE}"


def _sqlite_files(database: Engine) -> list[Path]:
    main = Path(database.url.database or "")
    return [p for p in (main, Path(f"{main}-wal")) if p.exists()]


def _clear_anywhere(database: Engine, logs: str) -> list[str]:
    """Where a number was found in clear: file names, or 'logs'."""
    found = []
    wanted = (ID_NUMBER, ID_NUMBER.lower(), MOBILE, SPACED_MOBILE, "12345678")
    for path in _sqlite_files(database):
        data = path.read_bytes()
        found += [f"{path.name}: {n}" for n in wanted if n.encode() in data]
    found += [f"logs: {n}" for n in wanted if n in logs]
    return found


def _report_and_ask_for_a_person(database: Engine) -> None:
    chat = open_chat(database, "safe")
    run(
        chat,
        [
            Sends("我要报事"),
            Sends("7"),
            Sends(SAID),
            Answers("问题在哪里？"),
            Sends("3栋"),
            Sends("没有"),
            Answers(ID_NUMBER[:6], MOBILE[:3]),  # the summary shows the resident what they said
            Sends("1"),
            Answers("BS-"),
            Sends(f"我的电话 {SPACED_MOBILE}"),
            Sends("人工"),
        ],
    )


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Engine:
    """A migrated SQLite file of its own (this test reads the file, whatever else runs)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'linli.db'}")
    upgrade(engine)
    seed(engine)
    return engine


def test_numbers_typed_in_a_conversation_are_nowhere_in_clear(
    sqlite_file: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    database = sqlite_file
    caplog.set_level(logging.DEBUG)
    _report_and_ask_for_a_person(database)
    # Read the WAL before the engine lets go of it, and the main file after a checkpoint.
    assert _sqlite_files(database)[1:], "the conversation should have written to the WAL"
    assert _clear_anywhere(database, caplog.text) == []
    database.dispose()
    assert _clear_anywhere(database, caplog.text) == []


def test_what_is_stored_is_masked_and_the_rest_sealed(
    database: Engine, place: Neighbourhood
) -> None:
    _report_and_ask_for_a_person(database)
    report = only_report(database)
    assert report.description == "楼道灯坏了，我的身份证440106********123X，电话139****5678"
    assert SEALER.open(report.description_sealed or "") == SAID
    with Session(database) as session:
        assert session.exec(select(HumanRequest)).one().status == "open"
        messages = session.exec(select(InboundMessage).order_by(InboundMessage.id)).all()
        masked = report.description
        said = [m for m in messages if m.fields.get("Content") == masked]
        assert len(said) == 1
        # The raw payload is kept sealed, for diagnosis, until the retention job clears it.
        assert MOBILE in SEALER.open(said[0].raw)
        summary = next(m.reply for m in messages if m.reply and "请核对" in m.reply)
        assert ID_NUMBER not in summary and "440106********123X" in summary
        spaced = [
            m.fields["Content"] for m in messages if "我的电话" in m.fields.get("Content", "")
        ]
        assert spaced == ["我的电话 139****5678"]


def test_a_conversation_in_progress_keeps_its_answers_sealed(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(chat, [Sends("我要报事"), Sends("7"), Sends(SAID), Answers("问题在哪里？")])
    with Session(database) as session:
        row = session.exec(select(Conversation)).one()
    assert set(row.data) == {"sealed"}
    assert MOBILE in SEALER.open(row.data["sealed"])
    # The conversation continues from the sealed state, as after a restart.
    run(chat, [Sends("3栋"), Sends("没有"), Sends("1"), Answers("BS-")])
    assert only_report(database).description_sealed is not None


def test_raw_payloads_are_forgotten_after_the_retention(database: Engine) -> None:
    chat = open_chat(database)
    run(chat, [Sends(f"电话{MOBILE}")])
    later = chat.clock() + timedelta(days=3, minutes=1)
    assert forget_raw_payloads(database, later - timedelta(days=1), days=3) == 0
    assert forget_raw_payloads(database, later, days=3) == 1
    with Session(database) as session:
        [message] = session.exec(select(InboundMessage)).all()
    assert message.raw == ""
    assert message.reply  # the reply stays, so a WeChat retry is still answered the same


def test_staff_reveal_numbers_by_role_and_every_reveal_is_audited(
    database: Engine, place: Neighbourhood
) -> None:
    _report_and_ask_for_a_person(database)
    reference = only_report(database).reference
    chat = open_chat(database)
    client = TestClient(chat.client.app)
    clerk = create_staff(database, "li", role="committee_staff", committee=COMMITTEE)
    other_grid = create_staff(database, "zhao", role="grid_worker", committee=COMMITTEE)
    path = f"/api/v1/reports/{reference}/reveal"

    detail = client.get(f"/api/v1/reports/{reference}", headers=token_for(database, clerk))
    assert MOBILE not in detail.text and "139****5678" in detail.text

    shown = client.post(path, headers=token_for(database, clerk))
    assert shown.status_code == 200
    assert shown.json()["description"] == SAID
    assert shown.headers["cache-control"] == "no-store"
    # wang handles 3栋's reports; zhao, another grid worker, does not see the numbers.
    assert client.post(path, headers=token_for(database, place.grid_worker)).status_code == 200
    refused = client.post(path, headers=token_for(database, other_grid))
    assert refused.status_code == 403
    with Session(database) as session:
        reveals = session.exec(select(AuditEntry).where(AuditEntry.action == "report.reveal"))
        assert sorted(e.actor for e in reveals) == ["li", "wang"]


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "linli.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect():
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loose = tmp_path / "loose.db"
    loose.touch(mode=0o644)
    make_engine(f"sqlite:///{loose}").dispose()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600


def test_a_conversation_sealed_with_a_lost_key_starts_afresh_instead_of_failing(
    database: Engine, place: Neighbourhood
) -> None:
    chat = open_chat(database)
    run(chat, [Sends("我要报事"), Sends("7"), Sends(SAID), Answers("问题在哪里？")])
    # The operator changed LINLI_DATA_KEY without keeping the old one.
    lost = open_chat(database, data_key="another-data-key-0123456789abcdefgh", clock=chat.clock)
    run(lost, [Sends("3栋")])
    assert lost.last_status == 200
    assert WORDS.bot.system_error not in (lost.last_reply or "")  # no apology: a fresh start
