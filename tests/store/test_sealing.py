"""Sealed values name their key; after a key change they still open, and rotation seals them
again with the new key, a batch at a time, resuming where it stopped."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from store.db import make_engine, unit_of_work
from store.inbound.models import InboundMessage
from store.migrate import upgrade
from store.protect import reseal
from store.registry.history import Source
from store.registry.residents import add_resident, find_by_id_card, find_by_mobile
from store.reports.models import Report
from store.residents.models import Conversation
from store.sealing import PREFIX, Sealer, SealError, _derive, key_id
from tests.flows.test_identity import MAN_1955
from tests.report_helpers import Neighbourhood

OLD = "the-old-data-key-0123456789abcdefXYZ"
NEW = "the-new-data-key-9876543210fedcbaQRS"
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def test_a_value_names_its_key_and_opens_with_it_after_a_key_change() -> None:
    before = Sealer(OLD).seal("电话13812345678")
    assert before.startswith(f"{PREFIX}{key_id(OLD)}.")
    assert OLD not in before and "13812345678" not in before
    after = Sealer(NEW, previous_keys=[OLD])
    assert after.open(before) == "电话13812345678"
    assert not after.is_current(before)
    with pytest.raises(SealError):
        Sealer(NEW).open(before)  # the old key was not given


def test_values_sealed_before_key_ids_existed_still_open() -> None:
    nonce = os.urandom(12)
    blob = AESGCM(_derive(OLD, b"seal v1")).encrypt(nonce, "旧的".encode(), None)
    legacy = PREFIX + base64.urlsafe_b64encode(nonce + blob).decode()
    assert Sealer(NEW, previous_keys=[OLD]).open(legacy) == "旧的"


def _sealed_rows(database: Engine, count: int) -> None:
    old = Sealer(OLD)
    with unit_of_work(database) as session:
        for n in range(count):
            session.add(Report(reference=f"BS-20261129-{n:04d}", category="other",
                               description="电话138****5678", source="wechat", status="submitted",
                               description_sealed=old.seal(f"电话1381234{n:04d}"),
                               created_at=NOW, updated_at=NOW))  # fmt: skip
            session.add(InboundMessage(dedup_key=f"msg:{n}", openid=f"o_{n}", msg_type="text",
                                       wechat_created_at=NOW, fields={}, mode="plain",
                                       raw=old.seal(f"<xml>{n}</xml>")))  # fmt: skip
            session.add(Conversation(openid=f"o_{n}", flow="report", step="place",
                                     data={"sealed": old.seal_json({"n": n})},
                                     updated_at=NOW))  # fmt: skip


def test_rotation_seals_everything_again_a_batch_at_a_time(database: Engine) -> None:
    _sealed_rows(database, 3)
    sealer = Sealer(NEW, previous_keys=[OLD])
    with unit_of_work(database) as session:
        assert reseal(session, sealer, batch=4) == 4  # stopped part-way, as if interrupted
    rounds = []
    while True:
        with unit_of_work(database) as session:
            done = reseal(session, sealer, batch=4)
        if not done:
            break
        rounds.append(done)
    assert sum(rounds) == 5  # 9 values in all, none sealed twice
    only_new = Sealer(NEW)
    with Session(database) as session:
        reports = session.exec(select(Report).order_by(Report.reference)).all()
        assert [only_new.open(r.description_sealed or "") for r in reports] == [
            "电话13812340000",
            "电话13812340001",
            "电话13812340002",
        ]
        assert all(only_new.open(m.raw) for m in session.exec(select(InboundMessage)))
        assert sorted(only_new.open_json(c.data["sealed"])["n"] for c in
                      session.exec(select(Conversation))) == [0, 1, 2]  # fmt: skip


def test_linli_keys_rotate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    upgrade(engine)
    _sealed_rows(engine, 2)
    monkeypatch.setenv("LINLI_ENV", "dev")
    monkeypatch.setenv("LINLI_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("LINLI_DATA_KEY", NEW)
    monkeypatch.setenv("LINLI_PREVIOUS_DATA_KEYS", OLD)
    result = CliRunner().invoke(cli, ["keys", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert f"uses key {key_id(NEW)} (6 sealed again)" in " ".join(result.output.split())
    again = CliRunner().invoke(cli, ["keys", "rotate"])
    assert "(0 sealed again)" in " ".join(again.output.split())


def test_rotation_reseals_registry_numbers_and_keeps_them_findable(
    database: Engine, place: Neighbourhood
) -> None:
    old, new = Sealer(OLD), Sealer(NEW, previous_keys=[OLD])
    with unit_of_work(database) as session:
        add_resident(session, old, committee_id=place.committee_id,
                     values={"name": "李建国", "id_card": MAN_1955, "mobile": "13912345678"},
                     source=Source.staff(1), now=NOW)  # fmt: skip
    with Session(database) as session:
        assert find_by_id_card(session, new, place.committee_id, MAN_1955) == []  # hash is stale
    while True:
        with unit_of_work(database) as session:
            if not reseal(session, new, batch=500):
                break
    only_new = Sealer(NEW)
    with Session(database) as session:
        [found] = find_by_id_card(session, only_new, place.committee_id, MAN_1955)
        assert only_new.open(found.mobile_sealed or "") == "13912345678"
        assert find_by_mobile(session, only_new, place.committee_id, "13912345678") == [found]
