"""The not-understood log: what residents said that Linli did not understand is kept with its
numbers masked, shown to staff in groups of like wordings (largest first), and a group staff
dealt with leaves the list, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.db import unit_of_work
from store.staff import audit
from store.staff.models import AuditEntry
from store.understanding import unmatched
from store.understanding.models import IGNORED, MAX_TEXT, UnmatchedMessage
from tests.staff_helpers import create_staff

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
ID_NUMBER = "440106195001012345"


def _said(database: Engine, *texts: str, openid: str = "o_resident_0001") -> list[int]:
    ids = []
    with unit_of_work(database) as session:
        for minutes, text in enumerate(texts):
            message = unmatched.record(session, openid=openid, text=text,
                                       now=NOW + timedelta(minutes=minutes))  # fmt: skip
            ids.append(message.id if message and message.id else 0)
    return ids


def _groups(database: Engine) -> list[unmatched.Group]:
    with Session(database) as session:
        return unmatched.groups(session)


def test_a_message_is_kept_with_its_numbers_masked(database: Engine) -> None:
    _said(database, f"我身份证{ID_NUMBER}低包咋弄", "   ")
    with Session(database) as session:
        [kept] = session.exec(select(UnmatchedMessage)).all()
    assert kept.text == "我身份证" + "*" * 18 + "低包咋弄"
    assert kept.openid == "o_resident_0001" and kept.received_at == NOW
    assert kept.resolved_label is None


def test_a_number_spaced_out_or_said_in_chinese_numerals_is_masked_too(database: Engine) -> None:
    spaced = " ".join(ID_NUMBER[i : i + 4] for i in range(0, 18, 4))
    _said(database, f"身份证{spaced}", "电话一三八零零一三八零零零 三号楼")
    with Session(database) as session:
        texts = sorted(m.text for m in session.exec(select(UnmatchedMessage)))
    assert all(ID_NUMBER[6:14] not in t and "一三八零零" not in t for t in texts)
    assert "电话" + "*" * 11 + " 三号楼" in texts  # a building's number is not personal


def test_an_overlong_message_is_cut_to_what_the_log_holds(database: Engine) -> None:
    _said(database, "长" * (MAX_TEXT + 50))
    assert _groups(database)[0].wording == "长" * MAX_TEXT


def test_like_wordings_are_one_group_and_the_largest_group_comes_first(database: Engine) -> None:
    _said(database, "低包咋弄", "你们几点下班", "低包咋弄", "低包咋弄啊")
    _said(database, "低包咋弄", openid="o_resident_0002")
    first, second = _groups(database)
    assert first.count == 4 and first.senders == 2
    assert first.examples == ("低包咋弄", "低包咋弄啊")
    assert first.wording == "低包咋弄"
    assert first.first_seen == NOW and first.last_seen == NOW + timedelta(minutes=3)
    assert second.examples == ("你们几点下班",) and second.count == 1


def test_the_normaliser_decides_what_counts_as_the_same(database: Engine) -> None:
    _said(database, "低包咋弄？？", "低包 咋弄")
    assert len(_groups(database)) == 2
    with Session(database) as session:
        [group] = unmatched.groups(session, lambda t: "".join(c for c in t if c.isalnum()))
    assert group.count == 2


def test_a_resolved_group_leaves_the_list_and_is_audited(database: Engine) -> None:
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    ids = _said(database, "低包咋弄", "低包咋弄", "你们几点下班")
    with unit_of_work(database) as session:
        done = unmatched.resolve(session, ids=ids[:2], label="service:dibao", wording="低包咋弄",
                                 actor=audit.Actor.of(admin), now=NOW)  # fmt: skip
        assert unmatched.open_count(session) == 1
    assert done == 2
    assert [g.wording for g in _groups(database)] == ["你们几点下班"]
    with Session(database) as session:
        message = session.get(UnmatchedMessage, ids[0])
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "unmatched.synonym"))
    assert message is not None and message.resolved_label == "service:dibao"
    assert message.resolved_by == admin.id and message.resolved_at == NOW
    assert entry.actor == "admin" and entry.object_id == "service:dibao"
    assert entry.after == {"label": "service:dibao", "messages": 2, "wording": "低包咋弄"}


def test_resolving_again_changes_nothing_and_writes_no_second_entry(database: Engine) -> None:
    admin = create_staff(database, "admin", role="subdistrict_admin", committee=None)
    ids = _said(database, "嗯嗯嗯")
    for _ in range(2):
        with unit_of_work(database) as session:
            unmatched.resolve(session, ids=ids, label=IGNORED, wording=None,
                              actor=audit.Actor.of(admin), now=NOW)  # fmt: skip
    with Session(database) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "unmatched.ignore"))
        assert len(entries.all()) == 1
    assert _groups(database) == []


@pytest.mark.parametrize("count", [300])
def test_many_distinct_messages_group_quickly(database: Engine, count: int) -> None:
    _said(database, *[f"第{n}号楼的事情怎么{'办' * (n % 3 + 1)}" for n in range(count)])
    found = _groups(database)
    assert sum(g.count for g in found) == count
